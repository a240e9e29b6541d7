"""What a workshop bundle holds: the kind node image, every image the notebooks, Rook and the
Dashboard run, and every file the kit fetches (with Rook's own list of its images)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from k8slab.clusters import fetching
from k8slab.core import config, references
from k8slab.core.errors import K8sLabError

# The images the notebooks and the guide's hello app (FROM node:7) name; tests check that every
# image a notebook or the kit's manifests use is listed here.
GUIDE_IMAGES = ("busybox:1.36", "nginx:1.17.0", "node:7")

DOCKER, CLUSTER = "docker", "cluster"
IMAGES_LIST = "images.txt"  # Rook's list of the images its operator starts (CSI, Ceph, sidecars)


@dataclass(frozen=True)
class Wanted:
    """One image and why it is in the bundle; `into`: where `bundle load` puts it."""

    name: str
    source: str
    into: tuple[str, ...]


def pinned_files() -> list[fetching.Bundle]:
    """Every set of pinned files the kit fetches; Rook's with its images.txt (pinned beside it)."""
    pins = json.loads((fetching.DATA / "pins.json").read_text(encoding="utf-8"))
    out = []
    for name in ("rook", "dashboard"):
        b = fetching.bundle(name)
        extra = pins[name].get("images_list") or {}
        out.append(dataclasses.replace(b, sha256={**b.sha256, **extra}))
    return out


def node_image(settings: config.Settings) -> str:
    """The kind node image `k8slab up` would use here: the setting, else the one pinned for this kind."""
    from k8slab.clusters.providers import engine, kindconfig
    from k8slab.core.tools import run

    if settings.node_image:
        return settings.node_image
    try:
        version = run(["kind", "version"], "asking kind its version", timeout=30, env=engine.kind_env()).stdout.split()
    except K8sLabError as e:
        raise K8sLabError(f"cannot tell which kind node image to bundle: {e.message}",
                          "install kind, or set node_image (K8SLAB_NODE_IMAGE)") from e
    image = kindconfig.node_image(version[1] if len(version) > 1 else "")
    if not image:
        raise K8sLabError(f"the kit pins no node image for kind {' '.join(version[1:2]) or '(unknown version)'}",
                          "set node_image (K8SLAB_NODE_IMAGE) to the image your kind uses")
    return image


def rook_images(text: str) -> list[str]:
    """images.txt: one image a line."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def manifest_images(objs: list[dict]) -> list[str]:
    """The images of every container and init container in the objects, in order, once each."""
    from k8slab.manifests import loading as manifests

    seen: list[str] = []
    for obj in objs:
        for c in manifests.containers(obj):
            if c.get("image") and c["image"] not in seen:
                seen.append(c["image"])
    return seen


def wanted(files: dict[str, dict[str, Path]], settings: config.Settings) -> list[Wanted]:
    """The images to bundle, given the fetched pinned files ({bundle name: {file: path}}), each once."""
    from k8slab.clusters.fetching import parse

    out = [Wanted(node_image(settings), "kind node image", (DOCKER,))]
    out += [Wanted(image, "the notebooks", (DOCKER, CLUSTER)) for image in GUIDE_IMAGES]
    out += [Wanted(image, f"Rook's {IMAGES_LIST}", (CLUSTER,))
            for image in rook_images(files["rook"][IMAGES_LIST].read_text(encoding="utf-8"))]
    dashboard = files["dashboard"]["recommended.yaml"]
    out += [Wanted(image, "the Dashboard's recommended.yaml", (CLUSTER,))
            for image in manifest_images(parse(dashboard.read_text(encoding="utf-8"), dashboard.name))]
    unique, seen = [], set()
    for w in out:
        key = references.normalize(w.name)
        if key not in seen:
            seen.add(key)
            unique.append(w)
    return unique
