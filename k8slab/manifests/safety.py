"""Refuse a CephCluster that lets Rook choose disks, on every path that writes objects.

Rook turns every empty disk it is allowed to pick into an OSD and wipes it. On kind the node
container sees the learner's /dev, so `useAllDevices: true`, a device filter, or a node
without named devices could take a spare disk or a USB stick. `lab.apply`, the `%kubectl`
magics and `k8slab.rook` all call `check` here, before anything is sent. Rook's defaults
(`useAllNodes` and `useAllDevices` false) choose nothing, so leaving them out is safe.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from k8slab.core.errors import ManifestError
from k8slab.manifests import loading as manifests

WHY = "on kind, Rook could take every empty disk it sees on this machine"
HINT = "name each device: storage.nodes[].devices[].name, e.g. loop0, with useAllNodes: false, as rook.cluster_spec() does"
FILTERS = ("deviceFilter", "devicePathFilter")


def _named(devices) -> bool:
    return bool(devices) and all(isinstance(d, Mapping) and (d.get("name") or d.get("fullpath")) for d in devices)


def problem(obj: Mapping) -> tuple[tuple, str] | None:
    """Where (a field path) and why this object would let Rook choose disks, or None."""
    if obj.get("kind") != "CephCluster":
        return None
    storage = (obj.get("spec") or {}).get("storage") or {}
    if not isinstance(storage, Mapping):
        return None
    nodes = (_node_problem(i, node) for i, node in enumerate(storage.get("nodes") or []))
    return _storage_problem(storage) or next(filter(None, nodes), None)


def _storage_problem(storage: Mapping) -> tuple[tuple, str] | None:
    at = ("spec", "storage")
    if storage.get("useAllDevices"):
        return at + ("useAllDevices",), "spec.storage.useAllDevices: true lets Rook take every empty disk"
    for key in FILTERS:
        if storage.get(key):
            return at + (key,), f"spec.storage.{key} lets Rook pick disks by pattern"
    if storage.get("useAllNodes") and not _named(storage.get("devices")):
        return at + ("useAllNodes",), "spec.storage.useAllNodes: true without named devices lets Rook pick disks on every node"
    return None


def _node_problem(i: int, node) -> tuple[tuple, str] | None:
    node = node if isinstance(node, Mapping) else {}
    at = ("spec", "storage", "nodes", i)
    where = f"spec.storage.nodes[{i}] ({node.get('name')})"
    if node.get("useAllDevices"):
        return at + ("useAllDevices",), f"{where} sets useAllDevices: true"
    for key in FILTERS:
        if node.get(key):
            return at + (key,), f"{where} sets {key}, which picks disks by pattern"
    if not _named(node.get("devices")):
        return at, f"{where} lists no devices by name"
    return None


def check(obj: Mapping) -> None:
    """Raise one line (where, why, and how to name a device) if `obj` lets Rook choose disks."""
    found = problem(obj)
    if found:
        path, why = found
        name = f"CephCluster/{(obj.get('metadata') or {}).get('name')}"
        at = f"{manifests.location(obj, path)}: " if manifests.located(obj) else ""
        raise ManifestError(f"{at}refusing {name}: {why}; {WHY}", HINT)


def check_all(objs: Iterable[Mapping]) -> None:
    for obj in objs:
        check(obj)


def merged(obj: Mapping, patch: Mapping) -> dict:
    """A JSON merge patch (RFC 7386) applied to a copy of `obj`: what `lab.patch` would make of it."""
    out = dict(obj)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out
