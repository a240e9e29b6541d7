"""k8slab.tools, the one way the kit runs a command-line tool: argument list, timeout, one-line error."""

import sys
from pathlib import Path

import pytest

from k8slab.core import tools
from k8slab.core.errors import ImageError, ToolFailed, ToolMissing
from k8slab.ui import doctor


def script(folder: Path, name: str, body: str) -> str:
    path = folder / name
    path.write_text(f"#!{sys.executable}\nimport sys, time\n{body}\n")
    path.chmod(0o755)
    return str(path)


def test_output_comes_back_and_a_failure_is_one_line_ending_with_the_tools_last_line(tmp_path):
    ok = script(tmp_path, "fine", "print('one'); print('two')")
    assert tools.run([ok], "saying two lines").stdout == "one\ntwo\n"
    bad = script(tmp_path, "bad", "print('working...'); print('ERROR: first', file=sys.stderr); "
                                  "print('  the real reason  ', file=sys.stderr); sys.exit(3)")
    with pytest.raises(ToolFailed) as err:
        tools.run([bad, "--flag"], "doing the thing")
    assert str(err.value) == "doing the thing failed: the real reason"
    quiet = script(tmp_path, "quiet", "sys.exit(4)")
    with pytest.raises(ImageError, match=r"^loading failed: exit code 4$"):
        tools.run([quiet], "loading", error=ImageError)


def test_the_exit_code_decides_not_the_words(tmp_path):
    says_error = script(tmp_path, "says-error", "print('error: none, all fine')")
    assert tools.run([says_error], "asking").returncode == 0
    says_fine = script(tmp_path, "says-fine", "print('all fine'); sys.exit(1)")
    assert tools.run([says_fine], "asking", check=False).returncode == 1
    assert doctor._run([says_error]) == (True, "error: none, all fine")
    assert doctor._run([says_fine]) == (False, "all fine")


def test_a_tool_that_hangs_is_stopped_at_its_timeout(tmp_path):
    slow = script(tmp_path, "slow", "time.sleep(30)")
    with pytest.raises(ToolFailed, match=r"^waiting: `slow` did not finish in 0.5s$"):
        tools.run([slow], "waiting", timeout=0.5)


def test_a_missing_tool_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolMissing) as err:
        tools.run(["kompose", "version"], "converting")
    assert str(err.value).startswith("`kompose` is not on PATH (macOS: `brew install kompose`")


def test_feed_streams_into_a_tool_and_reports_its_last_line(tmp_path):
    out = tmp_path / "got"
    sink = script(tmp_path, "sink", f"open({str(out)!r}, 'wb').write(sys.stdin.buffer.read())")
    tools.feed([sink], (bytes([i]) * 1000 for i in range(50)), "sending")
    assert out.read_bytes() == b"".join(bytes([i]) * 1000 for i in range(50))
    refuse = script(tmp_path, "refuse", "sys.stdin.buffer.read(10); print('no space left', file=sys.stderr); sys.exit(2)")
    with pytest.raises(ToolFailed) as err:
        tools.feed([refuse], (b"x" * 65536 for _ in range(100)), "importing the image", hint="is it running?")
    assert str(err.value) == "importing the image failed: no space left (is it running?)"
