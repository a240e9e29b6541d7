"""The API layer: the only part of the kit that imports the `kubernetes` client."""

from .applying import apply, delete, exists, get, list_objects, patch
from .client import Kube, current, use
from .inspecting import call_service, events, exec_in, logs, port_forward
from .waiting import wait_for_condition, wait_for_job, wait_for_pod, wait_for_pods, wait_for_rollout, wait_gone

__all__ = [
    "Kube", "use", "current", "apply", "get", "exists", "list_objects", "delete", "patch",
    "logs", "exec_in", "events", "call_service", "port_forward",
    "wait_for_condition", "wait_for_rollout", "wait_for_pods", "wait_for_pod", "wait_for_job", "wait_gone",
]
