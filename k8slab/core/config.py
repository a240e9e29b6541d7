"""Settings: defaults, then a small YAML file, then K8SLAB_* variables, then arguments.

The file is `$K8SLAB_CONFIG`, else `~/.k8slab/config.yaml`, for example::

    provider: kind            # kind | context | node
    cluster_name: k8slab
    context: docker-desktop   # for the context provider
    node_image: kindest/node:v1.32.2   # kind's node image, when not the one pinned for your kind
    workers: 2                # kind: worker nodes beside the control plane (0: a single node)
    images:                   # image overrides, like kustomize's `images:`
      nginx:1.17.0: registry.classroom.local/nginx:1.17.0
    mirrors:                  # registry mirrors the cluster's nodes pull through (k8slab.mirrors)
      docker.io: [http://192.168.1.10:5000]
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

import yaml

from k8slab.core import mirrors as mirroring
from k8slab.core.errors import K8sLabError


@dataclass
class Settings:
    provider: str = "kind"
    cluster_name: str = "k8slab"
    context: str | None = None
    kubeconfig: str | None = None
    containerd: str | None = None
    registry: str | None = None
    node_image: str | None = None
    workers: int = 2
    home: Path = field(default_factory=lambda: Path.home() / ".k8slab")
    images: dict[str, str] = field(default_factory=dict)
    mirrors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def cache(self) -> Path:
        return self.home / "cache"


ENV = {
    "provider": "K8SLAB_PROVIDER",
    "cluster_name": "K8SLAB_CLUSTER",
    "context": "K8SLAB_CONTEXT",
    "kubeconfig": "K8SLAB_KUBECONFIG",
    "containerd": "K8SLAB_CONTAINERD",
    "registry": "K8SLAB_REGISTRY",
    "node_image": "K8SLAB_NODE_IMAGE",
    "workers": "K8SLAB_WORKERS",
    "home": "K8SLAB_HOME",
    "images": "K8SLAB_IMAGES",
    "mirrors": "K8SLAB_MIRRORS",
}


def parse_images(text: str) -> dict[str, str]:
    """`a=b,c=d` (the K8SLAB_IMAGES form) into a map."""
    out = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        old, sep, new = pair.partition("=")
        if not sep or not old or not new:
            raise K8sLabError(f"K8SLAB_IMAGES entry {pair!r} is not IMAGE=REPLACEMENT",
                              "e.g. K8SLAB_IMAGES=nginx:1.17.0=localhost:5000/nginx:1.17.0")
        out[old.strip()] = new.strip()
    return out


def config_file() -> Path:
    return Path(os.environ.get("K8SLAB_CONFIG") or Path(os.environ.get("K8SLAB_HOME") or Path.home() / ".k8slab") / "config.yaml")


def _from_file(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise K8sLabError(f"the settings file {path} is not valid YAML: {str(e).splitlines()[0]}", "fix or delete it") from e
    if not isinstance(data, dict):
        raise K8sLabError(f"the settings file {path} is not a mapping of settings", "write one `key: value` per line, e.g. provider: kind")
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise K8sLabError(f"the settings file {path} has unknown keys {unknown}", f"known keys: {', '.join(sorted(known))}")
    return data


def load(**overrides) -> Settings:
    """The settings: the settings file, then the K8SLAB_* variables, then the arguments; later ones win.

    Used in chapters 03, 04, 05, 07.
    """
    path = config_file()
    values = _from_file(path)
    values["mirrors"] = mirroring.validate(values.get("mirrors") or {}, f"the settings file {path}: mirrors")
    for key, var in ENV.items():
        if os.environ.get(var):
            if key == "images":
                values[key] = {**(values.get("images") or {}), **parse_images(os.environ[var])}
            elif key == "mirrors":
                values[key] = mirroring.merge(values["mirrors"], mirroring.parse(os.environ[var]))
            else:
                values[key] = os.environ[var]
    values["mirrors"] = mirroring.merge(values["mirrors"], mirroring.validate(overrides.pop("mirrors", None) or {}))
    values.update({k: v for k, v in overrides.items() if v is not None})
    if "home" in values:
        values["home"] = Path(values["home"]).expanduser()
    values["workers"] = _workers(values.get("workers", Settings.workers))
    images = dict(values.pop("images", None) or {})
    return Settings(images=images, **values)


MAX_WORKERS = 5


def _workers(value) -> int:
    """The number of kind worker nodes, from the file, K8SLAB_WORKERS or an argument."""
    try:
        workers = int(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else -1
    except ValueError:
        workers = -1
    if not 0 <= workers <= MAX_WORKERS:
        raise K8sLabError(f"workers must be a whole number from 0 to {MAX_WORKERS}, not {value!r}",
                          "e.g. K8SLAB_WORKERS=2, or `k8slab up --workers 2`; 0 makes a single-node cluster")
    return workers
