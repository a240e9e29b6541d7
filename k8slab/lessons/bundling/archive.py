"""The bundle file: a plain tar that any tar tool lists and unpacks.

    images/<name>.tar          one `docker save` archive per image (`docker load -i` reads it)
    manifests/<set>/<file>     the pinned files the kit fetches (Rook's, the Dashboard's)
    bundle.json                what is in it: format, kit version, images, files, and the sha256
                               and size of every other member (written last, once they are known)

`verify` reads the whole file and checks every member against bundle.json before anything is
loaded: a copy cut short, changed, or with a member missing or added is refused.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from k8slab.core.errors import K8sLabError

FORMAT = 1
INDEX = "bundle.json"
CHUNK = 1 << 20

Meter = Callable[[int], None]  # bytes done so far (of the item at hand)


class BundleDamaged(K8sLabError):
    """A bundle file that does not match its own bundle.json: cut short, changed, or not a bundle."""


def damaged(path: Path, what: str) -> BundleDamaged:
    return BundleDamaged(f"bundle {path} is damaged: {what}", "copy it again from the teacher")


def member_name(image: str) -> str:
    """`quay.io/ceph/ceph:v20.2.4` -> `images/quay.io_ceph_ceph_v20.2.4.tar` (digests shortened)."""
    name, _, digest = image.partition("@")
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name) + (f"_{digest.split(':')[-1][:12]}" if digest else "")
    return f"images/{safe}.tar"


@dataclass
class Index:
    """bundle.json."""

    kit: str
    node_image: str
    images: list[dict] = field(default_factory=list)  # name, source, into, archive, from, id
    manifests: list[dict] = field(default_factory=list)  # set, version, file, path
    members: dict[str, dict] = field(default_factory=dict)  # path -> {sha256, size}
    format: int = FORMAT

    def to_json(self) -> bytes:
        return (json.dumps(self.__dict__, indent=2) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes, path: Path) -> "Index":
        try:
            raw = json.loads(data)
            if raw.get("format") != FORMAT:
                raise K8sLabError(f"bundle {path} has format {raw.get('format')!r}; this kit reads format {FORMAT}",
                                  "make the bundle with the same k8slab version as the laptops run")
            return cls(**{k: raw[k] for k in ("kit", "node_image", "images", "manifests", "members", "format")})
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise damaged(path, f"its {INDEX} is not a bundle index") from e

    @property
    def total(self) -> int:
        return sum(m["size"] for m in self.members.values())


class _Hashing:
    """A file object that hashes and counts what is read through it."""

    def __init__(self, f: BinaryIO, meter: Meter | None = None):
        self.f, self.meter, self.sha, self.size = f, meter, hashlib.sha256(), 0

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self.sha.update(data)
        self.size += len(data)
        if self.meter:
            self.meter(self.size)
        return data


class Writer:
    """Members go straight into `path`; `close()` adds bundle.json with their sums."""

    def __init__(self, path: Path, index: Index):
        self.path, self.index = path, index
        self.tar = tarfile.open(path, "w", format=tarfile.PAX_FORMAT)

    def add(self, name: str, source: Path, meter: Meter | None = None) -> dict:
        info = tarfile.TarInfo(name)
        info.size, info.mode = source.stat().st_size, 0o644
        with open(source, "rb") as f:
            hashing = _Hashing(f, meter)
            self.tar.addfile(info, hashing)
        self.index.members[name] = {"sha256": hashing.sha.hexdigest(), "size": hashing.size}
        return self.index.members[name]

    def add_bytes(self, name: str, data: bytes) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(data), 0o644
        self.tar.addfile(info, io.BytesIO(data))
        self.index.members[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}

    def close(self) -> None:
        data = self.index.to_json()
        info = tarfile.TarInfo(INDEX)
        info.size, info.mode = len(data), 0o644
        self.tar.addfile(info, io.BytesIO(data))
        self.tar.close()

    def abort(self) -> None:
        self.tar.close()


def _members(tar: tarfile.TarFile, path: Path) -> Iterator[tarfile.TarInfo]:
    try:
        yield from tar
    except (tarfile.TarError, EOFError, OSError) as e:
        raise damaged(path, f"it is cut short or not a tar file ({e})") from e


def verify(path: Path, meter: Meter | None = None) -> Index:
    """bundle.json, once every member's sha256 and size match it (one read of the whole file)."""
    path = Path(path)
    if not path.is_file():
        raise K8sLabError(f"no bundle file {path}", "pass the file `k8slab bundle create` wrote")
    seen, index_data = _read_all(path, meter)
    if index_data is None:
        raise damaged(path, f"it has no {INDEX} (cut short, or not a k8slab bundle)")
    index = Index.from_json(index_data, path)
    _compare(path, index.members, seen)
    return index


