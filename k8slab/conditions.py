"""What an object's status says, as the kit reads it everywhere: one Ready test, one rollout-complete test.

Pure functions of the objects' dicts (no API calls): waits, checks, providers and widgets share them.
"""

from __future__ import annotations


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
