"""Cluster providers, chosen by name: `kind` (the default), `context` or `node`."""

from __future__ import annotations

from k8slab.clusters.providers.base import Cluster, Provider
from k8slab.clusters.providers.context import ContextProvider
from k8slab.clusters.providers.kind import KindProvider
from k8slab.clusters.providers.node import NodeProvider
from k8slab.core.config import Settings
from k8slab.core.errors import ProviderError

PROVIDERS: dict[str, type[Provider]] = {p.name: p for p in (KindProvider, ContextProvider, NodeProvider)}

__all__ = ["Cluster", "Provider", "PROVIDERS", "get"]


def get(settings: Settings) -> Provider:
    try:
        return PROVIDERS[settings.provider](settings)
    except KeyError:
        raise ProviderError(
            f"unknown provider {settings.provider!r}", f"valid providers: {', '.join(sorted(PROVIDERS))}"
        ) from None


def load_image(provider: Provider, image: str) -> str:
    """Put a local image into the provider's nodes, tagged by its content when it has no tag or
    `latest` (Kubernetes would pull `:latest` from a registry; kind issue 328); returns its name."""
    from k8slab import imaging as images

    tagged = image.rsplit("/", 1)[-1]
    if ":" not in tagged or tagged.endswith(":latest"):
        image = images.content_tag(image)
    provider.load_image(image)
    return image


def describe(kube) -> dict:
    """The API server, its version, whether it is ready, and the names of its nodes."""
    from k8slab.kube import applying

    nodes = applying.list_objects("Node", kube=kube)
    return {"server": kube.host, "version": kube.version(), "ready": kube.readyz().strip() == "ok",
            "nodes": [n["metadata"]["name"] for n in nodes]}
