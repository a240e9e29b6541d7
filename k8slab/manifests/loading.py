"""Reading manifests: YAML text, files, folders or dicts into checked objects.

Pure Python (no cluster): every problem a learner can make in a file is reported here,
with the file and line, before anything is sent to the API server.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Iterable, Mapping

import yaml

from k8slab.core import references
from k8slab.core.errors import ManifestError
from k8slab.manifests import parsing

Manifest = str | Path | Mapping | Iterable
TEXT, OBJECT = "the YAML", "the object"     # the source of objects from text and from dicts (files: their name)


class Located(dict):
    """An object as a manifest holds it, with where it was written beside it, never inside it:
    `source` (a file's name, "the YAML" or "the object") and `lines` (a field's path -> its line).
    It is the plain object everywhere else: sent, compared, dumped as YAML or JSON."""

    def __init__(self, data: Mapping = (), source: str = OBJECT, lines: Mapping | None = None):
        super().__init__(data)
        self.source = source
        self.lines = dict(lines or {})


for _dumper in (yaml.SafeDumper, yaml.Dumper, getattr(yaml, "CSafeDumper", None), getattr(yaml, "CDumper", None)):
    if _dumper is not None:
        _dumper.add_representer(Located, yaml.representer.SafeRepresenter.represent_dict)


def parse(text: str, source: str) -> list[dict]:
    """The objects of one text (a file's, or a cell's), unchecked; `source` names it in errors."""
    what = "JSON" if source.endswith(".json") else "YAML"
    docs = parsing.documents(text, source, what)
    objs: list[dict] = []
    for i, doc in enumerate(docs, 1):
        if doc.data is None:
            continue
        if not isinstance(doc.data, dict):
            raise ManifestError(f"{source}, line {doc.line}: document {i} is a {_type(doc.data)}, not a Kubernetes object",
                                "each document needs apiVersion, kind and metadata")
        objs.extend(_expand_list(doc.data, source, doc.lines))
    if not objs:
        why = "its List has no items" if any(d.data for d in docs) else "it is empty or only comments"
        raise ManifestError(f"{source} holds no Kubernetes objects: {why}",
                            "save the file, or write an object with apiVersion, kind and metadata.name")
    return objs


def _type(value) -> str:
    return {dict: "mapping", list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(value), type(value).__name__)


def _expand_list(doc: dict, source: str, lines: Mapping | None = None) -> list[dict]:
    """A `kind: List` is its items (as kubectl reads it); each keeps its own lines."""
    lines = lines or {}
    if not (str(doc.get("kind", "")).endswith("List") and isinstance(doc.get("items"), list)):
        return [_with_source(doc, source, lines)]
    out = []
    for j, item in enumerate(doc["items"]):
        if not isinstance(item, dict):
            line = lines.get(("items", j), lines.get((), "?"))
            raise ManifestError(f"{source}, line {line}: items[{j}] of the {doc['kind']} is a {_type(item)}, not a Kubernetes object",
                                "each item needs apiVersion, kind and metadata")
        sub = {p[2:]: n for p, n in lines.items() if p[:2] == ("items", j)}
        out.append(_with_source(item, source, sub))
    return out


def _with_source(obj: Mapping, source: str, lines: Mapping | None = None) -> Located:
    """A copy of `obj` with its place beside it (an object read before keeps the place it had)."""
    if isinstance(obj, Located):
        source, lines = obj.source, obj.lines
    return Located(copy.deepcopy(dict(obj)), source, lines)


def _looks_like_yaml(text: str) -> bool:
    return "\n" in text or ":" in text or not text.strip()


def load(manifest: Manifest) -> list[dict]:
    """Objects from YAML text, a file, a folder (recursively, like `kubectl apply -R`), a dict or a list of those.

    Nothing to apply is an error, as kubectl says "no objects passed to apply": a learner who
    saved nothing must not see a silent success.

    Used in chapter 07.
    """
    objs = _load(manifest)
    if not objs:
        raise ManifestError("no Kubernetes objects to read: the list is empty", "pass YAML text, a path, a dict or a list of them")
    for obj in objs:
        check(obj)
    return objs


def _load(manifest: Manifest) -> list[dict]:
    if isinstance(manifest, Located):
        return [_with_source(manifest, OBJECT)]
    if isinstance(manifest, Mapping):
        return _expand_list(dict(manifest), OBJECT)
    if isinstance(manifest, Path) or (isinstance(manifest, str) and not _looks_like_yaml(manifest)):
        return _load_path(Path(manifest))
    if isinstance(manifest, str):
        return parse(manifest, TEXT)
    if isinstance(manifest, Iterable):
        return [o for m in manifest for o in _load(m)]
    raise ManifestError(f"cannot read a manifest from a {type(manifest).__name__}", "pass YAML text, a path, a dict or a list")


def _load_path(path: Path) -> list[dict]:
    if os.path.isdir(path):  # False, not an OSError, for a name too long or a folder we may not enter
        files = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
        if not files:
            raise ManifestError(f"no .yaml, .yml or .json files under {path}")
        return [o for f in files for o in _load_path(f)]
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise ManifestError(f"no such manifest file: {path}", "check the path (relative paths start from the notebook's folder)") from e
    except UnicodeDecodeError as e:
        raise ManifestError(f"{path.name} is not UTF-8 text (byte {e.start})", "save it as UTF-8 text") from e
    except OSError as e:
        raise ManifestError(f"cannot read {path}: {e.strerror}", "check the path and its permissions") from e
    return parse(text, path.name)


def location(obj: Mapping, path: Iterable = ()) -> str:
    """Where a field of `obj` was written: "pod.yaml, line 7" (the nearest line known), or the source."""
    source, lines = source_of(obj), getattr(obj, "lines", {})
    path = tuple(path)
    for n in range(len(path), -1, -1):
        if path[:n] in lines:
            return f"{source}, line {lines[path[:n]]}"
    return source


def check(obj: dict) -> None:
    """The fields every object needs, as the guide's 必需字段 lists them (chapter 6 shows these lines;
    an object of a file is named with the line where it starts)."""
    source = source_of(obj)
    source = source if source in (TEXT, OBJECT) else location(obj)
    kind = obj.get("kind")
    missing = [f for f in ("apiVersion", "kind") if not obj.get(f)]
    meta = obj.get("metadata")
    if not isinstance(meta, Mapping) or not (meta.get("name") or meta.get("generateName")):
        missing.append("metadata.name")
    if missing:
        what = f"{kind} in {source}" if isinstance(kind, str) and kind else f"an object in {source}"
        raise ManifestError(f"{what} lacks {', '.join(missing)}", "every object needs apiVersion, kind and metadata.name")
    if not isinstance(kind, str) or not isinstance(obj["apiVersion"], str):
        raise ManifestError(f"{location(obj)}: apiVersion and kind must be strings")


def source_of(obj: Mapping) -> str:
    """Where an object was read from: a file's name, "the YAML", or "the object" (a dict, or made in code)."""
    return getattr(obj, "source", OBJECT)


