"""Offline validation of the manifests the kit applies: no cluster, no network.

Built-in kinds are checked against the Kubernetes OpenAPI schemas that `kubernetes-validate`
ships (strict: unknown fields are errors, as `kubectl apply` reports them since 1.27), and
their quantities must be text that Kubernetes reads (`1Gi`, not `1GB`).
Custom resources (a CephCluster) are checked against the openAPIV3Schema of their CRD,
taken from the CRDs passed in or found among the objects themselves. CEL rules
(`x-kubernetes-validations`) are left to the API server: they need a CEL engine.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Iterable

from packaging.version import Version

from k8slab.core import quantities
from k8slab.core.errors import ManifestError
from k8slab.manifests import loading as manifests


@dataclass(frozen=True)
class Problem:
    """One validation error: the object, the field path in it, what is wrong, and where it was written."""

    obj: str
    path: str
    message: str
    where: str = ""                                 # "netpol.yaml, line 6" when the object came from text
    parts: tuple = field(default=(), compare=False)  # the path as keys and indexes

    def __str__(self) -> str:
        text = f"{self.obj}: {self.path}: {self.message}" if self.path else f"{self.obj}: {self.message}"
        return f"{self.where}: {text}" if self.where else text


def _path(parts: Iterable) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _name(obj: dict) -> str:
    return f"{obj.get('kind')}/{(obj.get('metadata') or {}).get('name')}"


def _problems(errors, obj: dict, what: str) -> list[Problem]:
    out = []
    # A misspelt field is also a missing required one: the unknown field, the cause, comes first.
    for e in sorted(errors, key=lambda e: ([str(p) for p in e.absolute_path], e.validator == "required")):
        where = list(e.absolute_path)
        if e.validator == "additionalProperties" and isinstance(e.instance, dict):
            known = set((e.schema.get("properties") or {}))
            for extra in sorted(set(e.instance) - known):
                out.append(Problem(_name(obj), _path(where + [extra]), f"unknown field (not in the {what} schema)",
                                   parts=tuple(where + [extra])))
        elif e.validator == "required":
            missing = e.message.split("'")[1] if "'" in e.message else e.message
            out.append(Problem(_name(obj), _path(where + [missing]), "required field is missing", parts=tuple(where + [missing])))
        else:
            msg = e.message if len(e.message) <= 160 else e.message[:157] + "..."
            out.append(Problem(_name(obj), _path(where), msg, parts=tuple(where)))
    return out


# -- custom resources: the CRD's openAPIV3Schema -----------------------------------------

def _to_jsonschema(s: dict) -> dict:
    """An openAPIV3Schema as JSON Schema: nullable, int-or-string, unknown fields refused
    unless `x-kubernetes-preserve-unknown-fields`, embedded resources' apiVersion/kind/metadata."""
    s = _subschemas_converted(dict(s))
    if s.pop("x-kubernetes-int-or-string", False):
        s.pop("type", None)
        s.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
    if s.get("x-kubernetes-embedded-resource"):
        props = s.setdefault("properties", {})
        props.setdefault("apiVersion", {"type": "string"})
        props.setdefault("kind", {"type": "string"})
        props.setdefault("metadata", {"type": "object"})
    if s.get("type") == "object" and "properties" in s and "additionalProperties" not in s \
            and not s.get("x-kubernetes-preserve-unknown-fields"):
        s["additionalProperties"] = False
    if s.pop("nullable", False):
        if "type" in s:
            s["type"] = [s["type"], "null"]
        if "enum" in s:
            s["enum"] = [*s["enum"], None]
    return {k: v for k, v in s.items() if not k.startswith("x-kubernetes-")}


def _subschemas_converted(s: dict) -> dict:
    for key in ("properties", "patternProperties"):
        if key in s:
            s[key] = {k: _to_jsonschema(v) for k, v in s[key].items()}
    for key in ("items", "additionalProperties", "not"):
        if isinstance(s.get(key), dict):
            s[key] = _to_jsonschema(s[key])
    for key in ("allOf", "anyOf", "oneOf"):
        if key in s:
            s[key] = [_to_jsonschema(v) for v in s[key]]
    return s


def crds_in(objs: Iterable[dict]) -> list[dict]:
    return [o for o in objs if o.get("kind") == "CustomResourceDefinition"]


def _find_crd(obj: dict, crds: list[dict]) -> tuple[dict | None, dict | None]:
    group, _, version = obj["apiVersion"].rpartition("/")
    for crd in crds:
        spec = crd.get("spec") or {}
        if spec.get("group") == group and (spec.get("names") or {}).get("kind") == obj["kind"]:
            return crd, next((v for v in spec.get("versions") or [] if v.get("name") == version), None)
    return None, None


def crd_schema(version: dict) -> dict:
    """A copy of one CRD version's openAPIV3Schema (an object that allows anything if it has none)."""
    return copy.deepcopy(((version.get("schema") or {}).get("openAPIV3Schema")) or {"type": "object",
                                                                                    "x-kubernetes-preserve-unknown-fields": True})


def custom_schema(obj: dict, crds: list[dict]) -> dict | None:
    """The openAPIV3Schema for a custom resource, from its CRD among `crds`; None if none serves it."""
    _crd, version = _find_crd(obj, crds)
    return crd_schema(version) if version is not None and version.get("served", True) else None


