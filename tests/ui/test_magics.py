"""%kubectl and %%kubectl: argument handling, image overrides, and the real kubectl against the test cluster.

kubectl is the real binary: K8SLAB_KUBECTL (the test cluster's, matching the server) or `kubectl` on PATH.
"""

import pytest
import yaml

import k8slab as lab
from k8slab.core.errors import K8sLabError, ToolMissing
from k8slab.ui import magics

from ..needs import require

BUSYBOX = "k8slab.local/busybox:1"
POD = """apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: c, image: busybox:1.36}
"""


# -- no cluster: arguments and overrides --------------------------------------------

def test_image_flag_and_stdin_manifests_are_overridden():
    images = {"busybox:1.36": "local/busybox:1"}
    args, stdin, notes = magics.with_overrides(["run", "x", "--image=busybox:1.36"], None, images)
    assert args == ["run", "x", "--image=local/busybox:1"] and notes == ["busybox:1.36 -> local/busybox:1 in --image"]
    args, _, _ = magics.with_overrides(["create", "deployment", "d", "--image", "busybox:1.36"], None, images)
    assert args[-1] == "local/busybox:1"
    args, stdin, notes = magics.with_overrides(["apply", "-f", "-"], POD, images)
    assert yaml.safe_load(stdin)["spec"]["containers"][0]["image"] == "local/busybox:1"
    assert notes == ["busybox:1.36 -> local/busybox:1 in Pod/p"]


def test_a_file_with_an_overridden_image_goes_through_stdin(tmp_path):
    f = tmp_path / "pod.yaml"
    f.write_text(POD)
    args, stdin, notes = magics.with_overrides(["apply", "-f", str(f), "-n", "x"], None, {"busybox:1.36": "local/b:1"})
    assert args == ["apply", "-f", "-", "-n", "x"] and "local/b:1" in stdin and notes
    same = magics.with_overrides(["apply", "-f", str(f)], None, {"other:1": "x:1"})
    assert same == (["apply", "-f", str(f)], None, [])


def test_no_map_or_unparsable_text_passes_through_unchanged():
    assert magics.with_overrides(["apply", "-f", "-"], POD, {}) == (["apply", "-f", "-"], POD, [])
    broken = "kind: [unclosed"
    assert magics.with_overrides(["apply", "-f", "-"], broken, {"a": "b"}) == (["apply", "-f", "-"], broken, [])
    assert magics.with_overrides(["delete", "-f", "-"], POD, {"busybox:1.36": "x"})[1] == POD


def test_missing_kubectl_is_one_line(monkeypatch, tmp_path):
    monkeypatch.delenv("K8SLAB_KUBECTL", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolMissing) as e:
        magics.kubectl_path()
    assert str(e.value).startswith("`kubectl` is not on PATH (") and "\n" not in str(e.value)
    not_executable = tmp_path / "kubectl-copy"
    not_executable.write_text("")
    monkeypatch.setenv("K8SLAB_KUBECTL", str(not_executable))
    with pytest.raises(ToolMissing, match="is not an executable kubectl"):
        magics.kubectl_path()


def test_bad_lines_are_one_line_errors():
    with pytest.raises(K8sLabError, match="cannot split the kubectl line"):
        magics.kubectl('get pods "unclosed')
    with pytest.raises(K8sLabError, match="needs a command"):
        magics.kubectl("--expect-error")


def stand_in_kubectl(tmp_path, version: str):
    """A stand-in kubectl (not the real one) that only answers `version --client -o json`."""
    script = tmp_path / "kubectl"
    script.write_text(f"#!/bin/sh\necho '{{\"clientVersion\": {{\"gitVersion\": \"{version}\"}}}}'\n")
    script.chmod(0o755)
    return str(script)


