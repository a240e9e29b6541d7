"""The layers and the outside dependencies' homes, as pyproject's import-linter contracts state them."""

import shutil
import subprocess
import sys
from pathlib import Path

from .needs import require, toml

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "k8slab"


def contracts() -> list[dict]:
    return toml().loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def test_each_outside_dependency_has_one_home():
    homes = {c["protected_modules"][0]: c["allowed_importers"] for c in contracts() if c["type"] == "protected"}
    assert homes == {"kubernetes": ["k8slab.kube"], "docker": ["k8slab.images"], "ipywidgets": ["k8slab.widgets"]}


def test_the_layers_run_from_the_interfaces_down_to_the_errors():
    layers = next(c["layers"] for c in contracts() if c["type"] == "layers")
    assert layers[0] == "k8slab.cli" and layers[-1] == "k8slab.errors"
    assert layers.index("k8slab.magics | k8slab.widgets") < layers.index("k8slab.kube")
    order = [layers.index(next(layer for layer in layers if name in layer.split()))
             for name in ("k8slab.rook", "k8slab.cluster", "k8slab.providers", "k8slab.kube", "k8slab.config")]
    assert order == sorted(order)


def test_the_imports_keep_the_contracts():
    """import-linter itself: a wrong import (lazy ones inside functions too) fails here, not only in CI's lint step."""
    linter = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if not linter:
        require("lint-imports", "pip install -e '.[dev]'")
    done = subprocess.run([linter, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:]


def test_subprocesses_take_argument_lists():
    offenders = [p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py") if "shell=True" in p.read_text()]
    assert not offenders
