"""Both test paths (tests/ and notebooks/): a notebook, or a test marked `cluster`, needs the test cluster.

Without one (no K8SLAB_KUBECONFIG or KUBECONFIG naming a file) they are skipped with that reason
before anything runs; in CI (CI=true) they fail instead, as does any other skip (tests/ci_skips.py).
In CI a notebook cell also fails when its output shows the image override map at work: CI pulls the
guide's images by their own names.
"""

import os
from pathlib import Path

import pytest

from tests.needs import CLUSTER_HOW, cluster_kubeconfig, require

pytest_plugins = ["tests.ci_skips"]

NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"
OVERRIDE_LINE = "image override:"


def is_notebook(item) -> bool:
    return Path(str(item.path)).is_relative_to(NOTEBOOKS) and item.path.suffix == ".ipynb"


def pytest_runtest_setup(item):
    if (is_notebook(item) or item.get_closest_marker("cluster")) and not cluster_kubeconfig():
        require("test cluster", CLUSTER_HOW)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    if os.environ.get("CI") and is_notebook(item):
        for out in getattr(item, "test_outputs", None) or []:
            text = out.get("text") or "".join(str(v) for v in (out.get("data") or {}).values())
            if OVERRIDE_LINE in text:
                line = next(ln for ln in text.splitlines() if OVERRIDE_LINE in ln)
                pytest.fail(f"the cell used the image override map ({line.strip()}): CI pulls the guide's images "
                            "by their own names through the registry mirror", pytrace=False)
    return result
