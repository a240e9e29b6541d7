"""`k8slab bundle load FILE`: on each laptop, with no network. Checks the whole file first, then
puts the node image into Docker, the files into the kit's cache and the images into the
cluster's nodes (or a registry). Loading twice is fine: each step replaces what is there."""

from __future__ import annotations

import dataclasses
import json
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Callable

from k8slab import imaging as images
from k8slab.clusters import fetching, providers
from k8slab.clusters.providers import kind
from k8slab.core import config
from k8slab.core.tools import Progress
from k8slab.imaging.records import human
from k8slab.lessons.bundling import archive, contents, pulling
from k8slab.lessons.bundling.progress import Meter


def load(path: str | Path, registry: str | None = None, *, settings: config.Settings, progress: Progress = print,
         meter: Meter | None = None) -> archive.Index:
    """Verify, then load; `registry` (host:port) gets the cluster's images instead of the nodes (else the
    cluster `settings` name, brought up from the bundle's node image)."""
    path = Path(path).expanduser().resolve()
    started = time.monotonic()
    size = path.stat().st_size if path.is_file() else 0
    progress(f"checking {path} ({human(size)}) against its bundle.json")
    index = archive.verify(path, meter and (lambda n: meter(n, size)))
    progress(f"checked: {len(index.members)} members match their sha256 and size")
    with tarfile.open(path, "r:") as tar, tempfile.TemporaryDirectory(prefix="k8slab-bundle-") as tmp:
        scratch = Path(tmp)

        def unpack(member: str, name: str = "image.tar") -> Path:
            return archive.extract(tar, path, index, member, scratch / name)

        _load_node_image(index, unpack, progress, settings)
        _load_files(index, unpack, scratch, progress, settings)
        rest = [(i, im) for i, im in enumerate(index.images, 1) if im["name"] != index.node_image]
        c = None
        if registry is None and any(contents.CLUSTER in im["into"] for _, im in rest):
            c = providers.get(dataclasses.replace(settings, node_image=index.node_image)).up(progress)
        for i, image in rest:
            where = _place(unpack(image["archive"]), image, registry, c, scratch)
            progress(f"[{i}/{len(index.images)}] {image['name']} ({image['source']}) -> {', '.join(where)}, {_size(index, image)}")
    progress(f"loaded {path.name} in {time.monotonic() - started:.0f}s")
    return index


def _load_node_image(index: archive.Index, unpack: Callable[[str], Path], progress: Progress, settings: config.Settings) -> None:
    """Into Docker first: `k8slab up` makes the cluster from it."""
    for i, image in enumerate(index.images, 1):
        if image["name"] == index.node_image:
            loaded = images.load(unpack(image["archive"]))
            _remember_node_image(settings, image["name"], loaded)
            progress(f"[{i}/{len(index.images)}] {image['name']} ({image['source']}) -> Docker, {_size(index, image)}")


def _load_files(index: archive.Index, unpack: Callable[[str, str], Path], scratch: Path, progress: Progress,
               settings: config.Settings) -> None:
    """Each set of pinned files into the kit's cache, as if fetched from upstream."""
    by_set: dict[str, list[dict]] = {}
    for m in index.manifests:
        by_set.setdefault(m["set"], []).append(m)
    for name, members in by_set.items():
        folder = scratch / name
        folder.mkdir()
        for m in members:
            unpack(m["path"], f"{name}/{m['file']}")
        b = next(b for b in contents.pinned_files() if b.name == name)
        fetching.fetch(b, [m["file"] for m in members], from_dir=folder, cache=settings.cache)
        progress(f"{name} {members[0]['version']}: {', '.join(m['file'] for m in members)} into the kit's cache")


def _place(file: Path, image: dict, registry: str | None, c: providers.Cluster | None, scratch: Path) -> list[str]:
    """One image archive into the registry or the cluster's nodes, and Docker; where it went."""
    where = []
    if contents.CLUSTER in image["into"]:
        if registry:
            where.append(pulling.push(file, image["name"], registry, scratch))
        else:
            c.provider.load_archive(file)
            where.append(f"the nodes of {c.name}")
    if contents.DOCKER in image["into"] and not registry:
        images.load(file)
        where.insert(0, "Docker")
    return where


def _size(index: archive.Index, image: dict) -> str:
    return human(index.members[image["archive"]]["size"])


def _remember_node_image(settings: config.Settings, name: str, loaded: list[str]) -> None:
    """A digest-pinned node image loses its digest in `docker load`: record its id for `k8slab up`."""
    if "@" not in name or not loaded:
        return
    image_id = images.image_id(loaded[0])
    record = settings.cache / kind.BUNDLED
    known = json.loads(record.read_text(encoding="utf-8")) if record.is_file() else {}
    known[name] = image_id
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(known, indent=2) + "\n", encoding="utf-8")
