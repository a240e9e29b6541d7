"""environment.yml gives a learner everything the kit imports, plus the kind and kubectl executables."""

import ast
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
# conda-forge names of the distributions behind what the kit imports
CONDA_NAME = {"kubernetes": "python-kubernetes", "yaml": "pyyaml", "docker": "docker-py", "requests": "docker-py",
              "urllib3": "python-kubernetes", "IPython": "jupyterlab", "referencing": "jsonschema",
              "kubernetes_validate": "pip:kubernetes-validate>=1.30"}


def third_party_imports() -> set[str]:
    found = set()
    for path in (REPO / "k8slab").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m != "k8slab"}


def test_environment_names_what_the_kit_needs():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    deps = [d.split()[0].split("=")[0].split(">")[0].split("<")[0] for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    names = set(deps) | {f"pip:{p}" for p in pip}
    for needed in ("jupyterlab", "ipywidgets", "nbval", "kind", "kubernetes-client"):
        assert needed in names, needed
    assert "-e ." in pip, "the kit itself, editable"
    missing = {m for m in third_party_imports() if CONDA_NAME.get(m, m) not in names}
    assert not missing, f"environment.yml lacks what k8slab imports: {sorted(missing)}"
