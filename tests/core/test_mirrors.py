"""Registry mirrors without a cluster: the three forms of the setting, their one-line errors, the
hosts.toml files, the kind config, and what each provider does with the setting.

A kind cluster pulling through a mirror for real: tests/clusters/test_mirror_kind.py.
"""


import jsonschema
import pytest
import yaml

from k8slab.clusters.providers import ContextProvider, KindProvider, NodeProvider, kindconfig
from k8slab.core import config, mirrors
from k8slab.core.errors import K8sLabError
from k8slab.ui.cli import main

from ..kind_schema import CLUSTER
from ..needs import toml


def test_the_env_form_keeps_order_and_joins_repeats():
    assert mirrors.parse("docker.io=https://a.example|http://10.0.0.5:5000/, quay.io=https://q.example,docker.io=https://c") == {
        "docker.io": ["https://a.example", "http://10.0.0.5:5000", "https://c"],
        "quay.io": ["https://q.example"],
    }
    assert mirrors.parse("") == {}
    assert mirrors.from_options(("registry.k8s.io=https://k.example", "registry.k8s.io=https://l.example")) == {
        "registry.k8s.io": ["https://k.example", "https://l.example"]}
    assert mirrors.validate({"Docker.IO": "https://a.example"}) == {"docker.io": ["https://a.example"]}


@pytest.mark.parametrize("text, says", [
    ("docker.io", "entry 'docker.io' is not REGISTRY=URL|URL"),
    ("=https://a", "is not REGISTRY=URL|URL"),
    ("docker.io=ftp://a", "mirror 'ftp://a' of docker.io is not an http:// or https:// URL"),
    ("docker.io=mirror.example", "mirror 'mirror.example' of docker.io is not"),
    ("docker.io=https://a.example/v2/hub", "with no path"),
    ('docker.io=https://a"b', "is not an http:// or https:// URL"),
    ("https://docker.io=https://a", "is not a registry name"),
])
def test_bad_settings_are_one_line(text, says):
    with pytest.raises(K8sLabError) as e:
        mirrors.parse(text)
    assert says in str(e.value) and "\n" not in str(e.value)


def test_arguments_beat_the_environment_beat_the_file_per_registry(kit_home, monkeypatch):
    kit_home.mkdir()
    (kit_home / "config.yaml").write_text(
        "mirrors:\n  docker.io: [https://file.example]\n  quay.io: https://q.example\n  registry.k8s.io: [https://k.example]\n")
    assert config.load().mirrors == {"docker.io": ["https://file.example"], "quay.io": ["https://q.example"],
                                     "registry.k8s.io": ["https://k.example"]}
    monkeypatch.setenv("K8SLAB_MIRRORS", "docker.io=https://env.example,quay.io=https://qe.example")
    got = config.load(mirrors=mirrors.from_options(["docker.io=http://192.168.1.10:5000"])).mirrors
    assert got == {"docker.io": ["http://192.168.1.10:5000"], "quay.io": ["https://qe.example"],
                   "registry.k8s.io": ["https://k.example"]}


def test_a_bad_mirror_in_the_settings_file_names_the_file(kit_home):
    kit_home.mkdir()
    (kit_home / "config.yaml").write_text("mirrors:\n  docker.io: []\n")
    with pytest.raises(K8sLabError, match=r"config.yaml: mirrors: docker.io needs one or more mirror URLs"):
        config.load()


def test_hosts_toml_lists_the_mirrors_then_the_registry_itself():
    text = mirrors.hosts_toml("docker.io", ["http://192.168.1.10:5000", "https://b.example"])
    assert toml().loads(text) == {
        "server": "https://registry-1.docker.io",
        "host": {"http://192.168.1.10:5000": {"capabilities": ["pull", "resolve"]},
                 "https://b.example": {"capabilities": ["pull", "resolve"]}},
    }
    assert list(toml().loads(text)["host"]) == ["http://192.168.1.10:5000", "https://b.example"], "tried in order"
    assert toml().loads(mirrors.hosts_toml("quay.io", ["https://q"]))["server"] == "https://quay.io"
    assert toml().loads(mirrors.hosts_toml("registry.k8s.io", ["https://k"]))["server"] == "https://registry.k8s.io"
    assert toml().loads(mirrors.hosts_toml("ghcr.io", ["https://g"]))["server"] == "https://ghcr.io"


def test_write_makes_the_folder_match_the_setting_and_keeps_foreign_files(tmp_path):
    folder = tmp_path / "certs.d"
    assert mirrors.write(folder, {"docker.io": ["https://a"], "quay.io": ["https://q"]}) is True
    assert mirrors.write(folder, {"docker.io": ["https://a"], "quay.io": ["https://q"]}) is False, "nothing changed"
    (folder / "mine.example").mkdir()
    (folder / "mine.example" / "hosts.toml").write_text('server = "https://mine.example"\n')
    assert mirrors.write(folder, {"docker.io": ["https://b"]}) is True
    assert sorted(p.parent.name for p in folder.glob("*/hosts.toml")) == ["docker.io", "mine.example"]
    assert "https://b" in (folder / "docker.io" / "hosts.toml").read_text()
    assert not (folder / "quay.io").exists()
    mirrors.write(folder, {})
    assert folder.is_dir(), "the folder stays: a kind node has it bind-mounted"


