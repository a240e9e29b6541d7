"""PodTable: the pods of a namespace (or a label selector), live, as `kubectl get pods -w` would show them."""

from __future__ import annotations

from collections import Counter

from k8slab.core.conditions import pod_state
from k8slab.kube.client import Kube
from k8slab.kube.waiting import problem
from k8slab.ui.widgets.base import LiveWidget, age, esc, table

COLUMNS = ("name", "phase", "ready", "restarts", "node", "age")
PHASE_COLORS = {"Running": "#2b8a3e", "Pending": "#e67700", "Failed": "#c92a2a", "Succeeded": "#868e96"}


def pod_row(pod: dict) -> dict:
    """What the table shows of a pod; `status` is kubectl's STATUS column (a waiting reason, Terminating)."""
    meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
    statuses = status.get("containerStatuses") or []
    state = pod_state(pod)  # once: the table reads every pod of a large list
    return {
        "name": meta["name"],
        "phase": state.phase,
        "status": state.column,
        "ready": f"{sum(bool(cs.get('ready')) for cs in statuses)}/{len(spec.get('containers') or statuses)}",
        "restarts": sum(cs.get("restartCount") or 0 for cs in statuses),
        "node": spec.get("nodeName") or "",
        "created": meta.get("creationTimestamp"),
        "problem": problem(pod, state) or "",
    }


class PodTable(LiveWidget):
    """The pods matching `selector` in `namespace`, updated from a watch; changed cells flash.

    `PodTable("app=web")`, `PodTable(namespace="kube-system")`; `.pods` is the current rows.

    Used in chapters 01, 02.
    """

    tick = 5.0  # ages move on

    def __init__(self, selector: str | None = None, namespace: str = "default", max_rows: int = 50, start: bool = True, *, kube: Kube):
        self.selector, self.namespace, self.max_rows = selector, namespace, max_rows
        self._rows: dict[str, dict] = {}
        self._flash: dict[str, set[str]] = {}
        self.events = 0
        super().__init__(start, kube=kube)

    @property
    def pods(self) -> list[dict]:
        with self._cond:
            return [dict(r) for _, r in sorted(self._rows.items())]

    def _workers(self):
        return [self._watch]

    def _watch(self) -> None:
        self._mirror("v1", "Pod", self._upsert, self._delete, namespace=self.namespace, selector=self.selector)

    def _upsert(self, pod: dict) -> None:
        self._apply(pod_row(pod))
        self.events += 1

    def _delete(self, pod: dict) -> None:
        self._rows.pop(pod["metadata"]["name"], None)
        self._flash.pop(pod["metadata"]["name"], None)
        self.events += 1

    def _apply(self, row: dict) -> None:
        old = self._rows.get(row["name"])
        changed = set(COLUMNS) if old is None else {c for c in COLUMNS if c != "age" and old.get(c) != row.get(c)}
        if old and old["status"] != row["status"]:
            changed.add("phase")
        self._rows[row["name"]] = row
        self._flash.setdefault(row["name"], set()).update(changed)

    def _render(self) -> str:
        with self._cond:
            rows = [r for _, r in sorted(self._rows.items())]
            flash, self._flash = self._flash, {}
        shown = rows[: self.max_rows]
        cells, marks = [], []
        for r in shown:
            phase = f'<span style="color:{PHASE_COLORS.get(r["phase"], "#000")}">{esc(r["phase"])}</span>'
            if r["status"] and r["status"] != r["phase"]:
                phase += f' <span title="{esc(r["problem"])}" style="color:#868e96">({esc(r["status"])})</span>'
            cells.append([esc(r["name"]), phase, esc(r["ready"]), esc(r["restarts"]), esc(r["node"]), esc(age(r["created"]))])
            marks.append({COLUMNS.index(c) for c in flash.get(r["name"], ())})
        more = f"<div>… and {len(rows) - len(shown)} more</div>" if len(rows) > len(shown) else ""
        title = f"<b>Pods</b> in {esc(self.namespace)}" + (f" matching <code>{esc(self.selector)}</code>" if self.selector else "")
        empty = "" if rows else "<div><i>no pods" + ("" if self._synced.is_set() else " yet (listing…)") + "</i></div>"
        rows_html = table([c.upper() for c in COLUMNS], cells, marks) if rows else ""
        return f"<div>{title}: {esc(self._counts(rows))}</div>{rows_html}{empty}{more}"

    @staticmethod
    def _counts(rows: list[dict]) -> str:
        phases = Counter(r["status"] if r["status"] == "Terminating" else r["phase"] for r in rows)
        ready = sum(r["ready"].split("/")[0] == r["ready"].split("/")[1] != "0" for r in rows)
        parts = ", ".join(f"{n} {p}" for p, n in sorted(phases.items()))
        return f"{len(rows)} pods" + (f" ({parts})" if parts else "") + f", {ready} ready, {sum(r['restarts'] for r in rows)} restarts"

    def _summary(self) -> str:
        where = f"in {self.namespace}" + (f" matching {self.selector}" if self.selector else "")
        return f"PodTable {where}: {self._counts(list(self._rows.values()))}"
