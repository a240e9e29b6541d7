"""Exercise checks: PASS, or FAIL with a hint, the way a grader would tell it.

Each check watches the cluster for a short while (a learner's Deployment may still be
rolling out) and then answers. A pass returns a `Passed` whose repr is one green line;
a fail raises `CheckFailed`, one line with what is wrong and what to try, ending with the
`lab.diagnose(...)` call that says why, so a notebook cell (and CI running the notebook) fails too.

A check passes only for the learner's work, not for what was already there:
`object_exists` wants an object created since the kit was imported in this kernel (`since=`
to choose another moment), so one left by an earlier, interrupted run does not count; `gone`
wants the object seen to exist first (`seen=` what `lab.get` returned before the deletion);
`pod_running` wants a pod that runs and is Ready, not one that has finished; `service_answers`
without `contains` wants a non-empty page, not just any answer.

    lab.checks.deployment_ready("web", replicas=3, namespace="k8slab-practice")
    lab.checks.explain(lab.apply, "kind: Pod")   # the kit's one-line error, as text
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from k8slab.core import STARTED, conditions
from k8slab.core.errors import K8sLabError, WaitTimeout
from k8slab.kube import exists, get, inspecting, list_objects, waiting
from k8slab.kube.client import Kube

TIMEOUT = 30  # seconds a check keeps watching before it says FAIL


class CheckFailed(K8sLabError):
    """An exercise is not done yet; the hint says what to try."""

    def __str__(self) -> str:
        return f"FAIL {self.message}" + (f" (hint: {self.hint})" if self.hint else "")


@dataclass
class Passed:
    what: str

    def __repr__(self) -> str:
        return f"PASS {self.what}"

    __str__ = __repr__

    def _repr_html_(self) -> str:
        return f'<span style="color:#2b8a3e;font-weight:bold">PASS</span> {html.escape(self.what)}'


def diagnose_hint(kind: str, name: str, namespace: str | None) -> str:
    """The call that says why, offered at the end of every failing check."""
    return f'to see why: lab.diagnose("{kind}", "{name}", "{namespace or "default"}")'


About = tuple[str, str, "str | None"]


def _grade(what: str, hint: str, wait: Callable[[], object], about: "About | Callable[[], About] | None" = None) -> Passed:
    """Run a wait; its timeout or error becomes a FAIL with the state it last saw, and a hint that
    ends with `lab.diagnose(...)` for the object `about` (kind, name, namespace; or a function that
    finds it once the check has failed)."""

    def hinted(text: str) -> str:
        if not about or "lab.diagnose(" in text:
            return text
        said = diagnose_hint(*(about() if callable(about) else about))
        return f"{text}; {said}" if text else said

    try:
        wait()
    except CheckFailed as e:
        e.hint = hinted(e.hint or "")
        raise
    except WaitTimeout as e:
        seen = str(e).split(": ", 1)[-1]
        raise CheckFailed(f"{what}: {seen}", hinted(hint)) from e
    except K8sLabError as e:
        raise CheckFailed(f"{what}: {e}", hinted(hint)) from e
    return Passed(what)


def _watch(api_version: str, kind: str, name: str, namespace: str | None, done, *, timeout: float, kube: Kube, describe=None):
    return lambda: waiting.watch_until(api_version, kind, name, namespace, done, timeout=timeout, describe=describe, kube=kube)


def _status(obj: dict | None) -> dict:
    return (obj or {}).get("status") or {}


def _created(obj: dict) -> float:
    stamp = obj["metadata"].get("creationTimestamp")
    if isinstance(stamp, datetime):
        return stamp.timestamp()
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp() if stamp else 0.0


def object_exists(kind: str, name: str, namespace: str | None = None, api_version: str = "v1", timeout: float = TIMEOUT, *,
                  since: float | None = None, kube: Kube) -> Passed:
    """The object exists and was created since `since` (a Unix time; by default when this kernel
    imported the kit), so an object left by an earlier, interrupted run does not pass."""
    where = f" in {namespace}" if namespace else ""
    start = int(STARTED if since is None else since)  # creationTimestamp has whole seconds

    def describe(obj):
        if obj is None:
            return "it does not exist"
        made = datetime.fromtimestamp(_created(obj), timezone.utc).strftime("%H:%M:%S UTC")
        return f"it was created at {made}, before this exercise began (left by an earlier run? delete it and make it again)"

    return _grade(f"{kind}/{name} exists{where}", f"create it: apiVersion {api_version}, kind {kind}, metadata.name {name}",
                  _watch(api_version, kind, name, namespace, lambda o: o is not None and _created(o) >= start, timeout=timeout,
                         describe=describe, kube=kube), about=(kind, name, namespace))


def deployment_ready(name: str, replicas: int | None = None, namespace: str = "default", timeout: float = TIMEOUT, *,
                     kube: Kube) -> Passed:
    """The rollout is complete and (if given) the Deployment wants exactly `replicas` pods.

    Used in chapters 03, 05, 06, 07, 08, 09.
    """

    def done(dep):
        if dep is None:
            return False
        want = (dep.get("spec") or {}).get("replicas", 1)
        if replicas is not None and want != replicas:
            raise CheckFailed(f"Deployment/{name} asks for {want} replicas, not {replicas}",
                              f"set spec.replicas: {replicas} and apply again")
        return waiting.rollout_complete_or_raise(dep)

    what = f"Deployment/{name} has {replicas if replicas is not None else 'all its'} replicas ready"
    return _grade(what, f"`lab.apply(...)` it in namespace {namespace}; `lab.events(namespace={namespace!r})` tells why pods wait",
                  _watch("apps/v1", "Deployment", name, namespace, done, timeout=timeout, describe=waiting.describe_rollout, kube=kube),
                  about=("Deployment", name, namespace))


def pod_running(name: str, namespace: str = "default", timeout: float = TIMEOUT, *, kube: Kube) -> Passed:
    """The pod runs and is Ready; one that has finished (Succeeded or Failed) serves nothing, and fails.

    Used in chapters 01, 02, 08.
    """

    def done(pod):
        if pod is None:
            return False
        phase = _status(pod).get("phase")
        if phase in ("Succeeded", "Failed"):
            raise CheckFailed(f"Pod/{name} is Running and Ready: it has finished ({phase})",
                              "its command must keep running (e.g. `sleep 3600` or a server), not exit")
        waiting.raise_if_stuck([pod])
        return phase == "Running" and conditions.ready(pod)

    def describe(pod):
        return "it does not exist" if pod is None else f"it is {_status(pod).get('phase')}, " + waiting.describe_conditions(pod)

    return _grade(f"Pod/{name} is Running and Ready", f"apply the Pod; `lab.events('Pod', {name!r}, {namespace!r})` tells why it waits",
                  _watch("v1", "Pod", name, namespace, done, timeout=timeout, describe=describe, kube=kube), about=("Pod", name, namespace))


def pods_ready(selector: str, count: int, namespace: str = "default", timeout: float = TIMEOUT, *, kube: Kube) -> Passed:
    return _grade(f"{count} pods matching {selector!r} are Ready",
                  f"check the labels of the pod template and the number of replicas (`%kubectl get pods -l {selector} -n {namespace}`)",
                  lambda: waiting.wait_for_pods(selector, namespace, count, timeout, kube=kube),
                  about=lambda: _unready_pod(selector, namespace, kube))


def _unready_pod(selector: str, namespace: str, kube: Kube) -> About:
    """The first pod of the selector that is not Ready (what lab.diagnose should look at)."""
    try:
        pods = list_objects("Pod", namespace, selector, kube=kube)
    except K8sLabError:
        pods = []
    names = [p["metadata"]["name"] for p in pods if not conditions.ready(p)] or [p["metadata"]["name"] for p in pods]
    return ("Pod", names[0], namespace) if names else ("Deployment", selector.split("=", 1)[-1].split(",")[0], namespace)


def pod_has_label(name: str, key: str, value: str, namespace: str = "default", timeout: float = TIMEOUT, *,
                  kube: Kube) -> Passed:
    """PASS when the pod carries the label KEY=VALUE (`kubectl label pod NAME KEY=VALUE`).

    Used in chapters 01, 06, 08.
    """
    def done(pod):
        return pod is not None and ((pod["metadata"].get("labels") or {}).get(key) == value)

    def describe(pod):
        return "no such pod" if pod is None else f"its labels are {pod['metadata'].get('labels') or {}}"

    return _grade(f"Pod/{name} has label {key}={value}",
                  f"`%kubectl label pod {name} {key}={value} -n {namespace}` or add it under metadata.labels",
                  _watch("v1", "Pod", name, namespace, done, timeout=timeout, describe=describe, kube=kube), about=("Pod", name, namespace))


def asks_for_label(pod: dict, key: str, value: str) -> bool:
    """Whether the pod's spec asks for nodes labelled KEY=VALUE: a nodeSelector, or a required node affinity."""
    spec = pod.get("spec") or {}
    if (spec.get("nodeSelector") or {}).get(key) == value:
        return True
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {}).get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    return any(e.get("key") == key and e.get("operator") == "In" and value in (e.get("values") or [])
               for term in required.get("nodeSelectorTerms") or [] for e in term.get("matchExpressions") or [])


