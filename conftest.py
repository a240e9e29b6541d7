"""Both test paths (tests/ and notebooks/): a notebook, or a test marked `cluster`, needs the test cluster.

Without one (no K8SLAB_KUBECONFIG or KUBECONFIG naming a file) they are skipped with that reason
before anything runs; in CI (CI=true) they fail instead.
"""

from pathlib import Path

from tests.needs import CLUSTER_HOW, cluster_kubeconfig, require

NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"


def pytest_runtest_setup(item):
    notebook = Path(str(item.path)).is_relative_to(NOTEBOOKS) and item.path.suffix == ".ipynb"
    if (notebook or item.get_closest_marker("cluster")) and not cluster_kubeconfig():
        require("test cluster", CLUSTER_HOW)
