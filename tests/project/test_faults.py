"""Faults in the middle of the work, each made for real: the learner gets one line that says what
happened, and nothing is lost or left running (no thread, no open watch, no process).

- a learner's interrupt during a wait or a watch of the shared test cluster (reading only);
- a private Docker daemon stopped, or killed, during a build;
- on a spare kind cluster of this module's own (other host ports, its own K8SLAB_HOME): its API
  server stopped during `wait_for_rollout` and live widgets, the kernel killed half way through
  a chapter that is then run again, the cluster deleted outside the kit and `lab.up()` again.

The tests run in this order, so the spare cluster is created twice at most.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

import k8slab
from k8slab import imaging as images
from k8slab.clusters import choosing as cluster, session
from k8slab.clusters.providers import engine, kindconfig
from k8slab.clusters.providers.base import Cluster
from k8slab.core import config
from k8slab.core.errors import ClusterUnreachable, DockerUnavailable, K8sLabError
from k8slab.kube import applying, client as kubeclient, waiting, watching

from ..needs import kind_node_image, require, require_free_ports, require_images

REPO = Path(__file__).resolve().parents[2]
BUSYBOX = "k8slab.local/busybox:1"
NGINX = "k8slab.local/nginx:1.17.0"  # chapter 07's nginx:1.17.0, through the image override map
PORTS = (32080, 32081, 32082)  # the kit's own kind cluster publishes 30080-30082, the Podman test 31080-31082
CHAPTER = REPO / "notebooks" / "07-practice.ipynb"  # the quickest chapter on a cluster (17 s)
APISERVER = "/etc/kubernetes/manifests/kube-apiserver.yaml"  # the kubelet runs the static pods in that folder
PARKED = "/etc/kubernetes/kube-apiserver.yaml"


def quiet(_line: str) -> None:
    pass


def one_line(err: pytest.ExceptionInfo) -> str:
    text = str(err.value)
    assert "\n" not in text, f"not one line: {text!r}"
    return text


def threads() -> set[threading.Thread]:
    return set(threading.enumerate())


def api_connections(kube: kubeclient.Kube) -> int:
    """This process's open sockets to the API server: its socket fds, matched by inode in /proc/net/tcp*."""
    port = urllib.parse.urlsplit(kube.host).port
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            fields = row.split()
            if fields[9] in inodes and int(fields[2].rsplit(":", 1)[1], 16) == port:
                count += 1
    return count


@contextmanager
def after(seconds: float, action: Callable[[], None]):
    """Run `action` on a timer thread while the block runs; the timer is gone when the block is left."""
    timer = threading.Timer(seconds, action)
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        timer.join()


def interrupt(probe: Callable[[], None] = lambda: None) -> Callable[[], None]:
    """What Jupyter's interrupt button does: SIGINT to the kernel, whose main thread raises KeyboardInterrupt.

    A real signal, aimed at the main thread: it breaks off a read blocked in the socket, as in a kernel.
    (`_thread.interrupt_main()` only sets a flag that the main thread sees once that read returns,
    at the end of the server's watch window, which would time the server, not the kit.)
    """
    assert threading.current_thread() is threading.main_thread()

    def fire():
        probe()
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
    return fire


# -- a learner's interrupt (the shared test cluster, reading only) --------------------------------

def test_an_interrupted_wait_stops_at_once_and_closes_its_watch(kube, namespace):
    kube.api.rest_client.pool_manager.clear()  # no idle connection kept: each one counted is in use
    before, seen, baseline = api_connections(kube), [], threads()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        with after(2, interrupt(lambda: seen.append(api_connections(kube)))):
            waiting.wait_for_pod("never-made", namespace, timeout=120, kube=kube)
    assert time.monotonic() - started < 10, "the interrupt ends the wait, not its timeout"
    assert seen == [before + 1], "the wait was watching on one connection when interrupted"
    assert api_connections(kube) == before, "that watch is closed"
    assert threads() == baseline


