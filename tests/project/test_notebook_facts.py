"""Every version claim in the notebooks names its source.

A claim is a phrase that ties something to a Kubernetes-style version: "since 1.24", "removed in
kubectl 1.26", "deprecated in 1.12", "GA in 1.27", "as of v1.33", "Kubernetes 1.24 removed …",
"(1.19)", and the Chinese forms "自 1.24 起", "从 1.24", "1.24 版本". Each must carry a Markdown link
(`](http`) in the same unit of text: a paragraph, a list item or a table row of a Markdown cell, or
the comment line of a code cell. Quoted fenced code (```) is the guide's text or a file, not a claim.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))

VERSION = r"v?1\.\d{1,2}(?![\d.]*\d)"  # 1.24, v1.33; not a patch release (v1.20.6) nor 1.36 of busybox:1.36
TOOL = r"(?:(?:Kubernetes|kubectl|kubeadm|kubelet|kompose)\s+)?"
CLAIMS = [
    re.compile(r"\b(?:since|from|as of|until|before|after"
               r"|(?:removed|deprecated|introduced|added|dropped|frozen|GA|beta|alpha|stable)\s+(?:in|since))\s+"
               + TOOL + VERSION, re.IGNORECASE),
    re.compile(r"\bin\s+" + TOOL + VERSION),
    re.compile(r"\b(?:Kubernetes|kubectl|kubeadm|kubelet|kompose)\s+" + VERSION),
    re.compile(r"\((?:in\s+)?" + VERSION + r"[,)]"),
    re.compile(r"(?:自|从|于|在)\s*(?:Kubernetes\s*)?" + VERSION),
    re.compile(VERSION + r"\s*(?:版本|起|以后|之后|开始|中(?:被)?(?:移除|弃用|废弃|删除))"),
]
LINK = "](http"


def ids(path):
    return path.name


def markdown_units(text: str) -> list[str]:
    """Paragraphs, list items and table rows, outside fenced code."""
    units: list[str] = []
    current: list[str] = []
    in_fence = False

    def flush():
        if current:
            units.append("\n".join(current))
            current.clear()

    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            flush()
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        stripped = line.strip()
        if not stripped:
            flush()
        elif stripped.startswith("|") or re.match(r"(?:[*+-]|\d+\.)\s", stripped) or re.match(r"#{1,6} ", stripped):
            flush()
            current.append(line)
            if stripped.startswith("|") or stripped.startswith("#"):
                flush()
        else:
            current.append(line)
    flush()
    return units


def comment_units(source: str) -> list[str]:
    """The comments of a code cell (a `#` to the end of the line), one unit per line."""
    return [line[line.index("#"):] for line in source.splitlines() if "#" in line]


def claims_in(unit: str) -> list[str]:
    """The claims of a unit of text, each once (overlapping matches count as one, the longest)."""
    flat = " ".join(unit.split())
    spans = sorted({(m.start(), -m.end()) for pattern in CLAIMS for m in pattern.finditer(flat)})
    kept, end = [], -1
    for start, neg_end in spans:
        if start >= end:
            kept.append(flat[start:-neg_end])
            end = -neg_end
    return kept


def all_claims(book) -> list[tuple[int, str, str]]:
    """(cell index, claim, its unit of text) for every version claim in a notebook."""
    found = []
    for i, cell in enumerate(book.cells):
        units = markdown_units(cell.source) if cell.cell_type == "markdown" else comment_units(cell.source)
        for unit in units:
            found += [(i, claim, unit) for claim in claims_in(unit)]
    return found


@pytest.fixture(params=NOTEBOOKS, ids=ids)
def nb(request):
    return request.param, nbformat.read(request.param, as_version=4)


def test_every_version_claim_names_its_source(nb):
    path, book = nb
    missing = [(i, claim, unit.strip()[:160]) for i, claim, unit in all_claims(book) if LINK not in unit]
    assert not missing, f"{path.name}: version claims without a reference (a Markdown link beside them): {missing}"


def test_the_claims_are_found():
    """The finder is not blind: the chapters make dozens of version claims, and it sees them."""
    count = sum(len(all_claims(nbformat.read(p, as_version=4))) for p in NOTEBOOKS)
    assert count >= 20, f"only {count} version claims found: is the pattern broken?"


@pytest.mark.parametrize("text", [
    "removed in 1.22", "deprecated since Kubernetes 1.29", "dropped basic auth in 1.19", "since 1.33 the kubelet", "GA in 1.27",
    "kubectl 1.21 removed the flag", "the klog flags are gone (1.26)", "(1.26, see", "自 1.24 起", "从 1.24 开始", "1.24 版本",
])
def test_the_finder_sees_a_claim(text):
    assert claims_in(text), text


@pytest.mark.parametrize("text", [
    "busybox:1.36", "nginx:1.17.0", "Rook (v1.20.6)", "https://pkgs.k8s.io/core:/stable:/v1.32/deb/",
    "kubeadm.k8s.io/v1beta1", "python 3.10",
])
def test_the_finder_leaves_other_numbers_alone(text):
    assert not claims_in(text), text


def test_a_claim_without_its_link_fails():
    unit = "The flag was removed in 1.22 ([kubernetes#90368](https://github.com/kubernetes/kubernetes/pull/90368))."
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(unit)])
    assert all(LINK in u for _, _, u in all_claims(book))
    book.cells[0].source = "The flag was removed in 1.22."
    assert [c for _, c, u in all_claims(book) if LINK not in u] == ["removed in 1.22"]


# -- chapter 03's kubeadm files -------------------------------------------------------

def yaml_blocks(book) -> list[str]:
    return [m.group(1) for c in book.cells if c.cell_type == "markdown"
            for m in re.finditer(r"```yaml\n(.*?)```", c.source, re.DOTALL)]


def test_todays_kubeadm_config_is_a_complete_v1beta4_beside_the_guides_v1beta1():
    """03 shows the guide's v1beta1 file and today's: an InitConfiguration and a ClusterConfiguration in
    kubeadm.k8s.io/v1beta4, flags under extraArgs as name/value lists, the Aliyun image repository,
    and none of the guide's removed flags."""
    import yaml

    book = nbformat.read(next(p for p in NOTEBOOKS if p.name.startswith("03-")), as_version=4)
    files = [list(yaml.safe_load_all(block)) for block in yaml_blocks(book) if "kubeadm.k8s.io/" in block]
    guide = [docs for docs in files if docs[0]["apiVersion"] == "kubeadm.k8s.io/v1beta1"]
    today = [docs for docs in files if any(d["apiVersion"] == "kubeadm.k8s.io/v1beta4" for d in docs)]
    assert len(guide) == 1 and len(today) == 1, [d[0]["apiVersion"] for d in files]
    kinds = {d["kind"]: d for d in today[0] if d["apiVersion"] == "kubeadm.k8s.io/v1beta4"}
    assert set(kinds) == {"InitConfiguration", "ClusterConfiguration"}
    cluster = kinds["ClusterConfiguration"]
    assert cluster["imageRepository"] == "registry.aliyuncs.com/google_containers"
    assert re.fullmatch(r"v1\.\d+\.\d+", cluster["kubernetesVersion"])
    args = {}
    for component in ("controllerManager", "apiServer"):
        pairs = cluster[component]["extraArgs"]
        assert isinstance(pairs, list) and all(set(p) == {"name", "value"} for p in pairs), f"{component}: v1beta4 extraArgs are a list"
        args.update({p["name"]: p["value"] for p in pairs})
    assert args == {"horizontal-pod-autoscaler-sync-period": "10s", "node-monitor-grace-period": "10s", "runtime-config": "api/all=true"}
    assert "horizontal-pod-autoscaler-use-rest-clients" in guide[0][0]["controllerManager"]
    text = "\n".join(c.source for c in book.cells)
    assert "kubeadm init --image-repository registry.aliyuncs.com/google_containers" in text
    assert "https://pkgs.k8s.io/core:/stable:" in text