def test_the_kind_config_mounts_the_folder_and_points_containerd_at_it(tmp_path):
    certs = tmp_path / "certs.d" / "k8slab"
    cfg = kindconfig.kind_config("k8slab", tmp_path / "shared", None, [], certs)
    jsonschema.validate(yaml.safe_load(kindconfig.dump(cfg)), CLUSTER)
    assert {"hostPath": str(certs), "containerPath": "/etc/containerd/certs.d", "readOnly": True} in cfg["nodes"][0]["extraMounts"]
    patch = toml().loads(cfg["containerdConfigPatches"][0])
    assert patch == {"plugins": {"io.containerd.grpc.v1.cri": {"registry": {"config_path": "/etc/containerd/certs.d"}}}}


def test_the_ci_node_images_containerd_config_takes_the_patch():
    """containerd refuses `config_path` together with the deprecated `registry.mirrors`: the offline node
    image's config must not set those (kind merges the patch into it)."""
    from pathlib import Path

    node = Path(__file__).parents[1] / "cluster" / "kindnode-files" / "etc" / "containerd" / "config.toml"
    cri = toml().loads(node.read_text())["plugins"]["io.containerd.grpc.v1.cri"]
    assert "mirrors" not in cri.get("registry", {}) and "configs" not in cri.get("registry", {})


def test_context_and_node_providers_say_what_they_leave_alone(kit_home):
    settings = config.load(mirrors={"docker.io": ["http://10.0.0.5:5000"]})
    said = []
    ContextProvider(settings).use_mirrors(said.append, created=False)
    assert said == ["registry mirrors (docker.io via http://10.0.0.5:5000) not set: the context provider leaves the "
                    "cluster alone, and its own configuration governs where its nodes pull images from"]
    said.clear()
    node = NodeProvider(settings)
    node.use_mirrors(said.append, created=False)
    assert len(said) == 1 and f"copy the folders in {node.certs_dir}" in said[0]
    assert "http://10.0.0.5:5000" in (node.certs_dir / "docker.io" / "hosts.toml").read_text()
    said.clear()
    ContextProvider(config.load()).use_mirrors(said.append, created=False)
    assert said == [], "no setting, nothing to say"


def test_a_kind_cluster_made_without_the_folder_is_to_be_recreated(standins, kit_home):
    standins.tools("docker", "kind").reply({
        "docker ps": (0, "k8slab-control-plane\trunning\t"),
        "docker inspect": (0, "/k8slab/shared /lib/modules /var "),
    })
    said = []
    KindProvider(config.load(mirrors={"docker.io": ["https://a"]})).use_mirrors(said.append, created=False)
    assert said == ["registry mirrors not set: the kind cluster 'k8slab' was made without the kit's mirror folder; "
                    "recreate it with `k8slab down && k8slab up`"]
    assert not (kit_home / "certs.d" / "k8slab" / "docker.io").exists()


def test_a_reused_kind_cluster_with_mirrors_has_its_nodes_listed_once(standins, kit_home):
    """find(), wake() and use_mirrors() share one `docker ps` (each call costs `k8slab up` about 15 ms)."""
    standins.tools("docker", "kind").reply({
        "docker ps": (0, "k8slab-control-plane\trunning\t"),
        "docker inspect": (0, f"/k8slab/shared {mirrors.IN_NODE} /lib/modules "),
    })
    kind = KindProvider(config.load(mirrors={"docker.io": ["https://a"]}, workers=0))
    said = []
    found = kind.find()
    assert found and kind.wake(said.append, found) is False
    kind.use_mirrors(said.append, created=False, found=found)
    assert said == ["registry mirrors: docker.io via https://a"]
    assert [c[:2] for c in standins.calls()] == [["docker", "ps"], ["docker", "inspect"]]


def test_a_reused_kind_cluster_without_a_setting_keeps_its_mirrors_untouched(standins, kit_home):
    standins.tools("docker", "kind")
    folder = kit_home / "certs.d" / "k8slab"
    mirrors.write(folder, {"docker.io": ["https://a"]})
    KindProvider(config.load()).use_mirrors(lambda _: None, created=False)
    assert standins.calls() == [] and (folder / "docker.io" / "hosts.toml").exists()


def test_k8slab_up_reports_a_bad_mirror_in_one_line(kit_home):
    from click.testing import CliRunner

    done = CliRunner().invoke(main, ["up", "--mirror", "docker.io=ftp://a"])
    assert done.exit_code == 1
    assert done.output.strip().splitlines() == [
        "error: --mirror: mirror 'ftp://a' of docker.io is not an http:// or https:// URL of a host "
        "(e.g. https://mirror.example or http://192.168.1.10:5000, with no path)"]