def placement_problem(pod: dict, node_labels: dict, key: str, value: str) -> str | None:
    """What is wrong with where a scheduled pod runs, for a pod that must run on a KEY=VALUE node; None if nothing."""
    node = pod["spec"]["nodeName"]
    if node_labels.get(key) != value:
        return f"it runs on {node}, which is not labelled {key}={value}"
    if not asks_for_label(pod, key, value):
        return f"it runs on {node} by chance: nothing in its spec asks the scheduler for {key}={value}"
    return None


def pod_on_labelled_node(name: str, key: str, value: str, namespace: str = "default", timeout: float = TIMEOUT, *,
                         kube: Kube) -> Passed:
    """PASS when the pod is Ready on a node labelled KEY=VALUE and its spec asks for such a node
    (a nodeSelector or a required node affinity), so that it did not land there by chance.

    Used in chapter 08.
    """
    what = f"Pod/{name} runs on a node labelled {key}={value}"

    def done(pod):
        if pod is None or not (pod.get("spec") or {}).get("nodeName"):
            return False
        wrong = placement_problem(pod, get("Node", pod["spec"]["nodeName"], kube=kube)["metadata"].get("labels") or {}, key, value)
        if wrong:
            raise CheckFailed(f"{what}: {wrong}", "which field of a pod's spec chooses nodes by their labels? "
                              "(`kubectl explain pod.spec`, and `kubectl get nodes --show-labels`)")
        return conditions.ready(pod)

    def describe(pod):
        if pod is None:
            return "it does not exist"
        return "it is not scheduled yet (Pending)" if not pod["spec"].get("nodeName") else waiting.describe_conditions(pod)

    return _grade(what, f"`lab.events('Pod', {name!r}, {namespace!r})` tells why it waits",
                  _watch("v1", "Pod", name, namespace, done, timeout=timeout, describe=describe, kube=kube), about=("Pod", name, namespace))


