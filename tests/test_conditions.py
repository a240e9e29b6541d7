"""k8slab.conditions: the one Ready test and the one rollout-complete test, on objects as the API gives them."""

import pytest

from k8slab import conditions as status
from k8slab.errors import WaitTimeout
from k8slab.kube import waiting


def dep(generation=2, observed=2, want=3, updated=3, replicas=3, available=3, conditions=()):
    return {"metadata": {"name": "web", "generation": generation}, "spec": {"replicas": want},
            "status": {"observedGeneration": observed, "updatedReplicas": updated, "replicas": replicas,
                       "availableReplicas": available, "conditions": list(conditions)}}


def test_ready_reads_the_ready_condition_of_pods_and_nodes():
    assert status.ready({"status": {"conditions": [{"type": "Ready", "status": "True"}]}})
    assert not status.ready({"status": {"conditions": [{"type": "Ready", "status": "False"},
                                                       {"type": "ContainersReady", "status": "True"}]}})
    assert not status.ready({"status": {}}) and not status.ready(None)
    assert status.condition({"status": {"conditions": [{"type": "Established", "status": "True"}]}}, "Established") == "True"


def test_a_rollout_is_complete_only_when_seen_updated_available_and_no_old_pods_left():
    assert status.rollout_complete(dep())
    assert not status.rollout_complete(dep(observed=1))  # the controller has not seen the new spec yet
    assert not status.rollout_complete(dep(updated=2))
    assert not status.rollout_complete(dep(replicas=4))  # an old pod still runs
    assert not status.rollout_complete(dep(available=2))
    assert not status.rollout_complete(None)
    assert status.rollout_complete({"metadata": {"name": "one"}, "spec": {},
                                    "status": {"updatedReplicas": 1, "replicas": 1, "availableReplicas": 1}})


def test_a_rollout_past_its_deadline_fails_the_wait():
    stuck = dep(updated=1, conditions=[{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                                        "message": 'ReplicaSet "web-1" has timed out progressing.'}])
    assert status.progress_deadline_exceeded(stuck) == 'ReplicaSet "web-1" has timed out progressing.'
    assert not status.rollout_complete(stuck)
    with pytest.raises(WaitTimeout, match=r'^Deployment/web exceeded its progress deadline: ReplicaSet "web-1" has timed out'):
        waiting.rollout_complete(stuck)
