"""Cluster providers, chosen by name: `kind` (the default), `context` or `node`."""

from __future__ import annotations

from ..config import Settings
from ..errors import ProviderError
from .base import Cluster, Provider
from .context import ContextProvider
from .kind import KindProvider
from .node import NodeProvider

PROVIDERS: dict[str, type[Provider]] = {p.name: p for p in (KindProvider, ContextProvider, NodeProvider)}

__all__ = ["Cluster", "Provider", "PROVIDERS", "get"]


def get(settings: Settings) -> Provider:
    try:
        return PROVIDERS[settings.provider](settings)
    except KeyError:
        raise ProviderError(
            f"unknown provider {settings.provider!r}", f"valid providers: {', '.join(sorted(PROVIDERS))}"
        ) from None
