"""Waiting with watches and a deadline: rollouts, Ready pods, finished Jobs, objects gone.

Each wait lists once (to see the present state and get a resourceVersion), then watches
from there. A timeout reports the last state it saw and the object's recent events.
"""

from __future__ import annotations

import threading
from typing import Callable

from k8slab.core.conditions import (
    PULL_FAILURES,
    PodState,
    condition as condition_of,
    pod_state,
    progress_deadline_exceeded,
    ready,
    rollout_complete as _rollout_complete,
)
from k8slab.core.errors import ImageError, K8sLabError, WaitTimeout
from k8slab.kube.client import Kube, translating
from k8slab.kube.watching import SYNCED, Stop, follow
from k8slab.manifests.loading import label_selector

# A predicate sees the object (a dict, or None once deleted) and returns True when the
# wait is over; it raises a K8sLabError when the wait can never succeed.
Predicate = Callable[[dict | None], bool]


def watch_until(
    api_version: str,
    kind: str,
    name: str | None,
    namespace: str | None,
    done: Predicate,
    *,
    timeout: float,
    kube: Kube,
    selector: str | None = None,
    describe: Callable[[dict | None], str] | None = None,
    check_every: float | None = None,
    on_idle: Callable[[], None] | None = None,
) -> dict | None:
    """Follow one object (or the objects matching `selector`) until `done` is true, at most `timeout` s.

    Built on `watching.follow` (list, watch, relist on 410 Gone), as the widgets are. With
    `selector`, `done` sees the list of matching objects. `on_idle` runs after each watch window of
    `check_every` seconds (to notice pods that cannot pull their image while the object waited
    for does not change).
    """
    ns = namespace if kube.resource(api_version, kind).namespaced else None
    what = f"{kind}/{name}" if name else f"{kind}s matching {selector!r}"
    objects: dict[str, dict] = {}

    def state():
        return objects.get(name) if name else list(objects.values())

    stop = Stop()
    deadline = threading.Timer(timeout, stop.set)
    deadline.daemon = True
    deadline.start()
    window = max(1, int(min(timeout, check_every or 10) + 0.999))
    events = follow(api_version, kind, ns, selector, name=name, stop=stop, window=window, kube=kube, on_window=on_idle)
    try:
        synced = False
        for etype, obj in events:
            if etype == SYNCED:
                synced = True
            elif etype == "DELETED":
                objects.pop(obj["metadata"]["name"], None)
            else:
                objects[obj["metadata"]["name"]] = obj
            if synced and done(state()):
                return state()
    finally:
        deadline.cancel()
        events.close()
    last = (describe or describe_conditions)(state())
    from k8slab.kube.inspecting import recent_events

    events_text = recent_events(kind, name, ns, kube=kube) if name else ""
    raise WaitTimeout(f"{what} not ready after {timeout:g}s: {last}" + (f"; events: {events_text}" if events_text else ""))


def describe_conditions(obj) -> str:
    """The last state a wait saw, told by the object's conditions (`Ready=False, ...`)."""
    if obj is None:
        return "it does not exist"
    if isinstance(obj, list):
        return f"{len(obj)} found"
    conds = (obj.get("status") or {}).get("conditions") or []
    return ", ".join(f"{c['type']}={c['status']}" for c in conds) or "no status yet"


def wait_for_condition(api_version, kind, name, namespace, condition, *, timeout=60, kube: Kube) -> dict:
    """Until `status.conditions[type=condition]` is True (works for any kind, CRDs included)."""
    return watch_until(api_version, kind, name, namespace, lambda o: condition_of(o, condition) == "True", timeout=timeout, kube=kube)


def wait_gone(api_version, kind, name, namespace=None, timeout=120, *, kube: Kube) -> None:
    watch_until(api_version, kind, name, namespace, lambda o: o is None, timeout=timeout, kube=kube,
                describe=lambda o: "still there" + (f" ({describe_conditions(o)})" if o else ""))


def pod_problem(pod: dict) -> str | None:
    """A one-line reason why this pod will not become ready by itself, or None."""
    return problem(pod, pod_state(pod))


def problem(pod: dict, state: PodState) -> str | None:
    """`pod_problem` for a pod whose state the caller has read already."""
    error = _stuck(pod, state)
    return error.message if error else None


def _stuck(pod: dict, state: PodState | None = None) -> K8sLabError | None:
    """The error a wait raises at once for this pod (`conditions.pod_state` says it is stuck), or None."""
    state, name = state or pod_state(pod), pod["metadata"]["name"]
    if not state.stuck:
        return None
    hint = "`lab.logs(...)` and `lab.events(...)` show why"
    if state.failed:
        return K8sLabError(f"pod {name} failed: {state.failed}", hint)
    if state.reason in PULL_FAILURES:
        return ImageError(f"pod {name} cannot get image {state.image} ({state.reason})",
                          "this machine cannot pull public images: load a local image or set an image override")
    return K8sLabError(f"pod {name}: container {state.container} is in {state.reason}: {state.message}".rstrip(": "), hint)


