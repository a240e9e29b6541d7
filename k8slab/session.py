"""The learner's session: the settings (read once), the provider and the API connection of the
cluster chosen last. `lab.up()` and `lab.use()` start one; every module reads it from here, so
the kit always acts on the cluster the learner chose last (chapter 1 onwards).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from . import config
from .errors import ClusterUnreachable, K8sLabError

if TYPE_CHECKING:
    from .kube.client import Kube
    from .providers.base import Provider

NO_CLUSTER_HINT = "run `lab.up()` (or `lab.use(kubeconfig)`) first"


@dataclass
class Session:
    """What the kit acts on: the settings, the provider that made (or names) the cluster, the API connection."""

    settings: config.Settings
    provider: Provider | None = None
    kube: Kube | None = None
    kubeconfig: Path | None = None
    connect: Callable[[], Kube] | None = None  # makes `kube` on first use (`k8slab up` needs none)


_current: Session | None = None
_lock = threading.Lock()


def current() -> Session:
    """The session chosen last; before `lab.up()`/`lab.use()`, one with the settings alone (read now, once)."""
    global _current
    with _lock:
        if _current is None:
            _current = Session(config.load())
        return _current


def start(settings: config.Settings, provider: Provider | None = None, kube: Kube | None = None,
          kubeconfig: Path | None = None, connect: Callable[[], Kube] | None = None) -> Session:
    """Make this the session every module acts on (widgets still showing the previous cluster keep
    their own connection to it)."""
    global _current
    with _lock:
        _current = Session(settings, provider, kube, kubeconfig, connect)
    return _current


def end() -> None:
    """No cluster chosen any more (after `lab.down()`); the settings are read again when next needed."""
    global _current
    with _lock:
        _current = None


def settings() -> config.Settings:
    return current().settings


def kube() -> Kube:
    """The API connection of the cluster chosen last."""
    chosen = current()
    if chosen.kube is None and chosen.connect is not None:
        with _lock:
            if chosen.kube is None:
                chosen.kube = chosen.connect()
    if chosen.kube is None:
        raise ClusterUnreachable("no cluster selected", NO_CLUSTER_HINT)
    return chosen.kube


def provider() -> Provider:
    """The provider of the cluster chosen last (it loads images, finds node paths, knows its nodes)."""
    found = current().provider
    if found is None:
        raise K8sLabError("no cluster yet", NO_CLUSTER_HINT)
    return found
