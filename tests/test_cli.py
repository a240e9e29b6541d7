"""The `k8slab` command as a learner runs it: real processes, real PATH, real cluster."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

STANDINS = Path(__file__).parent / "standins"


def k8slab(*args, env=None, path=None):
    environ = dict(os.environ, **(env or {}))
    if path is not None:
        environ["PATH"] = path
    exe = [sys.executable, "-m", "k8slab.cli"]
    return subprocess.run([*exe, *args], capture_output=True, text=True, env=environ, timeout=120)


def tools_dir(tmp_path, *names):
    """A PATH folder holding only the named tools (links to the real ones, or to the kind stand-in)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for name in names:
        real = {"kind": STANDINS / "kind", "python3": sys.executable}.get(name) or shutil.which(name)
        assert real, f"{name} must be installed for this test"
        (folder / name).symlink_to(real)
    return str(folder)


def test_doctor_without_kind_says_how_to_get_it(tmp_path, kit_home):
    done = k8slab("doctor", path=tools_dir(tmp_path, "kubectl"), env={"K8SLAB_PROVIDER": "kind"})
    assert done.returncode == 1
    assert "FAIL kind" in done.stdout and "not on PATH" in done.stdout
    assert "brew install kind" in done.stdout and "conda install -c conda-forge kubernetes-kind" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.docker
def test_doctor_json_with_everything_present(tmp_path, kit_home):
    path = tools_dir(tmp_path, "kind", "kubectl", "python3")
    done = k8slab("doctor", "--json", path=path, env={"K8SLAB_PROVIDER": "kind"})
    checks = {c["name"]: c for c in json.loads(done.stdout)}
    assert checks["container engine"]["ok"], checks["container engine"]
    assert checks["kind"]["ok"] and "v0.26.0" in checks["kind"]["detail"]
    assert checks["kubectl"]["ok"]
    assert done.returncode == (0 if all(c["ok"] for c in checks.values() if c["required"]) else 1)


def test_unknown_provider_is_one_line(kit_home):
    done = k8slab("up", "--provider", "minikub")
    assert done.returncode == 1
    assert done.stderr.strip() == "error: unknown provider 'minikub' (valid providers: context, kind, node)"


@pytest.mark.cluster
def test_up_status_down_with_the_node_provider(kit_home, kubeconfig):
    env = {"K8SLAB_PROVIDER": "node", "K8SLAB_KUBECONFIG": kubeconfig}
    up = k8slab("up", env=env)
    assert up.returncode == 0, up.stderr
    assert "ready: k8slab (node)" in up.stdout
    status = k8slab("status", "--json", env=env)
    info = json.loads(status.stdout)
    assert info["ready"] is True and info["version"].startswith("v1.20")
    down = k8slab("down", env=env)
    assert down.returncode == 1 and "does not delete the machine's cluster" in down.stderr


def test_status_of_a_cluster_that_is_not_there(kit_home, tmp_path):
    done = k8slab("status", env={"K8SLAB_PROVIDER": "node", "K8SLAB_KUBECONFIG": str(tmp_path / "none")})
    assert done.returncode == 1
    assert "exists: False" in done.stdout
