"""`k8slab doctor`'s checks, up to the process boundary.

docker, kind and kubectl are tests/standins/recorder here (stand-ins that print fixed versions and
exit codes); the API server answering /version is a small HTTP server on 127.0.0.1, reached
through the kit's own API layer; the ports are real sockets.
"""

from __future__ import annotations

import http.server
import json
import socket
import threading

import pytest

from k8slab.core import config
from k8slab.core.tools import INSTALL_HINTS
from k8slab.ui import doctor

from ..needs import free_port


@pytest.fixture
def api_server(kit_home):
    """A stand-in API server that answers /version as Kubernetes `version` would; writes the kit's kubeconfig for it."""
    servers = []

    def start(git_version: str) -> None:
        fields = ("buildDate", "compiler", "gitCommit", "gitTreeState", "goVersion", "platform")
        body = json.dumps({"major": "1", "minor": git_version.split(".")[1], "gitVersion": git_version,
                           **{f: "stand-in" for f in fields}}).encode()

        class Version(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Version)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        kit_home.mkdir(parents=True, exist_ok=True)
        (kit_home / "k8slab.kubeconfig").write_text(
            f"apiVersion: v1\nkind: Config\nclusters: [{{name: k, cluster: {{server: 'http://127.0.0.1:{server.server_address[1]}'}}}}]\n"
            "users: [{name: k, user: {token: t}}]\ncontexts: [{name: k, context: {cluster: k, user: k}}]\ncurrent-context: k\n")

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


def kubectl_says(standins, version: str):
    standins.tools("kubectl").reply({"kubectl version": (0, json.dumps({"clientVersion": {"gitVersion": version}}))})


@pytest.mark.parametrize("client, ok", [("v1.32.0", False), ("v1.21.3", True), ("v1.19.9", True), ("v1.18.0", False)])
def test_kubectl_more_than_one_minor_from_the_cluster_is_a_warning(standins, api_server, monkeypatch, client, ok):
    monkeypatch.delenv("K8SLAB_KUBECTL", raising=False)
    kubectl_says(standins, client)
    api_server("v1.20.2")
    (check,) = doctor._skew(config.load(provider="kind"))
    assert (check.name, check.ok, check.required) == ("kubectl skew", ok, False)
    assert check.detail.startswith(f"kubectl 1.{client.split('.')[1]}, cluster v1.20.2")
    assert ("more than one minor version apart" in check.detail) == (not ok)
    assert "kubernetes-client=1.20" in check.fix


def test_no_skew_check_without_a_kit_cluster(standins, kit_home):
    kubectl_says(standins, "v1.32.0")
    assert doctor._skew(config.load(provider="kind")) == []
    kit_home.mkdir(parents=True)
    port = free_port()  # nothing answers there
    (kit_home / "k8slab.kubeconfig").write_text(
        f"apiVersion: v1\nkind: Config\nclusters: [{{name: k, cluster: {{server: 'http://127.0.0.1:{port}'}}}}]\n"
        "users: [{name: k, user: {token: t}}]\ncontexts: [{name: k, context: {cluster: k, user: k}}]\ncurrent-context: k\n")
    assert doctor._skew(config.load(provider="kind")) == []


@pytest.fixture
def ports(monkeypatch):
    """Four free ports of this machine standing for 30080-30082 and 8888; listen(port) takes one."""
    held = []

    chosen = [free_port() for _ in range(4)]
    monkeypatch.setattr(doctor, "NODE_PORTS", tuple(chosen[:3]))
    monkeypatch.setattr(doctor, "LAB_PORT", chosen[3])

    def listen(port: int) -> None:
        s = socket.socket()
        s.bind(("127.0.0.1", port))
        s.listen()
        held.append(s)

    yield chosen, listen
    for s in held:
        s.close()


def test_ports_taken_by_others_fail_with_a_hint_and_the_kits_own_cluster_is_fine(standins, kit_home, ports):
    (a, b, c, lab), listen = ports
    for port in (a, b, lab):
        listen(port)
    standins.tools("docker").reply({"docker ps": (0,
                                                  f"k8slab-control-plane\trunning\t127.0.0.1:{b}->30081/tcp, 127.0.0.1:41234->6443/tcp")})
    checks = {ch.name: ch for ch in doctor._ports(config.load(provider="kind"))}
    assert not checks[f"port {a}"].ok and checks[f"port {a}"].required
    assert f"`ss -ltnp 'sport = :{a}'`" in checks[f"port {a}"].fix
    assert checks[f"port {b}"].ok and checks[f"port {b}"].detail == "held by the kit's cluster k8slab"
    assert checks[f"port {c}"].ok and checks[f"port {c}"].detail == "free on 127.0.0.1"
    assert not checks[f"port {lab}"].ok and not checks[f"port {lab}"].required
    assert "k8slab lab --port" in checks[f"port {lab}"].fix
    assert standins.calls() == [["docker", "ps", "-a", "--filter", "label=io.x-k8s.kind.cluster=k8slab",
                                 "--format", "{{.Names}}\t{{.State}}\t{{.Ports}}"]]


