"""lab.diagnose names the cause of each of the troubleshooting chapter's six breakages, on the real cluster;
its words for each state of a pod, on pods as the API server returns them."""

import pytest

import k8slab as lab
from k8slab.core.conditions import PULL_FAILURES
from k8slab.core.errors import K8sLabError
from k8slab.kube import applying, waiting
from k8slab.lessons import diagnosing

BUSYBOX = "k8slab.local/busybox:1"
SERVE = 'mkdir -p /www && echo "{page}" > /www/index.html && exec httpd -f -p 8080 -h /www'


def deployment(namespace, name, container, labels=None, **spec):
    labels = labels or {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}}, **spec,
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"terminationGracePeriodSeconds": 2,
                                           "containers": [{"name": "main", "image": BUSYBOX, **container}]}}}}


def pods_until(kube, namespace, selector, done, timeout=120):
    """Watch the pods of `selector` until `done(pod)` holds for one of them."""
    return waiting.watch_until("v1", "Pod", None, namespace, lambda pods: any(done(p) for p in pods), timeout=timeout,
                               selector=selector, kube=kube)


def container(pod) -> dict:
    return ((pod.get("status") or {}).get("containerStatuses") or [{}])[0]


def waiting_reason(pod) -> str | None:
    return ((container(pod).get("state") or {}).get("waiting") or {}).get("reason")


@pytest.mark.cluster
def test_a_wrong_image_name_is_imagepullbackoff(kube, namespace):
    applying.apply(deployment(namespace, "web", {"image": "k8slab.local/ngnix:1.17.0"}), kube=kube)
    pods = pods_until(kube, namespace, "app=web", lambda p: waiting_reason(p) in PULL_FAILURES)
    d = lab.diagnose("Deployment", "web", namespace)
    assert d.cause == "ImagePullBackOff", d
    assert "cannot pull image k8slab.local/ngnix:1.17.0" in d.text and "kubectl describe pod" in d.text
    assert "cannot reach the registry" in d.text  # this cluster is offline, and k8slab.local is no registry
    assert str(d) == repr(d) == d.text and not d.ok
    pod = pods[0]["metadata"]["name"]
    assert lab.diagnose("pod", pod, namespace).cause == "ImagePullBackOff"


@pytest.mark.cluster
def test_an_image_the_node_lacks_with_pull_policy_never(kube, namespace):
    applying.apply(deployment(namespace, "never", {"image": "k8slab.local/absent:1", "imagePullPolicy": "Never"}), kube=kube)
    pods_until(kube, namespace, "app=never", lambda p: waiting_reason(p) == "ErrImageNeverPull")
    d = lab.diagnose("Deployment", "never", namespace)
    assert d.cause == "ErrImageNeverPull" and "k8slab load" in d.text


@pytest.mark.cluster
def test_requests_no_node_fits_is_unschedulable(kube, namespace):
    applying.apply(deployment(namespace, "greedy", {"command": ["sleep", "3600"], "resources": {"requests": {"memory": "1Ti"}}}),
                   kube=kube)
    d = lab.diagnose("Deployment", "greedy", namespace, wait=60)  # watches until the scheduler has said no
    assert d.cause == "Unschedulable", d
    assert "Insufficient memory" in d.text and "resources.requests" in d.text and "0/1 pods available" in d.text


@pytest.mark.cluster
def test_a_crashing_program_is_crashloopbackoff_with_its_last_log_line(kube, namespace):
    script = 'echo "greeter starting"; echo "error: GREETING is not set"; exit 1'
    applying.apply(deployment(namespace, "greeter", {"command": ["sh", "-c", script]}), kube=kube)
    pods_until(kube, namespace, "app=greeter", lambda p: waiting_reason(p) == "CrashLoopBackOff")
    d = lab.diagnose("Deployment", "greeter", namespace)
    assert d.cause == "CrashLoopBackOff", d
    assert "'error: GREETING is not set'" in d.text and "exit code 1" in d.text and "kubectl logs greeter-" in d.text


@pytest.mark.cluster
def test_a_64mi_limit_is_oomkilled(kube, namespace):
    script = "set -e; head -c 200m /dev/zero | tail > /dev/null; exec sleep 3600"
    applying.apply(deployment(namespace, "hungry", {"command": ["sh", "-c", script], "resources": {"limits": {"memory": "64Mi"}}}),
                   kube=kube)
    pods_until(kube, namespace, "app=hungry", lambda p: "OOMKilled" in {
        ((container(p).get(k) or {}).get("terminated") or {}).get("reason") for k in ("state", "lastState")})
    d = lab.diagnose("Deployment", "hungry", namespace)
    assert d.cause == "OOMKilled", d
    assert "(64Mi;" in d.text and "resources.limits.memory" in d.text


