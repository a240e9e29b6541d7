"""Remove everything Rook brought: its custom resources, the namespace, cluster-wide RBAC and
CRDs, and on kind the loop device and dataDirHostPath inside the node. Safe to repeat.

Custom resources go first, while the operator may still run to release their finalizers;
one still there after `grace` seconds gets its finalizers removed (Rook's documented way
out when the operator is gone), so a namespace never hangs in Terminating.
"""

from __future__ import annotations

from k8slab.clusters.providers.base import Provider
from k8slab.core.config import Settings
from k8slab.core.errors import NotFound, UnknownKind, WaitTimeout
from k8slab.core.tools import Progress
from k8slab.kube import applying, waiting
from k8slab.kube.client import Kube
from k8slab.lessons.rook import loopdev, spec
from k8slab.lessons.rook.operator import operator_objects

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


def teardown(namespace: str = spec.NAMESPACE, progress: Progress = print,
             timeout: float = 180, grace: float = 30, *, kube: Kube, settings: Settings, provider: Provider,
             **fetch_args) -> None:
    """Delete Rook from the cluster (and its disk from the kind node); nothing left, safe to repeat.

    Used in chapter 04b.
    """
    objs = operator_objects(namespace, settings=settings, **fetch_args)
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
    if provider.name == "kind":  # its node holds the OSD's disk
        container = loopdev.node_container(provider.cluster_name)
        done = loopdev.remove(container, data_dir=spec.DATA_DIR)
        progress(f"{container}: {', '.join(done + ['OSD file and ' + spec.DATA_DIR + ' deleted'])}")
