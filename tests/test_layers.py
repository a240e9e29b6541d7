"""One module (or package) per outside dependency, checked the way import-linter would."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "k8slab"
ALLOWED = {"kubernetes": "kube/", "docker": "images.py", "ipywidgets": "widgets/"}


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_outside_dependencies_stay_behind_their_layer():
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        for dep, home in ALLOWED.items():
            if dep in imports(path) and not rel.startswith(home):
                wrong.append(f"{rel} imports {dep} (only {home} may)")
    assert not wrong, wrong


def test_subprocesses_take_argument_lists():
    offenders = [p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py") if "shell=True" in p.read_text()]
    assert not offenders
