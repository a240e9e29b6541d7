"""`lab.diagnose(kind, name, namespace)`: why an object is not working, and where to look next.

It reads what `kubectl describe`, `kubectl get events` and `kubectl logs` would show (through the
kit's API layer) and answers in one or two sentences, ending with the kubectl command to look:

    lab.diagnose("Deployment", "web", "demo")
    # Deployment/web has 0/1 pods available: pod web-5d9c-x2v7q cannot pull image ngnix:1.17.0 ...

The answer is a `Diagnosis`: shown as plain text, with `.cause` a short name of what was found
(`ImagePullBackOff`, `Unschedulable`, `CrashLoopBackOff`, `OOMKilled`, `NoEndpoints`, `NotReady`,
`OK`, ...) for tests and for the checks that offer it when they fail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from k8slab.core.conditions import (
    CANNOT_START,
    PodState,
    pod_state,
    progress_deadline_exceeded,
    ready as is_ready,
    rollout_complete,
)
from k8slab.core.errors import K8sLabError, NotFound, WaitTimeout
from k8slab.kube import applying, inspecting, waiting
from k8slab.kube.client import Kube
from k8slab.manifests.loading import label_selector

KINDS = {"pod": "Pod", "po": "Pod", "pods": "Pod",
         "deployment": "Deployment", "deploy": "Deployment", "deployments": "Deployment",
         "service": "Service", "svc": "Service", "services": "Service",
         "replicaset": "ReplicaSet", "rs": "ReplicaSet", "statefulset": "StatefulSet", "sts": "StatefulSet",
         "daemonset": "DaemonSet", "ds": "DaemonSet", "job": "Job", "node": "Node", "nodes": "Node", "no": "Node"}
GENERATED = {"pod-template-hash", "controller-revision-hash", "statefulset.kubernetes.io/pod-name", "controller-uid", "job-name"}
API_VERSION = {"Pod": "v1", "Deployment": "apps/v1", "Service": "v1", "ReplicaSet": "apps/v1",
               "StatefulSet": "apps/v1", "DaemonSet": "apps/v1", "Job": "batch/v1"}

# What a failed pull's event says when the name is wrong, and when the registry cannot be reached.
NO_SUCH_IMAGE = re.compile(r"not found|manifest unknown|pull access denied|repository does not exist|"
                           r"insufficient_scope|authorization failed|unauthorized", re.IGNORECASE)
UNREACHABLE = re.compile(r"no such host|i/o timeout|dial tcp|connection refused|network is unreachable|"
                         r"TLS handshake timeout|server misbehaving|temporary failure", re.IGNORECASE)


@dataclass
class Diagnosis:
    """One or two sentences; `cause` names what was found (`OK` when nothing is wrong)."""

    cause: str
    text: str

    @property
    def ok(self) -> bool:
        return self.cause == "OK"

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


def diagnose(kind: str, name: str, namespace: str = "default", api_version: str | None = None, wait: float = 0, *,
             kube: Kube) -> Diagnosis:
    """Why a Pod, a Deployment (through its pods), a Service (through its endpoints) or a Node is not working.

    ReplicaSets, StatefulSets, DaemonSets and Jobs are diagnosed through their pods too; any other
    kind (give its `api_version`) through its status and its last warning event. With `wait` (seconds),
    a picture still forming (a pod not yet scheduled, a container starting) is watched until the
    cause shows, and the last answer is given when the time is up.

    Used in chapters 06, 09.
    """
    canonical = KINDS.get(kind.lower(), kind)
    version = api_version or API_VERSION.get(canonical, "v1")
    found = _once(canonical, name, namespace, version, kube)
    if not wait or found.cause not in STILL_FORMING:
        return found
    answer = [found]

    def clear(_=None) -> bool:
        answer[0] = _once(canonical, name, namespace, version, kube)
        return answer[0].cause not in STILL_FORMING

    def on_idle() -> None:  # a failing probe adds events, not a change to the pod: look again now and then
        if clear():
            raise _Clear

    selector = _pods_of(canonical, name, namespace, version, kube)
    try:
        waiting.watch_until("v1", "Pod", name if canonical == "Pod" else None, namespace, clear, timeout=wait,
                            selector=None if canonical == "Pod" else selector, check_every=2, on_idle=on_idle, kube=kube)
    except (_Clear, WaitTimeout):
        pass
    return answer[0]


# Causes that may still turn into another one by themselves, worth waiting for with `wait=`.
STILL_FORMING = {"Starting", "Progressing", "NoPods", "ContainerCreating", "Terminating", "NotFound"}


class _Clear(Exception):
    """The cause has shown while the watch was idle."""


def _pods_of(kind: str, name: str, namespace: str, api_version: str, kube: Kube) -> str | None:
    """The label selector of the object's pods (None for a Pod, or an object without one)."""
    if kind == "Pod":
        return None
    try:
        spec = applying.get(kind, name, namespace, api_version, kube=kube).get("spec") or {}
    except NotFound:
        return None
    labels = spec.get("selector") if kind == "Service" else (spec.get("selector") or {}).get("matchLabels")
    return label_selector(labels) if labels else None


