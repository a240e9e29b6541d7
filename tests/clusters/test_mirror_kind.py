"""Registry mirrors for real: a spare kind cluster of its own pulls docker.io images through a registry
on this machine (Debian's docker-registry, the distribution registry `registry:2` runs).

The registry listens on all addresses of this machine; the kind node reaches it at the gateway of
Docker's `kind` network. The kit's own kind cluster publishes 127.0.0.1:30080-30082 (and the Podman
test 31080-31082), so this cluster maps three other ports; it is deleted at the end, even on failure.
"""

from __future__ import annotations

import shutil
import uuid

import pytest

from k8slab.clusters import choosing as cluster, session
from k8slab.clusters.providers import kindconfig
from k8slab.kube import applying, waiting

from ..needs import require, require_free_ports
from ..registry import BUSYBOX, Registry, docker, kind_gateway

PORTS = (30380, 30381, 30382)  # below the ephemeral ports (32768-60999), which a client socket may hold


def run_pod(c, ns: str, name: str, image: str) -> dict:
    applying.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns}, "spec": {
        "terminationGracePeriodSeconds": 0,
        "containers": [{"name": "c", "image": image, "imagePullPolicy": "Always",
                        "command": ["sh", "-c", "echo pulled through the mirror; sleep 3600"]}]}}, kube=c.kube)
    return waiting.wait_for_pod(name, ns, timeout=180, kube=c.kube)


@pytest.fixture
def spare_kind(monkeypatch, kit_home, tmp_path):
    for tool, how in (("kind", "conda: kubernetes-kind"), ("docker", "apt-get install docker.io"),
                      ("docker-registry", "apt-get install docker-registry")):
        if not shutil.which(tool):
            require(tool, how)
    if docker("image", "inspect", BUSYBOX).returncode:
        require(f"image {BUSYBOX}", "bash tests/images/build-base-images")
    require_free_ports(PORTS)
    monkeypatch.setattr(kindconfig, "NODE_PORTS", PORTS)
    monkeypatch.setattr(session, "_current", session._current)  # the kit's current cluster, back after the test
    name = f"k8slab-mirror-{uuid.uuid4().hex[:6]}"
    yield name
    cluster.down("kind", cluster_name=name, progress=lambda _: None)


def test_docker_io_images_come_through_the_mirror_and_a_new_mirror_applies_at_once(spare_kind, kit_home, tmp_path):
    gateway = kind_gateway()
    first_dir, second_dir = tmp_path / "first", tmp_path / "second"
    first_dir.mkdir(), second_dir.mkdir()
    first = Registry(first_dir)
    second = None
    try:
        tag = f"mirror-{uuid.uuid4().hex[:6]}"
        first.push(tag)
        lines = []
        c = cluster.up("kind", cluster_name=spare_kind, progress=lines.append, workers=0,
                       mirrors={"docker.io": [f"http://{gateway}:{first.port}"]})
        assert f"registry mirrors: docker.io via http://{gateway}:{first.port}" in lines
        hosts = kit_home / "certs.d" / spare_kind / "docker.io" / "hosts.toml"
        assert docker("exec", f"{spare_kind}-control-plane", "cat", "/etc/containerd/certs.d/docker.io/hosts.toml"
                      ).stdout == hosts.read_text()

        node_ip = docker("inspect", "-f", "{{.NetworkSettings.Networks.kind.IPAddress}}",
                         f"{spare_kind}-control-plane").stdout.strip()
        ns = "mirror-test"
        applying.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}, kube=c.kube)
        pod = run_pod(c, ns, "first", f"busybox:{tag}")
        assert pod["status"]["containerStatuses"][0]["imageID"].startswith("docker.io/library/busybox@sha256:")
        assert first.manifest_pulls(tag, node_ip), "the node asked the mirror, not Docker Hub (unreachable here)"

        # Another mirror on the running cluster: containerd reads hosts.toml at every pull.
        second = Registry(second_dir)
        tag2 = f"mirror-{uuid.uuid4().hex[:6]}"
        second.push(tag2)
        lines.clear()
        c = cluster.up("kind", cluster_name=spare_kind, progress=lines.append, workers=0,
                       mirrors={"docker.io": [f"http://{gateway}:{second.port}"]})
        assert lines == [f"reusing the kind cluster {spare_kind!r}",
                         f"registry mirrors: docker.io via http://{gateway}:{second.port}"]
        run_pod(c, ns, "second", f"busybox:{tag2}")
        assert second.manifest_pulls(tag2, node_ip) and not first.manifest_pulls(tag2, node_ip)
    finally:
        first.stop()
        if second:
            second.stop()
