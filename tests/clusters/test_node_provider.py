"""The node provider on the plain test cluster (`tests/cluster/testcluster`): this machine is the node.

`.ci/run` exports that cluster's admin kubeconfig and containerd socket as
K8SLAB_TEST_NODE_KUBECONFIG and K8SLAB_TEST_NODE_CONTAINERD (the kit's kind cluster is KUBECONFIG).
"""

from __future__ import annotations

import os
import stat
import subprocess
import uuid
from pathlib import Path

import pytest

from k8slab.clusters import choosing as cluster
from k8slab.kube import applying, waiting

from ..needs import require


@pytest.fixture
def node_cluster(kit_home):
    kubeconfig = os.environ.get("K8SLAB_TEST_NODE_KUBECONFIG", "")
    containerd = os.environ.get("K8SLAB_TEST_NODE_CONTAINERD", "")
    if not (Path(kubeconfig).is_file() and Path(containerd).exists()):
        require("plain test cluster", "`bash tests/cluster/testcluster start`, then export "
                "K8SLAB_TEST_NODE_KUBECONFIG and K8SLAB_TEST_NODE_CONTAINERD")
    return cluster.up("node", kubeconfig=kubeconfig, containerd=containerd, progress=lambda _: None)


def test_up_copies_the_admin_kubeconfig_privately(node_cluster, kit_home):
    assert node_cluster.kubeconfig == kit_home / "k8slab.kubeconfig"
    assert stat.S_IMODE(node_cluster.kubeconfig.stat().st_mode) == 0o600
    lines = []
    cluster.up("node", kubeconfig=os.environ["K8SLAB_TEST_NODE_KUBECONFIG"], progress=lines.append)
    assert lines == ["reusing the node cluster 'k8slab'"]


def test_a_loaded_image_runs_on_the_node(node_cluster):
    kube = node_cluster.kube
    ns = f"t-{uuid.uuid4().hex[:8]}"
    image = f"k8slab.local/busybox:nodeload-{uuid.uuid4().hex[:6]}"
    subprocess.run(["docker", "tag", "k8slab.local/busybox:1", image], check=True)
    applying.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}, kube=kube)
    try:
        assert cluster.load_image(image) == image
        applying.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "loaded", "namespace": ns},
                        "spec": {"restartPolicy": "Never", "terminationGracePeriodSeconds": 1, "containers": [
                            {"name": "c", "image": image, "imagePullPolicy": "Never", "command": ["sleep", "60"]}]}},
                       kube=kube)
        assert waiting.wait_for_pod("loaded", ns, timeout=60, kube=kube)["status"]["phase"] == "Running"
    finally:
        applying.delete(kind="Namespace", name=ns, kube=kube, timeout=180)
        subprocess.run(["docker", "rmi", image], capture_output=True)
        subprocess.run(["ctr", "--address", os.environ["K8SLAB_TEST_NODE_CONTAINERD"], "-n", "k8s.io", "images", "rm",
                        f"{image}"], capture_output=True)
