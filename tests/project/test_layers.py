"""The layers and the outside dependencies' homes, as pyproject's import-linter contracts state them."""

import shutil
import subprocess
import sys
from pathlib import Path

from ..needs import require, toml

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "k8slab"


def contracts() -> list[dict]:
    return toml().loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def test_each_outside_dependency_has_one_home():
    homes = {c["protected_modules"][0]: c["allowed_importers"] for c in contracts() if c["type"] == "protected"}
    assert homes["kubernetes"] == ["k8slab.kube"]
    assert homes["docker"] == ["k8slab.imaging"]
    assert homes["ipywidgets"] == ["k8slab.ui.widgets"]


def test_only_the_doors_reach_the_session():
    homes = {c["protected_modules"][0]: c for c in contracts() if c["type"] == "protected"}
    session = homes["k8slab.clusters.session"]
    assert session["allowed_importers"] == ["k8slab", "k8slab.clusters.choosing", "k8slab.ui.magics"]
    assert session["as_packages"] is False, "as packages, 'k8slab' would let every module in"


def test_the_layers_are_the_folders():
    layers = next(c["layers"] for c in contracts() if c["type"] == "layers" and "containers" not in c)
    folders = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
    named = sorted(part.strip().removeprefix("k8slab.") for layer in layers for part in layer.split("|"))
    assert named == folders, "every folder of the package is one layer of the contract, and only those"
    assert layers[0] == "k8slab.ui" and layers[-1] == "k8slab.core"


def test_type_only_imports_count():
    settings = toml().loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert settings["exclude_type_checking_imports"] is False


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