@pytest.mark.cluster
def test_a_service_whose_selector_matches_nothing_has_no_endpoints(kube, namespace):
    applying.apply([
        deployment(namespace, "shop", {"command": ["sh", "-c", SERVE.format(page="shop")], "ports": [{"containerPort": 8080}]}),
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "shop", "namespace": namespace},
         "spec": {"selector": {"app": "shop", "tier": "frontend"}, "ports": [{"port": 80, "targetPort": 8080}]}},
    ], kube=kube)
    waiting.wait_for_rollout("shop", namespace, 120, kube=kube)
    d = lab.diagnose("svc", "shop", namespace)
    assert d.cause == "NoEndpoints", d
    assert "app=shop,tier=frontend matches no pod" in d.text and "have the labels app=shop" in d.text
    assert "kubectl get endpointslices -l kubernetes.io/service-name=shop" in d.text
    applying.patch("Service", "shop", {"spec": {"selector": {"app": "shop", "tier": None}}}, namespace, kube=kube)
    assert lab.diagnose("Service", "shop", namespace).cause == "OK"
    assert lab.diagnose("Deployment", "shop", namespace).cause == "OK"


@pytest.mark.cluster
def test_a_failing_readiness_probe_is_running_but_not_ready(kube, namespace):
    applying.apply(deployment(namespace, "api", {"command": ["sh", "-c", SERVE.format(page="api")],
                                                 "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 2}}),
                   kube=kube)
    # a failing probe changes no field of the pod: diagnose(wait=) looks again while its watch is idle
    d = lab.diagnose("Deployment", "api", namespace, wait=60)
    assert d.cause == "NotReady", d
    # in the probe's own words: a 404 once httpd listens; before, a refused connection or a timeout
    assert "its readiness probe fails (Readiness probe failed: " in d.text and "kubectl describe pod api-" in d.text


@pytest.mark.cluster
def test_wait_gives_the_last_answer_when_nothing_clears(kube, namespace):
    applying.apply(deployment(namespace, "slow", {"command": ["sleep", "3600"],
                                                  "readinessProbe": {"exec": {"command": ["false"]}, "initialDelaySeconds": 600}}),
                   kube=kube)
    d = lab.diagnose("Deployment", "slow", namespace, wait=5)
    assert d.cause in ("Starting", "Progressing", "NoPods"), d  # no probe has run yet: still forming, not a cause


@pytest.mark.cluster
def test_missing_objects_and_unknown_kinds(kube, namespace):
    d = lab.diagnose("Deployment", "nothing", namespace)
    assert d.cause == "NotFound" and f"kubectl get deployments -n {namespace}" in d.text
    with pytest.raises(K8sLabError):
        lab.diagnose("Gizmo", "x", namespace)


@pytest.mark.parametrize("message, says", [
    ('failed to pull and unpack image "docker.io/library/ngnix:1.17.0": pull access denied, repository does not exist '
     'or may require authorization', "the registry has no image by that name"),
    ('failed to resolve reference "docker.io/library/nginx:1.17.0": dial tcp: lookup registry-1.docker.io: no such host',
     "the node cannot reach the registry"),
])
def test_a_wrong_name_and_an_offline_cluster_are_told_apart(message, says):
    """What a pull's Failed event says on a machine with the internet, and on one without."""
    pod = {"metadata": {"name": "web-1"}, "spec": {"containers": [{"name": "main", "image": "ngnix:1.17.0"}]},
           "status": {"phase": "Pending", "containerStatuses": [
               {"name": "main", "state": {"waiting": {"reason": "ErrImagePull", "message": message}}}]}}
    events = [{"reason": "Failed", "message": f"Failed to pull image: {message}"}]
    d = diagnosing._said(pod, events, "default", None)
    assert d.cause == "ImagePullBackOff" and says in d.text and "cannot pull image ngnix:1.17.0 (ErrImagePull)" in d.text


def said(phase, *statuses, events=(), limit=None, **status):
    """What lab.diagnose says of a pod in this state with these events (no API call: `_said` is pure)."""
    resources = {"limits": {"memory": limit}} if limit else {}
    pod = {"metadata": {"name": "web-1"}, "spec": {"containers": [{"name": "main", "image": "busybox:1", "resources": resources}]},
           "status": {"phase": phase, "containerStatuses": list(statuses), **status}}
    return diagnosing._said(pod, [{"type": "Warning", **e} for e in events], "demo", None)


def test_the_words_for_each_cause_a_pods_status_shows():
    describe = "`kubectl describe pod web-1 -n demo`"
    unschedulable = {"conditions": [{"type": "PodScheduled", "status": "False", "message": "0/1 nodes are available."}]}
    d = said("Pending", **unschedulable)
    assert (d.cause, d.text) == ("Unschedulable", "pod web-1 is Pending: the scheduler finds no node for it (0/1 nodes are available.); "
                                                  f"lower its resources.requests or make room on a node; look: {describe} (Events).")
    d = said("Pending", events=[{"reason": "FailedScheduling", "message": "0/1 nodes: 1 Insufficient memory."}], **unschedulable)
    assert "(0/1 nodes: 1 Insufficient memory.)" in d.text  # the scheduler's event says more than the condition
    oom = {"name": "main", "restartCount": 2, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
           "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}}
    d = said("Running", oom, limit="64Mi")
    assert (d.cause, d.text) == ("OOMKilled", "pod web-1: container main was killed for using more memory than its limit (64Mi; "
                                              "OOMKilled, exit code 137, 2 restarts): raise resources.limits.memory or make it use "
                                              f"less; look: {describe} (Last State).")
    config = {"name": "main", "state": {"waiting": {"reason": "CreateContainerConfigError", "message": 'secret "db" not found'}}}
    assert said("Pending", config).text == ('pod web-1: container main cannot start (CreateContainerConfigError: secret "db" not '
                                           f'found); look: {describe}.')


def test_events_decide_between_a_cause_and_a_pod_still_forming():
    creating = {"name": "main", "state": {"waiting": {"reason": "ContainerCreating"}}}
    d = said("Pending", creating, events=[{"reason": "FailedMount", "message": 'configmap "site" not found'}])
    assert (d.cause, d.text) == ("ContainerCreating", "pod web-1 is stuck creating its containers (configmap \"site\" not found); "
                                                      "look: `kubectl describe pod web-1 -n demo`.")
    d = said("Pending", creating)
    assert (d.cause, d.text) == ("Starting", "pod web-1 is Pending; look: `kubectl describe pod web-1 -n demo` (Events).")
    running = {"name": "main", "ready": False, "state": {"running": {}}}
    probe = {"reason": "Unhealthy", "message": "Readiness probe failed: HTTP probe failed with statuscode: 404"}
    d = said("Running", running, events=[probe])
    assert d.cause == "NotReady" and "its readiness probe fails (Readiness probe failed: HTTP probe failed" in d.text
    assert said("Running", running).text.startswith("pod web-1 is Running and not Ready yet (its containers are starting")
    assert said("Running", running).cause == "Starting"


def test_finished_failed_and_ready_pods():
    done = {"name": "main", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}
    d = said("Succeeded", done)
    assert d.cause == "Completed" and d.text.endswith("needs a command that does not end; look: `kubectl logs web-1 -n demo`.")
    d = said("Failed", reason="DeadlineExceeded")
    assert (d.cause, d.text) == ("Failed", "pod web-1 has failed (DeadlineExceeded); look: `kubectl describe pod web-1 -n demo`.")
    ready = said("Running", {"name": "main", "ready": True, "state": {"running": {}}}, conditions=[{"type": "Ready", "status": "True"}])
    assert (ready.cause, ready.text, ready.ok) == ("OK", "pod web-1 is Running and Ready: nothing wrong found.", True)


def unschedulable(message, condition=False, **spec):
    """What lab.diagnose says of a Pending pod the scheduler gives `message` for: as its FailedScheduling event,
    or (condition=True) as its PodScheduled condition alone."""
    pod = {"metadata": {"name": "web-1"}, "spec": {"containers": [{"name": "main", "image": "busybox:1"}], **spec},
           "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                                                          "message": message if condition else "0/3 nodes are available."}]}}
    events = [] if condition else [{"type": "Warning", "reason": "FailedScheduling", "message": message}]
    d = diagnosing._said(pod, events, "demo", None)
    assert d.cause == "Unschedulable" and f"the scheduler finds no node for it ({message});" in d.text
    assert d.text.endswith("; look: `kubectl describe pod web-1 -n demo` (Events).")
    return d.text.split(f"({message}); ", 1)[1].removesuffix("; look: `kubectl describe pod web-1 -n demo` (Events).")


TAINTS = ("nodes have taints it does not tolerate{}: see a node's Taints with `kubectl describe node`, then add a "
          "toleration to the pod or remove the taint (`kubectl taint nodes NODE KEY-`)")
SELECTOR = ("no node has the labels its {} asks for: compare `kubectl get nodes --show-labels`, then fix the pod's "
            "selector or label a node (`kubectl label node NODE KEY=VALUE`)")
CORDONED = "nodes are cordoned (unschedulable): `kubectl uncordon NODE` lets pods onto one again"
ANTI = ("its pod anti-affinity keeps it off the nodes that already run a matching pod: give the cluster a node more, "
        "or run fewer replicas")
REQUESTS = "lower its resources.requests or make room on a node"


@pytest.mark.parametrize("message, named", [
    ("0/3 nodes are available: 1 node(s) had taint {node-role.kubernetes.io/master: }, that the pod didn't tolerate, "
     "2 node(s) had taint {k8slab/lesson: x}, that the pod didn't tolerate.", " (node-role.kubernetes.io/master, k8slab/lesson=x)"),
    ("0/1 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: "
     "0/1 nodes are available: 1 Preemption is not helpful for scheduling.", " (node-role.kubernetes.io/control-plane)"),
    ("0/17 nodes are available: 17 node(s) had untolerated taint(s). no new claims to deallocate, preemption: 0/17 nodes "
     "are available: 17 Preemption is not helpful for scheduling.", ""),
], ids=["1.20", "current", "newest"])
def test_an_untolerated_taint_is_named_with_how_to_see_and_lift_it(message, named):
    assert unschedulable(message) == TAINTS.format(named)
    assert unschedulable(message, condition=True) == TAINTS.format(named), "the condition alone says as much"


@pytest.mark.parametrize("message", ["0/3 nodes are available: 3 node(s) didn't match node selector.",
                                     "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: "
                                     "0/3 nodes are available: 3 Preemption is not helpful for scheduling."],
                         ids=["1.20", "current"])
def test_a_node_selector_no_node_matches_is_named_from_the_pod(message):
    assert unschedulable(message, nodeSelector={"disktype": "ssd", "zone": "a"}) == SELECTOR.format("nodeSelector (disktype=ssd, zone=a)")
    affinity = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}}}
    assert unschedulable(message, affinity=affinity) == SELECTOR.format("node affinity (spec.affinity.nodeAffinity)")


@pytest.mark.parametrize("message", ["0/3 nodes are available: 3 node(s) were unschedulable.",
                                     "0/3 nodes are available: 3 node(s) were unschedulable. preemption: 0/3 nodes are "
                                     "available: 3 Preemption is not helpful for scheduling."])
def test_cordoned_nodes_say_uncordon(message):
    assert unschedulable(message) == CORDONED


@pytest.mark.parametrize("message", [
    "0/3 nodes are available: 3 node(s) didn't match pod affinity/anti-affinity, 3 node(s) didn't match pod anti-affinity rules.",
    "0/3 nodes are available: 1 node(s) didn't satisfy existing pods anti-affinity rules, 2 node(s) didn't match pod "
    "anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
], ids=["1.20", "current"])
def test_pod_anti_affinity_says_more_nodes_or_fewer_replicas(message):
    assert unschedulable(message) == ANTI


def test_pod_affinity_is_not_taken_for_anti_affinity():
    said = unschedulable("0/3 nodes are available: 3 node(s) didn't match pod affinity/anti-affinity, "
                         "3 node(s) didn't match pod affinity rules.")
    assert said.startswith("its pod affinity wants a node that runs a matching pod") and "anti-affinity" not in said


@pytest.mark.parametrize("message, short", [("0/1 nodes are available: 1 Insufficient memory.", "memory"),
                                            ("0/3 nodes are available: 1 Insufficient cpu, 3 Insufficient memory. preemption: "
                                             "0/3 nodes are available: 3 No preemption victims found for incoming pod.",
                                             "cpu, memory")])
def test_insufficient_cpu_or_memory_keeps_the_requests_advice(message, short):
    assert unschedulable(message) == f"nodes lack the free {short} it requests: {REQUESTS}"


def test_several_causes_are_each_named_the_one_on_most_nodes_first():
    said = unschedulable("0/3 nodes are available: 1 node(s) had taint {node-role.kubernetes.io/master: }, that the pod "
                         "didn't tolerate, 2 node(s) didn't match node selector.", nodeSelector={"disktype": "ssd"})
    assert said == f"{SELECTOR.format('nodeSelector (disktype=ssd)')}; {TAINTS.format(' (node-role.kubernetes.io/master)')}"
    said = unschedulable("0/6 nodes are available: 1 node(s) had untolerated taint {a: }, 2 node(s) had untolerated "
                         "taint {b: x}, 2 node(s) were unschedulable, 1 Insufficient cpu.")
    assert said == f"{TAINTS.format(' (a, b=x)')}; {CORDONED}; nodes lack the free cpu it requests: {REQUESTS}"


@pytest.mark.parametrize("message", ["0/1 nodes are available: 1 Too many pods.", "0/3 nodes are available.",
                                     "0/1 nodes are available: 1 node(s) had volume node affinity conflict."])
def test_any_other_reason_keeps_the_general_advice(message):
    assert unschedulable(message) == REQUESTS
