"""The `k8slab` command as a learner runs it: real processes, real PATH, real cluster."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ..needs import require

REPO = Path(__file__).resolve().parents[2]


def k8slab(*args, env=None, path=None):
    environ = dict(os.environ, **(env or {}))
    if path is not None:
        environ["PATH"] = path
    exe = [sys.executable, "-m", "k8slab.ui.cli"]
    return subprocess.run([*exe, *args], capture_output=True, text=True, env=environ, timeout=120)


def tools_dir(tmp_path, *names):
    """A PATH folder holding only the named tools (links to the real ones)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for name in names:
        real = {"python3": sys.executable}.get(name) or shutil.which(name)
        if not real:
            require(name, f"this test runs the real {name}: install it (`k8slab doctor` says how)")
        (folder / name).symlink_to(real)
    return str(folder)


def test_doctor_without_kind_says_how_to_get_it(tmp_path, kit_home):
    done = k8slab("doctor", path=tools_dir(tmp_path, "kubectl"), env={"K8SLAB_PROVIDER": "kind"})
    assert done.returncode == 1
    assert "FAIL kind" in done.stdout and "not on PATH" in done.stdout
    assert "brew install kind" in done.stdout and "conda install -c conda-forge kubernetes-kind" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.docker
def test_doctor_json_with_everything_present(engine, tmp_path, kit_home):
    path = tools_dir(tmp_path, "kind", "kubectl", "python3")
    done = k8slab("doctor", "--json", path=path, env={"K8SLAB_PROVIDER": "kind"})
    checks = {c["name"]: c for c in json.loads(done.stdout)}
    assert checks["container engine"]["ok"], checks["container engine"]
    assert checks["kind"]["ok"] and checks["kind"]["detail"].startswith("kind v0.")
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


@pytest.fixture
def lab_handoff(monkeypatch, tmp_path, kit_home):
    """`k8slab lab` up to JupyterLab: the cluster is a stand-in, os.execve records what JupyterLab would get."""
    from types import SimpleNamespace

    from k8slab.ui import cli

    kubeconfig = kit_home / "k8slab.kubeconfig"
    handed = {}
    monkeypatch.setattr(cli.cluster, "up", lambda *a, **kw: SimpleNamespace(
        name="k8slab", kubeconfig=kubeconfig, provider=SimpleNamespace(name="kind")))
    monkeypatch.setattr(cli.os, "execve", lambda path, args, env: handed.update(path=path, args=args, env=env))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "the-learners-own-config"))

    def run(euid: int):
        from click.testing import CliRunner

        monkeypatch.setattr(cli.os, "geteuid", lambda: euid)
        result = CliRunner().invoke(cli.main, ["lab", "--notebooks", str(REPO / "notebooks")])
        assert result.exit_code == 0, result.output
        return handed, result.output

    return run, kubeconfig


def test_lab_hands_jupyterlab_the_kits_kubeconfig(lab_handoff):
    run, kubeconfig = lab_handoff
    handed, output = run(euid=1000)
    assert handed["path"] == sys.executable
    assert handed["args"] == [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={REPO}",
                              "--LabApp.default_url=/lab/tree/notebooks", "--port=8888"]
    assert handed["env"]["KUBECONFIG"] == str(kubeconfig), "kubectl in JupyterLab's terminal talks to the lab cluster"
    assert handed["env"]["K8SLAB_PROVIDER"] == "kind" and handed["env"]["K8SLAB_CLUSTER"] == "k8slab"
    assert "root" not in output


def test_lab_as_root_adds_allow_root_with_a_warning(lab_handoff):
    run, _ = lab_handoff
    handed, output = run(euid=0)
    assert handed["args"][-1] == "--allow-root"
    warnings = [line for line in output.splitlines() if "root" in line]
    assert warnings == ["  warning: running as root, so JupyterLab gets --allow-root; a normal user account is safer"]


@pytest.fixture
def up_asked(monkeypatch, kit_home):
    """`k8slab up ARGS` with the cluster a stand-in: what `cluster.up` was asked for, and the output."""
    from types import SimpleNamespace

    from click.testing import CliRunner

    from k8slab.ui import cli

    asked = {}

    def up(provider, **kw):
        asked.update(kw, provider=provider)
        return SimpleNamespace(name="k8slab", provider=SimpleNamespace(name="kind"), server="https://127.0.0.1:6443",
                               kubeconfig=kit_home / "k8slab.kubeconfig")

    monkeypatch.setattr(cli.cluster, "up", up)

    def run(*args):
        result = CliRunner().invoke(cli.main, ["up", *args])
        return asked, result

    return run


@pytest.mark.parametrize("args, workers", [(["--workers", "1"], 1), (["--workers", "0"], 0), ([], None)])
def test_up_passes_workers_through(up_asked, args, workers):
    asked, result = up_asked(*args)
    assert result.exit_code == 0, result.output
    assert asked["workers"] == workers, "None leaves the choice to K8SLAB_WORKERS, the settings file, or the default"
    assert "ready: k8slab (kind) at https://127.0.0.1:6443" in result.output


def test_up_with_too_many_workers_is_one_line_before_anything_runs(kit_home):
    done = k8slab("up", "--workers", "9")
    assert done.returncode == 1
    assert done.stderr.strip() == ("error: workers must be a whole number from 0 to 5, not 9 (e.g. K8SLAB_WORKERS=2, "
                                   "or `k8slab up --workers 2`; 0 makes a single-node cluster)")
    assert not kit_home.exists() or not list(kit_home.iterdir()), "nothing was made"
