"""RolloutProgress: a Deployment's rollout as bars of updated and ready replicas, with its ReplicaSets."""

from __future__ import annotations

from k8slab.core.conditions import rollout_complete
from k8slab.kube.client import Kube
from k8slab.kube.watching import SYNCED, follow
from k8slab.ui.widgets.base import LiveWidget, esc, table

REVISION = "deployment.kubernetes.io/revision"


def _bar(label: str, value: int, total: int, color: str) -> str:
    pct = 100 if total == 0 else min(100, round(100 * value / total))
    return (f'<div style="display:flex;align-items:center;gap:8px;font-size:12px">'
            f'<span style="width:70px">{esc(label)}</span>'
            f'<div style="width:240px;height:12px;background:#e9ecef;border-radius:3px">'
            f'<div style="width:{pct}%;height:100%;background:{color};border-radius:3px"></div></div>'
            f'<span>{value}/{total}</span></div>')


def _owned_by(rs: dict, name: str) -> bool:
    return any(o.get("kind") == "Deployment" and o.get("name") == name for o in rs["metadata"].get("ownerReferences") or [])


class RolloutProgress(LiveWidget):
    """`RolloutProgress("web")`: how far the rollout of Deployment `web` is, from watches of it and its ReplicaSets.

    Used in chapter 06.
    """

    def __init__(self, name: str, namespace: str = "default", start: bool = True, *, kube: Kube):
        self.name, self.namespace = name, namespace
        self._dep: dict | None = None
        self._sets: dict[str, dict] = {}
        super().__init__(start, kube=kube)

    def _workers(self):
        return [self._watch_deployment, self._watch_replicasets]

    def _watch_deployment(self) -> None:
        self._mirror("apps/v1", "Deployment", self._set_deployment, lambda _: self._set_deployment(None),
                     namespace=self.namespace, name=self.name)

    def _set_deployment(self, dep: dict | None) -> None:
        self._dep = dep

    def _watch_replicasets(self) -> None:
        for etype, rs in follow("apps/v1", "ReplicaSet", self.namespace, stop=self._stop, kube=self._kube):
            if etype == SYNCED:
                if self._synced.is_set():  # back after an error: in step again (the first sync is the Deployment's)
                    self._ok()
                continue
            if not _owned_by(rs, self.name) and etype != "DELETED":
                continue
            with self._cond:
                if etype == "DELETED":
                    self._sets.pop(rs["metadata"]["name"], None)
                else:
                    self._sets[rs["metadata"]["name"]] = rs
            self._changed()

    # -- the state, read under the lock
    @property
    def state(self) -> dict:
        """{"desired", "updated", "ready", "available", "complete", "new": {...}, "old": [...]} of the rollout."""
        with self._cond:
            dep = self._dep
            if dep is None:
                return {"exists": False, "desired": 0, "updated": 0, "ready": 0, "available": 0, "complete": False, "new": None, "old": []}
            spec, status, meta = dep.get("spec") or {}, dep.get("status") or {}, dep["metadata"]
            want = spec.get("replicas", 1)
            revision = (meta.get("annotations") or {}).get(REVISION)
            sets = []
            for rs in self._sets.values():
                rs_status = rs.get("status") or {}
                containers = ((rs.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or []
                sets.append({
                    "name": rs["metadata"]["name"],
                    "revision": (rs["metadata"].get("annotations") or {}).get(REVISION),
                    "images": [c.get("image") for c in containers],
                    "desired": (rs.get("spec") or {}).get("replicas", 0),
                    "current": rs_status.get("replicas") or 0,
                    "ready": rs_status.get("readyReplicas") or 0,
                })
            new = next((s for s in sets if s["revision"] == revision), None)
            old = sorted((s for s in sets if s is not new), key=lambda s: int(s["revision"] or 0))
            got = {k: status.get(f"{k}Replicas") or 0 for k in ("updated", "ready", "available")}
            if (status.get("observedGeneration") or 0) < (meta.get("generation") or 0):
                got["updated"] = new["current"] if new else 0  # the status still counts the previous template's pods
            complete = rollout_complete(dep)
            return {"exists": True, "desired": want, **got, "complete": complete, "new": new, "old": old,
                    "total": status.get("replicas") or 0}

    def _render(self) -> str:
        s = self.state
        title = f"<b>Rollout</b> of Deployment/{esc(self.name)} in {esc(self.namespace)}"
        if not s["exists"]:
            return f"<div>{title}: <i>{'no such Deployment' if self._synced.is_set() else 'reading…'}</i></div>"
        verdict = ('<span style="color:#2b8a3e">complete</span>' if s["complete"]
                   else '<span style="color:#e67700">in progress</span>')
        bars = (_bar("updated", s["updated"], s["desired"], "#1c7ed6") + _bar("ready", s["ready"], s["desired"], "#2b8a3e")
                + _bar("available", s["available"], s["desired"], "#0ca678"))
        rows = [[("new" if rs is s["new"] else "old"), esc(rs["name"]), esc(rs["revision"]), esc(", ".join(rs["images"])),
                 str(rs["desired"]), str(rs["current"]), str(rs["ready"])]
                for rs in ([s["new"]] if s["new"] else []) + s["old"][::-1]]
        sets = table(["", "ReplicaSet", "revision", "image", "desired", "current", "ready"], rows) if rows else ""
        return f"<div>{title}: {verdict}</div>{bars}{sets}"

    def _summary(self) -> str:
        s = self.state
        if not s["exists"]:
            return f"Deployment/{self.name}: does not exist"
        text = (f"Deployment/{self.name}: {s['updated']}/{s['desired']} updated, {s['ready']}/{s['desired']} ready, "
                f"{s['available']}/{s['desired']} available; {'complete' if s['complete'] else 'in progress'}")
        if s["new"]:
            text += f"; new ReplicaSet (revision {s['new']['revision']}): {s['new']['current']} pods"
        old = [f"revision {o['revision']}: {o['current']} pods" for o in s["old"] if o["current"]]
        return text + (f"; old ReplicaSets: {', '.join(old)}" if old else "")
