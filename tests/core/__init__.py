"""Pure code: errors, settings, the subprocess helper, mirrors, conditions, quantities."""
