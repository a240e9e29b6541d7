"""ClusterMap: the guide's architecture picture (control plane, worker nodes) drawn from the live cluster.

Component health has no watch API (it comes from /readyz, leases, componentstatuses and node
status), so the map reads `architecture.discover` again every `refresh` seconds.
"""

from __future__ import annotations

from k8slab.kube.architecture import describe, discover
from k8slab.kube.client import Kube
from k8slab.ui.widgets.base import COLORS, LiveWidget, esc

BOX = "border:1px solid #adb5bd;border-radius:6px;padding:6px 8px;margin:4px;background:#f8f9fa;min-width:220px"


def _chip(part: dict) -> str:
    label = esc(part["title"]) + (f' <span style="opacity:.8">{esc(part["version"])}</span>' if part.get("version") else "")
    tip = esc(f"{part['source']}: {part['detail']}" if part.get("detail") else part["source"])
    return (f'<div title="{tip}" style="color:#fff;background:{COLORS[part["healthy"]]};border-radius:4px;'
            f'padding:2px 6px;margin:3px 0;font-size:12px">{label}</div>')


def _legend() -> str:
    return " ".join(f'<span style="color:{COLORS[h]}">■</span> {t}' for h, t in ((True, "healthy"), (False, "failing"), (None, "unknown")))


def render(arch: dict) -> str:
    """The picture as HTML (plain boxes and inline styles: it survives without a kernel)."""
    plane = "".join(_chip(c) for c in arch["control_plane"])
    nodes = "".join(
        f'<div style="{BOX}"><b>Node {esc(n["name"])}</b> <span style="font-size:11px">工作节点 · {esc("/".join(n["roles"]))} · '
        f'<span style="color:{COLORS[n["ready"]]}">{"Ready" if n["ready"] else "NOT Ready"}</span> · {n["pods"]} pods</span>'
        + "".join(_chip(c) for c in n["components"]) + "</div>"
        for n in arch["nodes"])
    addons = ("<div style=\"font-size:12px\">Add-ons: " + ", ".join(
        f'<span style="color:{COLORS[a["healthy"]]}">{esc(a["name"])} {a["ready"]}/{a["pods"]}</span>' for a in arch["addons"]) + "</div>"
        if arch["addons"] else "")
    return (f'<div><b>Cluster</b> {esc(arch["version"])} <span style="font-size:11px">{_legend()}</span></div>'
            f'<div style="display:flex;flex-wrap:wrap;align-items:flex-start">'
            f'<div style="{BOX}"><b>Control plane</b> <span style="font-size:11px">控制平面</span>{plane}</div>'
            f'<div style="display:flex;flex-wrap:wrap">{nodes or "<i>no nodes</i>"}</div></div>{addons}')


class ClusterMap(LiveWidget):
    """`ClusterMap()`: API server, scheduler, controller manager, etcd and each node's runtime, kubelet
    and kube-proxy, coloured by health. `.architecture` is the last discovery (plain dicts).

    Used in chapter 01.
    """

    def __init__(self, refresh: float = 30, start: bool = True, *, kube: Kube):
        self.refresh = refresh
        self.architecture: dict | None = None
        super().__init__(start, kube=kube)

    def _workers(self):
        return [self._poll]

    def _poll(self) -> None:
        while not self._stop.is_set():
            arch = discover(kube=self._kube)
            with self._cond:
                self.architecture = arch
            self._ok()
            self._changed()
            if self._stop.wait(self.refresh):
                return

    def _render(self) -> str:
        with self._cond:
            arch = self.architecture
        return render(arch) if arch else "<div><b>Cluster</b>: <i>reading…</i></div>"

    def _summary(self) -> str:
        return describe(self.architecture) if self.architecture else "ClusterMap: not read yet"