def test_expect_error_since_follows_the_kubectl_version(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("K8SLAB_KUBECTL", stand_in_kubectl(tmp_path, "v1.20.2"))
    assert magics.client_version() == (1, 20)
    args, expect = magics._expects_error(["run", "x", "--replicas=5", "--expect-error-since=1.21"])
    assert args == ["run", "x", "--replicas=5"] and expect is False
    assert "kubectl 1.20 is older than 1.21" in capsys.readouterr().out
    monkeypatch.setenv("K8SLAB_KUBECTL", stand_in_kubectl(tmp_path, "v1.32.4-dispatcher"))
    assert magics._expects_error(["run", "--expect-error-since=1.21"]) == (["run"], True)
    assert magics._expects_error(["get", "--expect-error"]) == (["get"], True)
    with pytest.raises(K8sLabError, match="is not a kubectl version"):
        magics._expects_error(["get", "--expect-error-since=new"])


def test_the_error_line_is_kubectls_last_error():
    out = magics.Outcome(1, "", "I1 some log\nError from server (NotFound): pods \"x\" not found\n")
    assert out.error_line == 'Error from server (NotFound): pods "x" not found'
    assert magics.Outcome(2, "", "").error_line == "exit code 2"


# -- the real kubectl on the test cluster ---------------------------------------------

@pytest.fixture
def kubectl_ok(kube):
    try:
        return magics.kubectl_path()
    except ToolMissing as e:
        require("kubectl", str(e))


@pytest.mark.cluster
def test_kubectl_runs_on_the_kits_cluster_not_the_users(kubectl_ok, namespace, monkeypatch, tmp_path, capsys):
    bogus = tmp_path / "config"
    bogus.write_text("not a kubeconfig")
    monkeypatch.setenv("KUBECONFIG", str(bogus))  # the learner's own: never read
    magics.kubectl(f"get namespace {namespace} -o name")
    assert capsys.readouterr().out == f"namespace/{namespace}\n"


@pytest.mark.cluster
def test_stdin_apply_with_overrides_creates_a_running_pod(kubectl_ok, namespace, monkeypatch, reread_settings, capsys):
    monkeypatch.setenv("K8SLAB_IMAGES", f"busybox:1.36={BUSYBOX}")
    reread_settings()
    body = POD.replace("{name: c, image: busybox:1.36}", "{name: c, image: busybox:1.36, imagePullPolicy: Never, command: [sleep, '3600']}")
    magics.kubectl(f"apply -f - -n {namespace}", body)
    out = capsys.readouterr().out
    assert "image override: busybox:1.36 -> k8slab.local/busybox:1 in Pod/p" in out and "pod/p created" in out
    assert lab.get("Pod", "p", namespace)["spec"]["containers"][0]["image"] == BUSYBOX


@pytest.mark.cluster
def test_a_failure_fails_the_cell_unless_expected(kubectl_ok, namespace, capsys):
    with pytest.raises(magics.KubectlFailed) as e:
        magics.kubectl(f"get pod nothing -n {namespace}")
    assert 'pods "nothing" not found' in str(e.value) and "\n" not in str(e.value)
    outcome = magics.kubectl(f"get pod nothing -n {namespace} --expect-error")
    assert outcome.returncode != 0
    assert capsys.readouterr().out.startswith("kubectl failed, as expected: ")
    with pytest.raises(K8sLabError, match="expected to fail but succeeded"):
        magics.kubectl(f"get namespace {namespace} --expect-error")


@pytest.mark.cluster
def test_global_options_come_from_kubectl(kubectl_ok):
    options = magics.global_options()
    assert {"--kubeconfig", "--namespace", "--context", "--server", "--token", "--v"} <= options
    # the klog flags went in kubectl 1.26
    assert ("--log-dir" in options) == (magics.client_version() < (1, 26))


@pytest.mark.cluster
def test_the_ipython_magics(kubectl_ok, namespace):
    from IPython.testing.globalipapp import get_ipython, start_ipython

    ip = start_ipython() or get_ipython()  # the first call of the session starts it
    ip.run_line_magic("load_ext", "k8slab.magics")
    ip.user_ns["NS"] = namespace
    result = ip.run_cell("%%kubectl apply -f - -n {NS} -o json\n"
                         "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-magic}\ndata: {a: b}\n")
    assert result.success
    assert lab.get("ConfigMap", "from-magic", namespace)["data"] == {"a": "b"}
    result = ip.run_cell("%kubectl get configmap absent -n {NS}")
    assert not result.success and isinstance(result.error_in_exec, magics.KubectlFailed)
    assert ip.run_cell("%kubectl get configmap absent -n {NS} --expect-error").success


# -- %%solution: an exercise's answer, run only when asked for ------------------------

@pytest.fixture
def ipython():
    from IPython.testing.globalipapp import get_ipython, start_ipython

    ip = start_ipython() or get_ipython()
    ip.run_line_magic("load_ext", "k8slab.magics")
    return ip


def test_a_solution_is_not_run_unless_asked_for(ipython, monkeypatch, capsys):
    monkeypatch.delenv("K8SLAB_RUN_SOLUTIONS", raising=False)
    ipython.user_ns.pop("answered", None)
    result = ipython.run_cell("%%solution\nanswered = 42\nanswered + 1\n")
    assert result.success and result.result is None and "answered" not in ipython.user_ns
    assert magics.SOLUTION_NOT_RUN in capsys.readouterr().out
    monkeypatch.setenv("K8SLAB_RUN_SOLUTIONS", "0")
    assert not magics.solutions_wanted()


def test_a_wanted_solution_runs_like_a_cell(ipython, monkeypatch):
    """Its names land in the notebook, its last expression is the cell's value, magics in it run,
    and its errors fail the cell (CI must see a broken solution)."""
    monkeypatch.setenv("K8SLAB_RUN_SOLUTIONS", "1")
    ipython.user_ns["NS"] = "demo"
    result = ipython.run_cell("%%solution\n# Solution\nanswered = 42\n%env SOLUTION_SAW={NS}\nanswered + 1\n")
    assert result.success and result.result == 43 and ipython.user_ns["answered"] == 42
    import os
    assert os.environ.pop("SOLUTION_SAW") == "demo"
    result = ipython.run_cell("%%solution\nraise ValueError('broken answer')\n")
    assert not result.success and isinstance(result.error_in_exec, ValueError)
