"""The test cluster's shell helpers (tests/cluster/testcluster.d/processes.sh), run by bash."""

from __future__ import annotations

import subprocess
from pathlib import Path

PROCESSES = Path(__file__).parent / "cluster" / "testcluster.d" / "processes.sh"


def test_a_component_counts_as_running_from_its_spawn_until_it_exits(tmp_path):
    """Between fork and exec a spawned component's command line is still the script's own (bash):
    `wait_until` asked `pid_of` then, and CI once stopped with "kubelet exited" while it was starting."""
    script = f"""
RUN_DIR={tmp_path} LOG_DIR={tmp_path} BIN_DIR=/bin
source {PROCESSES}
check() {{ if pid_of sleep >/dev/null; then echo "$1: running"; else echo "$1: not running"; fi; }}
( sleep 0.5; exec /bin/sleep 30 ) &
echo $! >"$RUN_DIR/sleep.pid"
check "before its exec"
/bin/sleep 0.8
check "after its exec"
kill "$(<"$RUN_DIR/sleep.pid")"
wait
check "after its exit"
"""
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["before its exec: running", "after its exec: running", "after its exit: not running"]
