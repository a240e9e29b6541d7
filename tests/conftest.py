"""Shared fixtures: the real test cluster, a namespace of its own per test, the Docker engine.

Integration tests need a cluster: KUBECONFIG (or K8SLAB_KUBECONFIG) pointing at it. Outside CI
they are skipped with a reason when there is none; in CI (CI=true) a missing cluster fails them.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from k8slab.clusters import choosing as cluster, fetching, session
from k8slab.core import config
from k8slab.core.errors import K8sLabError
from k8slab.kube import applying, client, waiting

from .needs import CLUSTER_HOW, cluster_kubeconfig, require

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def kubeconfig() -> str:
    path = cluster_kubeconfig()
    if not path:
        require("test cluster", CLUSTER_HOW)
    return path


@pytest.fixture(scope="session")
def kube(kubeconfig) -> client.Kube:
    try:
        k = cluster.use(kubeconfig).kube
        k.readyz()
    except K8sLabError as e:
        pytest.fail(f"the test cluster in {kubeconfig} does not answer: {e}")
    return k


@pytest.fixture
def namespace(kube):
    """A namespace of the test's own, deleted (and waited for) afterwards."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    applying.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}, kube=kube)
    yield name
    end_namespace(kube, name, wait=False)
    _ending.append((kube, name))


_ending: list[tuple[client.Kube, str]] = []


@pytest.fixture(scope="session", autouse=True)
def namespaces_gone():
    """The namespace controller takes about 5 s to empty a namespace: the tests go on meanwhile,
    and the session ends only once every test namespace is really gone."""
    yield
    for kube, name in _ending:
        waiting.wait_gone("v1", "Namespace", name, timeout=180, kube=kube)


def end_namespace(kube, name: str, wait: bool = True) -> None:
    """Delete a test namespace, ending its pods at once. Many test pods run a command as PID 1 that
    ignores SIGTERM. The namespace goes first: once it is Terminating no controller can make new pods
    in it, so a ReplicaSet cannot replace the ended pods with ones that would wait out 30 s."""
    applying.delete(kind="Namespace", name=name, kube=kube, wait=False)
    kube.resource("v1", "Pod").delete(namespace=name, field_selector=f"metadata.namespace={name}",
                                      body={"gracePeriodSeconds": 0})
    if wait:
        waiting.wait_gone("v1", "Namespace", name, timeout=180, kube=kube)


@pytest.fixture
def reread_settings(monkeypatch):
    """Call it after changing K8SLAB_* variables: the session reads its settings again, keeping its
    cluster; the session as it was comes back after the test."""
    monkeypatch.setattr(session, "_current", session._current)

    def again() -> None:
        if session._current is not None:
            session._current = dataclasses.replace(session._current, settings=config.load())

    return again


@pytest.fixture
def kit_home(tmp_path, monkeypatch, reread_settings) -> Path:
    """A private K8SLAB_HOME so tests never touch the learner's ~/.k8slab; no registry mirror from the
    environment either (CI sets one for the kit's own cluster): a test that wants one sets it."""
    home = tmp_path / "k8slab-home"
    monkeypatch.setenv("K8SLAB_HOME", str(home))
    monkeypatch.delenv("K8SLAB_CONFIG", raising=False)
    monkeypatch.delenv("K8SLAB_MIRRORS", raising=False)
    reread_settings()
    return home


@pytest.fixture
def chosen(monkeypatch):
    """Start a session of the given provider settings on a connection (as `lab.up()` would, without
    touching any cluster); the session as it was comes back after the test."""
    monkeypatch.setattr(session, "_current", session._current)

    def start(kube: client.Kube, **settings) -> session.Session:
        from k8slab.clusters import providers

        made = config.load(**settings)
        return session.start(made, providers.get(made), kube)

    return start


class Standins:
    """A PATH holding only recording stand-ins (tests/standins/recorder) under the given tool names."""

    def __init__(self, folder: Path):
        self.bin, self.log, self.replies = folder / "bin", folder / "calls.jsonl", folder / "replies.json"

    def reply(self, replies: dict[str, tuple[int, str]]) -> None:
        """What each command prefix answers, e.g. {"docker info": (0, "[[driver-type overlay2]]")}."""
        self.replies.write_text(json.dumps(replies))

    def calls(self) -> list[list[str]]:
        return [json.loads(line)["argv"] for line in self.log.read_text().splitlines()] if self.log.exists() else []

    def providers(self) -> list[str | None]:
        """The KIND_EXPERIMENTAL_PROVIDER each call saw."""
        return [json.loads(line)["provider"] for line in self.log.read_text().splitlines()] if self.log.exists() else []


@pytest.fixture
def standins(tmp_path, monkeypatch):
    """Make stand-ins with `standins.tools("docker", "kind")`; PATH then holds only them and python3."""
    s = Standins(tmp_path / "standins")
    s.bin.mkdir(parents=True)
    (s.bin / "python3").symlink_to(sys.executable)
    monkeypatch.setenv("PATH", str(s.bin))
    monkeypatch.setenv("STANDIN_LOG", str(s.log))
    monkeypatch.setenv("STANDIN_REPLIES", str(s.replies))
    monkeypatch.delenv("KIND_EXPERIMENTAL_PROVIDER", raising=False)
    s.reply({})

    def tools(*names: str) -> Standins:
        for name in names:
            (s.bin / name).symlink_to(REPO / "tests" / "standins" / "recorder")
        return s

    s.tools = tools
    return s


def pinned(name: str, cache: Path, extra: dict[str, str] | None = None) -> Path:
    """The folder holding a pinned bundle's upstream files, got through the kit's own sha256-checked
    download and cache: CI seeds it from a folder (K8SLAB_<NAME>_FROM_DIR), elsewhere it downloads.
    `extra` pins more files of the same release that only the tests read (file -> sha256)."""
    b = fetching.bundle(name)
    b = dataclasses.replace(b, sha256={**b.sha256, **(extra or {})})
    try:
        paths = fetching.fetch(b, cache=cache, timeout=20)
    except K8sLabError as e:
        require(f"pinned {b.name} {b.version} files", str(e))
    return next(iter(paths.values())).parent


@pytest.fixture(scope="session")
def rook_dir(tmp_path_factory) -> Path:
    """Rook v1.20.6's manifests, and its cluster-test.yaml example (pinned here, not by the kit)."""
    example = {"cluster-test.yaml": "d09a558d0263ebc80208b70a67877bbc6e5f5fd97df0089fe61cd9054ea752f6"}
    return pinned("rook", tmp_path_factory.mktemp("pinned"), example)


@pytest.fixture(scope="session")
def dashboard_dir(tmp_path_factory) -> Path:
    return pinned("dashboard", tmp_path_factory.mktemp("pinned"))


@pytest.fixture(scope="session")
def engine():
    """The Docker engine (through the images module), or the reason there is none."""
    from k8slab import imaging as images
    from k8slab.core.errors import DockerUnavailable

    try:
        return images.client()
    except DockerUnavailable as e:
        require("Docker engine", str(e))


@pytest.fixture(scope="session")
def bases(engine):
    """The local stand-ins for the guide's public images (idempotent; seconds once cached)."""
    if not shutil.which("debootstrap"):
        require("debootstrap", "the stand-in images are Debian root filesystems: `apt-get install debootstrap`")
    subprocess.run(["bash", str(REPO / "tests" / "images" / "build-base-images")], check=True, timeout=1500)
