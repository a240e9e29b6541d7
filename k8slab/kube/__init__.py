"""The API layer: the only part of the kit that imports the `kubernetes` client."""

import sys

# The dynamic client validates on the client side whenever kubernetes_validate is importable,
# and importing that pulls in jsonschema's format checkers: 3-4 s in a Jupyter environment, on
# every `k8slab` command and kernel start. The kit validates where it means to
# (k8slab.validating), so the package is hidden while the client loads.
_hide = "kubernetes_validate" not in sys.modules and "kubernetes" not in sys.modules
if _hide:
    sys.modules["kubernetes_validate"] = None  # type: ignore[assignment]

from k8slab.kube.applying import apply, delete, exists, get, list_objects, patch
from k8slab.kube.client import Kube
from k8slab.kube.inspecting import call_service, events, exec_in, logs, port_forward
from k8slab.kube.waiting import (
    wait_for_condition,
    wait_for_job,
    wait_for_pod,
    wait_for_pods,
    wait_for_rollout,
    wait_gone,
)

if _hide:
    del sys.modules["kubernetes_validate"]

__all__ = [
    "Kube", "apply", "get", "exists", "list_objects", "delete", "patch",
    "logs", "exec_in", "events", "call_service", "port_forward",
    "wait_for_condition", "wait_for_rollout", "wait_for_pods", "wait_for_pod", "wait_for_job", "wait_gone",
]