DNS_SERVICE = "kube-dns"  # the cluster DNS's Service in kube-system, on kind's CoreDNS and on kubeadm's


def _has_endpoints(ep: dict | None) -> bool:
    return any(s.get("addresses") for s in (ep or {}).get("subsets") or [])


def service_answers(name: str, namespace: str = "default", port: int | str = 80, path: str = "/", *,
                    contains: str | None = None, timeout: float = TIMEOUT, kube: Kube) -> Passed:
    """The Service has ready endpoints and an HTTP GET through it answers 2xx with `contains` in the page
    (without `contains`: with a page that is not empty; an error status fails either way).

    Used in chapters 03, 05, 06, 07, 09.
    """
    what = f"Service/{name} answers on port {port}" + (f" with {contains!r}" if contains else " with a page")

    def describe(ep):
        return "no such Service" if ep is None else "it has no ready endpoints (does its selector match Ready pods?)"

    def call():
        waiting.watch_until("v1", "Endpoints", name, namespace, _has_endpoints, timeout=timeout, describe=describe, kube=kube)
        body = inspecting.call_service(name, namespace, port, path, kube=kube)
        if contains and contains not in body:
            raise CheckFailed(f"{what}: it answered {body.strip()[:80]!r}", "is the page you wrote the one the pods serve?")
        if not contains and not (body or "").strip():
            raise CheckFailed(f"{what}: it answered an empty page", "the pods answer, but serve nothing: is the page there?")

    return _grade(what, "the Service's selector must match the pods' labels, and targetPort their containerPort", call,
                  about=("Service", name, namespace))


def node_ready(name: str, timeout: float = TIMEOUT, *, kube: Kube) -> Passed:
    """PASS when the node's Ready condition is True again (`kubectl get nodes` says Ready).

    Used in chapter 09.
    """
    def is_ready(node):
        return node is not None and conditions.ready(node)

    def describe(node):
        if node is None:
            return "no such node"
        ready = next((c for c in _status(node).get("conditions") or [] if c.get("type") == "Ready"), {})
        return f"its Ready condition is {ready.get('status', 'missing')} ({ready.get('reason', 'no reason')})"

    return _grade(f"Node/{name} is Ready", "who reports a node's status, and is it running on that node?",
                  _watch("v1", "Node", name, None, is_ready, timeout=timeout, describe=describe, kube=kube),
                  about=("Node", name, None))


