"""Providers: the kind config the kit writes, provider choice, and the context provider.

The kind provider runs against a real kind cluster in tests/clusters/test_kind.py, the node provider
against the plain test cluster in tests/clusters/test_node_provider.py.
"""

import shutil
import stat
from pathlib import Path

import jsonschema
import pytest
import yaml

from k8slab.clusters import choosing as cluster
from k8slab.clusters.providers import KindProvider, kindconfig
from k8slab.core import config
from k8slab.core.errors import ProviderError

from ..kind_schema import CLUSTER


def test_generated_kind_config_is_valid_v1alpha4(tmp_path):
    config = kindconfig.kind_config("k8slab", tmp_path, kindconfig.NODE_IMAGES["0.26"],
                                    [{"hostPath": "/dev", "containerPath": "/dev"}])
    jsonschema.validate(yaml.safe_load(kindconfig.dump(config)), CLUSTER)
    config["nodes"][0]["extraMount"] = []  # a typo kind would refuse: the check must catch it
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(config, CLUSTER)


def test_workers_mount_what_the_control_plane_mounts_and_only_it_publishes_the_nodeports(tmp_path):
    image = kindconfig.NODE_IMAGES["0.26"]
    config = kindconfig.kind_config("k8slab", tmp_path / "shared", image, [{"hostPath": "/dev", "containerPath": "/dev"}],
                                    tmp_path / "certs.d", workers=2)
    jsonschema.validate(yaml.safe_load(kindconfig.dump(config)), CLUSTER)
    nodes = config["nodes"]
    assert [n["role"] for n in nodes] == ["control-plane", "worker", "worker"]
    assert [n["image"] for n in nodes] == [image] * 3
    mounts = nodes[0]["extraMounts"]
    assert [m["containerPath"] for m in mounts] == [kindconfig.SHARED_IN_NODE, "/dev", "/etc/containerd/certs.d"]
    assert all(n["extraMounts"] == mounts for n in nodes), "a hostPath page or a mirror works wherever a pod lands"
    assert [p["hostPort"] for p in nodes[0]["extraPortMappings"]] == list(kindconfig.NODE_PORTS)
    assert ["extraPortMappings" in n for n in nodes] == [True, False, False], "a host port is published once"
    assert [n["role"] for n in kindconfig.kind_config("k8slab", tmp_path, None)["nodes"]] == ["control-plane"]
    assert "image" not in kindconfig.kind_config("k8slab", tmp_path, None, workers=1)["nodes"][1]


@pytest.mark.parametrize("workers, words", [(0, "a single node"), (1, "1 control plane and 1 worker"),
                                            (3, "1 control plane and 3 workers")])
def test_the_shape_in_words(workers, words):
    assert kindconfig.shape(workers) == words


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


# -- the kind provider's decisions, up to the process boundary ------------------------------
# docker, podman and kind are tests/standins/recorder here: each call is recorded and answered
# from a fixed table, so the argument lists and the choice between them are what is tested.

KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: k, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: k, user: {token: t}}]
contexts: [{name: k, context: {cluster: k, user: k}}]
current-context: k
"""


def kind_provider(kit_home, workers: int = 0) -> KindProvider:
    return KindProvider(config.load(provider="kind", workers=workers))


def test_a_stopped_kind_node_is_started_then_waited_for(standins, kit_home, monkeypatch):
    standins.tools("docker", "kind").reply({
        "docker ps": (0, "k8slab-control-plane\texited\t"),
        "kind get kubeconfig": (0, KUBECONFIG),
    })
    p = kind_provider(kit_home)
    waited = []
    monkeypatch.setattr(type(p), "ready", lambda self, kube, timeout, patient=False: waited.append(patient))
    progress = []
    p.up(progress.append)
    ps = ["docker", "ps", "-a", "--filter", "label=io.x-k8s.kind.cluster=k8slab", "--format", "{{.Names}}\t{{.State}}\t{{.Ports}}"]
    assert standins.calls() == [
        ps,  # is there such a cluster (what `kind get clusters` lists), and is its node running
        ["docker", "start", "k8slab-control-plane"],
        ["kind", "get", "kubeconfig", "--name", "k8slab"],
    ]
    assert progress == ["reusing the kind cluster 'k8slab'",
                        "the kind node k8slab-control-plane is stopped (Docker or this machine restarted): starting it"]
    assert waited == [True], "a woken node is waited for, not failed at the first refused connection"


def test_a_cluster_of_another_shape_is_kept_and_named_in_one_line(standins, kit_home, monkeypatch):
    standins.tools("docker", "kind").reply({
        "docker ps": (0, "k8slab-control-plane\trunning\t"),
        "kind get kubeconfig": (0, KUBECONFIG),
    })
    p = kind_provider(kit_home, workers=2)
    monkeypatch.setattr(type(p), "ready", lambda self, kube, timeout, patient=False: None)
    progress = []
    p.up(progress.append)
    assert progress == ["reusing the kind cluster 'k8slab'",
                        "the kind cluster 'k8slab' has a single node, the settings ask for 1 control plane and 2 workers: "
                        "kept as it is; to recreate it, `k8slab down && k8slab up --workers 2`"]
    assert not [c for c in standins.calls() if c[:2] == ["kind", "delete"]], "never recreated silently"


def test_reuse_keeps_the_kubeconfig_until_it_no_longer_fits(standins, kit_home, monkeypatch):
    """`kind get kubeconfig` execs into the node (0.2 s): a reused, running cluster keeps the kit's file,
    unless that file fails (the cluster was made anew with kind itself, with a new CA)."""
    from k8slab.core.errors import ClusterUnreachable

    standins.tools("docker", "kind").reply({"docker ps": (0, "k8slab-control-plane\trunning\t"),
                                            "kind get kubeconfig": (0, KUBECONFIG)})
    p = kind_provider(kit_home)
    failures = []
    monkeypatch.setattr(type(p), "ready", lambda self, kube, timeout, patient=False: failures and failures.pop())
    p.up(lambda _: None)
    p.up(lambda _: None)

    def gets():
        return sum(call[:2] == ["kind", "get"] for call in standins.calls())

    assert gets() == 1, "written once, then kept"

    def stale(self, kube, timeout, patient=False):
        if not failures:
            failures.append(1)
            raise ClusterUnreachable("the API server does not answer")

    monkeypatch.setattr(type(p), "ready", stale)
    p.up(lambda _: None)
    assert gets() == 2, "a kept kubeconfig that fails is written anew"


def test_a_running_kind_node_is_left_alone(standins, kit_home):
    standins.tools("docker", "kind").reply({"docker ps": (0, "k8slab-control-plane\trunning\t127.0.0.1:30080->30080/tcp")})
    assert kind_provider(kit_home).wake(lambda _: None) is False
    assert [c[:2] for c in standins.calls()] == [["docker", "ps"]]


def test_why_a_kind_cluster_does_not_answer(standins, kit_home):
    """What replaces "does not answer" when its node is stopped or Docker is down (a deleted cluster
    and a stopped API server are made for real in tests/project/test_faults.py)."""
    p = kind_provider(kit_home)
    standins.tools("docker").reply({"docker ps": (0, "k8slab-control-plane\texited\t")})
    assert str(p.why_unreachable("https://127.0.0.1:40000")) == (
        "the kind node k8slab-control-plane is stopped: Docker or this machine restarted (run `lab.up()` or `k8slab up` to start it)")
    down = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"
    standins.reply({"docker ps": (1, down)})
    assert str(p.why_unreachable("https://127.0.0.1:40000")) == (
        f"the kind cluster 'k8slab' cannot run: listing kind's node containers failed: {down} (start docker, then run `lab.up()`)")


def test_ready_waits_for_a_waking_api_server_only_when_asked(monkeypatch):
    from k8slab.clusters.providers.base import Provider
    from k8slab.core.errors import ClusterUnreachable
    from k8slab.kube import waiting

    class Booting:
        answers = 0

        def readyz(self):
            self.answers += 1
            if self.answers < 3:
                raise ClusterUnreachable("connection refused")
            return "ok"

    monkeypatch.setattr(waiting, "watch_until", lambda *a, **kw: None)
    monkeypatch.setattr("time.sleep", lambda _: None)
    with pytest.raises(ClusterUnreachable):
        Provider.ready(None, Booting(), timeout=60)
    kube = Booting()
    Provider.ready(None, kube, timeout=60, patient=True)
    assert kube.answers == 3


def test_kind_load_docker_image_is_the_default(standins, kit_home):
    standins.tools("docker", "kind").reply({"docker info": (0, "[[Backing Filesystem extfs] [Supports d_type true]]")})
    kind_provider(kit_home).load_image("hello:v1")
    assert standins.calls() == [["docker", "info", "-f", "{{.DriverStatus}}"],
                                ["kind", "load", "docker-image", "hello:v1", "--name", "k8slab"]]


def test_dockers_containerd_image_store_loads_through_an_archive(standins, kit_home):
    standins.tools("docker", "kind").reply({"docker info": (0, "[[driver-type io.containerd.snapshotter.v1]]")})
    kind_provider(kit_home).load_image("hello:v1")
    info, save, load = standins.calls()
    assert save[:3] == ["docker", "save", "-o"] and save[4:] == ["hello:v1"]
    assert load == ["kind", "load", "image-archive", save[3], "--name", "k8slab"]
    assert not Path(save[3]).parent.exists(), "the archive's folder is removed afterwards"
    assert standins.providers() == [None, None, None]


def test_a_podman_only_host_saves_with_podman_and_tells_kind(standins, kit_home):
    standins.tools("podman", "kind").reply({"podman ps": (0, "k8slab-control-plane\texited\t")})
    p = kind_provider(kit_home)
    found = p.find()
    assert found and p.wake(lambda _: None, found)
    p.load_image("hello:v1")
    calls = standins.calls()
    assert calls[1] == ["podman", "start", "k8slab-control-plane"]  # the nodes find() listed
    save, load = calls[2:]
    assert save[:3] == ["podman", "save", "-o"] and load[:3] == ["kind", "load", "image-archive"] and load[3] == save[3]
    kind_calls = [prov for call, prov in zip(calls, standins.providers(), strict=False) if call[0] == "kind"]
    assert kind_calls == ["podman"], "kind drives Podman only with KIND_EXPERIMENTAL_PROVIDER=podman"


def test_a_failing_archive_load_is_one_line(standins, kit_home):
    standins.tools("docker", "kind").reply({"docker info": (0, "[[driver-type io.containerd.snapshotter.v1]]"),
                                            "docker save": (1, "Error response from daemon: No such image: nope:1")})
    with pytest.raises(ProviderError) as err:
        kind_provider(kit_home).load_image("nope:1")
    assert str(err.value) == "saving nope:1 with docker failed: Error response from daemon: No such image: nope:1"


def test_a_kind_nodes_machine_is_its_container(standins, kit_home, chosen, capsys):
    """`lab.stop_node` and friends run the engine's own command, shown first as the learner would type it."""
    standins.tools("docker").reply({"docker ps": (0, "k8slab-control-plane\trunning\t\nk8slab-worker\trunning\t"),
                                    "docker exec": (3, "kubelet.service: inactive")})
    chosen(None, provider="kind")
    cluster.stop_node("k8slab-worker")
    assert cluster.node_exec("k8slab-worker", ["systemctl", "is-active", "kubelet"]) == "kubelet.service: inactive\n"
    assert [c for c in standins.calls() if c[1] != "ps"] == [
        ["docker", "stop", "k8slab-worker"], ["docker", "exec", "k8slab-worker", "systemctl", "is-active", "kubelet"]]
    assert capsys.readouterr().out.splitlines() == [
        "$ docker stop k8slab-worker", "$ docker exec k8slab-worker systemctl is-active kubelet"]
    with pytest.raises(ProviderError, match="k8slab-worker9 is not a node of the kind cluster 'k8slab'"):
        cluster.start_node("k8slab-worker9")


def test_a_node_the_kit_did_not_make_is_not_stopped(kit_home, chosen):
    chosen(None, provider="context")
    with pytest.raises(ProviderError) as e:
        cluster.stop_node("worker-1")
    assert str(e.value).startswith("the context provider cannot stop the node worker-1: the kit did not make its machine")
