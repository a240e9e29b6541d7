"""The kind provider on Podman, for real: kind told to use Podman (KIND_EXPERIMENTAL_PROVIDER=podman),
images saved with `podman save` and loaded with `kind load image-archive`.

CI loads the node image and the busybox stand-in into Podman (`.ci/run`). The kit's Docker-based
kind cluster already publishes 127.0.0.1:30080-30082, so this cluster maps three other ports.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid

import pytest

from k8slab.clusters import choosing as cluster, session
from k8slab.clusters.providers import kindconfig
from k8slab.kube import applying, waiting

from ..clusters.test_kind import _get
from ..needs import kind_node_image, require, require_free_ports, require_images

PORTS = (31080, 31081, 31082)
BUSYBOX = "k8slab.local/busybox:1"


def podman(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["podman", *args], capture_output=True, text=True)


@pytest.fixture
def on_podman(monkeypatch, kit_home):
    for tool in ("podman", "kind"):
        if not shutil.which(tool):
            require(tool, "apt-get install podman; kind from conda's kubernetes-kind")
    require_images("podman", kind_node_image(), BUSYBOX)
    monkeypatch.setenv("KIND_EXPERIMENTAL_PROVIDER", "podman")
    require_free_ports(PORTS)
    monkeypatch.setattr(kindconfig, "NODE_PORTS", PORTS)
    monkeypatch.setattr(session, "_current", session._current)  # the kit's current cluster, back after the test


def test_create_load_run_and_down_on_podman(on_podman, kit_home):
    name = f"k8slab-podman-{uuid.uuid4().hex[:6]}"
    image = f"{BUSYBOX.rsplit(':', 1)[0]}:podman-{uuid.uuid4().hex[:6]}"
    assert podman("tag", BUSYBOX, image).returncode == 0
    try:
        c = cluster.up("kind", cluster_name=name, workers=0, progress=lambda _: None)
        nodes = podman("ps", "--filter", f"label=io.x-k8s.kind.cluster={name}", "--format", "{{.Names}}").stdout.split()
        assert nodes == [f"{name}-control-plane"], "the node is a Podman container"

        assert cluster.load_image(image) == image  # podman save + kind load image-archive
        ns = "podman-test"
        applying.apply([
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": ns, "labels": {"app": "web"}},
             "spec": {"terminationGracePeriodSeconds": 1, "containers": [{
                 "name": "web", "image": image, "imagePullPolicy": "Never",
                 "command": ["sh", "-c", "echo from podman >/tmp/index.html && httpd -f -p 8080 -h /tmp"]}]}},
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": ns},
             "spec": {"type": "NodePort", "selector": {"app": "web"},
                      "ports": [{"port": 80, "targetPort": 8080, "nodePort": PORTS[0], "protocol": "TCP"}]}},
        ], kube=c.kube)
        waiting.wait_for_pod("web", ns, timeout=120, kube=c.kube)
        assert _get(f"http://127.0.0.1:{PORTS[0]}/") == "from podman\n"
    finally:
        podman("rmi", image)  # first: a failed `down` below must not leave the tag behind
        assert cluster.down("kind", cluster_name=name, progress=lambda _: None) is True
    assert not podman("ps", "-aq", "--filter", f"label=io.x-k8s.kind.cluster={name}").stdout.strip()
    assert not (kit_home / f"{name}.kubeconfig").exists()
    if not podman("ps", "-aq", "--filter", "network=kind").stdout.strip():
        assert podman("network", "exists", "kind").returncode != 0, "the kind network is removed once unused"
