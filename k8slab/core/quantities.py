"""Numbers where the schema says quantity become strings, as kubectl's decoding makes them.

kubectl accepts `cpu: 1` or `memory: 0` (a JSON number decodes into a Quantity), but server-side
apply on Kubernetes 1.18-1.20 refuses them ("expected string, got &value.valueUnstructured{Value:1}"):
its schema for a Quantity is a plain string. Which fields are quantities comes from the OpenAPI
schema itself, not from a list of paths: `oneOf: [string, number]` in the Kubernetes schemas.
int-or-string fields (`oneOf: [string, integer]`, or a CRD's `x-kubernetes-int-or-string`) keep
their integers: server-side apply reads them as untyped scalars and accepts `targetPort: 8080`.
Text in a quantity field that Kubernetes cannot read (`1GB`) is found here too: the API server's
own error for it names no field.
"""

from __future__ import annotations

import re
from typing import Callable, Iterator

Resolve = Callable[[str], dict]  # a "$ref" to the schema it names
# Kubernetes' own grammar of a quantity: a signed decimal, then one suffix (binary, decimal SI or an exponent).
TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?")


def _types(schema: dict) -> set[str]:
    kinds = schema.get("type")
    return {kinds} - {"null"} if isinstance(kinds, str) else set(kinds or ()) - {"null"}


def kind_of(schema: dict) -> str | None:
    """"quantity", "int-or-string", or None for any other schema."""
    if schema.get("x-kubernetes-int-or-string") or schema.get("format") == "int-or-string":
        return "int-or-string"
    if schema.get("format") == "quantity":
        return "quantity"
    alternatives = schema.get("oneOf") or schema.get("anyOf")
    if alternatives and all(isinstance(a, dict) for a in alternatives):
        types = set().union(*(_types(a) for a in alternatives))
        if types == {"string", "number"}:
            return "quantity"
        if types == {"string", "integer"}:
            return "int-or-string"
    return None


def as_quantity(number: int | float) -> str:
    """The canonical text of a number: 1 -> "1", 0.5 -> "0.5", 2.0 -> "2"."""
    if isinstance(number, float) and number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return str(number) if isinstance(number, int) else repr(number)


def _deref(schema, resolve: Resolve | None) -> dict:
    for _ in range(50):  # a $ref to a $ref ...
        if not isinstance(schema, dict):
            return {}
        ref = schema.get("$ref") or (len(schema.get("allOf") or ()) == 1 and schema["allOf"][0].get("$ref"))
        if not ref or resolve is None:
            return schema
        schema = resolve(ref)
    return {}


def _sub(schema: dict, key) -> dict | None:
    if isinstance(key, int):
        items = schema.get("items")
        return items if isinstance(items, dict) else None
    props = schema.get("properties") or {}
    if key in props:
        return props[key]
    extra = schema.get("additionalProperties")
    return extra if isinstance(extra, dict) else None


def _fields(obj, schema: dict, resolve: Resolve | None) -> Iterator[tuple[tuple, dict | list, object]]:
    """(path, parent, key) of every field of `obj` that the schema says is a quantity."""
    stack = [((), obj, schema)]
    while stack:
        path, value, sub = stack.pop()
        sub = _deref(sub, resolve)
        if kind_of(sub):
            continue
        entries = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, item in entries:
            field = _sub(sub, key)
            if field is None:
                continue
            field = _deref(field, resolve)
            if kind_of(field) == "quantity":
                yield path + (key,), value, key
            elif isinstance(item, (dict, list)):
                stack.append((path + (key,), item, field))


def normalise(obj, schema: dict, resolve: Resolve | None = None) -> list[tuple]:
    """Turn numbers in quantity fields of `obj` into strings, in place; returns the paths changed."""
    changed: list[tuple] = []
    for path, parent, key in list(_fields(obj, schema, resolve)):
        item = parent[key]
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            parent[key] = as_quantity(item)
            changed.append(path)
    return sorted(changed, key=str)


def misspelt(obj, schema: dict, resolve: Resolve | None = None) -> list[tuple[tuple, str]]:
    """(path, text) of each quantity written as text that Kubernetes cannot read (`1GB`, `lots`)."""
    found = [(path, parent[key]) for path, parent, key in _fields(obj, schema, resolve)
             if isinstance(parent[key], str) and not TEXT.fullmatch(parent[key])]
    return sorted(found, key=lambda f: str(f[0]))