def reaches_by_name(pod: str, service: str, namespace: str = "default", port: int = 80, timeout: float = TIMEOUT, *,
                    kube: Kube) -> Passed:
    """PASS when `wget http://SERVICE:PORT/` inside the pod gets a page: the Service's name resolves (cluster DNS)
    and the Service answers.

    Used in chapter 09.
    """
    url = f"http://{service}:{port}/"
    what = f"Pod/{pod} reaches {url} by name"

    def fetched():
        deadline = time.monotonic() + timeout
        waiting.wait_for_pod(pod, namespace, timeout, kube=kube)
        try:  # the Service's pods and the cluster DNS's, watched: both must answer before a name can
            for svc, ns in ((service, namespace), (DNS_SERVICE, "kube-system")):
                waiting.watch_until("v1", "Endpoints", svc, ns, _has_endpoints, timeout=timeout, kube=kube)
        except WaitTimeout:
            deadline = 0  # one request, which fails and says so in the learner's own terms
        # kube-proxy sends a Service's address to new endpoints a moment after the API lists them, and
        # nothing in the API says when: the request is asked again, briefly, until the deadline.
        while True:
            rc, said = inspecting.exec_in(pod, ["wget", "-q", "-O", "-", url], namespace, kube=kube)
            if rc == 0:
                return
            if time.monotonic() > deadline:
                raise CheckFailed(f"{what}: wget said {said.strip()[-120:]!r}",
                                  "the Service itself may be fine: how does the pod turn a name into an address?")
            time.sleep(1)

    return _grade(what, "", fetched, about=("Service", service, namespace))


def job_succeeded(name: str, namespace: str = "default", timeout: float = TIMEOUT, *, kube: Kube) -> Passed:
    """PASS when the Job has completed (`kubectl wait --for=condition=complete job/NAME`).

    Used in chapter 06.
    """
    return _grade(f"Job/{name} completed", "`lab.logs(...)` of its pod shows what the command printed",
                  lambda: waiting.wait_for_job(name, namespace, timeout, kube=kube), about=("Job", name, namespace))


def daemonset_on_every_node(name: str, namespace: str = "default", timeout: float = TIMEOUT, *, kube: Kube) -> Passed:
    """PASS when the DaemonSet has a ready, up-to-date pod on every node it should run on.

    Used in chapter 06.
    """
    def done(ds):
        s = _status(ds)
        want = s.get("desiredNumberScheduled")
        return ds is not None and bool(want) and s.get("numberReady") == want == s.get("updatedNumberScheduled")

    def describe(ds):
        s = _status(ds)
        return "no such DaemonSet" if ds is None else f"{s.get('numberReady', 0)}/{s.get('desiredNumberScheduled', '?')} nodes ready"

    return _grade(f"DaemonSet/{name} runs a ready pod on every node", "a taint on a node needs a toleration in the pod template",
                  _watch("apps/v1", "DaemonSet", name, namespace, done, timeout=timeout, describe=describe, kube=kube),
                  about=("DaemonSet", name, namespace))


def statefulset_ready(name: str, replicas: int, namespace: str = "default", timeout: float = TIMEOUT, *, kube: Kube) -> Passed:
    """PASS when the StatefulSet's pods NAME-0 .. NAME-(REPLICAS-1) are all Ready.

    Used in chapter 06.
    """
    def done(sts):
        s = _status(sts)
        return sts is not None and (sts["spec"].get("replicas") == replicas == s.get("readyReplicas"))

    def describe(sts):
        return "no such StatefulSet" if sts is None else f"{_status(sts).get('readyReplicas', 0)}/{sts['spec'].get('replicas')} ready"

    return _grade(f"StatefulSet/{name} has {replicas} ready pods ({name}-0 .. {name}-{replicas - 1})",
                  "pods start one after another: each must be Ready before the next",
                  _watch("apps/v1", "StatefulSet", name, namespace, done, timeout=timeout, describe=describe, kube=kube),
                  about=("StatefulSet", name, namespace))


def replicaset_ready(name: str, replicas: int, namespace: str = "default", timeout: float = TIMEOUT, *, kube: Kube) -> Passed:
    """PASS when the ReplicaSet has REPLICAS ready pods.

    Used in chapter 06.
    """
    def done(rs):
        return rs is not None and rs["spec"].get("replicas") == replicas == _status(rs).get("readyReplicas")

    def describe(rs):
        return "no such ReplicaSet" if rs is None else f"{_status(rs).get('readyReplicas', 0)}/{rs['spec'].get('replicas')} ready"

    return _grade(f"ReplicaSet/{name} has {replicas} ready pods", "its selector must match the template's labels",
                  _watch("apps/v1", "ReplicaSet", name, namespace, done, timeout=timeout, describe=describe, kube=kube),
                  about=("ReplicaSet", name, namespace))


