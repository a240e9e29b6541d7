"""Rook's way to HEALTH_OK as six stages, each a watch with a deadline.

operator -> mon -> mgr -> osd-prepare -> osd -> health. A stage that can never finish (an
image that cannot be pulled, a crashing pod) fails at once with one line naming the pod and
the image; the stages after it are not started. The widget in k8slab.widgets.rook draws them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

from k8slab.core.errors import K8sLabError
from k8slab.kube import waiting
from k8slab.kube.client import Kube
from k8slab.lessons.rook.operator import OPERATOR
from k8slab.lessons.rook.spec import CLUSTER_NAME, NAMESPACE

STAGES = ("operator", "mon", "mgr", "osd-prepare", "osd", "health")
TIMEOUTS = {"operator": 300, "mon": 600, "mgr": 300, "osd-prepare": 600, "osd": 300, "health": 900}
WAITING, RUNNING, DONE, FAILED = "waiting", "running", "done", "failed"


@dataclass
class Stage:
    name: str
    state: str = WAITING
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.name}: {self.state}" + (f": {self.detail}" if self.detail else "")


def _osd_prepare(ns: str, timeout: float, kube: Kube) -> str:
    def done(pods):
        for pod in pods:
            problem = waiting.pod_problem(pod)
            if problem:
                raise K8sLabError(problem, "the osd-prepare pod's log tells why: lab.logs(...)")
        return bool(pods) and all((p.get("status") or {}).get("phase") == "Succeeded" for p in pods)

    pods = waiting.watch_until("v1", "Pod", None, ns, done, timeout=timeout, kube=kube, selector="app=rook-ceph-osd-prepare",
                               describe=lambda pods: f"{len(pods)} osd-prepare pods, not all Succeeded")
    return f"{len(pods)} device(s) prepared"


def health(cluster: dict | None) -> str:
    ceph = ((cluster or {}).get("status") or {}).get("ceph") or {}
    return ceph.get("health") or "no health reported yet"


def _health(ns: str, name: str, timeout: float, kube: Kube) -> str:
    def describe(c):
        status = (c or {}).get("status") or {}
        details = ((status.get("ceph") or {}).get("details")) or {}
        return f"{health(c)}, phase {status.get('phase')}" + "".join(f"; {k}: {v.get('message')}" for k, v in details.items())

    waiting.watch_until("ceph.rook.io/v1", "CephCluster", name, ns, lambda c: health(c) == "HEALTH_OK", timeout=timeout, kube=kube,
                        describe=describe)
    return "HEALTH_OK"


def _pods(selector: str):
    def run(ns: str, timeout: float, kube: Kube) -> str:
        pods = waiting.wait_for_pods(selector, ns, timeout=timeout, kube=kube)
        return f"{len(pods)} pod(s) Ready"
    return run


def _operator(ns: str, timeout: float, kube: Kube) -> str:
    waiting.wait_for_pods(f"app={OPERATOR}", ns, timeout=timeout, kube=kube)
    return "the operator pod is Ready"


def follow(namespace: str = NAMESPACE, name: str = CLUSTER_NAME,
           timeouts: dict | None = None, *, kube: Kube) -> Iterator[Stage]:
    """Watch each stage in turn, yielding a stage each time it changes (never raises for a stage
    that fails: its one-line reason is in `detail`, and the stages after it are not started)."""
    limits = {**TIMEOUTS, **(timeouts or {})}
    steps = {
        "operator": _operator,
        "mon": _pods("app=rook-ceph-mon"),
        "mgr": _pods("app=rook-ceph-mgr"),
        "osd-prepare": _osd_prepare,
        "osd": _pods("app=rook-ceph-osd"),
        "health": lambda ns, t, k: _health(ns, name, t, k),
    }
    stages = [Stage(s) for s in STAGES]
    for stage in stages:
        stage.state, stage.detail = RUNNING, f"watching (up to {limits[stage.name]:g}s)"
        yield stage
        try:
            stage.detail = steps[stage.name](namespace, limits[stage.name], kube)
            stage.state = DONE
        except K8sLabError as e:
            stage.state, stage.detail = FAILED, str(e)
        yield stage
        if stage.state == FAILED:
            for later in stages[stages.index(stage) + 1:]:
                later.detail = f"not started ({stage.name} failed)"
                yield later
            return


@dataclass
class Watch:
    """Rook's way to HEALTH_OK, as data to follow: iterating it runs the watches (`follow`)."""

    namespace: str = NAMESPACE
    name: str = CLUSTER_NAME
    kube: Kube | None = None
    timeouts: dict | None = None

    def __iter__(self) -> Iterator[Stage]:
        return follow(self.namespace, self.name, self.timeouts, kube=self.kube)

    def run(self, on_update: Callable[[Stage], None] | None = None) -> list[Stage]:
        """Follow every stage to the end; returns the stages with their final state."""
        stages = {s: Stage(s) for s in STAGES}
        for stage in self:
            stages[stage.name] = stage
            if on_update:
                on_update(stage)
        return list(stages.values())


def run(namespace: str = NAMESPACE, name: str = CLUSTER_NAME,
        timeouts: dict | None = None, on_update: Callable[[Stage], None] | None = None, *, kube: Kube) -> list[Stage]:
    """Watch each stage in turn; returns the stages with their final state."""
    return Watch(namespace, name, kube, timeouts).run(on_update)


def summary(stages: list[Stage]) -> str:
    failed = next((s for s in stages if s.state == FAILED), None)
    if failed:
        return f"Rook stopped at {failed.name}: {failed.detail}"
    if all(s.state == DONE for s in stages):
        return "Rook: every stage done, the cluster reports HEALTH_OK"
    return "Rook: " + ", ".join(f"{s.name} {s.state}" for s in stages)
