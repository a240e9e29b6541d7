"""What an object's status says, as the kit reads it everywhere: one Ready test, one rollout-complete test,
one reading of what is wrong with a pod.

Pure functions of the objects' dicts (no API calls): waits, checks, diagnoses, providers and widgets share them.
"""

from __future__ import annotations

from dataclasses import dataclass

# Waiting reasons of a container whose image cannot be had.
PULL_FAILURES = frozenset({"ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName"})
# Waiting reasons a container does not leave by itself.
STUCK = PULL_FAILURES | {"CreateContainerConfigError", "CreateContainerError", "CrashLoopBackOff"}
CANNOT_START = ("CreateContainerConfigError", "CreateContainerError", "RunContainerError")


def condition(obj: dict | None, ctype: str) -> str | None:
    """The status ("True", "False", "Unknown") of `status.conditions[type=ctype]`, or None."""
    for c in ((obj or {}).get("status") or {}).get("conditions") or []:
        if c.get("type") == ctype:
            return c.get("status")
    return None


def ready(obj: dict | None) -> bool:
    """A Pod's or a Node's Ready condition is True."""
    return condition(obj, "Ready") == "True"


def rollout_complete(dep: dict | None) -> bool:
    """The test `kubectl rollout status` makes: the controller saw the latest spec, and every replica
    is updated and available, none of the old ones left."""
    if dep is None:
        return False
    spec, status, meta = dep.get("spec") or {}, dep.get("status") or {}, dep["metadata"]
    if (status.get("observedGeneration") or 0) < (meta.get("generation") or 0):
        return False
    want = spec.get("replicas", 1)
    return ((status.get("updatedReplicas") or 0) == want and (status.get("replicas") or 0) == want
            and (status.get("availableReplicas") or 0) == want)


def progress_deadline_exceeded(dep: dict | None) -> str | None:
    """The controller's message when a Deployment's rollout ran past its progress deadline, else None."""
    for c in ((dep or {}).get("status") or {}).get("conditions") or []:
        if c.get("type") == "Progressing" and c.get("reason") == "ProgressDeadlineExceeded":
            return c.get("message") or "ProgressDeadlineExceeded"
    return None


@dataclass(frozen=True)
class PodState:
    """What a pod's status says is wrong with it, as data: each reader (waits, `lab.diagnose`, the pod
    table) words it its own way.

    `cause` is what shows first: ImagePullBackOff (ErrImagePull too), ErrImageNeverPull, InvalidImageName,
    OOMKilled, CrashLoopBackOff, Error (exited, not restarted yet), CreateContainerConfigError,
    CreateContainerError, RunContainerError, Unschedulable, ContainerCreating, Terminating, Completed,
    Failed, NotReady (Running, not Ready), Starting (Pending, nothing wrong yet) or OK.
    The container fields name the container that has a problem (a stuck one first), even when a
    pod-wide cause (Terminating, Unschedulable) shows first.
    """

    cause: str
    phase: str = "Pending"
    stuck: bool = False  # it will not become ready by itself: a wait fails at once
    container: str = ""
    reason: str = ""  # Kubernetes' word: the container's waiting reason
    message: str = ""  # Kubernetes' words: the waiting message
    image: str = ""  # as the container's status gives it
    exit_code: int | None = None
    restarts: int = 0
    previous: bool = False  # the log that says why is the previous run's (it restarted and is not terminated now)
    failed: str = ""  # why a Failed pod failed; "" while it has not
    scheduling: str = ""  # the scheduler's words when it finds no node for the pod
    column: str = ""  # kubectl's STATUS column where it says more than the phase (a reason, Terminating), else ""


def pod_state(pod: dict) -> PodState:
    """What is wrong with a pod (or OK), read from its status alone: events and logs are the reader's to add.

    Made once per call (no dataclasses.replace): PodTable reads it for every pod of a 2,000-pod list."""
    status = pod.get("status") or {}
    phase = status.get("phase")
    statuses = (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or [])
    found = [s for s in map(_container_state, statuses) if s]
    chosen = next((s for s in found if s["stuck"]), None) or (found[0] if found else {"cause": _phase_cause(pod, statuses)})
    failed = (status.get("reason") or status.get("message") or "a container exited with an error") if phase == "Failed" else ""
    scheduled = next((c for c in status.get("conditions") or [] if c.get("type") == "PodScheduled"), {})
    fields = {**chosen, "phase": phase or "Pending", "failed": failed, "stuck": chosen.get("stuck", False) or bool(failed),
              "column": _column(pod)}
    if pod["metadata"].get("deletionTimestamp"):
        fields["cause"] = "Terminating"
    elif phase == "Pending" and scheduled.get("status") == "False":
        fields.update(cause="Unschedulable", scheduling=scheduled.get("message") or scheduled.get("reason") or "")
    return PodState(**fields)


def _container_state(cs: dict) -> dict | None:
    """The problem one container's status shows (PodState's fields), or None."""
    state = cs.get("state") or {}
    waiting = state.get("waiting") or {}
    term, last = state.get("terminated") or {}, (cs.get("lastState") or {}).get("terminated") or {}
    cause = _container_cause(cs, waiting.get("reason"), term, last)
    if cause is None:
        return None
    restarts = cs.get("restartCount") or 0
    return {"cause": cause, "stuck": waiting.get("reason") in STUCK, "container": cs["name"], "reason": waiting.get("reason") or "",
            "message": waiting.get("message") or "", "image": cs.get("image") or "", "exit_code": (term or last).get("exitCode"),
            "restarts": restarts, "previous": bool(restarts) and not term}


def _container_cause(cs: dict, reason: str | None, term: dict, last: dict) -> str | None:
    running = bool((cs.get("state") or {}).get("running"))
    healthy = running and bool(cs.get("ready"))  # an old restart is history, not the cause
    restarts = cs.get("restartCount") or 0
    if reason in PULL_FAILURES:
        return "ImagePullBackOff" if reason in ("ImagePullBackOff", "ErrImagePull") else reason
    if term.get("reason") == "OOMKilled" or (last.get("reason") == "OOMKilled" and not healthy):
        return "OOMKilled"
    if reason == "CrashLoopBackOff" or (last and restarts and not running) or term.get("exitCode") not in (0, None):
        return "CrashLoopBackOff" if reason == "CrashLoopBackOff" or restarts else "Error"
    return reason if reason in CANNOT_START else None


def _phase_cause(pod: dict, statuses: list[dict]) -> str:
    """The cause when no container shows a problem: what the phase and the Ready condition say."""
    phase = (pod.get("status") or {}).get("phase")
    creating = any(((cs.get("state") or {}).get("waiting") or {}).get("reason") == "ContainerCreating" for cs in statuses)
    if phase == "Pending" and creating:
        return "ContainerCreating"
    if phase in ("Succeeded", "Failed"):
        return "Completed" if phase == "Succeeded" else "Failed"
    if phase == "Running":
        return "OK" if ready(pod) else "NotReady"
    return "Starting"


def _column(pod: dict) -> str:
    """kubectl's STATUS column where it differs from the phase: the last container's reason, or Terminating."""
    if pod["metadata"].get("deletionTimestamp"):
        return "Terminating"
    status = pod.get("status") or {}
    reason = status.get("reason") or ""
    for cs in status.get("containerStatuses") or []:
        state = cs.get("state") or {}
        reason = (state.get("waiting") or state.get("terminated") or {}).get("reason") or reason
    return reason
