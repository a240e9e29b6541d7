"""Rook's operator onto the cluster: the pinned files in today's order, validated, then applied.

Order: crds.yaml, common.yaml, csi-operator.yaml, operator.yaml (the guide had only the last
two). Every object is validated offline first. Then each is applied on its own, so a cluster
that refuses some (an old API server refuses CRDs that use CEL rules) still gets the rest,
and each refusal is reported on one line instead of stopping the install half-way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import yaml

from .. import config, manifests, validating
from ..errors import ClusterUnreachable, K8sLabError, UnknownKind
from ..kube import applying
from ..kube.client import Kube, current
from . import fetching
from .spec import NAMESPACE

FILES = ["crds.yaml", "common.yaml", "csi-operator.yaml", "operator.yaml"]
MIN_KUBERNETES = (1, 31)  # the oldest Kubernetes Rook v1.20 supports
OPERATOR = "rook-ceph-operator"
OPERATOR_CONFIG = "rook-ceph-operator-config"

Progress = Callable[[str], None]


def parse(text: str, source: str) -> list[dict]:
    """YAML to checked objects; libyaml when present (Rook's CRDs are a megabyte of YAML)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        docs = [d for d in yaml.load_all(text, Loader=loader) if d]
    except yaml.YAMLError:
        return manifests.load(text)  # the kit's reader says where the YAML is broken
    return [{**o, "__source__": source} for o in manifests.load(docs)]


def retarget(objs: list[dict], namespace: str, default: str) -> list[dict]:
    """Move objects from the `default` namespace to `namespace`, like Rook's docs do with sed:
    the Namespace itself, metadata.namespace, RBAC subjects, CSI driver names and `--namespace=` args."""
    if namespace == default:
        return objs
    for obj in objs:
        meta = obj.setdefault("metadata", {})
        if obj["kind"] == "Namespace" and meta.get("name") == default:
            meta["name"] = namespace
        if meta.get("namespace") == default:
            meta["namespace"] = namespace
        for subject in obj.get("subjects") or []:
            if subject.get("namespace") == default:
                subject["namespace"] = namespace
        if obj["kind"] == "Driver" and meta.get("name", "").startswith(default + "."):
            meta["name"] = namespace + meta["name"][len(default):]
        for c in manifests.containers(obj):
            c["args"] = [f"--namespace={namespace}" if a == f"--namespace={default}" else a for a in c.get("args") or []]
    return objs


def allow_loop_devices(objs: list[dict]) -> None:
    """Rook ignores loop devices unless its operator config says otherwise."""
    for obj in objs:
        if obj["kind"] == "ConfigMap" and obj["metadata"]["name"] == OPERATOR_CONFIG:
            obj.setdefault("data", {})["ROOK_CEPH_ALLOW_LOOP_DEVICES"] = "true"


def operator_objects(namespace: str = NAMESPACE, loop_devices: bool = True, **fetch_args) -> list[dict]:
    """Everything the four pinned files hold, in apply order, ready for `namespace`."""
    b = fetching.bundle("rook")
    paths = fetching.fetch(b, FILES, **fetch_args)
    objs = [o for f in FILES for o in parse(paths[f].read_text(encoding="utf-8"), f)]
    retarget(objs, namespace, NAMESPACE)
    if loop_devices:
        allow_loop_devices(objs)
    manifests.override_images(objs, config.load().images)
    return objs


@dataclass
class ApplyReport:
    applied: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        return f"applied {len(self.applied)} objects" + (f"; the API server refused {len(self.refused)}" if self.refused else "")


def server_version(kube: Kube) -> tuple[int, int]:
    git = kube.version().lstrip("v")
    major, minor = git.split(".")[:2]
    return int(major), int("".join(ch for ch in minor if ch.isdigit()) or 0)


def condense(reason: str) -> str:
    """An old API server lists every field it does not know; name each kind of field once."""
    invalid = re.search(r"^(.*? is invalid: )\[(.*)\]$", reason)
    if invalid:  # "is invalid: [a: ..., b: ...]": the first error, and how many more
        errors = re.split(r", (?=spec\.)", invalid.group(2))
        more = f" (and {len(errors) - 1} more like it)" if len(errors) > 1 else ""
        return f"{invalid.group(1)}{errors[0]}{more}"
    paths = re.findall(r"(\S+): field not declared in schema", reason)
    if len(paths) < 2:
        return reason
    fields = sorted({p.rsplit(".", 1)[-1] for p in paths})
    head = reason.split(": errors:")[0] if ": errors:" in reason else reason.split(paths[0])[0].rstrip(": ")
    return f"{head}: {len(paths)} fields not declared in its schema: {', '.join(fields)} (first: {paths[0]})"


def apply_each(objs: list[dict], kube: Kube, progress: Progress = print) -> ApplyReport:
    """Apply one object at a time; what the server refuses is reported (one line each), not raised."""
    report = ApplyReport()
    refused_kinds: set[str] = set()
    for obj in objs:
        what = manifests.describe(obj)
        try:
            applying.apply_one(obj, None, kube)
        except ClusterUnreachable:
            raise
        except K8sLabError as e:
            reason = condense(str(e))
            if isinstance(e, UnknownKind) and obj["kind"] in refused_kinds:
                reason = f"its CRD was refused above, so the cluster does not know kind {obj['kind']}"
            report.refused.append((what, reason))
            progress(f"refused: {what}: {reason}")
            if obj["kind"] == "CustomResourceDefinition":
                refused_kinds.add(((obj.get("spec") or {}).get("names") or {}).get("kind"))
            continue
        report.applied.append(what)
    return report


def install(namespace: str = NAMESPACE, kube: Kube | None = None, progress: Progress = print,
            loop_devices: bool = True, **fetch_args) -> ApplyReport:
    """Fetch, validate and apply Rook's operator; returns what was applied and what was refused."""
    kube = kube or current()
    objs = operator_objects(namespace, loop_devices, progress=progress, **fetch_args)
    validating.check(objs)
    version = server_version(kube)
    if version < MIN_KUBERNETES:
        progress(f"this cluster runs Kubernetes {version[0]}.{version[1]}; Rook v1.20.6 needs "
                 f"{MIN_KUBERNETES[0]}.{MIN_KUBERNETES[1]} or newer: applying what it accepts, one line per refusal")
    report = apply_each(objs, kube, progress)
    progress(f"Rook operator in {namespace}: {report}")
    return report


def guide_cluster_answer(namespace: str = NAMESPACE, kube: Kube | None = None) -> str:
    """What the API server answers to the guide's 2020 CephCluster (a dry run: nothing is created)."""
    from .spec import guide_cluster

    kube = kube or current()
    obj = retarget([guide_cluster()], namespace, NAMESPACE)[0]
    try:
        applying.apply_one(obj, None, kube, dry_run=True)
    except K8sLabError as e:
        return f"the API server refuses it: {e}"
    return "the API server accepts it (a dry run)"
