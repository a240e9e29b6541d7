"""k8slab.conditions: the one Ready test, the one rollout-complete test and the one reading of what is
wrong with a pod, on objects as the API gives them."""

import pytest

from k8slab.core import conditions as status
from k8slab.core.conditions import pod_state
from k8slab.core.errors import ImageError, K8sLabError, WaitTimeout
from k8slab.kube import waiting
from k8slab.ui.widgets.pods import pod_row


def dep(*, generation=2, observed=2, want=3, updated=3, replicas=3, available=3, conditions=()):
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
        waiting.rollout_complete_or_raise(stuck)
    assert waiting.rollout_complete_or_raise(dep()) and not waiting.rollout_complete_or_raise(dep(available=2))


# -- pods, as the API server returns them ------------------------------------------------------

READY = [{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "True"}]
NOT_READY = [{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "False", "reason": "ContainersNotReady"}]


def pod(phase="Running", *containers, conditions=NOT_READY, init=(), deleting=False, **status):
    meta = {"name": "web-1", "namespace": "demo", **({"deletionTimestamp": "2024-05-01T10:00:00Z"} if deleting else {})}
    return {"metadata": meta,
            "spec": {"containers": [{"name": c["name"], "image": c.get("image", "busybox:1")} for c in containers]},
            "status": {"phase": phase, "conditions": list(conditions), "initContainerStatuses": list(init),
                       "containerStatuses": list(containers), **status}}


def container(name="main", *, state=None, last=None, restarts=0, ready=False, image="busybox:1"):
    return {"name": name, "image": image, "ready": ready, "restartCount": restarts,
            "state": state or {"running": {"startedAt": "2024-05-01T09:00:00Z"}},
            "lastState": {"terminated": last} if last else {}}


def waiting_(reason, message=""):
    return {"waiting": {"reason": reason, **({"message": message} if message else {})}}


def exited(code, reason="Error"):
    return {"exitCode": code, "reason": reason, "finishedAt": "2024-05-01T09:59:00Z"}


@pytest.mark.parametrize("reason, cause", [("ErrImagePull", "ImagePullBackOff"), ("ImagePullBackOff", "ImagePullBackOff"),
                                           ("ErrImageNeverPull", "ErrImageNeverPull"), ("InvalidImageName", "InvalidImageName")])
def test_a_pull_failure_is_stuck_and_names_the_image(reason, cause):
    p = pod("Pending", container(state=waiting_(reason, "Back-off pulling image"), image="ngnix:1.17.0"))
    s = pod_state(p)
    assert (s.cause, s.stuck, s.container, s.reason, s.image, s.column) == (cause, True, "main", reason, "ngnix:1.17.0", reason)
    assert waiting.pod_problem(p) == f"pod web-1 cannot get image ngnix:1.17.0 ({reason})"
    with pytest.raises(ImageError, match=r"^pod web-1 cannot get image ngnix:1\.17\.0 .*\(this machine cannot pull public images"):
        waiting.raise_if_stuck([pod("Running", container(ready=True), conditions=READY), p])


def test_a_crash_loop_is_stuck_and_its_log_is_the_previous_runs():
    p = pod("Running", container(state=waiting_("CrashLoopBackOff", "back-off 40s restarting failed container=main"),
                                 last=exited(1), restarts=3))
    s = pod_state(p)
    assert (s.cause, s.stuck, s.exit_code, s.restarts, s.previous, s.column) == ("CrashLoopBackOff", True, 1, 3, True, "CrashLoopBackOff")
    assert waiting.pod_problem(p) == "pod web-1: container main is in CrashLoopBackOff: back-off 40s restarting failed container=main"
    with pytest.raises(K8sLabError, match=r"\(`lab.logs\(\.\.\.\)` and `lab.events\(\.\.\.\)` show why\)$") as e:
        waiting.raise_if_stuck([p])
    assert type(e.value) is K8sLabError


def test_a_container_between_restarts_crashes_but_is_not_stuck_yet():
    between = pod_state(pod("Running", container(state={"waiting": {}}, last=exited(2), restarts=1)))
    assert (between.cause, between.stuck, between.exit_code) == ("CrashLoopBackOff", False, 2)
    once = pod_state(pod("Running", container(state={"terminated": exited(1)})))  # exited, not restarted yet
    assert (once.cause, once.stuck, once.previous, once.column) == ("Error", False, False, "Error")
    restarted = pod_state(pod("Running", container(last=exited(1), restarts=1)))  # running again: the probe decides
    assert restarted.cause == "NotReady"


def test_oomkilled_now_or_in_the_last_state_until_the_container_runs_ready_again():
    now = pod_state(pod("Running", container(state={"terminated": exited(137, "OOMKilled")}, restarts=2)))
    assert (now.cause, now.exit_code, now.restarts, now.stuck) == ("OOMKilled", 137, 2, False)
    looping = pod("Running", container(state=waiting_("CrashLoopBackOff", "back-off 20s"), last=exited(137, "OOMKilled"), restarts=2))
    s = pod_state(looping)
    assert (s.cause, s.stuck, s.exit_code, s.previous) == ("OOMKilled", True, 137, True)
    assert waiting.pod_problem(looping) == "pod web-1: container main is in CrashLoopBackOff: back-off 20s"
    assert pod_state(pod("Running", container(last=exited(137, "OOMKilled"), restarts=1))).cause == "OOMKilled"  # not ready
    healed = pod("Running", container(last=exited(137, "OOMKilled"), restarts=1, ready=True), conditions=READY)
    assert pod_state(healed).cause == "OK" and waiting.pod_problem(healed) is None  # an old restart is history


