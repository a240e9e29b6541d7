"""environment.yml gives a learner everything the kit imports, plus the kind and kubectl executables.

conda-forge's names differ from the executables': kind is `kubernetes-kind` (feedstock
conda-forge/kubernetes-kind-feedstock) and kubectl comes in `kubernetes-client` (an output of
conda-forge/kubernetes-feedstock).
"""

import ast
import re
import sys
from pathlib import Path

import yaml

from k8slab.clusters.providers import kindconfig

REPO = Path(__file__).resolve().parents[2]
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


def conda_pins() -> dict[str, str]:
    """Each conda dependency's name and what follows it (`kubernetes-kind=0.26` gives `=0.26`)."""
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    specs = [d.split()[0] for d in env["dependencies"] if isinstance(d, str)]
    return {re.split(r"[=<>]", s, maxsplit=1)[0]: s[len(re.split(r"[=<>]", s, maxsplit=1)[0]):] for s in specs}


def test_environment_names_what_the_kit_needs():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    deps = list(conda_pins())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    names = set(deps) | {f"pip:{p}" for p in pip}
    for needed in ("jupyterlab", "ipywidgets", "nbval", "kubernetes-kind", "kubernetes-client"):
        assert needed in names, needed
    assert "-e ." in pip, "the kit itself, editable"
    missing = {m for m in third_party_imports() if CONDA_NAME.get(m, m) not in names}
    assert not missing, f"environment.yml lacks what k8slab imports: {sorted(missing)}"


def test_conda_forge_names_not_executable_names():
    assert "kind" not in conda_pins(), "conda-forge's kind is `kubernetes-kind`; `kind` does not resolve"


def test_kind_and_kubectl_agree_with_the_pinned_node_image():
    pins = conda_pins()
    kind = pins["kubernetes-kind"].lstrip("=")
    image = kindconfig.node_image(kind)
    assert image, f"kind {kind} from environment.yml has no pinned node image in kindconfig.NODE_IMAGES"
    node_minor = int(image.split(":v1.")[1].split(".")[0])
    kubectl_minor = int(pins["kubernetes-client"].lstrip("=").split(".")[1])
    assert abs(node_minor - kubectl_minor) <= 1, "kubectl must be within one minor of the node image"
