"""SpecStatus: an object's desired spec beside its observed status, the differences marked.

That gap is what every controller works to close; watching it shrink is the lesson.
"""

from __future__ import annotations

import yaml

from k8slab.kube.client import Kube
from k8slab.ui.widgets.base import LiveWidget, esc, table

API_VERSIONS = {"Deployment": "apps/v1", "ReplicaSet": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1",
                "Job": "batch/v1", "CronJob": "batch/v1beta1"}
# (desired field, observed field): the pairs that must agree once the controller has caught up.
REPLICAS = [("spec.replicas", f"status.{f}") for f in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas")]
PAIRS = {
    "Deployment": REPLICAS,
    "ReplicaSet": [("spec.replicas", "status.replicas"), ("spec.replicas", "status.readyReplicas")],
    "StatefulSet": [("spec.replicas", "status.replicas"), ("spec.replicas", "status.readyReplicas")],
    "DaemonSet": [("status.desiredNumberScheduled", f"status.{f}") for f in ("currentNumberScheduled", "numberReady",
                                                                             "updatedNumberScheduled")],
    "Job": [("spec.completions", "status.succeeded")],
    "PersistentVolumeClaim": [("spec.resources.requests.storage", "status.capacity.storage")],
}
DEFAULTS = {"spec.replicas": 1, "spec.completions": 1}
GOOD = {"Ready", "Available", "Complete", "Initialized", "ContainersReady", "PodScheduled"}


def _at(obj: dict, path: str):
    for key in path.split("."):
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def differences(obj: dict | None) -> list[tuple[str, object, object]]:
    """(what, desired, observed) for each place where the status does not (yet) match the spec."""
    if not obj:
        return []
    out = []
    status, meta = obj.get("status") or {}, obj["metadata"]
    if "observedGeneration" in status and status["observedGeneration"] < (meta.get("generation") or 0):
        out.append(("generation (the controller has not seen the latest spec)", meta.get("generation"), status["observedGeneration"]))
    for want, got in PAIRS.get(obj.get("kind"), []):
        desired = _at(obj, want) if _at(obj, want) is not None else DEFAULTS.get(want)
        observed = _at(obj, got) or 0
        if desired is not None and desired != observed:
            out.append((f"{want} vs {got}", desired, observed))
    if obj.get("kind") == "Pod":
        out.extend(_pod_differences(obj, status))
    for cond in status.get("conditions") or []:
        if cond.get("type") in GOOD and cond.get("status") != "True" and obj.get("kind") != "Pod":
            out.append((f"condition {cond['type']}", "True", f"{cond.get('status')} ({cond.get('reason') or ''})".replace(" ()", "")))
    return out


def _pod_differences(pod: dict, status: dict) -> list[tuple[str, object, object]]:
    """Containers not ready, and a phase that is not Running (a Pod has no spec.replicas to compare)."""
    out = []
    images = {c["name"]: c.get("image") for c in (pod.get("spec") or {}).get("containers") or []}
    for cs in status.get("containerStatuses") or []:
        if not cs.get("ready"):
            state = cs.get("state") or {}
            why = (state.get("waiting") or state.get("terminated") or {}).get("reason") or "not ready"
            out.append((f"container {cs['name']} ({images.get(cs['name'])})", "ready", why))
    if status.get("phase") not in ("Running", "Succeeded"):
        out.append(("status.phase", "Running", status.get("phase") or "Pending"))
    return out


class SpecStatus(LiveWidget):
    """`SpecStatus("Deployment", "web")` or `SpecStatus(obj)`: spec and status side by side, live.

    Used in chapter 06.
    """

    def __init__(self, kind_or_obj, name: str | None = None, namespace: str = "default", *, api_version: str | None = None,
                 kube: Kube, start: bool = True):
        if isinstance(kind_or_obj, dict):
            meta = kind_or_obj.get("metadata") or {}
            kind, name = kind_or_obj.get("kind"), meta.get("name")
            namespace, api_version = meta.get("namespace") or namespace, kind_or_obj.get("apiVersion")
        else:
            kind = kind_or_obj
        self.kind, self.name, self.namespace = kind, name, namespace
        self.api_version = api_version or API_VERSIONS.get(kind, "v1")
        self._obj: dict | None = None
        super().__init__(start, kube=kube)

    @property
    def differences(self) -> list[tuple[str, object, object]]:
        with self._cond:
            return differences(self._obj)

    def _workers(self):
        return [self._watch]

    def _watch(self) -> None:
        self._mirror(self.api_version, self.kind, self._set_object, lambda _: self._set_object(None),
                     namespace=self.namespace, name=self.name)

    def _set_object(self, obj: dict | None) -> None:
        self._obj = obj

    def _render(self) -> str:
        with self._cond:
            obj = self._obj
        title = f"<b>{esc(self.kind)}/{esc(self.name)}</b> in {esc(self.namespace)}"
        if obj is None:
            return f"<div>{title}: <i>{'does not exist' if self._synced.is_set() else 'reading…'}</i></div>"
        diffs = differences(obj)
        marked = {p.rsplit(".", 1)[-1] for d in diffs for p in d[0].split(" vs ")}
        verdict = (table(["differs", "desired", "observed"], [[esc(w), esc(d), f'<b style="color:#c92a2a">{esc(o)}</b>'] for w, d,
                                                              o in diffs])
                   if diffs else '<div style="color:#2b8a3e">status matches spec</div>')
        cols = "".join(
            f'<div style="flex:1;min-width:0"><b>{label}</b><pre style="font-size:11px;margin:0">{_yaml(obj.get(key), marked)}</pre></div>'
            for label, key in (("spec (desired)", "spec"), ("status (observed)", "status")))
        return f"<div>{title}</div>{verdict}<div style=\"display:flex;gap:16px\">{cols}</div>"

    def _summary(self) -> str:
        if self._obj is None:
            return f"{self.kind}/{self.name}: does not exist"
        diffs = differences(self._obj)
        if not diffs:
            return f"{self.kind}/{self.name}: status matches spec"
        return f"{self.kind}/{self.name}: {len(diffs)} difference(s): " + "; ".join(f"{w}: desired {d}, observed {o}" for w, d, o in diffs)


def _yaml(value, marked: set[str]) -> str:
    text = yaml.safe_dump(value, sort_keys=False, default_flow_style=False) if value else "{}\n"
    lines = []
    for line in text.splitlines():
        key = line.strip().split(":", 1)[0]
        lines.append(f'<span style="background:#ffe3e3">{esc(line)}</span>' if key in marked else esc(line))
    return "\n".join(lines)