def _once(canonical: str, name: str, namespace: str, api_version: str, kube: Kube) -> Diagnosis:
    try:
        obj = applying.get(canonical, name, namespace, api_version, kube=kube)
    except NotFound:
        plural = canonical.lower() + "s"
        return Diagnosis("NotFound", f"{canonical}/{name} does not exist in namespace {namespace}: check the name and the "
                                     f"namespace; look: `kubectl get {plural} -n {namespace}`.")
    if canonical in ("Pod", "Service", "Deployment", "Node"):
        return {"Pod": _pod, "Deployment": _deployment, "Service": _service, "Node": _node}[canonical](obj, namespace, kube)
    if canonical in API_VERSION:
        return _workload(obj, canonical, namespace, kube)
    return _other(obj, canonical, namespace, kube)


def _node(node: dict, namespace: str | None = None, kube: Kube | None = None) -> Diagnosis:
    """A node is NotReady when its kubelet stops reporting (Ready Unknown) or reports a problem (Ready False)."""
    name = node["metadata"]["name"]
    look = _cmd(f"kubectl describe node {name}")
    ready = next((c for c in (node.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"), {})
    if ready.get("status") != "True":
        said = ready.get("message") or "it has no Ready condition"
        return Diagnosis("NotReady", f"Node/{name} is NotReady: {said.rstrip('.')}. The kubelet on the node reports its status: "
                                     f"look at it on the node (its service and its journal); look: {look}.")
    cordoned = " but cordoned: no new pods go there (`kubectl uncordon`)" if (node.get("spec") or {}).get("unschedulable") else ""
    return Diagnosis("OK", f"Node/{name} is Ready{cordoned}; look: {look}.")


def _cmd(text: str) -> str:
    return f"`{text}`"


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def _events(kind: str, name: str, namespace: str, kube: Kube) -> list[dict]:
    try:
        return inspecting.events(kind, name, namespace, kube=kube)
    except K8sLabError:
        return []


def _last_event(events: list[dict], *reasons: str, containing: str = "") -> str:
    found = [e["message"] for e in events if e["reason"] in reasons and containing in e["message"]]
    return found[-1] if found else ""


def _limit(pod: dict, container: str) -> str:
    for c in (pod.get("spec") or {}).get("containers") or []:
        if c.get("name") == container:
            return ((c.get("resources") or {}).get("limits") or {}).get("memory") or "no"
    return "no"


@dataclass(frozen=True)
class _Pod:
    """A pod as `lab.diagnose` words it: the object, what its status says (`conditions.pod_state`), its events."""

    pod: dict
    state: PodState
    events: list[dict]
    namespace: str
    kube: Kube | None  # None: nothing to ask (a pod read from a file)

    @property
    def name(self) -> str:
        return self.pod["metadata"]["name"]

    @property
    def describe(self) -> str:
        return _cmd(f"kubectl describe pod {self.name} -n {self.namespace}")


def _pod(pod: dict, namespace: str, kube: Kube) -> Diagnosis:
    return _said(pod, _events("Pod", pod["metadata"]["name"], namespace, kube), namespace, kube)


def _said(pod: dict, events: list[dict], namespace: str, kube: Kube | None) -> Diagnosis:
    """What the pod's status (`conditions.pod_state`) and its events say, in words."""
    seen = _Pod(pod, pod_state(pod), events, namespace, kube)
    return _SAYS.get(seen.state.cause, _starting)(seen)


def _terminating(p: _Pod) -> Diagnosis:
    return Diagnosis("Terminating", f"pod {p.name} is being deleted; look: {p.describe}.")


def _unschedulable(p: _Pod) -> Diagnosis:
    why = _last_event(p.events, "FailedScheduling") or p.state.scheduling or "no reason given"
    advice = "; ".join(_scheduling_advice(why, p.pod)) or REQUESTS
    return Diagnosis("Unschedulable", f"pod {p.name} is Pending: the scheduler finds no node for it ({why}); {advice}; "
                                      f"look: {p.describe} (Events).")


REQUESTS = "lower its resources.requests or make room on a node"

# The scheduler's reasons (FailedScheduling, and the PodScheduled condition), Kubernetes 1.20 to today, each
# after its count of nodes: "0/3 nodes are available: 1 node(s) had taint {k: v}, that the pod didn't tolerate,
# 2 Insufficient cpu." Taints: 1.20 "had taint {k: v}, that the pod didn't tolerate", later "had untolerated
# taint {k: v}", newest "had untolerated taint(s)".
_TAINT = re.compile(r"(\d+) node\(s\) had (?:untolerated )?taint(?:s|\(s\))?(?: \{([^}]*)\})?")
_SELECTOR = re.compile(r"(\d+) node\(s\) didn't match (?:node selector|Pod's node affinity)")
_CORDONED = re.compile(r"(\d+) node\(s\) were unschedulable")
# 1.20 adds "didn't match pod affinity/anti-affinity" to either rule's own words, so those decide.
_ANTI_AFFINITY = re.compile(r"(\d+) node\(s\) didn't (?:match pod anti-affinity rules|satisfy existing pods anti-affinity rules)")
_AFFINITY = re.compile(r"(\d+) node\(s\) didn't match pod affinity rules")
_INSUFFICIENT = re.compile(r"(\d+) Insufficient ([\w./-]*\w)")


def _taints(found: list[tuple[int, str]], pod: dict) -> str:
    named = ", ".join(dict.fromkeys(_taint_words(t) for _, t in found if t))
    return (f"nodes have taints it does not tolerate{f' ({named})' if named else ''}: see a node's Taints with "
            "`kubectl describe node`, then add a toleration to the pod or remove the taint (`kubectl taint nodes NODE KEY-`)")


def _taint_words(taint: str) -> str:
    """`k8slab/lesson: x` as kubectl writes it, `k8slab/lesson=x`."""
    key, _, value = taint.partition(":")
    return f"{key.strip()}={value.strip()}" if value.strip() else key.strip()


def _selector(found: list[tuple[int, str]], pod: dict) -> str:
    spec = pod.get("spec") or {}
    wants = (f"its nodeSelector ({', '.join(f'{k}={v}' for k, v in spec['nodeSelector'].items())})"
             if spec.get("nodeSelector") else "its node affinity (spec.affinity.nodeAffinity)")
    return (f"no node has the labels {wants} asks for: compare `kubectl get nodes --show-labels`, then fix the "
            "pod's selector or label a node (`kubectl label node NODE KEY=VALUE`)")


def _cordoned(found: list[tuple[int, str]], pod: dict) -> str:
    return "nodes are cordoned (unschedulable): `kubectl uncordon NODE` lets pods onto one again"


def _anti_affinity(found: list[tuple[int, str]], pod: dict) -> str:
    return ("its pod anti-affinity keeps it off the nodes that already run a matching pod: give the cluster a node "
            "more, or run fewer replicas")


def _affinity(found: list[tuple[int, str]], pod: dict) -> str:
    return ("its pod affinity wants a node that runs a matching pod, and none does: check that such pods run "
            "(`kubectl get pods --show-labels`) and what spec.affinity.podAffinity asks for")


def _insufficient(found: list[tuple[int, str]], pod: dict) -> str:
    return f"nodes lack the free {', '.join(dict.fromkeys(r for _, r in found))} it requests: {REQUESTS}"


# Each reason, its words, and how its counts of nodes combine: the scheduler stops at a node's first failing
# check, so counts add up, but one node short of cpu and of memory is counted under both.
_REASONS = ((_TAINT, _taints, sum), (_SELECTOR, _selector, sum), (_CORDONED, _cordoned, sum),
            (_ANTI_AFFINITY, _anti_affinity, sum), (_AFFINITY, _affinity, sum), (_INSUFFICIENT, _insufficient, max))


def _scheduling_advice(why: str, pod: dict) -> list[str]:
    """What to do about each reason the scheduler gives, the reason on most nodes first."""
    why = why.split("preemption:")[0]  # newer schedulers add what preemption found: no more reasons
    said = []
    for pattern, words, nodes in _REASONS:
        found = [(int(m[1]), (m[2] or "") if pattern.groups > 1 else "") for m in pattern.finditer(why)]
        if found:
            said.append((-nodes(n for n, _ in found), words(found, pod)))
    return [words for _, words in sorted(said, key=lambda s: s[0])]


def _oom(p: _Pod) -> Diagnosis:
    s = p.state
    return Diagnosis("OOMKilled", f"pod {p.name}: container {s.container} was killed for using more memory than its "
                                  f"limit ({_limit(p.pod, s.container)}; OOMKilled, exit code 137, {s.restarts} restarts): "
                                  f"raise resources.limits.memory or make it use less; look: {p.describe} (Last State).")


def _crash(p: _Pod) -> Diagnosis:
    s = p.state
    line = _previous_line(p.name, p.namespace, s.container, previous=s.previous, kube=p.kube)
    said = f"; its last log line: {line!r}" if line else "; it wrote no log"
    flag = " --previous" if s.previous else ""
    return Diagnosis(s.cause, f"pod {p.name}: container {s.container} keeps exiting (exit code {s.exit_code}, {s.restarts} restarts"
                              f"{', CrashLoopBackOff' if s.reason == 'CrashLoopBackOff' else ''}){said}; look: "
                              f"{_cmd(f'kubectl logs {p.name} -c {s.container}{flag} -n {p.namespace}')}.")


def _cannot_start(p: _Pod) -> Diagnosis:
    return Diagnosis(p.state.cause, f"pod {p.name}: container {p.state.container} cannot start ({p.state.cause}: "
                                    f"{p.state.message}); look: {p.describe}.")


def _creating(p: _Pod) -> Diagnosis:
    mount = _last_event(p.events, "FailedMount") or _last_event(p.events, "FailedCreatePodSandBox")
    if not mount:
        return _starting(p)
    return Diagnosis("ContainerCreating", f"pod {p.name} is stuck creating its containers ({mount}); look: {p.describe}.")


def _completed(p: _Pod) -> Diagnosis:
    return Diagnosis("Completed", f"pod {p.name} has finished (Succeeded): its containers exited 0, so it serves nothing; "
                                  f"a pod that should keep running needs a command that does not end; look: "
                                  f"{_cmd(f'kubectl logs {p.name} -n {p.namespace}')}.")


def _failed(p: _Pod) -> Diagnosis:
    return Diagnosis("Failed", f"pod {p.name} has failed ({p.state.failed}); look: {p.describe}.")


def _not_ready(p: _Pod) -> Diagnosis:
    probe = _last_event(p.events, "Unhealthy", containing="Readiness")
    if probe:
        return Diagnosis("NotReady", f"pod {p.name} is Running but not Ready: its readiness probe fails ({probe}); "
                                     f"check the probe's path, port and command against what the app serves; "
                                     f"look: {p.describe} (Readiness, Events).")
    return Diagnosis("Starting", f"pod {p.name} is Running and not Ready yet (its containers are starting or its "
                                 f"readiness probe has not passed yet); look: {p.describe}.")


def _ok(p: _Pod) -> Diagnosis:
    return Diagnosis("OK", f"pod {p.name} is Running and Ready: nothing wrong found.")


def _starting(p: _Pod) -> Diagnosis:
    return Diagnosis("Starting", f"pod {p.name} is {p.state.phase}; look: {p.describe} (Events).")


def _pull(p: _Pod) -> Diagnosis:
    s = p.state
    image = next((c.get("image") for c in (p.pod.get("spec") or {}).get("containers") or [] if c.get("name") == s.container),
                 s.image)
    if s.reason == "ErrImageNeverPull":
        why = "imagePullPolicy is Never and the node does not have the image: load it (`k8slab load IMAGE`) or fix the name"
    elif s.reason == "InvalidImageName":
        why = "the image name is not a valid reference: fix its spelling"
    else:
        failed = _last_event(p.events, "Failed", containing="pull") or s.message
        if NO_SUCH_IMAGE.search(failed):
            why = "the registry has no image by that name (a typo, or a tag that does not exist): fix the image name"
        elif UNREACHABLE.search(failed):
            why = ("the node cannot reach the registry (offline, or no such registry host), so either the name is wrong "
                   "or this cluster has no internet: check the spelling, or load the image into the node (`k8slab load IMAGE`)")
        else:
            why = f"the pull failed ({failed or 'no event yet'}): check the name and the registry"
    return Diagnosis(s.cause, f"pod {p.name} cannot pull image {image} ({s.reason}): {why}; look: {p.describe} (Events).")


# What each cause of `conditions.pod_state` says, in words; any other cause is a pod still starting.
_SAYS = {"Terminating": _terminating, "Unschedulable": _unschedulable, "OOMKilled": _oom, "CrashLoopBackOff": _crash,
         "Error": _crash, "ImagePullBackOff": _pull, "ErrImageNeverPull": _pull, "InvalidImageName": _pull,
         **dict.fromkeys(CANNOT_START, _cannot_start), "ContainerCreating": _creating, "Completed": _completed,
         "Failed": _failed, "NotReady": _not_ready, "OK": _ok}


def _previous_line(pod: str, namespace: str, container: str, *, previous: bool, kube: Kube | None) -> str:
    if kube is None:
        return ""
    for prev in ((True, False) if previous else (False,)):
        try:
            line = _last_line(inspecting.logs(pod, namespace, container=container, tail=20, previous=prev, kube=kube))
        except K8sLabError:
            continue
        if line:
            return line[:160]
    return ""


def _live_pods(namespace: str, selector: str, kube: Kube) -> list[dict]:
    """The selector's pods, less those being deleted."""
    return [p for p in applying.list_objects("Pod", namespace, selector, kube=kube) if not p["metadata"].get("deletionTimestamp")]


def _newest_first(pods: list[dict]) -> list[dict]:
    return sorted(pods, key=lambda p: str(p["metadata"].get("creationTimestamp") or ""), reverse=True)


def _deployment(dep: dict, namespace: str, kube: Kube) -> Diagnosis:
    name = dep["metadata"]["name"]
    want = (dep.get("spec") or {}).get("replicas", 1)
    status = dep.get("status") or {}
    available = status.get("availableReplicas") or 0
    head = f"Deployment/{name} has {available}/{want} pods available"
    complete = rollout_complete(dep) and not progress_deadline_exceeded(dep)
    labels = ((dep.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    pods = _live_pods(namespace, label_selector(labels), kube)
    for pod in _newest_first(pods):
        found = _pod(pod, namespace, kube)
        if not found.ok:
            return Diagnosis(found.cause, f"{head}: {found.text}")
    if complete:
        return Diagnosis("OK", f"{head}: all ready, nothing wrong found.")
    if not pods:
        message = _last_event(_events("Deployment", name, namespace, kube), "FailedCreate")
        for c in status.get("conditions") or []:
            if c.get("type") == "ReplicaFailure" and c.get("status") == "True":
                message = c.get("message") or message
        return Diagnosis("NoPods", f"{head}: it has no pods{f' ({message})' if message else ''}; look: "
                                   f"{_cmd(f'kubectl describe deployment {name} -n {namespace}')} and "
                                   f"{_cmd(f'kubectl get replicasets -l {label_selector(labels)} -n {namespace}')}.")
    return Diagnosis("Progressing", f"{head}: its rollout is still going on; look: "
                                    f"{_cmd(f'kubectl rollout status deployment/{name} -n {namespace}')}.")


def _service(svc: dict, namespace: str, kube: Kube) -> Diagnosis:
    name = svc["metadata"]["name"]
    spec = svc.get("spec") or {}
    endpoints = _cmd(f"kubectl get endpointslices -l kubernetes.io/service-name={name} -n {namespace}")
    if spec.get("type") == "ExternalName":
        return Diagnosis("OK", f"Service/{name} is an ExternalName for {spec.get('externalName')}: it has no endpoints by design.")
    selector = spec.get("selector") or {}
    if not selector:
        return Diagnosis("NoSelector", f"Service/{name} has no selector, so Kubernetes gives it no endpoints: its "
                                       f"Endpoints/EndpointSlices are set by hand; look: {endpoints}.")
    pods = _live_pods(namespace, label_selector(selector), kube)
    if not pods:
        others = sorted({label_selector({k: v for k, v in (p["metadata"].get("labels") or {}).items() if k not in GENERATED})
                         for p in applying.list_objects("Pod", namespace, kube=kube)} - {""})
        seen = f" (the pods here have the labels {'; '.join(others[:3])})" if others else " (there are no pods in the namespace)"
        return Diagnosis("NoEndpoints", f"Service/{name} has no endpoints: its selector {label_selector(selector)} matches no pod"
                                        f"{seen}; fix spec.selector or the pods' labels; look: {endpoints} and "
                                        f"{_cmd(f'kubectl get pods --show-labels -n {namespace}')}.")
    ready = [p for p in pods if is_ready(p)]
    if not ready:
        found = _pod(_newest_first(pods)[0], namespace, kube)
        return Diagnosis(found.cause, f"Service/{name} has no ready endpoints: none of its {len(pods)} pods is Ready, and "
                                      f"{found.text}")
    ports = {str(p.get("containerPort")) for pod in ready for c in pod["spec"].get("containers") or [] for p in c.get("ports") or []}
    named = {p.get("name") for pod in ready for c in pod["spec"].get("containers") or [] for p in c.get("ports") or []}
    for port in spec.get("ports") or []:
        target = str(port.get("targetPort", port.get("port")))
        if ports and target not in ports and target not in named:
            return Diagnosis("WrongTargetPort", f"Service/{name} sends port {port.get('port')} to targetPort {target}, but "
                                                f"its pods declare {', '.join(sorted(ports))}: fix targetPort; look: {endpoints}.")
    return Diagnosis("OK", f"Service/{name} has {len(ready)} ready endpoints: nothing wrong found.")


def _workload(obj: dict, kind: str, namespace: str, kube: Kube) -> Diagnosis:
    """A ReplicaSet, StatefulSet, DaemonSet or Job: the first pod of it that has a problem."""
    name = obj["metadata"]["name"]
    labels = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    pods = _live_pods(namespace, label_selector(labels), kube)
    for pod in _newest_first(pods):
        found = _pod(pod, namespace, kube)
        if not found.ok and not (kind == "Job" and found.cause == "Completed"):
            return Diagnosis(found.cause, f"{kind}/{name}: {found.text}")
    look = _cmd(f"kubectl describe {kind.lower()} {name} -n {namespace}")
    if not pods:
        warning = _last_warning(kind, name, namespace, kube)
        return Diagnosis("NoPods", f"{kind}/{name} has no pods{f' ({warning})' if warning else ''}; look: {look}.")
    return Diagnosis("OK", f"{kind}/{name}: its {len(pods)} pods show no problem; look: {look}.")


def _last_warning(kind: str, name: str, namespace: str, kube: Kube) -> str:
    warnings = [e for e in _events(kind, name, namespace, kube) if e["type"] == "Warning"]
    return f"{warnings[-1]['reason']}: {warnings[-1]['message']}" if warnings else ""


def _other(obj: dict, kind: str, namespace: str, kube: Kube) -> Diagnosis:
    name = obj["metadata"]["name"]
    look = _cmd(f"kubectl describe {kind.lower()} {name} -n {namespace}")
    warning = _last_warning(kind, name, namespace, kube)
    if warning:
        return Diagnosis("Warning", f"{kind}/{name}: its last warning event says {warning}; look: {look}.")
    phase = (obj.get("status") or {}).get("phase")
    if phase and phase not in ("Bound", "Active", "Running", "Succeeded"):
        return Diagnosis(phase, f"{kind}/{name} is {phase}; look: {look}.")
    return Diagnosis("OK", f"{kind}/{name} exists{f' and is {phase}' if phase else ''}: nothing wrong found; look: {look}.")