def located(obj: Mapping) -> bool:
    """Whether `obj` was read by `load`/`parse` (so errors can name its file and line)."""
    return isinstance(obj, Located)


def clean(obj: Mapping) -> dict:
    """A plain dict copy of the object's top level, as it is sent to the server.

    Used in chapter 07.
    """
    return dict(obj)


def describe(obj: Mapping) -> str:
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace")
    name = meta.get("name") or meta.get("generateName")
    return f"{obj.get('kind')}/{name}" + (f" in {ns}" if ns else "")


def containers(obj: dict) -> Iterable[dict]:
    """Every container (and init container) of a Pod or of a workload's pod template."""
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    for path in (("template", "spec"), ("jobTemplate", "spec", "template", "spec")):
        s = spec
        for key in path:
            s = s.get(key) if isinstance(s, dict) else None
        if isinstance(s, dict):
            spec = s
            break
    for key in ("initContainers", "containers"):  # a misshapen one is the schema's to report
        found = spec.get(key)
        yield from (c for c in found if isinstance(c, dict)) if isinstance(found, list) else ()


def label_selector(labels: Mapping[str, str] | None) -> str:
    """The label selector (`app=web,tier=front`, keys sorted) that every one of `labels` must match: a
    Service's spec.selector, a workload's spec.selector.matchLabels, a pod's labels. "" (which selects
    everything) for none. A selector's matchExpressions are not turned into text here.
    """
    return ",".join(f"{k}={v}" for k, v in sorted((labels or {}).items()))


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
        for c in containers(obj):
            c["args"] = [f"--namespace={namespace}" if a == f"--namespace={default}" else a for a in c.get("args") or []]
    return objs


def default_port_protocols(obj: dict) -> None:
    """Spell out `protocol: TCP` (the API's default) on Service and container ports, in place.

    Server-side apply on Kubernetes 1.18-1.20 refuses port lists without it ("associative
    list with keys has an element that omits key field protocol"); newer servers do not care.
    """
    ports = list((obj.get("spec") or {}).get("ports") or []) if obj.get("kind") == "Service" else []
    for c in containers(obj):
        ports.extend(c.get("ports") or [])
    for port in ports:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")


def override_images(objs: list[dict], overrides: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """Replace images by the override map, in place; returns (object, old, new) for each change."""
    changed = []
    for obj in objs:
        for c in containers(obj):
            new = references.override(c.get("image"), overrides)
            if new:
                changed.append((describe(obj), c["image"], new))
                c["image"] = new
    return changed
