"""k8slab: a hands-on Kubernetes learning kit for JupyterLab.

    import k8slab as lab
    lab.up()                              # a kind cluster (or reuse it)
    lab.apply("nginx-deployment.yaml")    # server-side apply, any kind
    lab.wait_for_rollout("nginx-deployment")
"""

import time as _time

from .cluster import down, load_image, node_path, status, up
from .diagnosing import Diagnosis, diagnose
from .errors import K8sLabError
from .kube import (
    apply,
    call_service,
    delete,
    events,
    exec_in,
    exists,
    get,
    list_objects,
    logs,
    patch,
    port_forward,
    use,
    wait_for_job,
    wait_for_pod,
    wait_for_pods,
    wait_for_rollout,
    wait_gone,
)

__version__ = "0.1.0"

# When this kernel first imported the kit: an exercise's check wants objects newer than this
# (lab.checks.object_exists), not ones left by an earlier, interrupted run.
STARTED = _time.time()

# Chapters' helpers, loaded on first use (`lab.images.build()`): importing the kit stays quick.
SUBMODULES = {"images", "widgets", "rook", "dashboard", "checks", "isolation", "compose", "doctor", "magics", "manifests"}

__all__ = [
    "up", "down", "status", "use", "load_image", "node_path",
    "apply", "get", "exists", "list_objects", "delete", "patch",
    "wait_for_rollout", "wait_for_pods", "wait_for_pod", "wait_for_job", "wait_gone",
    "logs", "exec_in", "events", "call_service", "port_forward",
    "diagnose", "Diagnosis", "K8sLabError",
]


def __getattr__(name: str):
    if name in SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'k8slab' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | SUBMODULES)


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