# -- each helper names the chapters that call it (as d2l's helpers name their section) ----------------

CALL = re.compile(r"\b((?:lab|rook)(?:\.\w+)+)\s*[(.]")


def helpers_called() -> dict[str, set[str]]:
    """`lab.x.y` / `rook.z` as the notebooks' code cells call them, with the chapters that do."""
    out: dict[str, set[str]] = {}
    for path in NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                for name in CALL.findall(cell.source):
                    out.setdefault(name, set()).add(path.name.split("-")[0])
    return out


def helper(name: str):
    """The kit's function or class `name` calls (LayerView for `lab.widgets.LayerView.of`), or None."""
    import importlib
    import inspect

    obj = importlib.import_module("k8slab" if name.startswith("lab.") else "k8slab.lessons.rook")
    for part in name.split(".")[1:]:
        found = getattr(obj, part, None)
        if found is None and inspect.ismodule(obj):
            found = importlib.import_module(f"{obj.__name__}.{part}")  # a submodule not yet imported
        obj = found
        if inspect.isfunction(obj) or inspect.isclass(obj):
            return obj
    return None


def test_each_helper_names_the_chapters_that_call_it():
    import inspect

    wrong = []
    for name, chapters in sorted(helpers_called().items()):
        obj = helper(name)
        if obj is None or not obj.__module__.startswith("k8slab"):
            continue
        said = re.search(r"Used in chapters? ([0-9b, ]+)\.", inspect.getdoc(obj) or "")
        if not said or not chapters <= {c.strip() for c in said.group(1).split(",")}:
            wrong.append(f"{name}: called in {sorted(chapters)}, its docstring says {said.group(0) if said else 'nothing'}")
    assert not wrong, "\n".join(wrong)
