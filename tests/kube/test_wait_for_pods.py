"""wait_for_pods decides on the pods it is shown: the decision, with fake pods (no cluster)."""

from k8slab.kube import waiting


def pod(node, ready=True, deleting=False):
    meta = {"name": f"p-{node}", "deletionTimestamp": "2026-01-01T00:00:00Z" if deleting else None}
    return {"metadata": meta, "spec": {"nodeName": node},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}}


def decision(monkeypatch, **kwargs):
    seen = {}
    monkeypatch.setattr(waiting, "watch_until", lambda *a, **k: seen.setdefault("done", a[4]) and [])
    waiting.wait_for_pods("app=x", "ns", kube=None, **kwargs)
    return seen["done"]


def test_pods_on_the_failed_node_keep_it_waiting(monkeypatch):
    done = decision(monkeypatch, count=2, not_on="worker2")
    assert not done([pod("worker"), pod("worker2")])  # still Ready on the failed node: not yet evicted
    assert done([pod("worker"), pod("worker"), pod("worker2", ready=False, deleting=True)])


def test_without_not_on_any_node_will_do(monkeypatch):
    done = decision(monkeypatch, count=2)
    assert done([pod("worker"), pod("worker2")])
    assert not done([pod("worker"), pod("worker2", ready=False)])


def test_only_the_pods_not_being_deleted_are_returned(monkeypatch):
    pods = [pod("worker"), pod("worker2", ready=False, deleting=True)]
    monkeypatch.setattr(waiting, "watch_until", lambda *a, **k: pods)
    assert waiting.wait_for_pods("app=x", "ns", count=1, kube=None) == [pods[0]]
