"""Shared fixtures: the real test cluster, a namespace of its own per test, the Docker engine.

Integration tests need a cluster: KUBECONFIG (or K8SLAB_KUBECONFIG) pointing at it. Outside CI
they are skipped with a reason when there is none; in CI (CI=true) a missing cluster fails them.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path

import pytest

from k8slab.errors import K8sLabError
from k8slab.kube import applying, client

REPO = Path(__file__).resolve().parent.parent
TESTDATA = REPO.parent / "shared" / "testdata"


def _missing(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required in CI (`.ci/run` starts it)")
    pytest.skip(f"no {what}: start it with `bash tests/cluster/testcluster start` and export its `env`")


@pytest.fixture(scope="session")
def kubeconfig() -> str:
    path = os.environ.get("K8SLAB_KUBECONFIG") or os.environ.get("KUBECONFIG")
    if not path or not Path(path).is_file():
        _missing("test cluster")
    return path


@pytest.fixture(scope="session")
def kube(kubeconfig) -> client.Kube:
    try:
        k = client.use(kubeconfig)
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
    applying.delete(kind="Namespace", name=name, kube=kube, timeout=180)


@pytest.fixture
def kit_home(tmp_path, monkeypatch) -> Path:
    """A private K8SLAB_HOME so tests never touch the learner's ~/.k8slab."""
    home = tmp_path / "k8slab-home"
    monkeypatch.setenv("K8SLAB_HOME", str(home))
    monkeypatch.delenv("K8SLAB_CONFIG", raising=False)
    return home


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
