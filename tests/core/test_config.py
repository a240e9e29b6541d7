"""Settings: file, then environment, then arguments; bad settings give one line."""


import pytest

from k8slab.core import config
from k8slab.core.errors import K8sLabError


@pytest.fixture
def settings_env(kit_home, monkeypatch):
    """No K8SLAB_* setting from the machine running the tests; a private K8SLAB_HOME."""
    for var in config.ENV.values():
        if var != "K8SLAB_HOME":
            monkeypatch.delenv(var, raising=False)
    return kit_home


def test_precedence(kit_home, monkeypatch):
    kit_home.mkdir()
    (kit_home / "config.yaml").write_text("provider: context\ncluster_name: fromfile\nimages: {a:1: b:1}\n")
    monkeypatch.setenv("K8SLAB_CLUSTER", "fromenv")
    monkeypatch.setenv("K8SLAB_IMAGES", "c:1=d:1")
    s = config.load(provider="node")
    assert (s.provider, s.cluster_name) == ("node", "fromenv")
    assert s.images == {"a:1": "b:1", "c:1": "d:1"}
    assert s.home == kit_home


def test_arguments_beat_the_environment_which_beats_the_file(settings_env, monkeypatch):
    settings_env.mkdir()
    (settings_env / "config.yaml").write_text("provider: context\ncontext: fromfile\ncluster_name: fromfile\n")
    monkeypatch.setenv("K8SLAB_PROVIDER", "kind")
    monkeypatch.setenv("K8SLAB_CONTEXT", "fromenv")
    s = config.load(provider="node", cluster_name=None)  # None: the argument was not given
    assert (s.provider, s.context, s.cluster_name) == ("node", "fromenv", "fromfile")


def test_defaults_without_file_or_environment(settings_env):
    s = config.load()
    assert (s.provider, s.cluster_name, s.context, s.images) == ("kind", "k8slab", None, {})
    assert s.cache == settings_env / "cache"


def test_the_settings_file_is_found_by_k8slab_config_home_or_in_the_users_home(settings_env, monkeypatch, tmp_path):
    elsewhere = tmp_path / "elsewhere.yaml"
    elsewhere.write_text("cluster_name: fromconfig\n")
    monkeypatch.setenv("K8SLAB_CONFIG", str(elsewhere))
    assert config.load().cluster_name == "fromconfig"
    monkeypatch.delenv("K8SLAB_CONFIG")
    monkeypatch.delenv("K8SLAB_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".k8slab").mkdir()
    (tmp_path / ".k8slab" / "config.yaml").write_text("cluster_name: fromhome\n")
    s = config.load()
    assert (s.cluster_name, s.home) == ("fromhome", tmp_path / ".k8slab")


def test_image_map_forgives_spaces_and_empty_entries():
    assert config.parse_images(" nginx:1.17.0 = k8slab.local/nginx:1.17.0 ,, , node:7=k8slab.local/node:18 ,") == {
        "nginx:1.17.0": "k8slab.local/nginx:1.17.0", "node:7": "k8slab.local/node:18"}
    assert config.parse_images("") == {}


@pytest.mark.parametrize("entry", ["nginx:1.17.0", "nginx:1.17.0=", "=k8slab.local/nginx:1.17.0"])
def test_bad_image_map(settings_env, monkeypatch, entry):
    monkeypatch.setenv("K8SLAB_IMAGES", f"node:7=k8slab.local/node:18,{entry}")
    with pytest.raises(K8sLabError) as err:
        config.load()
    assert str(err.value) == (f"K8SLAB_IMAGES entry {entry!r} is not IMAGE=REPLACEMENT "
                              "(e.g. K8SLAB_IMAGES=nginx:1.17.0=localhost:5000/nginx:1.17.0)")


def test_unknown_key_in_the_settings_file(kit_home):
    kit_home.mkdir()
    (kit_home / "config.yaml").write_text("provder: kind\n")
    with pytest.raises(K8sLabError) as err:
        config.load()
    assert str(err.value) == (
        f"the settings file {kit_home / 'config.yaml'} has unknown keys ['provder'] (known keys: cluster_name, "
        "containerd, context, home, images, kubeconfig, mirrors, node_image, provider, registry, workers)")


def test_a_settings_file_that_is_not_yaml(kit_home):
    kit_home.mkdir()
    (kit_home / "config.yaml").write_text("provider: kind: node\n")
    with pytest.raises(K8sLabError) as err:
        config.load()
    assert str(err.value) == (f"the settings file {kit_home / 'config.yaml'} is not valid YAML: "
                              "mapping values are not allowed here (fix or delete it)")


@pytest.mark.parametrize("text", ["kind\n", "42\n", "- provider: kind\n"])
def test_a_settings_file_that_is_not_a_mapping(kit_home, text):
    kit_home.mkdir()
    (kit_home / "config.yaml").write_text(text)
    with pytest.raises(K8sLabError) as err:
        config.load()
    assert str(err.value) == (f"the settings file {kit_home / 'config.yaml'} is not a mapping of settings "
                              "(write one `key: value` per line, e.g. provider: kind)")


def test_workers_from_the_environment_the_file_and_arguments(settings_env, monkeypatch):
    assert config.load().workers == 2
    settings_env.mkdir()
    (settings_env / "config.yaml").write_text("workers: 1\n")
    assert config.load().workers == 1
    monkeypatch.setenv("K8SLAB_WORKERS", "3")
    assert config.load().workers == 3
    monkeypatch.setenv("K8SLAB_WORKERS", "0")
    assert config.load().workers == 0, "0 is a setting (a single node), not an unset variable"
    assert config.load(workers=5).workers == 5


@pytest.mark.parametrize("value", ["x", -1, 6, True, 2.5, None])
def test_workers_out_of_range_or_not_a_number_is_one_line(value):
    with pytest.raises(K8sLabError) as err:
        config._workers(value)
    assert str(err.value) == (f"workers must be a whole number from 0 to 5, not {value!r} (e.g. K8SLAB_WORKERS=2, "
                              "or `k8slab up --workers 2`; 0 makes a single-node cluster)")
    assert "\n" not in str(err.value)


def test_bad_workers_in_the_environment_fails_on_load(settings_env, monkeypatch):
    monkeypatch.setenv("K8SLAB_WORKERS", "two")
    with pytest.raises(K8sLabError, match=r"^workers must be a whole number from 0 to 5, not 'two' \(e\.g\."):
        config.load()


def test_a_fraction_of_a_worker_in_the_settings_file_is_refused_not_rounded(settings_env):
    settings_env.mkdir()
    (settings_env / "config.yaml").write_text("workers: 2.5\n")
    with pytest.raises(K8sLabError, match=r"^workers must be a whole number from 0 to 5, not 2\.5 "):
        config.load()
