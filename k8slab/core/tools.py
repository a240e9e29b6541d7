"""Running the command-line tools the kit drives (kind, kubectl, docker, ctr, kompose...): always an
argument list and a timeout, and on failure the kit's one-line error ending with the tool's own
last line. Decisions are made on exit codes, never on what the output says.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Callable, Iterable

from k8slab.core.errors import K8sLabError, ToolFailed, ToolMissing

Progress = Callable[[str], None]  # the kit's one progress type: a line at a time (print, a widget's append)

INSTALL_HINTS = {
    "kind": ("macOS: `brew install kind`; Linux: https://kind.sigs.k8s.io/docs/user/quick-start/; "
             "conda: `conda install -c conda-forge kubernetes-kind`"),
    "kubectl": ("macOS: `brew install kubectl`; Linux: `apt-get install kubernetes-client` or https://kubernetes.io/docs/tasks/tools/; "
                "conda: `conda install -c conda-forge kubernetes-client`"),
    "docker": ("macOS: install Docker Desktop (or `brew install podman`); Linux: `apt-get install docker.io`; "
               "or Podman with its Docker-compatible socket"),
    "minikube": "macOS: `brew install minikube`; Linux/conda: `conda install -c conda-forge minikube`",
    "ctr": "Linux: `apt-get install containerd` (ctr comes with it)",
    "kompose": "macOS: `brew install kompose`; Linux: https://kompose.io/installation/",
}


def tool(name: str) -> str:
    """The path of a command-line tool, or a one-line error saying how to install it."""
    path = shutil.which(name)
    if not path:
        raise ToolMissing(f"`{Path(name).name}` is not on PATH", INSTALL_HINTS.get(Path(name).name))
    return path


def last_line(output: str | bytes | None, returncode: int) -> str:
    """The tool's own last non-empty line (where tools say what went wrong), else its exit code."""
    text = output.decode(errors="replace") if isinstance(output, bytes) else (output or "")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else f"exit code {returncode}"


def run(args: list[str], what: str, timeout: float | None = 600, check: bool = True,
        error: type[K8sLabError] = ToolFailed, **kw) -> subprocess.CompletedProcess:
    """Run a tool (`args[0]`, found on PATH) and capture its output as text.

    With `check` a non-zero exit raises `error`: "WHAT failed: <the tool's last line>". Without,
    the finished process comes back and its caller decides by `returncode`. A tool that does not
    start or does not finish within `timeout` seconds raises `error` either way.
    """
    name = Path(args[0]).name
    try:
        done = subprocess.run([tool(args[0]), *args[1:]], capture_output=True, text=True, timeout=timeout, **kw)
    except subprocess.TimeoutExpired as e:
        raise error(f"{what}: `{name}` did not finish in {timeout:g}s") from e
    except OSError as e:
        raise error(f"{what}: `{name}` does not run: {e.strerror or e}") from e
    if check and done.returncode != 0:
        raise error(f"{what} failed: {last_line(done.stderr or done.stdout, done.returncode)}")
    return done


def stream(args: list[str], progress: Progress, **kw) -> tuple[int, str]:
    """Run a long tool call, handing each output line to `progress`; its exit code and the line that
    says most: the first `ERROR:` line (kind's), else the last (a stack trace may follow an error)."""
    summary = ""
    with subprocess.Popen([tool(args[0]), *args[1:]], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          **kw) as proc:
        for line in filter(None, (raw.strip() for raw in proc.stdout)):
            progress(line)
            if not summary.startswith("ERROR:"):
                summary = line
    return proc.returncode, summary


def feed(args: list[str], chunks: Iterable[bytes], what: str, *, timeout: float | None = 600,
         error: type[K8sLabError] = ToolFailed, hint: str | None = None) -> None:
    """Stream `chunks` into a tool's standard input (an image export, too big to hold in memory);
    a non-zero exit raises `error` with the tool's last line."""
    with subprocess.Popen([tool(args[0]), *args[1:]], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE) as proc:
        try:
            for chunk in chunks:
                proc.stdin.write(chunk)
        except BrokenPipeError:
            pass  # the tool stopped reading: its exit code and last line say why
        finally:
            proc.stdin.close()
        err = proc.stderr.read()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired as e:
            proc.kill()
            raise error(f"{what}: `{Path(args[0]).name}` did not finish in {timeout:g}s", hint) from e
    if proc.returncode:
        raise error(f"{what} failed: {last_line(err, proc.returncode)}", hint)
