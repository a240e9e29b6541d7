"""`%kubectl` and `%%kubectl`: the real kubectl, pointed at the kit's cluster, from a notebook.

    %load_ext k8slab.magics
    %kubectl get pods -n demo
    %%kubectl apply -f -
    apiVersion: v1
    kind: ConfigMap
    ...

The line is split like a shell would (shlex) and run as an argument list; `--kubeconfig`
of the kit's current cluster is added, so the learner's own kubeconfig is never touched.
A failing kubectl fails the cell with kubectl's one-line error, unless the line carries
`--expect-error` (the magic's own flag): then the error is the lesson and the cell passes.
`--expect-error-since=1.21` expects the error only from a kubectl of that version on (a flag
removed in 1.21 still works, with a warning, in 1.20), and a success before it.

`%%solution` holds an exercise's reference answer. A learner's "Run All" does not run it (the
cell prints one line instead), so the exercise is left for them; with K8SLAB_RUN_SOLUTIONS=1 in
the kernel's environment (the tests and CI set it) the body runs as an ordinary cell would, and
its last expression is the cell's value.
The kit's image override map (K8SLAB_IMAGES) applies here as it does to `lab.apply`, and so
does the kit's safety check: `apply`, `create` or `replace` with a CephCluster that lets Rook
choose disks (from `-f FILE`, a folder, or `-f -`) is refused before kubectl runs.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import yaml

from k8slab.clusters import session
from k8slab.core import references, tools
from k8slab.core.errors import K8sLabError, ManifestError, ToolMissing
from k8slab.manifests import loading as manifests, safety

EXPECT_ERROR = "--expect-error"
EXPECT_ERROR_SINCE = "--expect-error-since="  # e.g. =1.21: fails with kubectl 1.21 and later, works before
WRITES_OBJECTS = {"apply", "create", "replace"}
RUN_SOLUTIONS = "K8SLAB_RUN_SOLUTIONS"
SOLUTION_NOT_RUN = f"solution not run: write yours above (set {RUN_SOLUTIONS}=1 to run it)"


class KubectlFailed(K8sLabError):
    """kubectl exited with an error; the message is kubectl's own last error line."""


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str

    @property
    def error_line(self) -> str:
        lines = [ln.strip() for ln in (self.stderr or self.stdout).splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.lower().startswith("error") or "error" in ln.lower()]
        return (errors or lines or [f"exit code {self.returncode}"])[-1]


def kubectl_path() -> str:
    """K8SLAB_KUBECTL if set (a kubectl matching the server), else `kubectl` on PATH."""
    chosen = os.environ.get("K8SLAB_KUBECTL")
    if chosen:
        if not os.access(chosen, os.X_OK):
            raise ToolMissing(f"K8SLAB_KUBECTL={chosen} is not an executable kubectl", "unset it or point it at kubectl")
        return chosen
    return tools.tool("kubectl")


def current_kubeconfig() -> str:
    kube = session.kube()
    if not kube.kubeconfig:
        raise K8sLabError("the kit's cluster has no kubeconfig file", "run `lab.up()` first")
    return kube.kubeconfig


def _override_text(text: str, images: dict[str, str]) -> tuple[str, list[tuple[str, str, str]]]:
    """Swap images in YAML text; text that does not parse is passed through for kubectl to judge."""
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError:
        return text, []
    objs = [d for d in docs if isinstance(d, dict)]
    changed = manifests.override_images(objs, images)
    if not changed:
        return text, []
    return yaml.safe_dump_all(docs, sort_keys=False), changed