def test_a_port_held_by_the_kits_cluster_names_that_cluster(standins, kit_home, monkeypatch, ports):
    (a, *_), listen = ports
    listen(a)
    monkeypatch.setenv("K8SLAB_CLUSTER", "classroom")
    standins.tools("docker").reply({"docker ps": (0, f"classroom-control-plane\trunning\t127.0.0.1:{a}->30080/tcp")})
    checks = {ch.name: ch for ch in doctor._ports(config.load(provider="kind"))}
    assert checks[f"port {a}"].ok and checks[f"port {a}"].detail == "held by the kit's cluster classroom"
    assert standins.calls()[0][:5] == ["docker", "ps", "-a", "--filter", "label=io.x-k8s.kind.cluster=classroom"]


def test_a_taken_port_is_a_failure_when_docker_cannot_say_whose(standins, kit_home, ports):
    (a, *_), listen = ports
    listen(a)
    standins.tools("docker").reply({"docker ps": (1, "Cannot connect to the Docker daemon")})
    checks = {ch.name: ch for ch in doctor._ports(config.load(provider="kind"))}
    assert not checks[f"port {a}"].ok


def test_docker_installed_but_down_says_start_docker(standins, monkeypatch, tmp_path):
    standins.tools("docker")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    check = doctor._engine()
    assert not check.ok and check.fix == "start Docker (Docker Desktop, or `sudo systemctl start docker`)"


def test_no_engine_at_all_says_how_to_install_one(standins, monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    assert doctor._engine().fix == INSTALL_HINTS["docker"]


def test_success_is_the_exit_code_not_the_words(standins, kit_home):
    standins.tools("kind", "kubectl").reply({
        "kind version": (1, "kind v0.26.0 go1.23.4 linux/amd64"),
        "kubectl config current-context": (0, "error-handling-lab"),
    })
    kind = doctor._tool("kind", True, ("version",))
    assert not kind.ok and kind.fix.startswith("`kind version` fails: reinstall it;")
    context = doctor._context(config.load(provider="context"))
    assert context.ok and context.detail == "error-handling-lab"
    standins.reply({"kubectl config current-context": (1, "the current-context is not set")})
    assert not doctor._context(config.load(provider="context")).ok


@pytest.fixture
def free_memory(monkeypatch, kit_home):
    """The memory check with this much free (GiB), no kit cluster running, and node footprints fixed here
    (the measured figures may change)."""
    monkeypatch.setattr(doctor, "CONTROL_PLANE_MIB", 700)
    monkeypatch.setattr(doctor, "WORKER_MIB", 700)

    def check(gib: float, running: bool = False, **settings) -> doctor.Check:
        monkeypatch.setattr(doctor, "_memory_gb", lambda: gib)
        monkeypatch.setattr(doctor, "_kit_running", lambda _: running)
        return doctor._memory(config.load(**settings))

    return check


@pytest.mark.parametrize("workers, want", [(2, "1 control plane and 2 workers want 3.1 GiB"),
                                           (1, "1 control plane and 1 worker want 2.4 GiB"),
                                           (0, "a single node wants 1.7 GiB")])
def test_memory_is_what_the_clusters_shape_wants(free_memory, workers, want):
    roomy = free_memory(6.2, provider="kind", workers=workers)
    assert (roomy.name, roomy.ok, roomy.required, roomy.detail) == ("memory", True, True, f"6.2 GiB available; {want}")
    short = free_memory(1.5, provider="kind", workers=workers)
    assert not short.ok and short.detail == f"1.5 GiB available; {want}"


def test_too_little_memory_says_how_to_make_the_cluster_smaller(free_memory):
    three = free_memory(3.0, provider="kind", workers=2)
    assert not three.ok, "3.0 GiB free is short of 3 nodes at 700 MiB and 1 GiB for the kit (3.05 GiB)"
    assert three.fix == ("close other programs, or make the cluster smaller: `k8slab up --workers 1`, or K8SLAB_WORKERS=0 "
                         "for a single node (`k8slab down` first if it exists)")
    assert free_memory(3.0, provider="kind", workers=1).ok
    assert "K8SLAB_WORKERS=0 (or `k8slab up --workers 0`) for a single node" in free_memory(2.0, provider="kind", workers=1).fix
    assert free_memory(1.0, provider="kind", workers=0).fix == "close other programs"


def test_the_workers_setting_reaches_the_memory_check(free_memory, monkeypatch):
    monkeypatch.setenv("K8SLAB_WORKERS", "4")
    assert free_memory(4.0, provider="kind").detail == "4.0 GiB available; 1 control plane and 4 workers want 4.4 GiB"


def test_the_kits_running_cluster_is_not_counted_twice(free_memory):
    """Its nodes' memory is in use already: `doctor` after `up` must not fail for the memory they hold."""
    check = free_memory(1.5, running=True, provider="kind", workers=2)
    assert check.ok and check.detail == ("1.5 GiB available beside the kit's running cluster k8slab; JupyterLab and "
                                         "the kit want 1.0 GiB")


def test_running_means_a_running_node_container(standins, kit_home):
    standins.tools("docker").reply({"docker ps": (0, "k8slab-control-plane\texited\t\nk8slab-worker\trunning\t")})
    assert doctor._kit_running(config.load())
    standins.reply({"docker ps": (0, "k8slab-control-plane\texited\t")})
    assert not doctor._kit_running(config.load())


@pytest.mark.parametrize("provider", ["context", "node"])
def test_a_cluster_the_kit_did_not_make_counts_only_the_kit(free_memory, provider):
    check = free_memory(2.0, provider=provider, workers=5)
    assert check.ok and check.detail == ("2.0 GiB available; the kit wants 1.0 GiB (a cluster the kit did not make "
                                         "is not counted)")
    assert not free_memory(0.8, provider=provider).ok
