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