def with_overrides(args: list[str], stdin: str | None, images: dict[str, str]) -> tuple[list[str], str | None, list[str]]:
    """The image override map applied to `--image` and to the manifests `apply/create/replace -f` sends."""
    if not images:
        return args, stdin, []
    notes: list[str] = []
    out = list(args)
    for i, arg in enumerate(out):
        if arg.startswith("--image=") and (new := references.override(arg[8:], images)):
            notes.append(f"{arg[8:]} -> {new} in --image")
            out[i] = f"--image={new}"
        elif arg == "--image" and i + 1 < len(out) and (new := references.override(out[i + 1], images)):
            notes.append(f"{out[i + 1]} -> {new} in --image")
            out[i + 1] = new
    verb = next((a for a in out if not a.startswith("-")), "")
    files = [i + 1 for i, a in enumerate(out) if a in ("-f", "--filename") and i + 1 < len(out)]
    if verb in WRITES_OBJECTS and len(files) == 1:
        i = files[0]
        if out[i] == "-" and stdin is not None:
            stdin, changed = _override_text(stdin, images)
        elif out[i] != "-" and Path(out[i]).is_file() and stdin is None:
            text, changed = _override_text(Path(out[i]).read_text(encoding="utf-8"), images)
            if changed:
                out[i], stdin = "-", text
        else:
            changed = []
        notes += [f"{old} -> {new} in {obj}" for obj, old, new in changed]
    return out, stdin, notes


def _filenames(args: list[str]) -> list[str]:
    """The values of every `-f`/`--filename` (both spellings: `-f X` and `-f=X`)."""
    out = []
    for i, arg in enumerate(args):
        if arg in ("-f", "--filename") and i + 1 < len(args):
            out.append(args[i + 1])
        elif arg.startswith(("-f=", "--filename=")):
            out.append(arg.split("=", 1)[1])
    return out


def _texts(name: str, stdin: str | None, recursive: bool) -> list[tuple[str, str]]:
    """(source, text) of what kubectl would read for one `-f` value."""
    if name == "-":
        return [("the cell", stdin)] if stdin is not None else []
    if re.match(r"^https?://", name):
        raise ManifestError(f"not applying {name}: the kit checks what it writes and does not fetch URLs",
                            "download the file first (rook.fetch() keeps Rook's), then apply it with -f FILE")
    path = Path(name)
    if path.is_dir():
        files = path.rglob("*") if recursive else path.glob("*")
        return [t for f in sorted(files) if f.suffix in (".yaml", ".yml", ".json") for t in _texts(str(f), None, False)]
    try:
        return [(path.name, path.read_text(encoding="utf-8"))]
    except (OSError, UnicodeDecodeError):
        return []  # kubectl says what is wrong with the path


def check_writes(args: list[str], stdin: str | None) -> None:
    """Refuse what `apply/create/replace -f` would send when it holds an unsafe CephCluster."""
    if not WRITES_OBJECTS & {a for a in args if not a.startswith("-")}:
        return
    if any(a in ("-k", "--kustomize") or a.startswith(("-k=", "--kustomize=")) for a in args):
        raise ManifestError("not applying a kustomization from the magic: the kit cannot check what kubectl would build",
                            "run `kubectl kustomize DIR` into a file, then apply that file")
    recursive = any(a in ("-R", "--recursive", "--recursive=true") for a in args)
    for name in _filenames(args):
        for source, text in _texts(name, stdin, recursive):
            try:
                objs = manifests.parse(text, source)
            except ManifestError as e:
                if re.search(r"""["']?kind["']?\s*:\s*["']?CephCluster\b""", text):
                    raise ManifestError(f"cannot check the CephCluster in {source} for safety: {e.message}", e.hint) from e
                continue  # kubectl reads it and says what is wrong
            safety.check_all(objs)


def run(args: list[str], stdin: str | None = None, timeout: float = 300) -> Outcome:
    """kubectl ARGS against the kit's cluster (an argument list, never a shell)."""
    argv = [kubectl_path(), "--kubeconfig", current_kubeconfig(), *args]
    done = tools.run(argv, f"kubectl {' '.join(args[:3])}", timeout, check=False, error=KubectlFailed, input=stdin)
    return Outcome(done.returncode, done.stdout, done.stderr)


def global_options() -> set[str]:
    """The options every kubectl command inherits, as this kubectl lists them (`kubectl options`).

    Used in chapter 08.
    """
    outcome = run(["options"])
    if outcome.returncode:
        raise KubectlFailed(outcome.error_line)
    return set(re.findall(r"^\s+(?:-\w, )?(--[\w-]+)", outcome.stdout, flags=re.MULTILINE))


