"""Remove everything Rook brought: its custom resources, the namespace, cluster-wide RBAC and
CRDs, and on kind the loop device and dataDirHostPath inside the node. Safe to repeat.

Custom resources go first, while the operator may still run to release their finalizers;
one still there after `grace` seconds gets its finalizers removed (Rook's documented way
out when the operator is gone), so a namespace never hangs in Terminating.
"""

from __future__ import annotations

from .. import session
from ..errors import NotFound, UnknownKind, WaitTimeout
from ..kube import applying, waiting
from ..kube.client import Kube, current
from ..tools import Progress
from . import loopdev, spec
from .operator import operator_objects

# Rook refuses to delete a CephCluster while pools and stores still use it: those go first.
LAST = ("CephCluster",)


def _custom_kinds(objs: list[dict]) -> list[tuple[str, str]]:
    kinds = []
    for crd in (o for o in objs if o["kind"] == "CustomResourceDefinition"):
        s = crd["spec"]
        served = next((v["name"] for v in s["versions"] if v.get("storage")), s["versions"][0]["name"])
        kinds.append((f"{s['group']}/{served}", s["names"]["kind"]))
    return sorted(kinds, key=lambda k: k[1] in LAST)


def _delete_custom_resources(objs, namespace, kube, progress, grace) -> None:
    for api_version, kind in _custom_kinds(objs):
        try:
            found = applying.list_objects(kind, namespace, api_version=api_version, kube=kube)
        except (UnknownKind, NotFound):
            continue  # the CRD is not there, so neither are its objects
        for obj in found:
            name = obj["metadata"]["name"]
            applying.delete(kind=kind, name=name, namespace=namespace, api_version=api_version, wait=False, kube=kube)
            try:
                waiting.wait_gone(api_version, kind, name, namespace, timeout=grace, kube=kube)
            except WaitTimeout:
                progress(f"{kind}/{name} kept by its finalizers (no operator to release them): removing them")
                try:
                    applying.patch(kind, name, {"metadata": {"finalizers": None}}, namespace, api_version, kube=kube)
                except NotFound:
                    continue
                waiting.wait_gone(api_version, kind, name, namespace, timeout=grace, kube=kube)
            progress(f"deleted {kind}/{name}")


def teardown(namespace: str = spec.NAMESPACE, kube: Kube | None = None, progress: Progress = print,
             timeout: float = 180, grace: float = 30, **fetch_args) -> None:
    """Delete Rook from the cluster (and its disk from the kind node); nothing left, safe to repeat.

    Used in chapter 04b.
    """
    kube = kube or current()
    objs = operator_objects(namespace, **fetch_args)
    _delete_custom_resources(objs, namespace, kube, progress, grace)
    waits = []
    for obj in reversed(objs):
        meta, api_version, kind = obj["metadata"], obj["apiVersion"], obj["kind"]
        try:
            res = kube.resource(api_version, kind)
        except UnknownKind:
            continue
        if res.namespaced and kind != "Namespace":
            continue  # deleting the namespace deletes these
        if applying.delete(kind=kind, name=meta["name"], api_version=api_version, wait=False, kube=kube):
            waits.append((api_version, kind, meta["name"]))
    for api_version, kind, name in waits:
        waiting.wait_gone(api_version, kind, name, None, timeout=timeout, kube=kube)
    progress(f"Rook removed from the cluster ({len(waits)} cluster-wide objects and the namespace {namespace} deleted)"
             if waits else f"Rook: nothing left in the cluster for namespace {namespace}")
    chosen = session.provider()  # the cluster chosen last: on kind, its node holds the OSD's disk
    if chosen.name == "kind":
        container = loopdev.node_container(chosen.cluster_name)
        done = loopdev.remove(container, data_dir=spec.DATA_DIR)
        progress(f"{container}: {', '.join(done + ['OSD file and ' + spec.DATA_DIR + ' deleted'])}")
