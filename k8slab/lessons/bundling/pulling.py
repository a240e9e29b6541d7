"""Getting an image into a `docker save` archive, the way this machine can, and pushing one to a registry.

- Docker has it already: `docker save` (no network);
- else skopeo (Debian's `skopeo`; no daemon): registry -> archive, through the kit's `mirrors`
  setting written as a containers-registries.conf for this one call;
- else `docker pull` then `docker save` (Docker's own configuration says where it pulls from).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

from k8slab import imaging as images
from k8slab.core import references
from k8slab.core.errors import K8sLabError
from k8slab.core.tools import run

TIMEOUT = 3600  # one image over a slow link


def docker_answers() -> bool:
    try:
        images.ping()
        return True
    except K8sLabError:
        return False


def registries_conf(mirrors: dict[str, list[str]]) -> str:
    """The kit's mirrors in containers-registries.conf(5) form (what skopeo reads)."""
    out = ['unqualified-search-registries = ["docker.io"]\n']
    for registry, urls in mirrors.items():
        out.append(f'\n[[registry]]\nprefix = "{registry}"\nlocation = "{registry}"\n')
        for url in urls:
            parts = urlsplit(url)
            out.append(f'[[registry.mirror]]\nlocation = "{parts.netloc}"\n')
            if parts.scheme == "http":
                out.append("insecure = true\n")
    return "".join(out)


def archive_ref(image: str) -> str:
    """The name an archive carries (docker-archive names hold no digest): `docker.io/library/nginx:1.17.0`."""
    registry, path, tag, digest = references.split_ref(references.normalize(image))
    return f"{registry}/{path}:{tag}" if tag else ""


def skopeo(mirrors: dict[str, list[str]], scratch: Path) -> list[str]:
    """`skopeo` reading only the kit's mirrors, not the machine's registries.conf."""
    conf = scratch / "registries.conf"
    conf.write_text(registries_conf(mirrors), encoding="utf-8")
    return ["skopeo", "--registries-conf", str(conf)]


def get(image: str, dest: Path, mirrors: dict[str, list[str]], say=lambda _line: None) -> str:
    """Write `image` to `dest` as a docker-archive; returns how it was had."""
    docker = docker_answers()
    try:
        if docker and images.image_id(image):
            images.save(image, dest)
            return "Docker"
        if shutil.which("skopeo"):
            ref = archive_ref(image)
            target = f"docker-archive:{dest}" + (f":{ref}" if ref else "")
            run([*skopeo(mirrors, dest.parent), "copy", "--quiet", f"docker://{references.normalize(image)}", target],
                f"copying {image} with skopeo", timeout=TIMEOUT)
            return "skopeo" + (f" (mirrors: {', '.join(mirrors)})" if mirrors else "")
        if docker:
            images.pull(image, progress=say, overrides={})
            images.save(image, dest)
            return "docker pull"
    except K8sLabError as e:
        dest.unlink(missing_ok=True)
        raise K8sLabError(f"cannot get {image} for the bundle: {e.message}",
                          e.hint or "is the registry (or its mirror) reachable? `k8slab doctor` checks Docker") from e
    raise K8sLabError(f"cannot get {image} for the bundle: neither Docker nor skopeo is here",
                      "start Docker, or install skopeo (`apt-get install skopeo`)")


def push(archive: Path, image: str, registry: str, scratch: Path) -> str:
    """Put the image of `archive` into `registry` (host:port) under its own path, as a mirror serves it."""
    _, path, tag, _ = references.split_ref(references.normalize(image))
    target = f"{registry}/{path}:{tag or 'latest'}"
    if shutil.which("skopeo"):
        run([*skopeo({}, scratch), "copy", "--quiet", "--dest-tls-verify=false", f"docker-archive:{archive}",
             f"docker://{target}"], f"pushing {image} to {registry} with skopeo", timeout=TIMEOUT)
    else:
        images.load(archive)
        images.push(references.normalize(image), registry, progress=lambda _line: None, overrides={})
    return target
