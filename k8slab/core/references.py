"""Image references, and the image override map: one rule for every place the kit meets an image.

Docker and containerd read `nginx:1.17.0`, `library/nginx:1.17.0` and `docker.io/library/nginx:1.17.0`
as one image, so the override map (K8SLAB_IMAGES, `images:` in the settings file) matches them as one
too: in builds, `run_local`, manifests, `%kubectl --image` and Rook's files alike.
"""

from __future__ import annotations

from typing import Mapping


def split_ref(ref: str) -> tuple[str | None, str, str | None, str | None]:
    """`registry/path:tag@digest` into its parts (registry None for Docker Hub names)."""
    rest, _, digest = ref.partition("@")
    first, slash, remainder = rest.partition("/")
    registry = None
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, rest = first, remainder
    path, colon, tag = rest.rpartition(":")
    if not colon or "/" in tag:
        path, tag = rest, ""
    return registry, path, tag or None, digest or None


def normalize(ref: str) -> str:
    """`node:7`, `library/node:7`, `index.docker.io/node:7` all become `docker.io/library/node:7`."""
    registry, path, tag, digest = split_ref(ref)
    registry = "docker.io" if registry in (None, "index.docker.io") else registry
    if registry == "docker.io" and "/" not in path:
        path = f"library/{path}"
    out = f"{registry}/{path}"
    if tag or not digest:
        out += f":{tag or 'latest'}"
    return out + (f"@{digest}" if digest else "")


def override(image: object, overrides: Mapping[str, str] | None) -> str | None:
    """What the override map puts in place of `image`, or None when it leaves it as it is."""
    if not overrides or not isinstance(image, str) or not image.strip():
        return None
    new = overrides.get(image)
    if new is None:
        wanted = normalize(image)
        new = next((v for k, v in overrides.items() if normalize(k) == wanted), None)
    return new if new and new != image else None