def validate_custom(obj: dict, crds: list[dict]) -> list[Problem]:
    """A custom resource against its CRD's schema; a missing CRD or version is a problem too."""
    crd, version = _find_crd(obj, crds)
    if crd is None:
        return [Problem(_name(obj), "", f"no CRD for {obj['apiVersion']} {obj['kind']} to validate against")]
    if version is None or not version.get("served", True):
        return [Problem(_name(obj), "apiVersion", f"{crd['metadata']['name']} does not serve {obj['apiVersion']}")]
    root = crd_schema(version)
    for key, kind in (("apiVersion", "string"), ("kind", "string"), ("metadata", "object")):
        root.setdefault("properties", {}).setdefault(key, {"type": kind})  # the server always allows these
    import jsonschema

    validator = jsonschema.Draft4Validator(_to_jsonschema(root))
    return _problems(validator.iter_errors(obj), obj, f"{obj['kind']} {version['name']}")


# -- built-in kinds: the Kubernetes OpenAPI schemas of kubernetes-validate --------------------

def _kv():
    from kubernetes_validate import utils  # when first needed: it loads jsonschema's format checkers (seconds)

    return utils


def schema_version(k8s_version: str | None = None, oldest_if_older: bool = False) -> str:
    """The newest schema set kubernetes-validate ships that is not newer than `k8s_version`
    (or, with `oldest_if_older`, the oldest set for a server older than all of them)."""
    kvu = _kv()
    versions = kvu.all_versions()
    if not k8s_version:
        return versions[-1]
    want = Version(kvu.major_minor(k8s_version.lstrip("v")))
    fit = [v for v in versions if Version(kvu.major_minor(v)) <= want]
    if not fit and oldest_if_older:
        return versions[0]
    if not fit:
        raise ManifestError(f"no Kubernetes schemas for version {k8s_version} (the oldest shipped is {versions[0]})",
                            "validate against a newer version")
    return fit[-1]


@lru_cache(maxsize=None)
def _definitions(version: str):
    from referencing import Resource

    path = f"kubernetes-json-schema/v{version}-local-strict/_definitions.json"
    return Resource.from_contents(_kv().schema_contents(path, version))


@lru_cache(maxsize=256)
def builtin_schema(kind: str, api_version: str, version: str) -> dict | None:
    """The Kubernetes schema of a built-in kind (None if `version` has no such kind); read, not copied."""
    import re

    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        path = f"kubernetes-json-schema/v{version}-local-strict/{kind.lower()}-{group_version}.json"
        return _kv().schema_contents(path, version)
    except FileNotFoundError:
        return None


def resolver(version: str):
    """A `$ref` of the Kubernetes schemas to the definition it names."""
    definitions = _definitions(version).contents["$defs"]
    return lambda ref: definitions[ref.rsplit("/", 1)[-1]]


@lru_cache(maxsize=256)
def _builtin_validator(kind: str, api_version: str, version: str):
    from referencing import Registry, Resource

    schema = builtin_schema(kind, api_version, version)
    if schema is None:
        return None
    registry = _definitions(version) @ (Resource.from_contents(schema) @ Registry())
    import jsonschema

    return jsonschema.Draft202012Validator(schema, registry=registry)


def validate_builtin(obj: dict, k8s_version: str | None = None, oldest_if_older: bool = False) -> list[Problem] | None:
    """A built-in kind against the Kubernetes schema; None when it is not a built-in kind."""
    version = schema_version(k8s_version, oldest_if_older)
    validator = _builtin_validator(obj["kind"], obj["apiVersion"], version)
    if validator is None:
        return None
    problems = _problems(validator.iter_errors(obj), obj, f"Kubernetes {version} {obj['kind']}")
    if k8s_version and Version(_kv().major_minor(k8s_version.lstrip("v"))) < Version("1.25"):
        problems = [p for p in problems if not _still_served(p)]
    for path, text in quantities.misspelt(obj, validator.schema, resolver(version)):  # the server's error names no field
        problems.append(Problem(_name(obj), _path(path), f"{text!r} is not a quantity: write a number with an optional "
                                "suffix, e.g. 2, 500m or 1Gi", parts=path))
    return problems


def _still_served(problem: Problem) -> bool:
    """metadata.clusterName: gone from the schemas since 1.25, still accepted by older servers."""
    return problem.parts[-2:] == ("metadata", "clusterName") and problem.message.startswith("unknown field")


def validate(objs, crds: Iterable[dict] = (), k8s_version: str | None = None, sending: bool = False) -> list[Problem]:
    """Every problem in `objs` (a manifest, or loaded objects); [] means all valid.

    Problems name the file and line when the objects were read from text. `sending`: as before
    a write, a kind with neither a schema nor a CRD here is left to the API server to judge,
    and a server older than every shipped schema set is checked against the oldest.
    """
    loaded = objs if _loaded(objs) else manifests.load(objs)
    cleaned = [manifests.clean(o) for o in loaded]
    known = list(crds) + crds_in(cleaned)
    problems: list[Problem] = []
    for original, obj in zip(loaded, cleaned, strict=True):
        found = validate_builtin(obj, k8s_version, oldest_if_older=sending)
        if found is None:
            found = [] if sending and _find_crd(obj, known)[0] is None else validate_custom(obj, known)
        if manifests.located(original):
            found = [replace(p, where=manifests.location(original, p.parts)) for p in found]
        problems.extend(found)
    return problems


def _loaded(objs) -> bool:
    return isinstance(objs, list) and all(isinstance(o, dict) and "kind" in o for o in objs)


def check(objs, crds: Iterable[dict] = (), k8s_version: str | None = None, sending: bool = False) -> None:
    """Raise one line naming the first problem (and how many more) if anything is invalid."""
    problems = validate(objs, crds, k8s_version, sending)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        hint = "`validating.validate(...)` lists them all" if more else "kubectl refuses it too: fix that field"
        raise ManifestError(f"invalid: {problems[0]}{more}", hint)