def test_unschedulable_carries_the_schedulers_message_and_waits():
    scheduled = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                 "message": "0/1 nodes are available: 1 Insufficient memory."}
    s = pod_state(pod("Pending", conditions=[scheduled]))
    assert (s.cause, s.scheduling, s.stuck, s.phase) == ("Unschedulable", "0/1 nodes are available: 1 Insufficient memory.", False,
                                                         "Pending")
    bare = pod_state(pod("Pending", conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}]))
    assert bare.scheduling == "Unschedulable"


def test_a_config_error_is_stuck_and_a_run_error_is_not():
    p = pod("Pending", container(state=waiting_("CreateContainerConfigError", 'secret "db" not found')))
    s = pod_state(p)
    assert (s.cause, s.stuck, s.message) == ("CreateContainerConfigError", True, 'secret "db" not found')
    assert waiting.pod_problem(p) == 'pod web-1: container main is in CreateContainerConfigError: secret "db" not found'
    silent = pod("Pending", container(state=waiting_("CreateContainerError")))
    assert waiting.pod_problem(silent) == "pod web-1: container main is in CreateContainerError"  # no dangling ": "
    run = pod_state(pod("Running", container(state=waiting_("RunContainerError", "exec: no such file"))))
    assert (run.cause, run.stuck) == ("RunContainerError", False)


def test_creating_completed_and_failed():
    creating = pod_state(pod("Pending", container(state=waiting_("ContainerCreating"))))
    assert (creating.cause, creating.stuck, creating.column) == ("ContainerCreating", False, "ContainerCreating")
    late = pod("Failed", container(state=waiting_("ContainerCreating")), reason="DeadlineExceeded")  # its deadline came first
    assert pod_state(late).cause == "Failed"
    done = pod("Succeeded", container(state={"terminated": exited(0, "Completed")}))
    assert (pod_state(done).cause, pod_state(done).column, waiting.pod_problem(done)) == ("Completed", "Completed", None)
    evicted = pod("Failed", reason="Evicted", message="The node was low on resource: memory.")
    s = pod_state(evicted)
    assert (s.cause, s.failed, s.stuck, s.column) == ("Failed", "Evicted", True, "Evicted")
    assert waiting.pod_problem(evicted) == "pod web-1 failed: Evicted"
    exited_pod = pod("Failed", container(state={"terminated": exited(3)}))  # restartPolicy Never: the container's exit shows first
    s = pod_state(exited_pod)
    assert (s.cause, s.exit_code, s.failed) == ("Error", 3, "a container exited with an error")
    assert waiting.pod_problem(exited_pod) == "pod web-1 failed: a container exited with an error"


def test_terminating_shows_first_and_a_stuck_container_still_fails_a_wait():
    s = pod_state(pod("Running", container(ready=True), conditions=READY, deleting=True))
    assert (s.cause, s.column, s.stuck) == ("Terminating", "Terminating", False)
    crashing = pod("Running", container(state=waiting_("CrashLoopBackOff"), last=exited(1), restarts=4), deleting=True)
    assert pod_state(crashing).cause == "Terminating" and pod_state(crashing).stuck
    assert waiting.pod_problem(crashing) == "pod web-1: container main is in CrashLoopBackOff"


def test_running_not_ready_ready_and_not_started():
    s = pod_state(pod("Running", container()))
    assert (s.cause, s.stuck, s.column, s.container) == ("NotReady", False, "", "")
    ok = pod_state(pod("Running", container(ready=True), conditions=READY))
    assert (ok.cause, ok.stuck, ok.column) == ("OK", False, "")
    assert pod_state({"metadata": {"name": "new"}}) == status.PodState("Starting", phase="Pending")


def test_a_stuck_container_is_named_before_one_that_may_recover():
    recovering = container("side", state={"terminated": exited(1)})
    pulling = container("main", state=waiting_("ImagePullBackOff"), image="absent:1")
    s = pod_state(pod("Pending", recovering, pulling))
    assert (s.cause, s.container, s.stuck) == ("ImagePullBackOff", "main", True)
    assert pod_state(pod("Pending", recovering, container("main", state=waiting_("ContainerCreating")))).container == "side"
    init = pod("Pending", container(state=waiting_("PodInitializing")), init=[container("setup", state=waiting_("ErrImagePull"))])
    assert (pod_state(init).cause, pod_state(init).container) == ("ImagePullBackOff", "setup")
    assert pod_state(init).column == "PodInitializing"  # as kubectl's STATUS column reads the app containers


def test_the_pod_tables_row_reads_the_same_status():
    stuck = pod("Pending", container(state=waiting_("ErrImageNeverPull"), image="k8slab.local/absent:1"))
    row = pod_row(stuck)
    assert (row["phase"], row["status"], row["ready"]) == ("Pending", "ErrImageNeverPull", "0/1")
    assert row["problem"] == "pod web-1 cannot get image k8slab.local/absent:1 (ErrImageNeverPull)"
    assert pod_row(pod("Running", container(ready=True), conditions=READY, deleting=True))["status"] == "Terminating"
    ok = pod_row(pod("Running", container(ready=True, restarts=1), conditions=READY))
    assert (ok["status"], ok["problem"], ok["ready"], ok["restarts"]) == ("", "", "1/1", 1)
