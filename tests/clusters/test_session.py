"""One session: `lab.up()` and `lab.use()` choose the cluster, and everything after acts on the one chosen last.

Two real clusters: the kit's kind cluster (KUBECONFIG) and the plain test cluster of host
processes (K8SLAB_TEST_NODE_KUBECONFIG). Nothing here creates or deletes a cluster: `lab.up()`
reuses the kind cluster, with a private K8SLAB_HOME so the kit's own kubeconfig is never rewritten.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import k8slab as lab
from k8slab.clusters import session
from k8slab.clusters.providers import engine
from k8slab.core import config
from k8slab.core.errors import K8sLabError, ProviderError
from k8slab.lessons.rook import loopdev

from ..needs import require

rook = lab.rook

KIND_NODE = "k8slab-control-plane"


def _kind_nodes() -> list[str]:
    """The kit's kind cluster's nodes, as Docker lists their containers (the control plane, and its workers)."""
    return sorted(name for name, _, _ in engine.kind_nodes("k8slab"))


@pytest.fixture
def plain(kube) -> str:
    """The plain test cluster's kubeconfig (its node is not a kind node)."""
    path = os.environ.get("K8SLAB_TEST_NODE_KUBECONFIG")
    if not path or not os.path.isfile(path):
        require("the plain test cluster", "`bash tests/cluster/testcluster start`, then export K8SLAB_TEST_NODE_KUBECONFIG")
    return path


@pytest.fixture
def kind_kubeconfig(kubeconfig) -> str:
    """The kit's kind cluster, as the tests reach it."""
    if lab.use(kubeconfig).kube.readyz().strip() != "ok" or KIND_NODE not in _nodes():
        require("the kit's kind cluster", "`k8slab up`, and KUBECONFIG naming its kubeconfig")
    return kubeconfig


@pytest.fixture(autouse=True)
def session_back(monkeypatch):
    monkeypatch.setattr(session, "_current", session._current)  # the tests' own session, back after each test


def _nodes() -> list[str]:
    return [n["metadata"]["name"] for n in lab.list_objects("Node")]


def _loop_devices() -> list[str]:
    return loopdev.attached(loopdev.node_container("k8slab"))


@pytest.mark.cluster
def test_the_cluster_chosen_last_is_the_one_the_kit_acts_on(kind_kubeconfig, plain):
    lab.use(kind_kubeconfig)
    assert _nodes() == _kind_nodes()
    chosen = lab.use(plain)
    assert KIND_NODE not in _nodes() and _nodes()
    assert session.kube() is chosen.kube and session.provider() is chosen.provider
    assert lab.status()["nodes"] == _nodes()
    lab.use(kind_kubeconfig)
    assert _nodes() == _kind_nodes()
    assert lab.status()["nodes"] == _kind_nodes()


@pytest.mark.cluster
@pytest.mark.docker
def test_rook_after_up_of_another_cluster_leaves_the_kind_node_alone(kind_kubeconfig, plain, kit_home, namespace, rook_dir):
    """`lab.up("context", ...)` then `rook.create()`: the CephCluster's disk would go in a kind node; the
    chosen cluster has none, so nothing is made, in the kind cluster's nodes least of all."""
    before = _loop_devices()
    lab.up(progress=lambda _: None)  # the kind cluster, reused
    assert _nodes() == _kind_nodes() and session.provider().name == "kind"
    lab.up("context", kubeconfig=plain, progress=lambda _: None)
    assert KIND_NODE not in _nodes()
    lines = []
    assert rook.create(namespace, progress=lines.append, from_dir=rook_dir) is None
    assert lines == ["not created: the context provider has no kind node to hold the OSD's loop device "
                     "(the CephCluster spec was validated; on kind, this step creates it)"]
    assert _loop_devices() == before


