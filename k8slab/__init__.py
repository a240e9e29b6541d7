"""k8slab: a hands-on Kubernetes learning kit for JupyterLab.

    import k8slab as lab
    lab.up()                              # a kind cluster (or reuse it)
    lab.apply("nginx-deployment.yaml")    # server-side apply, any kind
    lab.wait_for_rollout("nginx-deployment")
"""

import time as _time

from .cluster import down, load_image, node_path, status, up, use
from .errors import K8sLabError

__version__ = "0.1.0"

# When this kernel first imported the kit: an exercise's check wants objects newer than this
# (lab.checks.object_exists), not ones left by an earlier, interrupted run.
STARTED = _time.time()

# The API layer's calls and the chapters' helpers load on first use (`lab.apply(...)`, `lab.images.build()`):
# importing the kit stays quick, and `k8slab up` on a cluster that answers never loads the kubernetes client.
API = {"apply", "get", "exists", "list_objects", "delete", "patch", "wait_for_rollout", "wait_for_pods", "wait_for_pod",
       "wait_for_job", "wait_gone", "logs", "exec_in", "events", "call_service", "port_forward"}
DIAGNOSING = {"diagnose", "Diagnosis"}
SUBMODULES = {"images", "widgets", "rook", "dashboard", "checks", "isolation", "compose", "doctor", "magics", "manifests"}

__all__ = [
    "up", "down", "status", "use", "load_image", "node_path",
    "apply", "get", "exists", "list_objects", "delete", "patch",
    "wait_for_rollout", "wait_for_pods", "wait_for_pod", "wait_for_job", "wait_gone",
    "logs", "exec_in", "events", "call_service", "port_forward",
    "diagnose", "Diagnosis", "K8sLabError",
]


def __getattr__(name: str):
    import importlib

    if name in API:
        return getattr(importlib.import_module(f"{__name__}.kube"), name)
    if name in DIAGNOSING:
        return getattr(importlib.import_module(f"{__name__}.diagnosing"), name)
    if name in SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'k8slab' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | SUBMODULES | API | DIAGNOSING)


def _one_line_errors_in_ipython() -> None:
    """In a notebook, a K8sLabError shows as one red line, not a traceback (the cell still fails)."""
    try:
        ip = get_ipython()  # type: ignore[name-defined]  # noqa: F821
    except NameError:
        return

    def show(shell, etype, value, tb, tb_offset=None):
        print(f"{etype.__name__}: {value}", file=__import__("sys").stderr)

    ip.set_custom_exc((K8sLabError,), show)


_one_line_errors_in_ipython()
