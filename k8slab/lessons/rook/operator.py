"""Rook's operator onto the cluster: the pinned files in today's order, validated, then applied.

Order: crds.yaml, common.yaml, csi-operator.yaml, operator.yaml (the guide had only the last
two). Every object is validated offline first. Then each is applied on its own, so a cluster
that refuses some (an old API server refuses CRDs that use CEL rules) still gets the rest,
and each refusal is reported on one line instead of stopping the install half-way.
"""

from __future__ import annotations

from k8slab.clusters import fetching
from k8slab.core.config import Settings
from k8slab.core.errors import K8sLabError
from k8slab.core.tools import Progress
from k8slab.kube import applying
from k8slab.kube.applying import ApplyReport, apply_each
from k8slab.kube.client import Kube
from k8slab.lessons.rook.spec import NAMESPACE
from k8slab.manifests import loading as manifests, validating

FILES = ["crds.yaml", "common.yaml", "csi-operator.yaml", "operator.yaml"]
MIN_KUBERNETES = (1, 31)  # the oldest Kubernetes Rook v1.20 supports
OPERATOR = "rook-ceph-operator"
OPERATOR_CONFIG = "rook-ceph-operator-config"


def allow_loop_devices(objs: list[dict]) -> None:
    """Rook ignores loop devices unless its operator config says otherwise."""
    for obj in objs:
        if obj["kind"] == "ConfigMap" and obj["metadata"]["name"] == OPERATOR_CONFIG:
            obj.setdefault("data", {})["ROOK_CEPH_ALLOW_LOOP_DEVICES"] = "true"


def operator_objects(namespace: str = NAMESPACE, loop_devices: bool = True, *, settings: Settings, **fetch_args) -> list[dict]:
    """Everything the four pinned files hold, in apply order, ready for `namespace`."""
    b = fetching.bundle("rook")
    paths = fetching.fetch(b, FILES, cache=settings.cache, **fetch_args)
    objs = [o for f in FILES for o in fetching.parse(paths[f].read_text(encoding="utf-8"), f)]
    manifests.retarget(objs, namespace, NAMESPACE)
    if loop_devices:
        allow_loop_devices(objs)
    manifests.override_images(objs, settings.images)
    return objs


def server_version(kube: Kube) -> tuple[int, int]:
    git = kube.version().lstrip("v")
    major, minor = git.split(".")[:2]
    return int(major), int("".join(ch for ch in minor if ch.isdigit()) or 0)


def install(namespace: str = NAMESPACE, progress: Progress = print,
            loop_devices: bool = True, *, kube: Kube, settings: Settings, **fetch_args) -> ApplyReport:
    """Fetch, validate and apply Rook's operator; returns what was applied and what was refused.

    Used in chapter 04b.
    """
    objs = operator_objects(namespace, loop_devices, settings=settings, progress=progress, **fetch_args)
    validating.check(objs)
    version = server_version(kube)
    if version < MIN_KUBERNETES:
        progress(f"this cluster runs Kubernetes {version[0]}.{version[1]}; Rook v1.20.6 needs "
                 f"{MIN_KUBERNETES[0]}.{MIN_KUBERNETES[1]} or newer: applying what it accepts, one line per refusal")
    report = apply_each(objs, kube, progress)
    progress(f"Rook operator in {namespace}: {report}")
    return report


def guide_cluster_answer(namespace: str = NAMESPACE, *, kube: Kube) -> str:
    """What the API server answers to the guide's 2020 CephCluster (a dry run: nothing is created).

    Used in chapter 04b.
    """
    from k8slab.lessons.rook.spec import guide_cluster

    obj = manifests.retarget([guide_cluster()], namespace, NAMESPACE)[0]
    try:
        applying.apply_one(obj, None, kube, dry_run=True)
    except K8sLabError as e:
        return f"the API server refuses it: {e}"
    return "the API server accepts it (a dry run)"
