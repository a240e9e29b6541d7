"""`k8slab bundle create FILE`: once, on a teacher's machine with a network."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from k8slab import __version__
from k8slab.clusters import fetching
from k8slab.core import config
from k8slab.core.tools import Progress
from k8slab.imaging.records import human
from k8slab.lessons.bundling import archive, contents, pulling
from k8slab.lessons.bundling.progress import Meter


def create(path: str | Path, progress: Progress = print, meter: Meter | None = None,
           *, settings: config.Settings) -> archive.Index:
    """Write the bundle to `path` (through `path.partial`, renamed at the end: never half a bundle)."""
    path = Path(path).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    files = {b.name: (b, fetching.fetch(b, cache=settings.cache, progress=progress)) for b in contents.pinned_files()}
    wanted = contents.wanted({name: paths for name, (_, paths) in files.items()}, settings)
    index = archive.Index(kit=__version__, node_image=wanted[0].name)
    progress(f"bundling {len(wanted)} images and {sum(len(p) for _, p in files.values())} files into {path}")
    partial = path.with_name(path.name + ".partial")
    writer = archive.Writer(partial, index)
    try:
        with tempfile.TemporaryDirectory(prefix=".k8slab-bundle-", dir=path.parent) as tmp:
            for i, w in enumerate(wanted, 1):
                member = archive.member_name(w.name)
                scratch = Path(tmp) / "image.tar"
                how = pulling.get(w.name, scratch, settings.mirrors, say=lambda _line: None)
                size = scratch.stat().st_size
                writer.add(member, scratch, meter and (lambda n, total=size: meter(n, total)))
                scratch.unlink()
                index.images.append({"name": w.name, "source": w.source, "into": list(w.into), "archive": member,
                                     "from": how})
                progress(f"[{i}/{len(wanted)}] {w.name} ({w.source}): from {how}, {human(size)}")
        for b, paths in files.values():
            for file, p in paths.items():
                member = f"manifests/{b.name}-{b.version}/{file}"
                writer.add(member, p)
                index.manifests.append({"set": b.name, "version": b.version, "file": file, "path": member})
            progress(f"{b.name} {b.version}: {', '.join(paths)}")
        writer.close()
        os.replace(partial, path)
    except BaseException:
        writer.abort()
        partial.unlink(missing_ok=True)
        raise
    progress(f"wrote {path}: {human(index.total + len(index.to_json()))} in {time.monotonic() - started:.0f}s; "
             f"`k8slab bundle load {path.name}` on each laptop")
    return index
