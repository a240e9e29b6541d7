"""Providers: the kind config the kit writes, provider choice, and the context provider.

The kind provider runs against a real kind cluster in tests/test_kind.py, the node provider
against the plain test cluster in tests/test_node_provider.py.
"""

import shutil
import stat
from pathlib import Path

import jsonschema
import pytest
import yaml

from k8slab import cluster
from k8slab.errors import ProviderError
from k8slab.providers import kindconfig

from .kind_schema import CLUSTER

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