def test_an_interrupted_follow_stops_at_once_and_closes_its_watch(kube, namespace):
    kube.api.rest_client.pool_manager.clear()
    before, seen, baseline, events = api_connections(kube), [], threads(), []
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        with after(2, interrupt(lambda: seen.append(api_connections(kube)))):
            for etype, _ in watching.follow("v1", "Pod", namespace, window=60, kube=kube):
                events.append(etype)
    assert time.monotonic() - started < 10
    assert events == [watching.SYNCED], "listed, then watching when interrupted"
    assert seen == [before + 1]
    assert api_connections(kube) == before
    assert threads() == baseline


# -- the Docker engine stops during a build (a private daemon) --------------------------------------

class PrivateDocker:
    """A second Docker daemon with its own socket, data, state and cgroup; no network of its own.

    It takes the main daemon's runtimes (where CI's runc wrapper is the default runtime), and says
    it is ready over NOTIFY_SOCKET, as it tells systemd.
    """

    def __init__(self, root: Path):
        self.root = root
        self.host = f"unix://{root}/docker.sock"
        self.proc: subprocess.Popen | None = None
        # A bridge of its own: with --bridge=none dockerd deletes the host's docker0 at start
        # (moby's removeDefaultBridgeInterface), and the main daemon's containers lose their network.
        self.bridge = f"k8f{root.name[-8:]}".replace("_", "")[:15]

    def start(self, timeout: float = 60) -> None:
        main = Path("/etc/docker/daemon.json")
        settings = json.loads(main.read_text()) if main.is_file() and main.stat().st_size else {}
        conf = self.root / "daemon.json"
        conf.write_text(json.dumps({k: v for k, v in settings.items() if k in ("runtimes", "default-runtime")}))
        for step in (["link", "add", self.bridge, "type", "bridge"], ["addr", "add", "10.213.213.1/24", "dev", self.bridge],
                     ["link", "set", self.bridge, "up"]):
            subprocess.run(["ip", *step], check=True, capture_output=True)
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
            notify.bind(str(self.root / "notify.sock"))
            notify.settimeout(timeout)
            log = open(self.root / "dockerd.log", "ab")
            self.proc = subprocess.Popen(
                [shutil.which("dockerd"), "--config-file", str(conf), "--host", self.host,
                 "--data-root", str(self.root / "data"), "--exec-root", str(self.root / "exec"),
                 "--pidfile", str(self.root / "docker.pid"), "--cgroup-parent", f"/{self.root.name}",
                 f"--bridge={self.bridge}", "--iptables=false", "--ip-masq=false", "--shutdown-timeout", "2"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                env=dict(os.environ, NOTIFY_SOCKET=str(self.root / "notify.sock")))
            log.close()
            try:
                while b"READY=1" not in notify.recv(4096):
                    pass
            except TimeoutError:
                pytest.fail(f"the private dockerd was not ready in {timeout:g}s: {self.log_tail()}")

    def log_tail(self) -> str:
        return " | ".join((self.root / "dockerd.log").read_text(errors="replace").splitlines()[-3:])

    def load(self, image: str) -> None:
        """`docker save IMAGE | docker -H HOST load`: two processes and a pipe, no shell."""
        save = subprocess.Popen(["docker", "save", image], stdout=subprocess.PIPE)
        load = subprocess.run(["docker", "-H", self.host, "load", "-q"], stdin=save.stdout, capture_output=True, text=True)
        save.stdout.close()
        assert save.wait() == 0 and load.returncode == 0, load.stderr

    def leftovers(self) -> list[int]:
        """Processes still running for this daemon: its containerd and shims (their command lines name
        its folders) and what those run (their children)."""
        found = []
        for proc in Path("/proc").iterdir():
            if proc.name.isdigit() and proc.name != str(os.getpid()):
                try:
                    if str(self.root).encode() in (proc / "cmdline").read_bytes():
                        found.append(int(proc.name))
                except OSError:
                    continue
        for pid in list(found):
            found += _descendants(pid)
        return found

    def remove(self) -> None:
        """Stop the daemon, end what a killed one left running, unmount its mounts, delete its folders."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(60)
        for pid in self.leftovers():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for mount in sorted(_mounts_under(self.root), key=len, reverse=True):
            subprocess.run(["umount", "--lazy", mount], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)
        subprocess.run(["ip", "link", "delete", self.bridge], capture_output=True)
        for group in self.cgroups():  # its --cgroup-parent, which Docker leaves behind (empty)
            for folder in sorted((p for p in group.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
                folder.rmdir()
            group.rmdir()

    def cgroups(self) -> list[Path]:
        top = Path("/sys/fs/cgroup")
        return [p for p in (*top.glob(f"*/{self.root.name}"), top / self.root.name) if p.is_dir()]


def _descendants(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
        for child in children:
            out += [child, *_descendants(child)]
    return out


def _links() -> set[str]:
    return {p.name for p in Path("/sys/class/net").iterdir() if not p.name.startswith("veth")}


def _mounts_under(root: Path) -> list[str]:
    return [fields[4] for fields in (line.split() for line in Path("/proc/self/mountinfo").read_text().splitlines())
            if fields[4] == str(root) or fields[4].startswith(f"{root}/")]


@pytest.fixture
def private_docker(monkeypatch):
    for tool in ("docker", "dockerd"):
        if not shutil.which(tool):
            require(tool, "apt-get install docker.io")
    if os.geteuid() != 0:
        require("root", "a second Docker daemon runs as root")
    if subprocess.run(["docker", "image", "inspect", BUSYBOX], capture_output=True).returncode:
        require(f"image {BUSYBOX}", "bash tests/images/build-base-images")
    # Short: a unix socket's path has at most 107 bytes, and containerd's lies two folders deeper.
    daemon = PrivateDocker(Path(tempfile.mkdtemp(prefix="k8slab-dockerd-")))
    bridges = _links()
    try:
        daemon.start()
        daemon.load(BUSYBOX)
        monkeypatch.setenv("DOCKER_HOST", daemon.host)  # what docker.from_env, and so the kit, talks to
        yield daemon
    finally:
        sdk = images.engine._clients.pop(daemon.host, None)
        if sdk is not None:
            sdk.close()
        daemon.remove()
        assert not daemon.leftovers() and not daemon.cgroups() and not daemon.root.exists()
        assert _links() == bridges, "the private daemon changed the host's network interfaces"


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["stopped", "killed"])
def test_the_docker_engine_stops_during_a_build(private_docker, how, tmp_path):
    """Stopped (what `systemctl stop docker` does) or killed (a crash) while a RUN step runs."""
    # A step that ends on SIGTERM, as most programs do (a shell as PID 1 ignores it: 10 s more).
    (tmp_path / "Dockerfile").write_text(f"FROM {BUSYBOX}\nRUN trap 'exit 143' TERM; echo step-started; sleep 300 & wait\n")
    tag = f"k8slab-fault-{uuid.uuid4().hex[:6]}"
    baseline, lines = threads(), []

    def progress(line: str) -> None:
        lines.append(line)
        if line.strip() == "step-started":
            private_docker.proc.send_signal(how)

    started = time.monotonic()
    with pytest.raises(K8sLabError) as err:
        images.build(tmp_path, tag=tag, progress=progress, overrides={})
    assert time.monotonic() - started < 60, "not the 300 s of the step"
    assert "step-started" in [line.strip() for line in lines], "the engine stopped in the middle of the RUN step"
    assert err.type is DockerUnavailable
    assert one_line(err) == (f"building {tag}: the Docker engine at {private_docker.host} stopped before it finished "
                             "(start Docker again, e.g. `sudo systemctl start docker` or Docker Desktop, then run it again)")
    assert private_docker.proc.wait(30) == (0 if how == signal.SIGTERM else -signal.SIGKILL)
    assert threads() == baseline
    if how == signal.SIGTERM:
        assert not private_docker.leftovers(), "a stopped engine ends its build step itself"


# -- a spare kind cluster ---------------------------------------------------------------------------

@dataclass
class Spare:
    name: str
    home: Path
    made: int = 0
    cluster: Cluster | None = None

    @property
    def node(self) -> str:
        return f"{self.name}-control-plane"

    @property
    def kube(self) -> kubeclient.Kube:
        return self.cluster.kube

    @property
    def kubeconfig(self) -> Path:
        return self.home / f"{self.name}.kubeconfig"

    def up(self, progress=quiet) -> Cluster:
        self.cluster = cluster.up("kind", cluster_name=self.name, progress=progress)
        return self.cluster

    def in_node(self, *argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(["docker", "exec", self.node, *argv], capture_output=True, text=True)

    def stop_api_server(self) -> None:
        """Move its static pod's manifest out of the kubelet's folder: the kubelet stops it."""
        moved = self.in_node("mv", APISERVER, PARKED)
        assert moved.returncode == 0, moved.stderr

    def restore_api_server(self) -> None:
        if self.in_node("test", "-e", PARKED).returncode == 0:
            moved = self.in_node("mv", PARKED, APISERVER)
            assert moved.returncode == 0, moved.stderr


@pytest.fixture(scope="module")
def spare(tmp_path_factory):
    """A kind cluster of this module's own, deleted at the end whatever happens."""
    for tool in ("kind", "docker"):
        if not shutil.which(tool):
            require(tool, "kind from conda's kubernetes-kind; apt-get install docker.io")
    if engine.name() != "docker":
        require("Docker under kind", "these tests run commands in the node with `docker exec`")
    require_images("docker", kind_node_image(), BUSYBOX, NGINX)
    with pytest.MonkeyPatch.context() as mp:
        home = tmp_path_factory.mktemp("spare-home")
        mp.setenv("K8SLAB_HOME", str(home))  # its kubeconfig and shared folder, not the kit's
        mp.delenv("K8SLAB_CONFIG", raising=False)
        mp.setenv("K8SLAB_WORKERS", "0")  # one node is enough to stop its API server under the kit
        require_free_ports(PORTS)
        mp.setattr(kindconfig, "NODE_PORTS", PORTS)
        mp.setattr(session, "_current", session._current)  # the kit's current cluster and connection, back afterwards
        made = Spare(f"k8slab-faults-{uuid.uuid4().hex[:6]}", home)
        try:
            made.up()
            for image in (BUSYBOX, NGINX):
                cluster.load_image(image)
            yield made
        finally:
            made.restore_api_server()
            cluster.down("kind", cluster_name=made.name, progress=quiet)
    assert not engine.kind_nodes(made.name)


NEVER_READY = {
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "never-ready"},
    "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "never-ready"}}, "template": {
        "metadata": {"labels": {"app": "never-ready"}},
        "spec": {"terminationGracePeriodSeconds": 0, "containers": [{
            "name": "main", "image": BUSYBOX, "imagePullPolicy": "Never", "command": ["sleep", "3600"],
            "readinessProbe": {"exec": {"command": ["false"]}, "periodSeconds": 5}}]}}},
}


