"""The learner's session: the settings (read once), the provider and the API connection of the
cluster chosen last (chapter 1 onwards).

Only the doors the learner uses resolve it: `lab.*` (k8slab/__init__), the cell magics and the
command line. Everything below takes `kube`, `settings`, `provider` and `overrides` as keyword
arguments; `bind` fills them in from the session where the caller gave none, at call time, so a
call made after `lab.use(...)` acts on the cluster chosen then.
"""

from __future__ import annotations

import functools
import inspect
import threading
import types
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from k8slab.core import config
from k8slab.core.errors import ClusterUnreachable, K8sLabError

if TYPE_CHECKING:
    from k8slab.clusters.providers.base import Provider
    from k8slab.kube.client import Kube

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
    """Make this the session every later call acts on (widgets still showing the previous cluster
    keep their own connection to it)."""
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
    """The API connection of the cluster chosen last, made on first use and kept for the session."""
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


SUPPLIED: dict[str, Callable[[], object]] = {
    "kube": kube, "settings": settings, "provider": provider, "overrides": lambda: settings().images,
}


@functools.lru_cache(maxsize=None)
def bind(fn: Callable) -> Callable:
    """`fn` with the session's kube, settings, provider and image overrides passed in, for those of
    its keyword-only parameters the caller leaves out; anything else unchanged."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn
    wanted = [n for n in SUPPLIED if n in params and params[n].kind is inspect.Parameter.KEYWORD_ONLY]
    if not wanted:
        return fn

    @functools.wraps(fn)
    def with_session(*args, **kwargs):
        for name in wanted:
            if name not in kwargs:
                kwargs[name] = SUPPLIED[name]()
        return fn(*args, **kwargs)

    return with_session


class Bound:
    """A module of the kit as the learner sees it (`lab.checks`, `lab.widgets`): its functions and
    classes act on the session's cluster unless given another."""

    def __init__(self, module: types.ModuleType):
        self._module = module
        self.__doc__ = module.__doc__

    def __getattr__(self, name: str):
        if name.startswith("__") or name == "_module":  # copy, pickle and inspect ask before __init__ ran
            raise AttributeError(name)
        value = getattr(self._module, name)
        if isinstance(value, types.ModuleType):
            return Bound(value) if value.__name__.startswith("k8slab.") else value
        return bind(value) if callable(value) else value

    def __dir__(self):
        return dir(self._module)

    def __repr__(self) -> str:
        return f"<{self._module.__name__}, acting on the cluster chosen last>"