@pytest.mark.cluster
@pytest.mark.docker
def test_load_image_after_use(kind_kubeconfig, plain):
    """`lab.use(kubeconfig)` then `lab.load_image()`: into a kind cluster kind's way; elsewhere one line
    that says what to do, never "no cluster yet"."""
    image = "k8slab.local/busybox:1"
    if subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode:
        require(f"image {image} in Docker", "`bash tests/images/build-base-images`")
    lab.use(kind_kubeconfig)
    assert lab.load_image(image) == image
    lab.use(plain)
    with pytest.raises(ProviderError) as err:
        lab.load_image(image)
    message = str(err.value)
    assert message.startswith("the kit does not know how to load images into context 'k8slab-testcluster' (")
    assert "K8SLAB_REGISTRY" in message and "lab.up(\"node\"" in message and "\n" not in message


def test_before_any_cluster_is_chosen_it_says_what_to_do(monkeypatch):
    monkeypatch.setattr(session, "_current", None)
    with pytest.raises(K8sLabError) as err:
        lab.load_image("k8slab.local/busybox:1")
    assert str(err.value) == "no cluster yet (run `lab.up()` (or `lab.use(kubeconfig)`) first)"
    with pytest.raises(K8sLabError, match="no cluster selected"):
        lab.get("Namespace", "default")


def test_settings_are_read_once_per_session(monkeypatch, kit_home):
    monkeypatch.setattr(session, "_current", None)
    monkeypatch.setenv("K8SLAB_IMAGES", "busybox:1.36=first:1")
    assert session.settings().images == {"busybox:1.36": "first:1"}
    monkeypatch.setenv("K8SLAB_IMAGES", "busybox:1.36=second:1")
    assert session.settings().images == {"busybox:1.36": "first:1"}  # until a new session starts
    session.end()
    assert session.settings().images == {"busybox:1.36": "second:1"}


@pytest.mark.cluster
@pytest.mark.docker
def test_up_on_a_cluster_that_answers_needs_no_api_client(kind_kubeconfig, kit_home):
    """The first `k8slab up` in a new home writes the kit's kubeconfig and waits with the kubernetes client;
    the next one asks /readyz and the nodes with the standard library (providers/probe) and is done."""
    code = ("import sys\nfrom k8slab.ui import cli\nsys.argv = ['k8slab', 'up']\ntry:\n    cli.main()\n"
            "except SystemExit as e:\n    assert not e.code, e.code\nprint('kubernetes' in sys.modules)")
    env = dict(os.environ, K8SLAB_HOME=str(kit_home))
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300) for _ in range(2)]
    assert [r.stdout.split()[-1:] for r in runs] == [["True"], ["False"]], [r.stderr for r in runs]
    assert "ready: k8slab (kind) at https://" in runs[1].stderr + runs[1].stdout
    made = lab.up(progress=lambda _: None)  # in process too: the connection is made on first use
    assert made._kube is None and made.server.startswith("https://")
    assert _nodes() == _kind_nodes() and made.kube.host == made.server


def test_bind_fills_in_what_the_caller_left_out_at_call_time(monkeypatch):
    """`lab.*` passes the session's connection and settings as keyword arguments, read when called:
    a function bound before `lab.use(...)` acts on the cluster chosen after."""
    monkeypatch.setattr(session, "_current", None)

    def act(name, *, kube, overrides=None):
        return name, kube, overrides

    bound = session.bind(act)
    first = session.start(config.load(images={"a:1": "b:1"}), kube="first")
    assert bound("x") == ("x", "first", {"a:1": "b:1"})
    session.start(first.settings, kube="second")
    assert bound("x") == ("x", "second", {"a:1": "b:1"})
    assert bound("x", kube="mine", overrides={}) == ("x", "mine", {})
    assert session.bind(len) is len and session.bind(config.Settings) is config.Settings


def test_a_module_through_the_facade_keeps_its_constants_and_classes():
    assert lab.rook.NAMESPACE == "rook-ceph" and lab.rook.HostNotReady.__name__ == "HostNotReady"
    assert "lessons.rook" in repr(lab.rook) and "watch" in dir(lab.rook)
    with pytest.raises(AttributeError):
        lab.rook.no_such_thing  # noqa: B018
