"""The kit's CephCluster for one kind node, the dashboard Service, and the guide's 2020 files.

Safety first: Rook turns every empty disk it is allowed to see into an OSD and wipes it. On
kind the node sees the learner's /dev, so the kit never sets `useAllDevices: true` and names
its one loop device explicitly; `check_safe` (`k8slab.safety`, which every write path calls)
refuses any CephCluster that lets Rook choose disks.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from k8slab.clusters.providers import kindconfig
from k8slab.core.errors import ManifestError
from k8slab.manifests.safety import check as safety_check

NAMESPACE = "rook-ceph"
CLUSTER_NAME = "rook-ceph"
CEPH_IMAGE = "quay.io/ceph/ceph:v20.2.4"  # the Ceph release Rook v1.20.6 ships with (images.txt)
DATA_DIR = "/var/lib/rook"                # dataDirHostPath: mon and config data on the node
DASHBOARD_PORT = 7000                     # plain HTTP (ssl: false), as the guide's Service expects
DASHBOARD_NODE_PORT = 30082               # one of the ports the kit's kind config maps to 127.0.0.1
DASHBOARD_SERVICE = "rook-ceph-mgr-dashboard-external-http"
PASSWORD_SECRET = "rook-ceph-dashboard-password"


def cluster(node: str, device: str, namespace: str = NAMESPACE, name: str = CLUSTER_NAME, *,
            ceph_image: str = CEPH_IMAGE, data_dir: str = DATA_DIR) -> list[dict]:
    """A single-node CephCluster whose one OSD is `device` (e.g. `loop7`) on `node`, with its mon and mgr
    on that node too (their data in `data_dir` there, which removal deletes), and the `.mgr` pool with one
    replica (the default three never become healthy on one OSD).

    Used in chapter 04b.
    """
    ceph_cluster = {
        "apiVersion": "ceph.rook.io/v1",
        "kind": "CephCluster",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "cephVersion": {"image": ceph_image, "allowUnsupported": False},
            "dataDirHostPath": data_dir,
            "mon": {"count": 1, "allowMultiplePerNode": True},
            "mgr": {"count": 1, "allowMultiplePerNode": True, "modules": [{"name": "rook", "enabled": False}]},
            "dashboard": {"enabled": True, "ssl": False, "port": DASHBOARD_PORT},
            "crashCollector": {"disable": True},
            "placement": {"all": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}]}]}}}},
            "monitoring": {"enabled": False},
            "security": {"cephx": {"csi": {"keyType": "aes"}}},
            "storage": {
                "useAllNodes": False,
                "useAllDevices": False,
                "nodes": [{"name": node, "devices": [{"name": device}]}],
            },
            "cephConfig": {"global": {
                "osd_pool_default_size": "1",
                "mon_warn_on_pool_no_redundancy": "false",
                "bdev_flock_retry": "20",
                "bluefs_buffered_io": "false",
            }},
        },
    }
    mgr_pool = {
        "apiVersion": "ceph.rook.io/v1",
        "kind": "CephBlockPool",
        "metadata": {"name": "builtin-mgr", "namespace": namespace},
        "spec": {"name": ".mgr", "replicated": {"size": 1, "requireSafeReplicaSize": False}},
    }
    check_safe(ceph_cluster)
    return [ceph_cluster, mgr_pool]


check_safe = safety_check  # the kit's one check, which lab.apply and the %kubectl magics call too


def safety(obj: dict) -> str:
    """`check_safe` as a one-line verdict (for showing, not for guarding).

    Used in chapter 04b.
    """
    try:
        safety_check(obj)
    except ManifestError as e:
        return f"refused: {e}"
    return f"safe: {obj['kind']}/{obj['metadata'].get('name')} names every device it may use"


def dashboard_service(namespace: str = NAMESPACE, node_port: int | None = DASHBOARD_NODE_PORT) -> dict:
    """The guide's NodePort Service, made current: Rook labels the active mgr `mgr_role: active`."""
    port = {"name": "dashboard", "port": DASHBOARD_PORT, "protocol": "TCP", "targetPort": DASHBOARD_PORT}
    if node_port:
        port["nodePort"] = node_port
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": DASHBOARD_SERVICE, "namespace": namespace,
                     "labels": {"app": "rook-ceph-mgr", "rook_cluster": namespace}},
        "spec": {
            "type": "NodePort",
            "ports": [port],
            "selector": {"app": "rook-ceph-mgr", "mgr_role": "active", "rook_cluster": namespace},
            "sessionAffinity": "None",
        },
    }


def kind_mounts() -> list[dict]:
    """kind `extraMounts` for Rook (`lab.up(rook=True)` gives a new kind cluster these)."""
    return kindconfig.rook_mounts()


def guide_files() -> list[dict]:
    """The guide's 2020 CephCluster and dashboard Service, verbatim (k8slab/data/guide-rook-2020.yaml)."""
    text = (Path(__file__).resolve().parents[2] / "data" / "guide-rook-2020.yaml").read_text(encoding="utf-8")
    return [d for d in yaml.safe_load_all(text) if d]


def guide_cluster() -> dict:
    return next(o for o in guide_files() if o["kind"] == "CephCluster")


# What changed between the guide's Rook (v1.1, 2020) and the kit's (v1.20.6).
CHANGES = [
    ("Rook release", "v1.1 (cluster/examples/kubernetes/ceph)", "v1.20.6 (deploy/examples)",
     "the examples moved; CRDs now come in crds.yaml, the CSI driver in csi-operator.yaml"),
    ("cephVersion.image", "ceph/ceph:v14.2.4-20190917", CEPH_IMAGE,
     "Ceph v14 (Nautilus) reached end of life in 2021 and today's Rook refuses it; images moved to quay.io"),
    ("dataDirHostPath", "/Users/warrior/code/k8s/volume", DATA_DIR,
     "a path on the node, not the learner's Mac; the kit's teardown deletes it"),
    ("mon.count / allowMultiplePerNode", "1 / false", "1 / true",
     "one node holds every daemon; production uses 3 mons on 3 nodes"),
    ("dashboard.ssl / port", "true / (7000 in the Service)", f"false / {DASHBOARD_PORT}",
     "with ssl the mgr serves 8443, so the guide's Service on 7000 reached nothing"),
    ("monitoring.rulesNamespace", "rook-ceph", "(removed)",
     "the field is gone; server-side apply refuses unknown fields"),
    ("network.hostNetwork", "false", "(default)",
     "still accepted; network.provider: host is the current spelling"),
    ("OSD storage", "a directory (storage.directories in 2020 examples)", "a raw device: the kit's loop device",
     "directory OSDs (filestore) are gone; OSDs need a raw block device"),
    ("storage.useAllDevices", "true in 2020 examples", "false, devices listed by name",
     "on kind, Rook would see and wipe this machine's disks"),
    ("dashboard Service selector", "app, rook_cluster", "app, rook_cluster, mgr_role: active",
     "with two mgrs only the active one serves the dashboard"),
    ("admin password Secret", "rook-ceph-dashboard-password", PASSWORD_SECRET,
     "unchanged (the guide's prose says -admin-password)"),
]


def changes() -> list[dict]:
    return [dict(zip(("field", "guide (2020)", "kit (today)", "why"), row, strict=True)) for row in CHANGES]
