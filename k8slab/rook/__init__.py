"""Rook-Ceph on the learner's kind cluster, safely (the guide's 「部署容器存储插件 · Rook」).

    from k8slab import rook
    rook.check_host()          # memory, disk, cores, rbd: one line
    rook.fetch()               # Rook v1.20.6's manifests, sha256-verified, cached
    rook.install()             # crds, common, csi-operator, operator (validated offline first)
    rook.create()              # loop device in the kind node + a one-OSD CephCluster
    rook.watch()               # operator -> mon -> mgr -> osd-prepare -> osd -> HEALTH_OK
    rook.expose_dashboard()    # the guide's NodePort Service, made current
    rook.show_password()       # masked, with a reveal button
    rook.teardown()            # everything, the loop device and dataDirHostPath included
"""

from __future__ import annotations

import html
from pathlib import Path

from .cluster import create, crds, dashboard_password, expose_dashboard, show_password, validate_guide
from .fetching import ChecksumMismatch, FetchError
from .operator import FILES, MIN_KUBERNETES, ApplyReport, guide_cluster_answer, install, operator_objects
from .host import HostCheck, HostNotReady, check_host, preflight
from .spec import (
    CEPH_IMAGE,
    DATA_DIR,
    NAMESPACE,
    changes,
    check_safe,
    dashboard_service,
    guide_cluster,
    kind_mounts,
    safety,
)
from .spec import cluster as cluster_spec
from .removal import teardown

VERSION = "v1.20.6"

__all__ = [
    "VERSION", "NAMESPACE", "CEPH_IMAGE", "DATA_DIR", "FILES", "MIN_KUBERNETES",
    "fetch", "check_host", "preflight", "install", "operator_objects", "create", "cluster_spec", "check_safe", "safety",
    "kind_mounts", "watch", "expose_dashboard", "dashboard_password", "show_password", "teardown",
    "changes", "changes_table", "guide_cluster", "validate_guide", "guide_cluster_answer", "crds",
    "FetchError", "ChecksumMismatch", "HostNotReady", "HostCheck", "ApplyReport", "dashboard_service",
]


def fetch(from_dir: str | Path | None = None, base_url: str | None = None, timeout: float = 30,
          progress=print) -> dict[str, Path]:
    """Rook's pinned manifests into the kit's cache (a classroom fetches once, then works offline).

    `from_dir`: a folder holding the same files (e.g. copied from a teacher's machine); each
    file is verified against the kit's sha256 either way. Returns the cached paths.
    """
    from . import fetching

    b = fetching.bundle("rook")
    paths = fetching.fetch(b, from_dir=from_dir, base_url=base_url, timeout=timeout, progress=progress)
    progress(f"Rook {b.version}: {len(paths)} files verified in {b.cache_dir()}")
    return paths


def watch(namespace: str = NAMESPACE, timeouts: dict | None = None, kube=None) -> None:
    """The progress widget: one row per stage, updated by watches; a one-line outcome at the end."""
    from ..widgets.rook import watch as watch_widget

    watch_widget(namespace, timeouts=timeouts, kube=kube)


class Table:
    """Rows of dicts shown as an HTML table in a notebook and as aligned text elsewhere."""

    def __init__(self, rows: list[dict]):
        self.rows = rows

    def _repr_html_(self) -> str:
        cols = list(self.rows[0])
        head = "".join(f"<th style='text-align:left'>{html.escape(c)}</th>" for c in cols)
        body = "".join("<tr>" + "".join(f"<td style='text-align:left'>{html.escape(str(r[c]))}</td>" for c in cols) + "</tr>"
                       for r in self.rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def __repr__(self) -> str:
        cols = list(self.rows[0])
        width = {c: max(len(c), *(len(str(r[c])) for r in self.rows)) for c in cols[:-1]}
        line = lambda r: "  ".join(str(r[c]).ljust(width[c]) for c in cols[:-1]) + "  " + str(r[cols[-1]])  # noqa: E731
        return "\n".join([line({c: c for c in cols}), *(line(r) for r in self.rows)])


def changes_table() -> Table:
    """The guide's 2020 Rook fields beside the kit's, and why each changed."""
    return Table(changes())
