"""Pinned upstream manifests: download once, verify the sha256, keep them in the kit's cache.

A classroom fetches once (or seeds the cache from a folder with `from_dir=`) and works
offline afterwards. A file whose checksum differs from the pin is refused, never cached.
The pins live in `k8slab/data/pins.json`; the Kubernetes Dashboard uses the same code.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import yaml

from k8slab.core.errors import K8sLabError
from k8slab.manifests import loading as manifests

DATA = Path(__file__).resolve().parents[1] / "data"  # package data (k8slab/data/*)
MAX_BYTES = 64 * 1024 * 1024  # the largest pinned file (crds.yaml) is about 1 MB


class FetchError(K8sLabError):
    """A pinned file cannot be had: offline, HTTP error, or no such file in the seed folder."""


class ChecksumMismatch(K8sLabError):
    """A file's sha256 differs from the kit's pin: it was changed or truncated."""


@dataclass(frozen=True)
class Bundle:
    """A set of files pinned by version and sha256, fetched from one base URL."""

    name: str
    version: str
    base_url: str
    sha256: dict
    env_prefix: str

    @property
    def files(self) -> list[str]:
        return list(self.sha256)

    def cache_dir(self, cache: Path) -> Path:
        """Where the pinned files live in the kit's cache (`Settings.cache`)."""
        return Path(cache) / f"{self.name}-{self.version}"

    def url(self, file: str, base_url: str | None = None) -> str:
        base = base_url or os.environ.get(f"{self.env_prefix}_BASE_URL") or self.base_url
        return base.rstrip("/") + "/" + file


def bundle(name: str) -> Bundle:
    pins = json.loads((DATA / "pins.json").read_text(encoding="utf-8"))[name]
    return Bundle(name, pins["version"], pins["base_url"], dict(pins["sha256"]), f"K8SLAB_{name.upper()}")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _verify(b: Bundle, file: str, data: bytes, source: str) -> bytes:
    got, expected = sha256(data), b.sha256[file]
    if got != expected:
        raise ChecksumMismatch(
            f"{file} from {source} has sha256 {got}, expected {expected} ({b.name} {b.version}): refusing it",
            "the file was changed or cut short; fetch it again from the pinned URL, or seed the cache from a verified copy",
        )
    return data


def _download(url: str, file: str, timeout: float, seed_env: str) -> bytes:
    hint = f"offline? seed the cache from a folder holding the files: fetch(from_dir='FOLDER') or {seed_env}=FOLDER"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            data = resp.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as e:
        raise FetchError(f"cannot download {file} from {url}: HTTP {e.code} {e.reason}", hint) from e
    except urllib.error.URLError as e:
        reason = e.reason if not isinstance(e.reason, socket.timeout) else f"no answer in {timeout:g}s"
        raise FetchError(f"cannot download {file} from {url}: {reason}", hint) from e
    except (TimeoutError, socket.timeout) as e:
        raise FetchError(f"cannot download {file} from {url}: no answer in {timeout:g}s", hint) from e
    except OSError as e:
        raise FetchError(f"cannot download {file} from {url}: {e}", hint) from e
    if len(data) > MAX_BYTES:
        raise FetchError(f"{file} from {url} is larger than {MAX_BYTES // 2**20} MB: not the pinned file")
    return data


def _write(path: Path, data: bytes) -> None:
    """Atomically, so an interrupted download never leaves half a file in the cache."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fetch(
    b: Bundle,
    files: list[str] | None = None,
    *,
    from_dir: str | Path | None = None,
    base_url: str | None = None,
    cache: str | Path,
    timeout: float = 30,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Path]:
    """The cached path of each file, fetching what is missing: from `from_dir`, else from
    `base_url`; with neither, from `K8SLAB_<NAME>_FROM_DIR`, else `K8SLAB_<NAME>_BASE_URL`,
    else the pinned upstream URL."""
    say = progress or (lambda _msg: None)
    seed_env = f"{b.env_prefix}_FROM_DIR"
    if from_dir is None and base_url is None:
        from_dir = os.environ.get(seed_env) or None
    directory = b.cache_dir(Path(cache))
    unknown = sorted(set(files or []) - set(b.sha256))
    if unknown:
        raise FetchError(f"{b.name} {b.version} pins no file named {unknown[0]}", f"pinned files: {', '.join(b.files)}")
    out = {}
    for file in files or b.files:
        path = directory / file
        if path.is_file():
            try:
                _verify(b, file, path.read_bytes(), f"the cache ({path})")
                out[file] = path
                continue
            except ChecksumMismatch:
                path.unlink()  # a damaged cache entry: fetch it again below
        if from_dir:
            src = Path(from_dir).expanduser() / file
            try:
                data = src.read_bytes()
            except OSError as e:
                raise FetchError(f"cannot read {file} from the folder {from_dir}: {e.strerror}",
                                 f"the folder needs {', '.join(b.files)}") from e
            _verify(b, file, data, str(src))
            say(f"{file}: copied from {from_dir}, sha256 verified")
        else:
            url = b.url(file, base_url)
            data = _verify(b, file, _download(url, file, timeout, seed_env), url)
            say(f"{file}: downloaded from {url}, sha256 verified")
        _write(path, data)
        out[file] = path
    return out


def read(b: Bundle, file: str, **fetch_args) -> str:
    """One pinned file's text (fetched first if needed)."""
    return fetch(b, [file], **fetch_args)[file].read_text(encoding="utf-8")


def parse(text: str, source: str) -> list[dict]:
    """A pinned file's YAML to checked objects; libyaml when present (Rook's CRDs are a megabyte of YAML)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        docs = [d for d in yaml.load_all(text, Loader=loader) if d]
    except yaml.YAMLError:
        return manifests.load(text)  # the kit's reader says where the YAML is broken
    return [manifests.Located(o, source) for o in manifests.load(docs)]
