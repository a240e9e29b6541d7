"""Live views a learner watches while the cluster changes (JupyterLab, ipywidgets).

Each widget follows the cluster on background threads, shows a one-line error when something
goes wrong, keeps a static HTML copy for saved notebooks and has a stable `summary()` text.
"""

from importlib import import_module

from .base import LiveWidget
from .clustermap import ClusterMap
from .editor import ManifestEditor
from .events import EventFeed
from .logs import LogView
from .pods import PodTable
from .rollout import RolloutProgress
from .specstatus import SpecStatus

__all__ = ["PodTable", "RolloutProgress", "LogView", "EventFeed", "ClusterMap", "SpecStatus", "ManifestEditor", "LiveWidget"]

# Widgets other modules of this package provide, imported only when asked for.
_ELSEWHERE = {"LayerView": "layers", "BuildProgress": "build", "RookProgress": "rook", "SecretView": "secret"}


def __getattr__(name: str):
    module = _ELSEWHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f".{module}", __name__), name)


def __dir__():
    return sorted([*__all__, *_ELSEWHERE])