def test_the_api_server_stops_during_a_rollout_wait_and_live_widgets(spare):
    from k8slab.ui.widgets import PodTable, RolloutProgress

    ns = f"faults-{uuid.uuid4().hex[:6]}"
    kube = spare.kube
    applying.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}, NEVER_READY], namespace=ns, kube=kube)
    baseline = threads()
    pods = PodTable(namespace=ns, kube=kube)
    rollout = RolloutProgress("never-ready", ns, kube=kube)
    try:
        pods.wait_for(lambda w: len(w.pods) == 1, timeout=60)
        rollout.wait_for(lambda w: w.state["new"] is not None, timeout=60)
        stopped = []
        try:
            with after(3, lambda: (spare.stop_api_server(), stopped.append(time.monotonic()))):
                with pytest.raises(ClusterUnreachable) as err:
                    waiting.wait_for_rollout("never-ready", ns, timeout=300, kube=kube)
            assert stopped, "the rollout could not finish: only the fault ended the wait"
            assert time.monotonic() - stopped[0] < 60, "the wait ends soon after the API server stops, not at its timeout"
            assert one_line(err).endswith(
                f"the API server of the kind cluster {spare.name!r} at {kube.host} does not answer, although its node runs "
                "(it may be restarting: `lab.up()` waits until it answers)")

            for widget in (pods, rollout):
                widget.wait_for(lambda w: (w.error or "").startswith("connection lost, retrying in"), timeout=60)
                assert "\n" not in widget.error and "does not answer" in widget.error
                assert widget.summary().endswith(f"[error: {widget.error}]")
                assert widget.running, "it keeps trying"
        finally:
            spare.restore_api_server()

        lines = []
        spare.up(progress=lines.append)  # what the error says to do: it waits until the API server answers
        assert lines[0] == f"reusing the kind cluster {spare.name!r}"
        assert spare.kube.readyz().strip() == "ok"
        for widget in (pods, rollout):
            widget.wait_for(lambda w: w.error is None, timeout=60)  # back in step, the line cleared
        assert [p["name"] for p in pods.pods] == [p["metadata"]["name"] for p in applying.list_objects("Pod", ns, kube=spare.kube)]
    finally:
        pods.close()
        rollout.close()
    assert not pods.running and not rollout.running
    assert threads() == baseline, "closed widgets leave no thread"
    # Not waited for: the controller manager lost its lease with the API server and is restarting.
    applying.delete(kind="Namespace", name=ns, kube=spare.kube, wait=False)