def _read_all(path: Path, meter: Meter | None) -> tuple[dict[str, dict], bytes | None]:
    """Every member's sha256 and size, and the bytes of bundle.json (None if it has none)."""
    seen: dict[str, dict] = {}
    index_data = None
    done = 0
    try:
        tar = tarfile.open(path, "r:")
    except (tarfile.TarError, EOFError, OSError) as e:
        raise damaged(path, f"it is not a tar file ({e})") from e
    with tar:
        for info in _members(tar, path):
            if not info.isfile():
                raise damaged(path, f"{info.name} is not a plain file")
            if info.name in seen or (info.name == INDEX and index_data is not None):
                raise damaged(path, f"it holds {info.name} twice")
            hashing = _read_member(tar, info, path, (lambda n, base=done: meter(base + n)) if meter else None)
            done += hashing.size
            if info.name == INDEX:
                hashing.f.seek(0)
                index_data = hashing.f.read()
            else:
                seen[info.name] = {"sha256": hashing.sha.hexdigest(), "size": hashing.size}
    return seen, index_data


def _read_member(tar: tarfile.TarFile, info: tarfile.TarInfo, path: Path, meter: Meter | None) -> _Hashing:
    hashing = _Hashing(tar.extractfile(info), meter)
    try:
        while hashing.read(CHUNK):
            pass
    except (tarfile.TarError, EOFError, OSError) as e:
        raise damaged(path, f"it is cut short inside {info.name}") from e
    if hashing.size != info.size:
        raise damaged(path, f"it is cut short inside {info.name}")
    return hashing


def _compare(path: Path, members: dict[str, dict], seen: dict[str, dict]) -> None:
    """Refuse a member missing, changed or not listed in bundle.json."""
    for name, want in members.items():
        got = seen.get(name)
        if got is None:
            raise damaged(path, f"{name} is missing")
        if got["size"] != want["size"]:
            raise damaged(path, f"{name} has {got['size']} bytes, not {want['size']}")
        if got["sha256"] != want["sha256"]:
            raise damaged(path, f"{name} does not match its checksum")
    extra = sorted(set(seen) - set(members))
    if extra:
        raise damaged(path, f"{extra[0]} is not listed in its {INDEX}")


def extract(tar: tarfile.TarFile, path: Path, index: Index, name: str, dest: Path) -> Path:
    """One member of the open bundle `tar` into the file `dest`, checked again while it is written."""
    want = index.members[name]
    try:
        src = tar.extractfile(tar.getmember(name))
    except KeyError as e:
        raise damaged(path, f"{name} is missing") from e
    hashing = _Hashing(src)
    tmp = dest.with_name(dest.name + ".partial")
    with open(tmp, "wb") as out:
        while chunk := hashing.read(CHUNK):
            out.write(chunk)
    if hashing.sha.hexdigest() != want["sha256"] or hashing.size != want["size"]:
        tmp.unlink()
        raise damaged(path, f"{name} does not match its checksum")
    os.replace(tmp, dest)
    return dest
