"""Providers end to end against the real test cluster.

kind itself cannot run here (its node image comes from a registry), so the kind provider runs
against tests/standins/kind: a stand-in executable that records its arguments and hands out the
test cluster's kubeconfig. Everything on the kit's side of that process boundary is real.
"""

import json
import os
import shutil
import stat
import subprocess
import uuid
from pathlib import Path

import jsonschema
import pytest
import yaml

from k8slab import cluster
from k8slab.errors import ProviderError
from k8slab.kube import applying, waiting
from k8slab.providers import kindconfig

from .kind_schema import CLUSTER

STANDINS = Path(__file__).parent / "standins"


@pytest.fixture
def kind_standin(tmp_path, monkeypatch, kubeconfig, kit_home):
    log = tmp_path / "kind-calls.jsonl"
    monkeypatch.setenv("PATH", f"{STANDINS}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("KIND_STANDIN_LOG", str(log))
    monkeypatch.setenv("KIND_STANDIN_STATE", str(tmp_path / "kind-state"))
    monkeypatch.setenv("KIND_STANDIN_KUBECONFIG", kubeconfig)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("K8SLAB_PROVIDER", raising=False)
    return lambda: [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_generated_kind_config_is_valid_v1alpha4(tmp_path):
    config = kindconfig.kind_config("k8slab", tmp_path, kindconfig.NODE_IMAGES["0.26"],
                                    [{"hostPath": "/dev", "containerPath": "/dev"}])
    jsonschema.validate(yaml.safe_load(kindconfig.dump(config)), CLUSTER)
    config["nodes"][0]["extraMount"] = []  # a typo kind would refuse: the check must catch it
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(config, CLUSTER)


def test_node_image_is_pinned_per_kind_release():
    assert kindconfig.node_image("v0.26.0").startswith("kindest/node:v1.32.0@sha256:")
    assert kindconfig.node_image("v0.1.0") is None


@pytest.mark.cluster
def test_kind_up_reuse_load_image_and_down(kind_standin, kit_home, kube, namespace):
    progress = []
    c = cluster.up("kind", progress=progress.append)
    calls = kind_standin()
    create = next(c for c in calls if c[:2] == ["create", "cluster"])
    assert create[create.index("--name") + 1] == "k8slab"
    assert any("Starting control-plane" in line for line in progress)

    config = yaml.safe_load(Path(create[create.index("--config") + 1]).read_text())
    jsonschema.validate(config, CLUSTER)
    node = config["nodes"][0]
    assert node["image"] == kindconfig.NODE_IMAGES["0.26"]
    assert {m["hostPort"] for m in node["extraPortMappings"]} == set(kindconfig.NODE_PORTS)
    assert node["extraMounts"][0]["containerPath"] == kindconfig.SHARED_IN_NODE

    assert c.kubeconfig == kit_home / "k8slab.kubeconfig"
    assert stat.S_IMODE(c.kubeconfig.stat().st_mode) == 0o600
    assert not (Path(os.environ["HOME"]) / ".kube").exists(), "~/.kube/config is only touched when asked"
    assert applying.get("Namespace", namespace, kube=c.kube)["metadata"]["name"] == namespace

    again = cluster.up("kind", progress=progress.append)
    assert sum(1 for c in kind_standin() if c[:2] == ["create", "cluster"]) == 1, "reuse must not create"
    assert "reusing the kind cluster 'k8slab'" in progress

    image = f"k8slab.local/busybox:kindload-{uuid.uuid4().hex[:6]}"
    subprocess.run(["docker", "tag", "k8slab.local/busybox:1", image], check=True)
    try:
        cluster.load_image(image)
        assert ["load", "docker-image", image, "--name", "k8slab"] in kind_standin()
        applying.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "loaded", "namespace": namespace},
                        "spec": {"restartPolicy": "Never", "containers": [
                            {"name": "c", "image": image, "imagePullPolicy": "Never", "command": ["true"]}]}},
                       kube=again.kube)
        waiting.wait_for_pod("loaded", namespace, timeout=60, kube=again.kube)
    finally:
        subprocess.run(["docker", "rmi", image], capture_output=True)

    assert cluster.node_path(kit_home / "shared" / "www") == "/k8slab/shared/www"
    logs = c.provider.export_logs(kit_home / "logs")
    assert (logs / "kind-version.txt").exists()

    assert cluster.down("kind", progress=progress.append) is True
    assert ["delete", "cluster", "--name", "k8slab"] in kind_standin()
    assert not c.kubeconfig.exists()
    assert cluster.down("kind", progress=progress.append) is False
    assert cluster.status("kind")["exists"] is False


def test_wrong_provider_lists_the_valid_ones(kit_home):
    with pytest.raises(ProviderError) as err:
        cluster.up("minikub")
    assert str(err.value) == "unknown provider 'minikub' (valid providers: context, kind, node)"


def test_node_provider_without_a_cluster(kit_home, tmp_path):
    with pytest.raises(ProviderError, match=r"no cluster on this machine: .*missing.conf does not exist"):
        cluster.up("node", kubeconfig=str(tmp_path / "missing.conf"))


@pytest.mark.cluster
def test_context_provider_uses_an_existing_context(kit_home, kubeconfig, kube, tmp_path):
    if not shutil.which("kubectl"):
        pytest.fail("kubectl is needed on PATH for the context provider")
    source = tmp_path / "kubeconfig"
    data = yaml.safe_load(Path(kubeconfig).read_text())
    data["contexts"][0]["name"] = "classroom"
    data["current-context"] = "classroom"
    source.write_text(yaml.safe_dump(data))
    c = cluster.up("context", context="classroom", kubeconfig=str(source), progress=lambda _: None)
    assert c.kube.version().startswith("v1.")
    assert stat.S_IMODE(c.kubeconfig.stat().st_mode) == 0o600
    with pytest.raises(ProviderError, match="does not know how to load images into context 'classroom'"):
        cluster.load_image("k8slab.local/busybox:1")
    with pytest.raises(ProviderError, match="no kubeconfig context named 'nope'.*known contexts: classroom"):
        cluster.up("context", context="nope", kubeconfig=str(source))
    with pytest.raises(ProviderError, match="does not delete clusters it did not create"):
        cluster.down("context", context="classroom", kubeconfig=str(source))
