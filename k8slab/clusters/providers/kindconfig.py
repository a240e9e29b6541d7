"""The kind cluster config the kit generates (kind.x-k8s.io/v1alpha4)."""

from __future__ import annotations

from pathlib import Path

import yaml

from k8slab.core import mirrors

# kind supports a node image only with the release that built it; pin by digest.
NODE_IMAGES = {
    "0.33": "kindest/node:v1.37.0@sha256:a1ed56cfb0e7b93589bdf97c8cd566405a265939e3620fc4f5de89adff580ae5",
    "0.27": "kindest/node:v1.32.2@sha256:f226345927d7e348497136874b6d207e0b32cc52154ad8323129352923a3142f",
    "0.26": "kindest/node:v1.32.0@sha256:c48c62eac5da28cdadcf560d1d8616cfa6783b58f0d94cf63ad1bf49600cb027",
    "0.25": "kindest/node:v1.31.2@sha256:18fbefc20a7113353c7b75b5c869d7145a6abd6269154825872dc59c1329912e",
    "0.22": "kindest/node:v1.29.2@sha256:51a1434a5397193442f0be2a297b488b6c919ce8a3931be0ce822606ea5ca245",
}

# The three newest images a kind release was built with, as its release notes list them ("Images pre-built
# for this release", https://github.com/kubernetes-sigs/kind/releases/tag/v0.26.0); the learners' CI
# (.ci/learners/notebooks-on-kind.yml) runs the notebooks on each.
SUPPORTED_NODE_IMAGES = {
    "0.26": (
        "kindest/node:v1.32.0@sha256:c48c62eac5da28cdadcf560d1d8616cfa6783b58f0d94cf63ad1bf49600cb027",
        "kindest/node:v1.31.4@sha256:2cb39f7295fe7eafee0842b1052a599a4fb0f8bcf3f83d96c7f4864c357c6c30",
        "kindest/node:v1.30.8@sha256:17cd608b3971338d9180b00776cb766c50d0a0b6b904ab4ff52fd3fc5c6369bf",
    ),
}

# NodePorts the notebooks use answer on 127.0.0.1 of the learner's machine.
NODE_PORTS = (30080, 30081, 30082)
SHARED_IN_NODE = "/k8slab/shared"

# The guide's kubeadm settings (2020) that still mean something today. Its
# `horizontal-pod-autoscaler-use-rest-clients` flag was removed from the controller manager.
GUIDE_KUBEADM_PATCH = """\
kind: ClusterConfiguration
controllerManager:
  extraArgs:
    horizontal-pod-autoscaler-sync-period: "10s"
    node-monitor-grace-period: "10s"
apiServer:
  extraArgs:
    runtime-config: "api/all=true"
"""

# The guide's 10 s grace period with the kubelet's default heartbeat (its node Lease renewed every
# quarter of nodeLeaseDurationSeconds, 40 s: every 10 s) gives one heartbeat per period, and a node
# that is merely busy for a moment turns NotReady. A 10 s lease means a heartbeat every 2.5 s.
KUBELET_PATCH = """\
kind: KubeletConfiguration
nodeLeaseDurationSeconds: 10
"""


# containerd reads registry hosts (mirrors) from hosts.toml files under this folder: the kit
# bind-mounts its own folder there and points the CRI plugin at it (config version 2 key).
REGISTRY_CONFIG_PATCH = """\
[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "/etc/containerd/certs.d"
"""


def node_image(kind_version: str) -> str | None:
    """The pinned node image for a kind release such as `v0.26.0`; None lets kind pick its default."""
    major_minor = ".".join(kind_version.lstrip("v").split(".")[:2])
    return NODE_IMAGES.get(major_minor)


def kind_config(name: str, shared_dir: Path, image: str | None = None, extra_mounts: list[dict] = (),
                certs_dir: Path | None = None, *, workers: int = 0) -> dict:
    """One control plane and `workers` workers. Every node mounts the same folders, so a hostPath page
    or a mirror setting works wherever a pod lands; the NodePorts are published from the control plane
    alone (kube-proxy on it forwards them to a pod on any node).

    `certs_dir`: the kit's hosts.toml folder for this cluster, mounted where containerd looks for registry hosts."""
    mounts = [{"hostPath": str(shared_dir), "containerPath": SHARED_IN_NODE}, *extra_mounts]
    if certs_dir:
        mounts.append({"hostPath": str(certs_dir), "containerPath": mirrors.IN_NODE, "readOnly": True})
    ports = [{"containerPort": p, "hostPort": p, "listenAddress": "127.0.0.1", "protocol": "TCP"} for p in NODE_PORTS]
    nodes = [{"role": "control-plane", "extraPortMappings": ports, "extraMounts": mounts}]
    nodes += [{"role": "worker", "extraMounts": mounts} for _ in range(workers)]
    if image:
        for node in nodes:
            node["image"] = image
    config = {
        "kind": "Cluster",
        "apiVersion": "kind.x-k8s.io/v1alpha4",
        "name": name,
        "nodes": nodes,
        "kubeadmConfigPatches": [GUIDE_KUBEADM_PATCH, KUBELET_PATCH],
    }
    if certs_dir:
        config["containerdConfigPatches"] = [REGISTRY_CONFIG_PATCH]
    return config


def shape(workers: int) -> str:
    """The words for a cluster of one control plane and `workers` workers."""
    return "a single node" if not workers else f"1 control plane and {workers} worker{'s' * (workers > 1)}"


def dump(config: dict) -> str:
    return yaml.safe_dump(config, sort_keys=False)


def rook_mounts() -> list[dict]:
    """kind `extraMounts` for Rook: the host's /dev (the loop device appears there) and udev's
    database (ceph-volume asks udev about devices)."""
    return [
        {"hostPath": "/dev", "containerPath": "/dev"},
        {"hostPath": "/run/udev", "containerPath": "/run/udev"},
    ]
