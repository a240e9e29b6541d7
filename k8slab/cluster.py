"""The learner's cluster: bring it up (or reuse it), ask how it is, take it down."""

from __future__ import annotations

from pathlib import Path

from . import config, providers
from .errors import K8sLabError
from .kube import applying, client as kubeclient
from .providers import kindconfig
from .providers.base import Cluster, Progress

_cluster: Cluster | None = None


def provider(name: str | None = None, **settings) -> providers.Provider:
    return providers.get(config.load(provider=name, **settings))


def up(provider_name: str | None = None, progress: Progress = print, timeout: float = 300, rook: bool = False,
       **settings) -> Cluster:
    """Create the cluster, or reuse the one already there, and make it the kit's current cluster.

    `rook=True` gives a new kind cluster the mounts Rook needs (/dev, /run/udev).
    """
    global _cluster
    p = provider(provider_name, **settings)
    if rook and p.name == "kind":
        p.extra_mounts = kindconfig.rook_mounts()
    _cluster = p.up(progress, timeout)
    return _cluster


def down(provider_name: str | None = None, progress: Progress = print, **settings) -> bool:
    global _cluster
    deleted = provider(provider_name, **settings).down(progress)
    _cluster = None
    return deleted


def current() -> Cluster:
    if _cluster is None:
        raise K8sLabError("no cluster yet", "run `lab.up()` first")
    return _cluster


def load_image(image: str) -> str:
    """Put a local image into the cluster's nodes; returns the name to use in manifests.

    An image tagged `latest` (or not at all) is first tagged by its content: with `:latest`,
    Kubernetes defaults imagePullPolicy to Always and tries a registry instead of the node
    (kind issue 328). A content tag also changes whenever the image does, so a rollout follows.
    """
    from . import images

    tagged = image.rsplit("/", 1)[-1]
    if ":" not in tagged or tagged.endswith(":latest"):
        image = images.content_tag(image)
    current().provider.load_image(image)
    return image


def node_path(host_path: str | Path) -> str:
    """Where a folder of this machine appears on the nodes (for a hostPath volume)."""
    return current().provider.node_path(Path(host_path))


def status(provider_name: str | None = None, **settings) -> dict:
    """What the kit knows: provider, cluster, API server, version, nodes. Never raises for a stopped cluster."""
    p = provider(provider_name, **settings)
    info = {"provider": p.name, "cluster": p.cluster_name, "exists": False, "ready": False}
    try:
        info["exists"] = p.exists()
        if info["exists"]:
            kube = kubeclient.Kube(p.kubeconfig())
            info.update(server=kube.host, version=kube.version(), ready=kube.readyz().strip() == "ok")
            info["nodes"] = [n["metadata"]["name"] for n in applying.list_objects("Node", kube=kube)]
            kube.close()
    except K8sLabError as e:
        info["error"] = str(e)
    return info
