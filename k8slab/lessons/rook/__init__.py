"""Rook-Ceph on the learner's kind cluster, safely (the guide's 「部署容器存储插件 · Rook」).

    from k8slab import rook
    rook.check_host()          # memory, disk, cores, rbd: one line
    rook.fetch()               # Rook v1.20.6's manifests, sha256-verified, cached
    rook.install()             # crds, common, csi-operator, operator (validated offline first)
    rook.create()              # loop device in the kind node + a one-OSD CephCluster
    lab.widgets.RookProgress(rook.watch()).show()   # operator -> mon -> mgr -> osd-prepare -> osd -> HEALTH_OK
    rook.expose_dashboard()    # the guide's NodePort Service, made current
    lab.widgets.SecretView(rook.dashboard_password())   # masked, with a reveal button
    rook.teardown()            # everything, the loop device and dataDirHostPath included
"""

from __future__ import annotations

from pathlib import Path

from k8slab.clusters.fetching import ChecksumMismatch, FetchError
from k8slab.core.config import Settings
from k8slab.core.tables import Table
from k8slab.kube.applying import ApplyReport
from k8slab.kube.client import Kube
from k8slab.lessons.rook.cluster import crds, create, dashboard_password, expose_dashboard, validate_guide
from k8slab.lessons.rook.host import HostCheck, HostNotReady, check_host, preflight
from k8slab.lessons.rook.operator import FILES, MIN_KUBERNETES, guide_cluster_answer, install, operator_objects
from k8slab.lessons.rook.progress import Watch
from k8slab.lessons.rook.removal import teardown
from k8slab.lessons.rook.spec import (
    CEPH_IMAGE,
    DATA_DIR,
    NAMESPACE,
    changes,
    check_safe,
    cluster as cluster_spec,
    dashboard_service,
    guide_cluster,
    kind_mounts,
    safety,
)

VERSION = "v1.20.6"

__all__ = [
    "VERSION", "NAMESPACE", "CEPH_IMAGE", "DATA_DIR", "FILES", "MIN_KUBERNETES",
    "fetch", "check_host", "preflight", "install", "operator_objects", "create", "cluster_spec", "check_safe", "safety",
    "kind_mounts", "watch", "expose_dashboard", "dashboard_password", "teardown",
    "changes", "changes_table", "guide_cluster", "validate_guide", "guide_cluster_answer", "crds",
    "FetchError", "ChecksumMismatch", "HostNotReady", "HostCheck", "ApplyReport", "dashboard_service",
]


def fetch(from_dir: str | Path | None = None, base_url: str | None = None, timeout: float = 30,
          progress=print, *, settings: Settings) -> dict[str, Path]:
    """Rook's pinned manifests into the kit's cache (a classroom fetches once, then works offline).

    `from_dir`: a folder holding the same files (e.g. copied from a teacher's machine); each
    file is verified against the kit's sha256 either way. Returns the cached paths.

    Used in chapter 04b.
    """
    from k8slab.clusters import fetching

    b = fetching.bundle("rook")
    paths = fetching.fetch(b, from_dir=from_dir, base_url=base_url, cache=settings.cache, timeout=timeout, progress=progress)
    progress(f"Rook {b.version}: {len(paths)} files verified in {b.cache_dir(settings.cache)}")
    return paths


def watch(namespace: str = NAMESPACE, timeouts: dict | None = None, *, kube: Kube) -> Watch:
    """Rook's way to HEALTH_OK as data: iterating it runs the watches and yields each stage as it
    changes. `lab.widgets.RookProgress(rook.watch()).show()` draws it, one row per stage.

    Used in chapter 04b.
    """
    return Watch(namespace, timeouts=timeouts, kube=kube)


def changes_table() -> Table:
    """The guide's 2020 Rook fields beside the kit's, and why each changed.

    Used in chapter 04b.
    """
    return Table(changes())
