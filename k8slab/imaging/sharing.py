"""Images leaving Docker: pushed to a registry, pulled back, saved to a tar for a cluster's nodes or
a workshop bundle, loaded from one, tagged by content, removed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator, Mapping

import docker

from k8slab.core import references
from k8slab.core.config import Settings
from k8slab.core.errors import ImageError
from k8slab.core.tools import Progress
from k8slab.imaging.engine import image_id, printed, resolve, sdk, stream, translating


def push(image: str, registry: str | None = None, progress: Progress = print, *, overrides: Mapping[str, str] | None = None,
         settings: Settings | None = None) -> str:
    """Push `image` to `registry` (host:port); returns the pushed reference BY DIGEST.

    On a learner's machine a local registry is one container:
    `docker run -d -p 5000:5000 --name registry registry:2`, then push(image, "localhost:5000").
    """
    image = resolve(image, overrides, say=printed(progress))
    registry = registry or (settings.registry if settings else None)
    if not registry:
        raise ImageError(f"no registry to push {image} to",
                         "start one (`docker run -d -p 5000:5000 registry:2`) and pass registry='localhost:5000'")
    _, path, tag, _ = references.split_ref(image)
    target = f"{registry}/{path}"
    api = sdk()
    with translating(f"tagging {image} for {registry}"):
        api.tag(image, target, tag or "latest")
    try:
        progress(f"pushing {target}:{tag or 'latest'}")
        aux = stream(lambda: api.push(target, tag or "latest", stream=True, decode=True), progress, f"pushing {image} to {registry}",
                      f"is a registry running at {registry}? (`docker run -d -p 5000:5000 registry:2`)")
    finally:
        with translating(f"untagging {target}"):
            api.remove_image(f"{target}:{tag or 'latest'}")  # the image keeps its own tag
    digest = (aux or {}).get("Digest")
    if not digest:
        raise ImageError(f"pushing {image} to {registry}: the registry reported no digest")
    return f"{target}@{digest}"


def pull(ref: str, progress: Progress = print, *, overrides: Mapping[str, str] | None = None) -> str:
    """Pull `ref` (by tag or by digest: `host:port/hello@sha256:...`); returns the image id."""
    ref = resolve(ref, overrides, say=printed(progress))
    stream(lambda: sdk().pull(ref, stream=True, decode=True), progress, f"pulling {ref}",
            "check the name, and that the registry is running and reachable")
    pulled = image_id(ref)
    if not pulled:
        raise ImageError(f"pulling {ref}: Docker has no such image afterwards")
    return pulled


def export(image: str) -> Iterator[bytes]:
    """The image as a `docker save` tar stream (what `ctr images import -` and `kind load` read)."""
    api = sdk()
    with translating(f"exporting {image}"):
        api.inspect_image(image)
        chunks = api.get_image(image, chunk_size=1 << 20)

    def relay() -> Iterator[bytes]:
        with translating(f"exporting {image}"):
            yield from chunks

    return relay()


def content_tag(image: str) -> str:
    """Tag `image` by its content (`hello:<short image id>`) and return that tag.

    Why: a pod whose image is `hello:latest` (or untagged) gets imagePullPolicy Always, so
    the kubelet tries Docker Hub even though the image was loaded into the node, and the pod
    fails with ErrImagePull (kind issue 328). A tag named by the content is not `latest`, and
    it changes whenever the image does, so a Deployment updated to it really rolls out.

    Used in chapter 05.
    """
    with translating(f"tagging {image} by its content"):
        image_id = sdk().inspect_image(image)["Id"]
        registry, path, _, _ = references.split_ref(image)
        repo = f"{registry}/{path}" if registry else path
        if re.fullmatch(r"(sha256:)?[0-9a-f]{12,64}", image):
            repo = "image"  # given by id: there is no name to keep
        short = image_id.split(":")[-1][:12]
        sdk().tag(image_id, repo, short)
    return f"{repo}:{short}"


def remove(*images: str) -> None:
    """Remove images (tags or ids) from Docker; ones already gone are skipped.

    Used in chapter 05.
    """
    with translating("removing images"):
        for image in images:
            try:
                sdk().remove_image(image, force=True)
            except docker.errors.NotFound:
                pass


def save(image: str, dest: Path) -> int:
    """`docker save IMAGE -o DEST`; returns its size in bytes."""
    with open(dest, "wb") as out:
        for chunk in export(image):
            out.write(chunk)
    return dest.stat().st_size


def load(archive: Path) -> list[str]:
    """`docker load -i ARCHIVE` (a `docker save` tar); returns the names (or ids) it loaded."""
    loaded = []
    with open(archive, "rb") as f, translating(f"loading {archive.name} into Docker"):
        for chunk in sdk().load_image(f):
            error = chunk.get("error") or ("stream" not in chunk and "status" not in chunk and chunk.get("message"))
            if error:
                raise ImageError(f"loading {archive.name} into Docker: {error}")
            text = chunk.get("stream", "")
            for prefix in ("Loaded image: ", "Loaded image ID: "):
                if text.startswith(prefix):
                    loaded.append(text[len(prefix):].strip())
    return loaded