def file_in_pod(pod: str, path: str, contains: str, namespace: str = "default", *, kube: Kube) -> Passed:
    """A file inside a running container holds `contains` (e.g. a page served from a hostPath volume).

    Used in chapter 04.
    """

    def read():
        waiting.wait_for_pod(pod, namespace, TIMEOUT, kube=kube)
        rc, out = inspecting.exec_in(pod, ["cat", path], namespace, kube=kube)
        if rc != 0 or contains not in out:
            raise CheckFailed(f"{path} in pod {pod} does not contain {contains!r}", "is the volume mounted at that path?")

    return _grade(f"{path} in Pod/{pod} contains {contains!r}", "", read, about=("Pod", pod, namespace))


def pvc_bound(name: str, namespace: str = "default", timeout: float = TIMEOUT, *, kube: Kube) -> Passed:
    """PASS when the PersistentVolumeClaim is Bound to a volume.

    Used in chapter 04.
    """
    def describe(pvc):
        return "no such claim" if pvc is None else f"it is {_status(pvc).get('phase', 'Pending')}"

    return _grade(f"PersistentVolumeClaim/{name} is Bound", "its storageClassName, accessModes and size must fit a free PersistentVolume",
                  _watch("v1", "PersistentVolumeClaim", name, namespace, lambda o: _status(o).get("phase") == "Bound", timeout=timeout,
                         describe=describe, kube=kube), about=("PersistentVolumeClaim", name, namespace))


def memory_limit(pod: str, expected: str, namespace: str = "default", *, kube: Kube) -> Passed:
    """The container's cgroup enforces `expected` (e.g. "32 MiB"), read inside the pod.

    Used in chapter 02.
    """
    from k8slab.lessons import isolation

    def read():
        waiting.wait_for_pod(pod, namespace, TIMEOUT, kube=kube)
        found = isolation.pod_memory_limit(pod, namespace, kube=kube)
        if found != expected:
            raise CheckFailed(f"the cgroup of Pod/{pod} limits memory to {found}, not {expected}",
                              "set resources.limits.memory (e.g. 32Mi)")

    return _grade(f"Pod/{pod} is limited to {expected} of memory", "set resources.limits.memory in the container", read,
                  about=("Pod", pod, namespace))


def gone(kind: str, name: str, namespace: str | None = None, api_version: str = "v1", timeout: float = TIMEOUT, *,
         seen: dict | None = None, kube: Kube) -> Passed:
    """The object has been deleted: one the check saw exist, never one that was not there at all.

    Give `seen`, what `lab.get(...)` returned before the deletion; without it the object must
    still be there when the check starts (it then watches the deletion happen).

    Used in chapter 07.
    """
    what = f"{kind}/{name} is deleted"
    hint = "delete it (`lab.delete(...)` or `%kubectl delete ...`)"

    def deleted():
        if seen is None and not exists(kind, name, namespace, api_version, kube=kube):
            raise CheckFailed(f"{what}: it is not there, and the check never saw it exist (a wrong name, or never created?)",
                              f"take `seen = lab.get({kind!r}, {name!r}, ...)` before deleting it, and pass seen=seen")
        if seen is not None and (seen.get("kind") != kind or seen["metadata"].get("name") != name):
            raise CheckFailed(f"{what}: seen= is {seen.get('kind')}/{seen['metadata'].get('name')}, another object",
                              f"pass what lab.get({kind!r}, {name!r}, ...) returned")
        waiting.wait_gone(api_version, kind, name, namespace, timeout, kube=kube)

    return _grade(what, hint, deleted, about=(kind, name, namespace))


class Explained(str):
    """An error message shown as plain text (no quotes) when a cell returns it."""

    def __repr__(self) -> str:
        return str(self)


def explain(action: Callable, *args, **kwargs) -> Explained:
    """Run something that should be refused; return the kit's one-line error for it.

    A demonstration of a mistake, never a hidden failure: if `action` succeeds, that is
    the surprise, and it is raised as an error.

    Used in chapters 06, 09.
    """
    try:
        action(*args, **kwargs)
    except K8sLabError as e:
        return Explained(f"{type(e).__name__}: {e}")
    raise K8sLabError(f"{getattr(action, '__name__', 'the call')} was expected to be refused, but it succeeded")

