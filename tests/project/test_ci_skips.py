"""A skip under CI=true fails the run with the skip's reason; outside CI it stays a skip."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SKIPPING = '''
import pytest

def test_skips_inside():
    pytest.skip("no frobnicator: install one")

def test_passes():
    pass
'''

SKIPPING_MODULE = '''
import pytest

frob = pytest.importorskip("k8slab_no_such_module", reason="the frobnicator reads its files")

def test_never_collected():
    pass
'''


def run(tmp_path: Path, source: str, ci: str | None) -> subprocess.CompletedProcess:
    (tmp_path / "test_inner.py").write_text(source)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update({"PYTHONPATH": str(REPO), **({"CI": ci} if ci else {})})
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "tests.ci_skips", "-rA", "-p", "no:cacheprovider",
                           str(tmp_path)], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)


@pytest.mark.parametrize("source, reason", [(SKIPPING, "no frobnicator: install one"),
                                            (SKIPPING_MODULE, "the frobnicator reads its files")])
def test_a_skip_in_ci_fails_the_run_with_its_reason(tmp_path, source, reason):
    done = run(tmp_path, source, ci="true")
    assert done.returncode in (1, 2), done.stdout  # 2: the module's collection failed
    assert f"skipped in CI, which counts as a failure here: {reason}" in done.stdout
    assert "skipped" not in done.stdout.splitlines()[-1]


def test_outside_ci_a_skip_stays_a_skip_with_its_reason(tmp_path):
    done = run(tmp_path, SKIPPING, ci=None)
    assert done.returncode == 0, done.stdout
    assert "no frobnicator: install one" in done.stdout
    assert done.stdout.splitlines()[-1].strip("= ").startswith("1 passed, 1 skipped")
