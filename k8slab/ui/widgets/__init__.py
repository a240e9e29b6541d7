"""Live views a learner watches while the cluster changes (JupyterLab, ipywidgets).

Each widget follows the cluster on background threads, shows a one-line error when something
goes wrong, keeps a static HTML copy for saved notebooks and has a stable `summary()` text.
"""

from importlib import import_module

from k8slab.ui.widgets.base import LiveWidget
from k8slab.ui.widgets.clustermap import ClusterMap
from k8slab.ui.widgets.editor import ManifestEditor
from k8slab.ui.widgets.events import EventFeed
from k8slab.ui.widgets.logs import LogView
from k8slab.ui.widgets.pods import PodTable
from k8slab.ui.widgets.rollout import RolloutProgress
from k8slab.ui.widgets.specstatus import SpecStatus

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
