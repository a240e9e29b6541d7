"""Settings: file, then environment, then arguments; bad settings give one line."""

import pytest

from k8slab import config
from k8slab.errors import K8sLabError


def test_precedence(kit_home, monkeypatch):
    kit_home.mkdir()
    (kit_home / "config.yaml").write_text("provider: context\ncluster_name: fromfile\nimages: {a:1: b:1}\n")
    monkeypatch.setenv("K8SLAB_CLUSTER", "fromenv")
    monkeypatch.setenv("K8SLAB_IMAGES", "c:1=d:1")
    s = config.load(provider="node")
    assert (s.provider, s.cluster_name) == ("node", "fromenv")
    assert s.images == {"a:1": "b:1", "c:1": "d:1"}
    assert s.home == kit_home


def test_bad_image_map(kit_home, monkeypatch):
    monkeypatch.setenv("K8SLAB_IMAGES", "nginx:1.17.0")
    with pytest.raises(K8sLabError, match="is not IMAGE=REPLACEMENT"):
        config.load()


def test_unknown_key_in_the_settings_file(kit_home):
    kit_home.mkdir()
    (kit_home / "config.yaml").write_text("provder: kind\n")
    with pytest.raises(K8sLabError, match=r"unknown keys \['provder'\]"):
        config.load()
