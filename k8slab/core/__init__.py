"""Pure code every layer uses: errors, settings, the subprocess helper, registry mirrors, and what
the API's conditions, quantities, image references and tables mean. No cluster, no Docker."""

import time

# When this kernel first imported the kit: an exercise's check wants objects newer than this
# (lab.checks.object_exists), not ones left by an earlier, interrupted run.
STARTED = time.time()
