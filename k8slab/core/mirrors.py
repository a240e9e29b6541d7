"""Registry mirrors: which mirrors the cluster's nodes pull each registry's images through.

The setting maps a registry (docker.io, quay.io, registry.k8s.io, or any other name) to mirror
URLs, tried in order before the registry itself. The kit renders one containerd `hosts.toml`
per registry into `<K8SLAB_HOME>/certs.d/<registry>/`; a kind node sees that folder as
/etc/containerd/certs.d, the folder containerd's `config_path` names, and containerd reads
it at every pull, so a changed setting applies without restarting anything.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from k8slab.core.errors import K8sLabError

# The real address of each registry, where containerd goes when no mirror has the image.
UPSTREAMS = {
    "docker.io": "https://registry-1.docker.io",
    "quay.io": "https://quay.io",
    "registry.k8s.io": "https://registry.k8s.io",
}
IN_NODE = "/etc/containerd/certs.d"
HEADER = "# Written by k8slab from its `mirrors` setting; `k8slab up` rewrites it.\n"
EXAMPLE = "e.g. K8SLAB_MIRRORS=docker.io=https://a.example|https://b.example,quay.io=https://c.example"

_REGISTRY = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$")
_HOST = re.compile(r"^([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$")


def validate(mirrors: dict, where: str = "mirrors") -> dict[str, list[str]]:
    """{registry: [url, ...]} with each URL checked (http or https, a host); a single URL may stand for a list."""
    if not isinstance(mirrors, dict):
        raise K8sLabError(f"{where} must map a registry to mirror URLs", "e.g. mirrors: {docker.io: [https://mirror.example]}")
    out = {}
    for registry, urls in mirrors.items():
        registry = str(registry).strip().lower()
        if not _REGISTRY.match(registry):
            raise K8sLabError(f"{where}: {registry!r} is not a registry name",
                              "write the registry as images name it: docker.io, quay.io, registry.k8s.io")
        urls = [urls] if isinstance(urls, str) else urls
        if not isinstance(urls, list) or not urls:
            raise K8sLabError(f"{where}: {registry} needs one or more mirror URLs", "e.g. docker.io: [https://mirror.example]")
        out[registry] = [_url(str(u), registry, where) for u in urls]
    return out


def _url(url: str, registry: str, where: str) -> str:
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not _HOST.match(parts.netloc) or parts.path or parts.query or parts.fragment:
        raise K8sLabError(f"{where}: mirror {url!r} of {registry} is not an http:// or https:// URL of a host",
                          "e.g. https://mirror.example or http://192.168.1.10:5000, with no path")
    return url


def parse(text: str, where: str = "K8SLAB_MIRRORS") -> dict[str, list[str]]:
    """`docker.io=https://a|https://b,quay.io=https://c` (the K8SLAB_MIRRORS form) into the setting."""
    out: dict[str, list[str]] = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        registry, sep, urls = pair.partition("=")
        if not sep or not registry.strip() or not urls.strip():
            raise K8sLabError(f"{where} entry {pair!r} is not REGISTRY=URL|URL", EXAMPLE)
        out.setdefault(registry.strip(), []).extend(u for u in urls.split("|") if u.strip())
    return validate(out, where)


def from_options(options: tuple[str, ...] | list[str]) -> dict[str, list[str]]:
    """Repeated `--mirror REGISTRY=URL`; a registry given twice keeps both URLs, in order."""
    return parse(",".join(options), "--mirror") if options else {}


def hosts_toml(registry: str, urls: list[str]) -> str:
    """containerd's hosts.toml for one registry: the mirrors in order, then the registry itself."""
    lines = [HEADER, f'server = "{UPSTREAMS.get(registry, "https://" + registry)}"\n']
    for url in urls:
        lines.append(f'\n[host."{url}"]\n  capabilities = ["pull", "resolve"]\n')
    return "".join(lines)


def write(folder: Path, mirrors: dict[str, list[str]]) -> bool:
    """Make `folder` hold exactly the setting's hosts.toml files; True when anything changed.

    The folder itself stays (a kind node has it bind-mounted); files the kit did not write stay too.
    """
    folder.mkdir(parents=True, exist_ok=True)
    changed = False
    for registry, urls in mirrors.items():
        path = folder / registry / "hosts.toml"
        text = hosts_toml(registry, urls)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed = True
    for path in folder.glob("*/hosts.toml"):
        if path.parent.name not in mirrors and path.read_text(encoding="utf-8").startswith(HEADER):
            path.unlink()
            if not any(path.parent.iterdir()):
                path.parent.rmdir()
            changed = True
    return changed


def describe(mirrors: dict[str, list[str]]) -> str:
    return "; ".join(f"{registry} via {', '.join(urls)}" for registry, urls in mirrors.items()) or "none"


def merge(*layers: dict[str, list[str]] | None) -> dict[str, list[str]]:
    """Later layers win per registry (file, then K8SLAB_MIRRORS, then arguments)."""
    out: dict[str, list[str]] = {}
    for layer in layers:
        out.update(layer or {})
    return out