def test_the_kernel_dies_half_way_and_the_chapter_runs_again(spare, monkeypatch):
    """Chapter 07 on the spare cluster: its kernel killed in `wait_for_rollout` (after the namespace and the
    Deployment are made), then the whole chapter in a new kernel passes and leaves nothing behind."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    # The kernel's lab.up() and %kubectl must find the spare cluster, never the kit's own.
    monkeypatch.setenv("K8SLAB_CLUSTER", spare.name)
    monkeypatch.setenv("KUBECONFIG", str(spare.kubeconfig))
    monkeypatch.delenv("K8SLAB_KUBECONFIG", raising=False)
    ns = "k8slab-practice"
    resources = {"metadata": {"path": str(CHAPTER.parent)}}

    nb = nbformat.read(CHAPTER, as_version=4)
    first = NotebookClient(nb, timeout=300, kernel_name="python3", resources=resources)
    with first.setup_kernel():
        pid = first.km.provisioner.pid
        cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        half = next(n for n, (_, c) in enumerate(cells) if "wait_for_rollout" in c.source)
        for index, cell in cells[:half]:
            first.execute_cell(cell, index)
        with after(1, lambda: os.kill(pid, signal.SIGKILL)):
            with pytest.raises(DeadKernelError):
                first.execute_cell(cells[half][1], cells[half][0])
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert applying.exists("Deployment", "nginx-deployment", ns, "apps/v1", kube=spare.kube), "the first kernel made it"

    again = nbformat.read(CHAPTER, as_version=4)
    NotebookClient(again, timeout=300, kernel_name="python3", resources=resources).execute()  # raises on a failed cell
    errors = [o for c in again.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    assert not applying.exists("Namespace", ns, kube=spare.kube), "the chapter deleted its namespace"
    shared = config.load().home / "shared"
    assert not (shared / "www" / "bom").exists() and not (config.load().home / "nginx-deployment.yaml").exists()


def test_the_cluster_is_deleted_then_up_makes_it_again(spare):
    assert session.kube() is spare.kube, "the kit's current cluster is the spare one"
    deleted = subprocess.run(["kind", "delete", "cluster", "--name", spare.name], capture_output=True, text=True)
    assert deleted.returncode == 0, deleted.stderr

    with pytest.raises(ClusterUnreachable) as err:
        k8slab.get("Namespace", "default")
    assert one_line(err) == (f"reading Namespace/default: the kind cluster {spare.name!r} was deleted "
                             "(run `lab.up()` or `k8slab up` to create it again)")
    status = cluster.status("kind", cluster_name=spare.name)
    assert status["exists"] is False and status["ready"] is False

    lines = []
    again = spare.up(progress=lines.append)
    assert lines[0] == f"creating the kind cluster {spare.name!r} (a few minutes the first time)"
    assert again.kube.readyz().strip() == "ok"
    assert k8slab.get("Namespace", "default")["metadata"]["name"] == "default"
