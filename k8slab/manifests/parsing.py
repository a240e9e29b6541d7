"""YAML and JSON text into documents, with the line of every field in them.

Plain `yaml.load` lets a learner's mistakes pass: a key written twice silently keeps the
last one, and an anchor that contains itself builds a loop that raises RecursionError
later. This reader refuses both in one line, and keeps a line for every field so that
validation can point at the line the learner has to fix. Scalars mean what kubectl's Go YAML
makes of them: timestamps and base-60 numbers (`12:30`) stay strings, `y` and `n` are booleans,
`1e3` is a number. Text that starts with `{` is JSON to kubectl, strictly (no trailing comma,
one object after another), and so it is here.
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from k8slab.core.errors import ManifestError

Path_ = tuple  # a field path: keys and list indexes, e.g. ("spec", "containers", 0, "image")
MAX_FIELDS = 200_000  # aliases that expand beyond this are a YAML bomb, not a manifest
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml parses Rook's CRDs in 0.2 s, not 3 s


class Document(NamedTuple):
    data: Any
    line: int                     # where the document starts (1-based)
    lines: dict[Path_, int]       # the line of every mapping key and list item


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key, first: int, second: int):
        super().__init__(key)
        self.key, self.first, self.second = key, first, second


def _str(loader, node):
    return loader.construct_scalar(node)


def _int(loader, node):
    value = loader.construct_scalar(node)
    return value if ":" in value else yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)


def _float(loader, node):
    value = loader.construct_scalar(node)
    return value if ":" in value else yaml.constructor.SafeConstructor.construct_yaml_float(loader, node)


class _Loader(_Base):
    def construct_mapping(self, node, deep=False):
        if isinstance(node, MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node)
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise _DuplicateKey(key, seen[key], line)
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _bool(loader, node):
    return loader.construct_scalar(node).lower() in ("y", "yes", "true", "on")


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _str)
_Loader.add_constructor("tag:yaml.org,2002:int", _int)
_Loader.add_constructor("tag:yaml.org,2002:float", _float)
_Loader.add_constructor("tag:yaml.org,2002:bool", _bool)
# What Go's YAML 1.1 reader adds to PyYAML's: y and n are booleans, 1e3 and 1.5e3 are numbers.
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^[yYnN]$"), list("yYnN"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$"),
                              list("-+.0123456789"))


def _self_containing(root):
    """The first node reachable from itself (an anchor used inside its own value), or None."""
    state: dict[int, int] = {}  # 1: on the current path, 2: done
    stack = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            state[id(node)] = 2
            continue
        seen = state.get(id(node))
        if seen == 1:
            return node
        if seen == 2 or isinstance(node, ScalarNode):
            continue
        state[id(node)] = 1
        stack.append((node, True))
        children = [n for pair in node.value for n in pair] if isinstance(node, MappingNode) else node.value
        stack.extend((child, False) for child in reversed(children))
    return None


def _field_lines(root, loader, where: str) -> dict[Path_, int]:
    lines: dict[Path_, int] = {(): root.start_mark.line + 1}
    stack = [((), root)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, MappingNode):
            pairs = [(loader.construct_object(k), k, v) for k, v in node.value if isinstance(k, ScalarNode)]
        elif isinstance(node, SequenceNode):
            pairs = [(i, v, v) for i, v in enumerate(node.value)]
        else:
            continue
        for key, key_node, value in pairs:
            sub = path + (key,)
            lines.setdefault(sub, key_node.start_mark.line + 1)
            stack.append((sub, value))
        if len(lines) > MAX_FIELDS:
            raise ManifestError(f"{where}, line {root.start_mark.line + 1}: its aliases expand to more than "
                                f"{MAX_FIELDS:,} fields", "a manifest does not need this many aliases; write the values out")
    return lines


def _anchor_at(text: str, mark) -> str:
    index = getattr(mark, "index", None)
    found = re.search(r"&([^\s,\[\]{}]+)", text[index:index + 500]) if index is not None else None
    return f"&{found[1]}" if found else "an anchor"


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _json_values(text: str, source: str) -> list[tuple[int, int, Any]]:
    """(start, end, value) of each JSON value in `text`, one after another as kubectl reads them."""
    decoder = json.JSONDecoder(parse_constant=_no_constant)
    values, at = [], 0
    while True:
        at = len(text) - len(text[at:].lstrip())
        if at == len(text):
            return values
        try:
            value, end = decoder.raw_decode(text, at)
        except json.JSONDecodeError as e:
            raise ManifestError(f"invalid JSON in {source}, line {e.lineno}: {e.msg[0].lower()}{e.msg[1:]}",
                                "check the commas, quotes and brackets there") from None
        except ValueError as e:
            raise ManifestError(f"invalid JSON in {source}: {e}", "write numbers with digits") from None
        except RecursionError:
            raise ManifestError(f"{source} nests too deeply to be read", "a manifest is a few levels deep; check the brackets") from None
        values.append((at, end, value))
        at = end


def _json_documents(text: str, source: str) -> list[Document]:
    """Each JSON value is a document; its lines are read as YAML (JSON is YAML) from a copy of
    the text with everything before the value blanked, so that they are the file's lines."""
    docs = []
    for start, end, value in _json_values(text, source):
        line = text.count("\n", 0, start) + 1
        try:
            (doc,) = _read(re.sub(r"[^\n]", " ", text[:start]) + text[start:end], source)
            lines = doc.lines
        except _DuplicateKey as e:
            raise _written_twice(source, e) from None
        except (yaml.YAMLError, ManifestError, RecursionError):  # JSON that PyYAML cannot read: the object's line
            lines = {(): line}
        docs.append(Document(value, line, lines))
    return docs


def documents(text: str, source: str, what: str = "YAML") -> list[Document]:
    """Every document of `text` (None for an empty one); any failure is one ManifestError naming `source`."""
    if text.lstrip().startswith("{"):
        return _json_documents(text, source)
    try:
        return _read(text, source)
    except _DuplicateKey as e:
        raise _written_twice(source, e) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"{source}, line {mark.line + 1}" if mark else source
        problem = e.problem or e.context or "cannot be read"
        hint = ("manifests are plain YAML: remove the tag" if isinstance(e, yaml.constructor.ConstructorError)
                else "fix the indentation or quoting there")
        raise ManifestError(f"invalid {what} in {where}: {problem}", hint) from None
    except yaml.YAMLError as e:
        raise ManifestError(f"invalid {what} in {source}: {str(e).splitlines()[0]}") from None
    except RecursionError:
        raise ManifestError(f"{source} nests too deeply to be read", "a manifest is a few levels deep; check the brackets") from None


def _written_twice(source: str, e: _DuplicateKey) -> ManifestError:
    return ManifestError(f"{source}, line {e.second}: key {e.key!r} is written twice (first at line {e.first})",
                         "YAML would keep only the last one; delete or rename one of them")


def _read(text: str, source: str) -> list[Document]:
    """The documents of YAML text; PyYAML's errors and _DuplicateKey are the caller's to word."""
    loader = _Loader(text)
    docs: list[Document] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            loop = _self_containing(node)
            if loop is not None:
                line = loop.start_mark.line + 1
                raise ManifestError(f"{source}, line {line}: the anchor {_anchor_at(text, loop.start_mark)} contains itself",
                                    "an alias cannot be used inside its own anchor's value; write the value out")
            data = loader.construct_document(node)
            docs.append(Document(data, node.start_mark.line + 1, _field_lines(node, loader, source)))
    finally:
        loader.dispose()
    return docs
