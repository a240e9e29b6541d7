"""Checks decided on fake objects (no cluster): what a check says, before and after the learner's work."""

import pytest

from k8slab.kube import waiting
from k8slab.lessons import checks


def pinned(node="w2", selector=None, affinity=None, ready=True):
    spec = {"nodeName": node, "nodeSelector": selector}
    if affinity:
        spec["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": affinity[0], "operator": "In", "values": [affinity[1]]}]}]}}}
    return {"metadata": {"name": "pinned"}, "spec": spec,
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


def test_a_pod_asks_for_a_label_with_a_node_selector_or_a_required_affinity():
    assert checks.asks_for_label(pinned(selector={"disk": "ssd"}), "disk", "ssd")
    assert checks.asks_for_label(pinned(affinity=("disk", "ssd")), "disk", "ssd")
    assert not checks.asks_for_label(pinned(selector={"disk": "hdd"}), "disk", "ssd")
    assert not checks.asks_for_label(pinned(), "disk", "ssd")


def test_a_placement_by_chance_or_on_the_wrong_node_is_named_without_the_answer():
    lucky = checks.placement_problem(pinned(), {"disk": "ssd"}, "disk", "ssd")
    assert "by chance" in lucky and "nodeSelector" not in lucky
    assert "not labelled disk=ssd" in checks.placement_problem(pinned(selector={"disk": "ssd"}), {}, "disk", "ssd")
    assert checks.placement_problem(pinned(selector={"disk": "ssd"}), {"disk": "ssd"}, "disk", "ssd") is None


def watched(monkeypatch, pod, node_labels):
    """Run the check with its watch seeing `pod` once, and the node having `node_labels`."""
    monkeypatch.setattr(checks, "get", lambda kind, name, **kw: {"metadata": {"name": name, "labels": node_labels}})

    def watch_until(api_version, kind, name, namespace, done, *, timeout, describe=None, kube=None, **kw):
        if not done(pod):
            raise waiting.WaitTimeout(f"waited {timeout} s: {describe(pod)}")
    monkeypatch.setattr(checks.waiting, "watch_until", watch_until)
    return checks.pod_on_labelled_node("pinned", "disk", "ssd", "ns", timeout=1, kube=None)


def test_the_check_fails_before_the_pod_exists_and_passes_once_it_asks_and_runs(monkeypatch):
    with pytest.raises(checks.CheckFailed) as e:
        watched(monkeypatch, None, {})
    assert "does not exist" in str(e.value) and 'lab.diagnose("Pod", "pinned", "ns")' in str(e.value)
    with pytest.raises(checks.CheckFailed, match="by chance"):
        watched(monkeypatch, pinned(), {"disk": "ssd"})
    passed = watched(monkeypatch, pinned(selector={"disk": "ssd"}), {"disk": "ssd"})
    assert repr(passed) == "PASS Pod/pinned runs on a node labelled disk=ssd"


def node(ready="True", message="kubelet is posting ready status", unschedulable=None):
    return {"metadata": {"name": "w2"}, "spec": {"unschedulable": unschedulable},
            "status": {"conditions": [{"type": "Ready", "status": ready, "reason": "NodeStatusUnknown", "message": message}]}}


def seeing(monkeypatch, obj):
    def watch_until(api_version, kind, name, namespace, done, *, timeout, describe=None, kube=None, **kw):
        if not done(obj):
            raise waiting.WaitTimeout(f"waited {timeout} s: {describe(obj)}")
    monkeypatch.setattr(checks.waiting, "watch_until", watch_until)


def test_node_ready_fails_while_the_kubelet_is_silent_without_naming_the_fix(monkeypatch):
    seeing(monkeypatch, node("Unknown", "Kubelet stopped posting node status."))
    with pytest.raises(checks.CheckFailed) as e:
        checks.node_ready("w2", timeout=1, kube=None)
    said = str(e.value)
    assert "Ready condition is Unknown" in said and 'lab.diagnose("Node", "w2", "default")' in said
    assert "systemctl" not in said and "start" not in said
    seeing(monkeypatch, node())
    assert repr(checks.node_ready("w2", timeout=1, kube=None)) == "PASS Node/w2 is Ready"


def test_reaches_by_name_fails_while_the_name_does_not_resolve(monkeypatch):
    """It watches the Service's endpoints and the cluster DNS's (a timeout there is not the verdict, nor named),
    then asks from inside the pod: once when a watch timed out, again for a while when the endpoints are there."""
    answers, watched = [(1, "wget: bad address 'shop:80'\n")], []
    monkeypatch.setattr(checks.waiting, "wait_for_pod", lambda *a, **k: {})
    monkeypatch.setattr(checks.inspecting, "exec_in", lambda pod, cmd, ns, kube=None: answers[-1])

    def watch_until(api_version, kind, name, namespace, done, **kw):
        watched.append((kind, name, namespace))
        if name == "kube-dns":
            raise waiting.WaitTimeout("Endpoints/kube-dns not ready after 0s")

    monkeypatch.setattr(checks.waiting, "watch_until", watch_until)
    with pytest.raises(checks.CheckFailed) as e:
        checks.reaches_by_name("client", "shop", "ns", timeout=0, kube=None)
    said = str(e.value)
    assert "bad address" in said and 'lab.diagnose("Service", "shop", "ns")' in said
    assert "coredns" not in said.lower() and "kube-dns" not in said
    assert watched == [("Endpoints", "shop", "ns"), ("Endpoints", "kube-dns", "kube-system")]
    answers.append((0, "welcome to the shop\n"))
    assert repr(checks.reaches_by_name("client", "shop", "ns", kube=None)) == "PASS Pod/client reaches http://shop:80/ by name"
    lag = iter([(1, "wget: bad address 'shop:80'\n"), (0, "welcome to the shop\n")])  # kube-proxy a moment behind
    monkeypatch.setattr(checks.inspecting, "exec_in", lambda pod, cmd, ns, kube=None: next(lag))
    monkeypatch.setattr(checks.time, "sleep", lambda s: None)
    monkeypatch.setattr(checks.waiting, "watch_until", lambda *a, **k: None)
    assert repr(checks.reaches_by_name("client", "shop", "ns", kube=None)) == "PASS Pod/client reaches http://shop:80/ by name"


def test_a_node_is_diagnosed_from_its_ready_condition():
    from k8slab.lessons import diagnosing

    sick = diagnosing._node(node("Unknown", "Kubelet stopped posting node status."))
    assert sick.cause == "NotReady" and "Kubelet stopped posting node status" in sick.text and "kubectl describe node w2" in sick.text
    assert diagnosing._node(node()).cause == "OK"
    assert "cordoned" in diagnosing._node(node(unschedulable=True)).text
