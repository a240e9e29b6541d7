"""What `lab.apply` does to objects before sending them, with no cluster: what kubectl does.

kubectl refuses an unsafe CephCluster nowhere, so the kit does that first (`k8slab.safety`).
Then, as kubectl does, every object is validated against its schema (built-in kinds: the
Kubernetes OpenAPI schemas of kubernetes-validate; custom resources: their CRD), and a refusal
names the field's path and the file's line. Last, numbers in quantity fields are spelled as
strings, as kubectl's decoding does, because server-side apply on 1.18-1.20 refuses them.
"""

from __future__ import annotations

from typing import Iterable

from k8slab.core import quantities
from k8slab.manifests import loading as manifests, safety, validating


def _schema(obj: dict, crds: list[dict], version: str):
    schema = validating.builtin_schema(obj["kind"], obj["apiVersion"], version) or _same_kind(obj, version)
    if schema is not None:
        return schema, validating.resolver(version)
    return validating.custom_schema(manifests.clean(obj), crds), None


def _same_kind(obj: dict, version: str) -> dict | None:
    """The kind's schema in another version of its API group, for an apiVersion the shipped schemas
    no longer have (batch/v1beta1, the CronJob that Kubernetes 1.20 serves): its quantities are
    at the same paths. Only for spelling quantities; validation leaves such a kind to the server."""
    group, _, own = obj["apiVersion"].rpartition("/")
    for other in ("v1", "v2", "v1beta2", "v1beta1") if group else ():
        schema = None if other == own else validating.builtin_schema(obj["kind"], f"{group}/{other}", version)
        if schema is not None:
            return schema
    return None


def without_crd(objs: Iterable[dict], crds: Iterable[dict] = (), k8s_version: str | None = None) -> list[dict]:
    """The custom resources among `objs` whose CRD is neither built in nor in `crds` or `objs`
    (the kit asks the cluster for those)."""
    objs = list(objs)
    version = validating.schema_version(k8s_version, oldest_if_older=True)
    known = list(crds) + validating.crds_in(objs)
    return [o for o in objs if validating.builtin_schema(o["kind"], o["apiVersion"], version) is None
            and validating.custom_schema(manifests.clean(o), known) is None]


def normalise(obj: dict, crds: Iterable[dict] = (), k8s_version: str | None = None) -> list[tuple]:
    """Quantities written as numbers become strings, in place; returns the paths changed."""
    version = validating.schema_version(k8s_version, oldest_if_older=True)
    schema, resolve = _schema(obj, list(crds), version)
    return quantities.normalise(obj, schema, resolve) if schema else []


def prepare(objs: list[dict], crds: Iterable[dict] = (), k8s_version: str | None = None) -> list[dict]:
    """Check and normalise loaded objects, in place, before any is sent; the first problem is one line."""
    safety.check_all(objs)
    known = list(crds) + validating.crds_in([manifests.clean(o) for o in objs])
    validating.check(objs, known, k8s_version, sending=True)
    for obj in objs:
        normalise(obj, known, k8s_version)
    return objs