def client_version() -> tuple[int, int]:
    """(major, minor) of the kubectl the magics run, e.g. (1, 32); asks no cluster."""
    path = kubectl_path()
    done = tools.run([path, "version", "--client", "-o", "json"], f"asking {path} its version", 30, check=False, error=KubectlFailed)
    match = re.search(r'"gitVersion":\s*"v(\d+)\.(\d+)', done.stdout)
    if done.returncode or not match:
        raise KubectlFailed(f"cannot tell the version of {path}: {Outcome(done.returncode, done.stdout, done.stderr).error_line}")
    return int(match[1]), int(match[2])


def _expects_error(args: list[str]) -> tuple[list[str], bool]:
    """The magic's own flags out of the line; whether this kubectl is expected to fail."""
    expect = EXPECT_ERROR in args
    since = [a for a in args if a.startswith(EXPECT_ERROR_SINCE)]
    args = [a for a in args if a != EXPECT_ERROR and not a.startswith(EXPECT_ERROR_SINCE)]
    if since:
        text = since[-1][len(EXPECT_ERROR_SINCE):]
        try:
            wanted = tuple(int(x) for x in text.split("."))[:2]
        except ValueError:
            raise K8sLabError(f"{since[-1]} is not a kubectl version", "e.g. --expect-error-since=1.21") from None
        version = client_version()
        expect = version >= wanted
        if not expect:
            print(f"kubectl {version[0]}.{version[1]} is older than {text}: there this still works")
    return args, expect


def kubectl(line: str, cell: str | None = None) -> Outcome:
    """What the magics do: parse, override images, run, print, fail the cell on an error."""
    try:
        args = shlex.split(line)
    except ValueError as e:
        raise K8sLabError(f"cannot split the kubectl line: {e}", "check the quotes") from e
    args, expect_error = _expects_error(args)
    if args and args[0] == "kubectl":
        args = args[1:]
    if not args:
        raise K8sLabError("%kubectl needs a command", "e.g. %kubectl get pods -n my-namespace")
    check_writes(args, cell)
    args, stdin, notes = with_overrides(args, cell, session.settings().images)
    for note in notes:
        print(f"image override: {note}")
    outcome = run(args, stdin)
    if outcome.stdout:
        print(outcome.stdout, end="" if outcome.stdout.endswith("\n") else "\n")
    if outcome.returncode == 0:
        if outcome.stderr.strip():
            print(outcome.stderr.strip())
        if expect_error:
            raise K8sLabError(f"kubectl {args[0]} was expected to fail but succeeded", "remove --expect-error")
        return outcome
    if expect_error:
        print(f"kubectl failed, as expected: {outcome.error_line}")
        return outcome
    raise KubectlFailed(outcome.error_line, f"kubectl exit code {outcome.returncode}")


def solutions_wanted() -> bool:
    """Whether `%%solution` cells run: K8SLAB_RUN_SOLUTIONS=1 (or true/yes) in the environment."""
    return os.environ.get(RUN_SOLUTIONS, "").strip().lower() in ("1", "true", "yes")


def solution(shell, cell: str):
    """Run a reference answer only when solutions are wanted; its errors fail the cell as usual."""
    if not solutions_wanted():
        print(SOLUTION_NOT_RUN)
        return None
    tree = ast.parse(shell.transform_cell(cell))  # magics in the body (`%kubectl ...`) become calls
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<solution>", "exec"), shell.user_ns)
    if last is not None:
        return eval(compile(ast.Expression(last.value), "<solution>", "eval"), shell.user_ns)
    return None


def load_ipython_extension(ipython) -> None:
    """`%load_ext k8slab.magics` registers `%kubectl` (a line), `%%kubectl` (the cell is stdin)
    and `%%solution` (an exercise's answer, run only when asked for)."""

    def line_magic(line):
        kubectl(line)

    def cell_magic(line, cell):
        kubectl(line, cell)

    ipython.register_magic_function(line_magic, "line", "kubectl")
    ipython.register_magic_function(cell_magic, "cell", "kubectl")
    def solution_magic(line, cell):
        """An exercise's reference answer: runs only with K8SLAB_RUN_SOLUTIONS=1."""
        return solution(ipython, cell)

    ipython.register_magic_function(solution_magic, "cell", "solution")
