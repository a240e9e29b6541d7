"""Shared fixtures: the real test cluster, a namespace of its own per test, the Docker engine.

Integration tests need a cluster: KUBECONFIG (or K8SLAB_KUBECONFIG) pointing at it. Outside CI
they are skipped with a reason when there is none; in CI (CI=true) a missing cluster fails them.
"""

from __future__ import annotations

import os
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
