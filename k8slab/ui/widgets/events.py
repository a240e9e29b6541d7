"""EventFeed: the events of one object or of a namespace, newest first, as they happen."""

from __future__ import annotations

from collections import Counter

from k8slab.core.errors import K8sLabError
from k8slab.kube.client import Kube
from k8slab.ui.widgets.base import LiveWidget, age, esc, table


def _when(event: dict) -> str:
    return (event.get("lastTimestamp") or event.get("eventTime") or event.get("firstTimestamp")
            or event["metadata"].get("creationTimestamp") or "")


def _target(obj) -> tuple[str | None, str | None, str | None]:
    """(kind, name, namespace) from an object dict, "Kind/name", or None (the whole namespace)."""
    if obj is None:
        return None, None, None
    if isinstance(obj, dict):
        meta = obj.get("metadata") or {}
        return obj.get("kind"), meta.get("name"), meta.get("namespace")
    kind, sep, name = str(obj).partition("/")
    if not sep or not kind or not name:
        raise K8sLabError(f"EventFeed cannot tell the object from {obj!r}",
                          'pass "Kind/name" such as "Pod/hello", or an object from lab.get')
    return kind, name, None


class EventFeed(LiveWidget):
    """`EventFeed("Deployment/web")`, `EventFeed(pod_dict)` or `EventFeed(namespace="demo")`; `.events` lists them.

    Used in chapters 06, 09.
    """

    def __init__(self, obj=None, namespace: str | None = None, *, max_events: int = 100, max_rows: int = 20, kube: Kube,
                 start: bool = True):
        self.kind, self.name, obj_ns = _target(obj)
        self.namespace = namespace or obj_ns or "default"
        self.max_events, self.max_rows = max_events, max_rows
        self._events: dict[str, dict] = {}
        self._fresh: set[str] = set()
        super().__init__(start, kube=kube)

    @property
    def target(self) -> str:
        return f"{self.kind}/{self.name}" if self.kind else f"namespace {self.namespace}"

    @property
    def events(self) -> list[dict]:
        """Newest first: {"type", "reason", "object", "message", "count", "time"}."""
        with self._cond:
            return sorted(self._events.values(), key=lambda e: e["time"], reverse=True)

    def _workers(self):
        return [self._watch]

    def _watch(self) -> None:
        fields = f"involvedObject.kind={self.kind},involvedObject.name={self.name}" if self.kind else None
        self._mirror("v1", "Event", self._add, lambda ev: self._events.pop(ev["metadata"]["name"], None),  # events expire
                     namespace=self.namespace, fields=fields)

    def _add(self, ev: dict) -> None:
        inv = ev.get("involvedObject") or {}
        name = ev["metadata"]["name"]
        self._events[name] = {
            "type": ev.get("type") or "Normal",
            "reason": ev.get("reason") or "",
            "object": f"{inv.get('kind')}/{inv.get('name')}",
            "message": " ".join((ev.get("message") or "").split()),
            "count": ev.get("count") or 1,
            "time": _when(ev),
        }
        self._fresh.add(name)
        if len(self._events) > self.max_events:
            oldest = min(self._events, key=lambda k: self._events[k]["time"])
            self._events.pop(oldest)

    def _render(self) -> str:
        with self._cond:
            items = sorted(self._events.items(), key=lambda kv: kv[1]["time"], reverse=True)
            fresh, self._fresh = self._fresh, set()
        rows, marks = [], []
        for name, e in items[: self.max_rows]:
            kind = f'<span style="color:{"#c92a2a" if e["type"] == "Warning" else "#2b8a3e"}">{esc(e["type"])}</span>'
            rows.append([esc(age(e["time"])), kind, esc(e["reason"]), esc(e["object"]), esc(e["message"]), esc(e["count"])])
            marks.append(set(range(6)) if name in fresh else set())
        head = f"<div><b>Events</b> of {esc(self.target)} in {esc(self.namespace)}: {len(items)}" + (
            f", the newest {len(rows)} shown" if len(rows) < len(items) else "") + "</div>"
        return head + (table(["age", "type", "reason", "object", "message", "count"], rows, marks) if rows else "<i>no events yet</i>")

    def _summary(self) -> str:
        evs = list(self._events.values())
        warnings = Counter(e["type"] for e in evs)["Warning"]
        reasons = ", ".join(sorted({e["reason"] for e in evs}))
        return (f"EventFeed {self.target} in {self.namespace}: {len(evs)} events ({warnings} Warning)"
                + (f"; reasons: {reasons}" if reasons else ""))