def raise_if_stuck(pods: list[dict]) -> None:
    """Fail a wait at once on the first pod that will not become ready by itself (ImageError when it cannot get its image)."""
    for pod in pods:
        error = _stuck(pod)
        if error:
            raise error


def wait_for_pods(selector: str, namespace: str = "default", count: int | None = None, timeout: float = 120, *,
                  not_on: str | None = None, kube: Kube) -> list[dict]:
    """Until `count` pods (at least one if None) match `selector` and all of them are Ready; returns them.
    Pods being deleted do not count (nor are returned). With `not_on`, none of them may be on that node
    (pods leaving a failed node).

    Used in chapters 01, 02, 06, 08, 09.
    """

    def done(pods):
        live = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
        raise_if_stuck(live)
        enough = len(live) >= (count or 1) if count is None else len(live) == count
        away = not_on is None or all((p.get("spec") or {}).get("nodeName") != not_on for p in live)
        return enough and away and all(ready(p) for p in live)

    def describe(pods):
        n_ready = sum(ready(p) for p in pods)
        return f"{n_ready}/{len(pods)} pods Ready" + "".join(
            f"; {p['metadata']['name']} {(p.get('status') or {}).get('phase')}" for p in pods if not ready(p)
        )

    pods = watch_until("v1", "Pod", None, namespace, done, timeout=timeout, kube=kube, selector=selector, describe=describe)
    return [p for p in pods if not p["metadata"].get("deletionTimestamp")]


def wait_for_pod(name: str, namespace: str = "default", timeout: float = 120, *, kube: Kube) -> dict:
    """Watch the pod until it is Ready (or has succeeded); a pod stuck pulling or crashing fails at once.

    Used in chapters 01, 02, 04, 05, 06, 08.
    """
    def done(pod):
        if pod is None:
            return False
        raise_if_stuck([pod])
        return ready(pod) or (pod.get("status") or {}).get("phase") == "Succeeded"

    return watch_until("v1", "Pod", name, namespace, done, timeout=timeout, kube=kube)


def rollout_complete_or_raise(dep: dict | None) -> bool:
    """A wait's predicate: `conditions.rollout_complete`, and a WaitTimeout at once for a rollout past its progress deadline."""
    stuck = progress_deadline_exceeded(dep)
    if stuck:
        raise WaitTimeout(f"Deployment/{dep['metadata']['name']} exceeded its progress deadline: {stuck}")
    return _rollout_complete(dep)


def describe_rollout(dep: dict | None) -> str:
    """The last state a rollout's wait saw: how many replicas are updated and available."""
    if dep is None:
        return "the Deployment does not exist"
    s, want = dep.get("status") or {}, (dep.get("spec") or {}).get("replicas", 1)
    return f"{s.get('updatedReplicas') or 0}/{want} updated, {s.get('availableReplicas') or 0}/{want} available"


def wait_for_rollout(name: str, namespace: str = "default", timeout: float = 180, *, kube: Kube) -> dict:
    """Until a Deployment's rollout is complete; fails early when its pods cannot pull their image.

    Used in chapters 01, 02, 03, 05, 06, 07, 09.
    """

    def check_pods():
        deployments, pods = kube.resource("apps/v1", "Deployment"), kube.resource("v1", "Pod")
        with translating(f"reading the pods of Deployment/{name}", kube):
            labels = deployments.get(name=name, namespace=namespace).to_dict()["spec"]["selector"].get("matchLabels") or {}
            found = pods.get(namespace=namespace, label_selector=label_selector(labels))
        raise_if_stuck([p.to_dict() for p in found.items])

    try:
        return watch_until("apps/v1", "Deployment", name, namespace, rollout_complete_or_raise, timeout=timeout, kube=kube,
                           describe=describe_rollout, check_every=3, on_idle=check_pods)
    except WaitTimeout:
        check_pods()
        raise


def wait_for_job(name: str, namespace: str = "default", timeout: float = 180, *, kube: Kube) -> dict:
    """Watch the Job until it completes (`kubectl wait --for=condition=complete`); a failed Job is an error.

    Used in chapters 06, 08.
    """
    def done(job):
        if condition_of(job, "Failed") == "True":
            raise K8sLabError(f"Job/{name} failed", "`lab.logs(...)` on its pod shows why")
        return condition_of(job, "Complete") == "True"

    return watch_until("batch/v1", "Job", name, namespace, done, timeout=timeout, kube=kube)

