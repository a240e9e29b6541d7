"""The guide's architecture picture with the live cluster's components placed on it.

`assets/architecture.svg` draws the control plane and a worker node; each component has a
box (`c-<name>`) and a "where" line (`w-<name>`). `place` fills those from
`kube.architecture.discover()`: how the component was found and where it runs, coloured by health.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

SVG_NS = "http://www.w3.org/2000/svg"
FILL = {True: "#d3f9d8", False: "#ffc9c9", None: "#f1f3f5"}
WHERE_MAX = 46

ET.register_namespace("", SVG_NS)


def _short(text: str, limit: int = WHERE_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _label(part: dict, node: str | None = None) -> str:
    """The few words that fit in a box: how it runs and where."""
    if node:
        return f"on {node}" + (f" · {part['version']}" if part.get("version") else "")
    if part["source"] == "static pod":
        return part["detail"].replace(" pod(s) on ", " static pod on ")
    return "not reported" if part["source"] == "none" else f"outside pods · via {part['source']}"


def _where_control_plane(part: dict) -> str:
    if part["source"] == "static pod":
        return part["detail"]
    if part["source"] == "none":
        return "not reported by the cluster"
    return f"outside pods; seen via {part['source']}: {part['detail']}"


def _where_node(part: dict, node: str) -> str:
    return f"on {node}" + (f" · {part['version']}" if part.get("version") else "") + f" · seen via {part['source']}"


def placements(arch: dict, short: bool = False) -> dict[str, tuple[str, bool | None]]:
    """{component: (where it was found, healthy)} for every box of the picture (`short`: the box's label)."""
    out = {c["name"]: (_label(c) if short else _where_control_plane(c), c["healthy"]) for c in arch["control_plane"]}
    nodes = arch["nodes"]
    if nodes:
        first = nodes[0]
        for c in first["components"]:
            out[c["name"]] = (_label(c, first["name"]) if short else _where_node(c, first["name"]), c["healthy"])
        names = ", ".join(f"{n['name']} ({'/'.join(n['roles'])})" for n in nodes)
        out["node"] = (f"{len(nodes)} node(s): {names}", all(n["ready"] for n in nodes))
        out["pods"] = (f"{sum(n['pods'] for n in nodes)} pods running on the node(s)", None)
    static = [c for c in arch["control_plane"] if c["source"] == "static pod"]
    out["control-plane"] = ("master: static pods in kube-system" if static else "master: processes outside Kubernetes", None)
    return out


class Picture:
    """An SVG a notebook shows inline (`_repr_svg_`), also saved with the notebook."""

    def __init__(self, svg: str):
        self.svg = svg

    def _repr_svg_(self) -> str:
        return self.svg

    def save(self, path: str | Path) -> Path:
        Path(path).write_text(self.svg, encoding="utf-8")
        return Path(path)


def place(arch: dict, svg_path: str | Path) -> Picture:
    """The picture at `svg_path` with each discovered component's place and health written in.

    Used in chapter 01.
    """
    tree = ET.parse(svg_path)
    by_id = {el.get("id"): el for el in tree.iter() if el.get("id")}
    for name, (where, healthy) in placements(arch, short=True).items():
        label = by_id.get(f"w-{name}")
        if label is not None:
            label.text = _short(where, int(label.get("data-chars") or WHERE_MAX))
        box = by_id.get(f"c-{name}")
        rect = box.find(f"{{{SVG_NS}}}rect") if box is not None else None
        if rect is not None and name not in ("pods",):
            rect.set("style", f"fill:{FILL[healthy]}")
    return Picture(ET.tostring(tree.getroot(), encoding="unicode"))


def legend(arch: dict) -> str:
    """The same placements as text lines (stable: no addresses or ages).

    Used in chapter 01.
    """
    return "\n".join(f"{name:<24} {where}" for name, (where, _) in placements(arch).items())
