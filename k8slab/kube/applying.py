"""Apply, get, list and delete any kind, built-in or custom, through the dynamic client."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

from kubernetes.client.rest import ApiException

from k8slab.core.errors import ClusterUnreachable, Forbidden, K8sLabError, ManifestError, NotFound, UnknownKind
from k8slab.core.tools import Progress
from k8slab.kube.client import Kube, translating
from k8slab.manifests import loading as manifests, preparing, safety, validating

FIELD_MANAGER = "k8slab"


def _namespace_for(res, obj_ns: str | None, namespace: str | None) -> str | None:
    return (obj_ns or namespace or "default") if res.namespaced else None


def apply(
    manifest, namespace: str | None = None, dry_run: bool = False, *, kube: Kube, overrides: Mapping | None = None) -> list[dict]:
    """Server-side apply every object of `manifest`; returns the objects as the server stored them.

    Images named in the override map `overrides` (the settings' `images` through `lab.apply`) are replaced, and said so.
    Before anything is sent, every object is checked as kubectl checks it, and more: an unsafe
    CephCluster, or a field the schema refuses, stops the whole manifest with the file's line.
    As with `kubectl apply -n`, an object that names a namespace other than `namespace` is refused.

    Used in chapters 01, 02, 03, 04, 05, 06, 07, 08, 09.
    """
    objs = manifests.load(manifest)
    safety.check_all(objs)
    for where, old, new in manifests.override_images(objs, overrides or {}):
        print(f"image override: {old} -> {new} in {where}")
    preparing.prepare(objs, cluster_crds(objs, kube), kube.server_version)
    if namespace:
        _same_namespace(objs, namespace, kube)
    applied = []
    for obj in objs:
        try:
            applied.append(apply_one(obj, namespace, kube, dry_run))
        except K8sLabError as e:
            raise _located(e, obj, objs, dry_run) from e
    return applied


def _same_namespace(objs: list[dict], namespace: str, kube: Kube) -> None:
    """As `kubectl apply -n`: an object that names another namespace stops the manifest, before anything is sent."""
    for obj in objs:
        own = (obj.get("metadata") or {}).get("namespace")
        if not own or own == namespace:
            continue
        try:
            namespaced = kube.resource(obj["apiVersion"], obj["kind"]).namespaced
        except K8sLabError:
            continue  # an unknown kind: apply_one says so
        if namespaced:
            where = manifests.location(obj, ("metadata", "namespace"))
            name = obj["metadata"].get("name") or obj["metadata"].get("generateName")
            raise ManifestError(f"{where}: {obj['kind']}/{name} names namespace {own!r}, "
                                f"but namespace={namespace!r} was given",
                                f"remove its metadata.namespace, or give namespace={own!r}")


def server_field(message: str) -> tuple:
    """The field path an API server error names ("spec.containers[0].image: Required value"), as keys
    and indexes up to the first it cannot map (a `[name="web"]` key); () when it names none."""
    found = re.search(r"(?:^|[\s\[])\.?((?:metadata|spec|data|stringData|binaryData|status|rules|subjects|roleRef)"
                      r"(?:\.[\w-]+|\[[^\]\s]*\])*):", message)
    parts: list = []
    for name, index, key in re.findall(r"\.?([\w-]+)|\[(\d+)\]|\[([^\]]*)\]", found[1] if found else ""):
        if name or index:
            parts.append(name or int(index))
        elif "=" in key:
            break
        else:
            parts.append(key)
    return tuple(parts)


def _located(e: K8sLabError, obj: dict, objs: list[dict], dry_run: bool) -> K8sLabError:
    """The server's refusal with the file's line of the field it names (or of the kind), as the kit's
    own checks give it, and, in a dry run, why the kind of a CRD applied alongside is unknown."""
    hint = e.hint
    if isinstance(e, UnknownKind) and dry_run and validating.custom_schema(obj, validating.crds_in(objs)) is not None:
        hint = "a dry run does not create the CustomResourceDefinition in this manifest: apply that first"
    source = manifests.source_of(obj)
    if (source in (manifests.TEXT, manifests.OBJECT) or e.message.startswith(f"{source}, line")
            or isinstance(e, (ClusterUnreachable, Forbidden))):  # not about what the file says
        return type(e)(e.message, hint) if hint != e.hint else e
    path = ("kind",) if isinstance(e, UnknownKind) else server_field(e.message)
    return type(e)(f"{manifests.location(obj, path)}: {e.message}", hint)


def cluster_crds(objs: list[dict], kube: Kube) -> list[dict]:
    """The cluster's CRDs for the custom resources in `objs` whose CRD is not among them."""
    found, seen = [], set()
    for obj in preparing.without_crd(objs, k8s_version=kube.server_version):
        try:
            res = kube.resource(obj["apiVersion"], obj["kind"])
        except K8sLabError:
            continue  # not served: apply_one says so in one line
        name = f"{res.name}.{res.group}"
        if res.group and name not in seen:
            seen.add(name)
            try:
                found.append(get("CustomResourceDefinition", name, api_version="apiextensions.k8s.io/v1", kube=kube))
            except K8sLabError:
                pass  # not readable here: the API server validates it
    return found


def apply_one(obj: dict, namespace: str | None, kube: Kube, dry_run: bool = False) -> dict:
    safety.check(obj)  # every writer of objects (rook's too) comes through here
    body = manifests.clean(obj)
    manifests.default_port_protocols(body)
    preparing.normalise(body, k8s_version=kube.server_version)
    res = kube.resource(body["apiVersion"], body["kind"])
    meta = body.setdefault("metadata", {})
    ns = _namespace_for(res, meta.get("namespace"), namespace)
    if ns:
        meta["namespace"] = ns
    extra = {"dry_run": "All"} if dry_run else {}
    try:
        with translating(f"applying {manifests.describe(body)}", kube):
            applied = res.server_side_apply(
                body=body, name=meta["name"], namespace=ns, field_manager=FIELD_MANAGER, force_conflicts=True, **extra
            ).to_dict()
    except NotFound as e:
        if "page not found" not in str(e):
            raise
        kube.dyn.resources.invalidate_cache()  # its CRD was deleted since discovery: say so
        kube.resource(body["apiVersion"], body["kind"])
        raise
    if body["kind"] == "CustomResourceDefinition" and not dry_run:
        from k8slab.kube.waiting import wait_for_condition

        wait_for_condition("apiextensions.k8s.io/v1", "CustomResourceDefinition", meta["name"], None, "Established", kube=kube, timeout=30)
        kube.dyn.resources.invalidate_cache()
    if body["kind"] == "Namespace" and body["apiVersion"] == "v1" and not dry_run and kube.minor_version < 24:
        from k8slab.kube.waiting import watch_until

        # Before 1.24 the API server refuses pods until the namespace's default ServiceAccount
        # has its token Secret: wait for it, so "create a namespace, then a pod" just works.
        watch_until("v1", "ServiceAccount", "default", meta["name"], lambda sa: bool((sa or {}).get("secrets")), timeout=60, kube=kube)
    return applied


def get(kind: str, name: str, namespace: str | None = None, api_version: str = "v1", *, kube: Kube) -> dict:
    """The live object, as `kubectl get KIND NAME -o yaml` shows it; NotFound when it is not there.

    Used in chapters 06, 07, 09.
    """
    res = kube.resource(api_version, kind)
    with translating(f"reading {kind}/{name}", kube):
        return res.get(name=name, namespace=_namespace_for(res, None, namespace)).to_dict()


def exists(kind: str, name: str, namespace: str | None = None, api_version: str = "v1", *, kube: Kube) -> bool:
    """Whether the object is there: `kubectl get KIND NAME` without the NotFound error.

    Used in chapter 02.
    """
    try:
        get(kind, name, namespace, api_version, kube=kube)
        return True
    except NotFound:
        return False


def list_objects(
    kind: str, namespace: str | None = None, selector: str | None = None, api_version: str = "v1", *, kube: Kube) -> list[dict]:
    """Objects of a kind; `namespace=None` lists a namespaced kind in every namespace.

    Used in chapters 01, 02, 03, 04, 06, 07, 08, 09.
    """
    res = kube.resource(api_version, kind)
    with translating(f"listing {kind}", kube):
        found = res.get(namespace=namespace if res.namespaced else None, label_selector=selector)
    return [i.to_dict() for i in found.items]


def delete(
    manifest=None,
    *,
    kind: str | None = None,
    name: str | None = None,
    namespace: str | None = None,
    api_version: str = "v1",
    wait: bool = True,
    timeout: float = 120,
    kube: Kube,
) -> list[str]:
    """Delete what a manifest names (or one kind/name); absent objects are fine. Waits until gone.

    Used in chapters 01, 02, 03, 04, 05, 06, 07, 08, 09.
    """
    if manifest is not None:
        targets = [manifests.clean(o) for o in manifests.load(manifest)]
    else:
        targets = [{"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "namespace": namespace}}]
    deleted = []
    for body in reversed(targets):  # dependents first, namespaces and CRDs last
        res = kube.resource(body["apiVersion"], body["kind"])
        meta = body["metadata"]
        ns = _namespace_for(res, meta.get("namespace"), namespace)
        try:
            with translating(f"deleting {manifests.describe(body)}", kube):
                res.delete(name=meta["name"], namespace=ns, body={"propagationPolicy": "Background"})
        except NotFound:
            continue
        deleted.append(f"{body['kind']}/{meta['name']}")
        if wait:
            from k8slab.kube.waiting import wait_gone

            wait_gone(body["apiVersion"], body["kind"], meta["name"], ns, kube=kube, timeout=timeout)
        if body["kind"] == "CustomResourceDefinition":
            kube.dyn.resources.invalidate_cache()
    return deleted


def patch(kind: str, name: str, patch_body: Mapping, namespace: str | None = None, api_version: str = "v1", *,
          kube: Kube) -> dict:
    """A strategic-merge patch (for built-in kinds) such as a scale or an image change.

    Used in chapters 06, 08.
    """
    res = kube.resource(api_version, kind)
    if kind == "CephCluster":  # what the patch would make of it must be safe too
        safety.check(safety.merged(get(kind, name, namespace, api_version, kube=kube), patch_body))
    with translating(f"patching {kind}/{name}", kube):
        try:
            return res.patch(
                body=dict(patch_body), name=name, namespace=_namespace_for(res, None, namespace),
                content_type="application/strategic-merge-patch+json",
            ).to_dict()
        except ApiException as e:
            if e.status != 415:
                raise
            return res.patch(
                body=dict(patch_body), name=name, namespace=_namespace_for(res, None, namespace),
                content_type="application/merge-patch+json",
            ).to_dict()


@dataclass
class ApplyReport:
    applied: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        return f"applied {len(self.applied)} objects" + (f"; the API server refused {len(self.refused)}" if self.refused else "")


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
            apply_one(obj, None, kube)
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
