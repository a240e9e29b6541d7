"""k8slab: a hands-on Kubernetes learning kit for JupyterLab.

    import k8slab as lab
    lab.up()                              # a kind cluster (or reuse it)
    lab.apply("nginx-deployment.yaml")    # server-side apply, any kind
    lab.wait_for_rollout("nginx-deployment")
"""

from k8slab.clusters.choosing import down, load_image, node_exec, node_path, start_node, status, stop_node, up, use
from k8slab.core import STARTED
from k8slab.core.errors import K8sLabError

__version__ = "0.1.0"

# The API layer's calls and the chapters' modules load on first use (`lab.apply(...)`, `lab.images.build()`):
# importing the kit stays quick, and `k8slab up` on a cluster that answers never loads the kubernetes client.
# Each acts on the cluster chosen last (k8slab.clusters.session.bind), unless given `kube=`.
API = {name: "k8slab.kube" for name in (
    "apply", "get", "exists", "list_objects", "delete", "patch", "wait_for_rollout", "wait_for_pods", "wait_for_pod",
    "wait_for_job", "wait_gone", "logs", "exec_in", "events", "call_service", "port_forward")}
API.update(diagnose="k8slab.lessons.diagnosing", Diagnosis="k8slab.lessons.diagnosing")
SUBMODULES = {
    "images": "k8slab.imaging", "manifests": "k8slab.manifests", "config": "k8slab.core.config",
    "architecture": "k8slab.kube.architecture", "kindconfig": "k8slab.clusters.providers.kindconfig",
    "checks": "k8slab.lessons.checks", "rook": "k8slab.lessons.rook", "dashboard": "k8slab.lessons.dashboard",
    "isolation": "k8slab.lessons.isolation", "compose": "k8slab.lessons.compose", "picture": "k8slab.lessons.picture",
    "widgets": "k8slab.ui.widgets", "doctor": "k8slab.ui.doctor", "magics": "k8slab.magics",
}

__all__ = [
    "up", "down", "status", "use", "load_image", "node_path", "stop_node", "start_node", "node_exec", "STARTED",
    "apply", "get", "exists", "list_objects", "delete", "patch",
    "wait_for_rollout", "wait_for_pods", "wait_for_pod", "wait_for_job", "wait_gone",
    "logs", "exec_in", "events", "call_service", "port_forward",
    "diagnose", "Diagnosis", "K8sLabError",
]


def __getattr__(name: str):
    import importlib

    from k8slab.clusters import session

    if name in API:
        return session.bind(getattr(importlib.import_module(API[name]), name))
    if name in SUBMODULES:
        return session.Bound(importlib.import_module(SUBMODULES[name]))
    raise AttributeError(f"module 'k8slab' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(SUBMODULES) | set(API))


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
