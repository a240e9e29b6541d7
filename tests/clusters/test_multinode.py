"""The kit's cluster of one control plane and two workers, as the notebooks use it: a Service found by
each of its DNS names from a pod on another node, a worker failing and its pods moving, a drain held
up by a PodDisruptionBudget.

In CI the node image stands in for kind's own (tests/cluster/kindnode): cluster DNS is Debian's
dnsmasq fed from the API, the routes between the nodes' pod networks come from a small program in
place of kindnetd (tests/cluster/standins/standin). A learner's kind runs CoreDNS and kindnetd.
"""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest

from k8slab.core.conditions import ready as is_ready
from k8slab.kube import applying, inspecting, waiting

from ..needs import require
from ..registry import BUSYBOX

pytestmark = pytest.mark.cluster
NGINX = "k8slab.local/nginx:1.17.0"


def workers(kube) -> list[str]:
    nodes = kube.core.list_node().items
    names = [n.metadata.name for n in nodes if not any(t.effect == "NoSchedule" for t in n.spec.taints or [])]
    if len(names) < 2:
        require("two schedulable workers", "make the kit's cluster with `k8slab up --workers 2`")
    return sorted(names)


def on_node(node: str) -> dict:
    return {"nodeSelector": {"kubernetes.io/hostname": node}}


def deployment(name: str, replicas: int, spec: dict, image: str = NGINX) -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {**spec, "containers": [{"name": "main", "image": image}]}}},
    }


def service(name: str, headless: bool = False) -> dict:
    spec = {"selector": {"app": name}, "ports": [{"port": 80}], **({"clusterIP": "None"} if headless else {})}
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec}


def kubectl(kubeconfig: str, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(["kubectl", "--kubeconfig", kubeconfig, *args], capture_output=True, text=True, timeout=timeout)


def test_a_pod_reaches_a_service_by_each_name_from_another_node(kube, namespace):
    here, there = workers(kube)[:2]
    db = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
          "spec": {**deployment("db", 2, on_node(there))["spec"], "serviceName": "db"}}
    client = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "client"},
              "spec": {**on_node(here), "containers": [{"name": "main", "image": BUSYBOX, "command": ["sleep", "3600"]}]}}
    applying.apply([service("web"), deployment("web", 1, on_node(there)), service("db", headless=True), db, client],
                   namespace, kube=kube)
    waiting.wait_for_pods("app=web", namespace, count=1, kube=kube)
    pods = waiting.wait_for_pods("app=db", namespace, count=2, kube=kube)
    waiting.wait_for_pod("client", namespace, kube=kube)
    for name in ("web", f"web.{namespace}", f"web.{namespace}.svc.cluster.local", "db", "db-0.db",
                 f"db-1.db.{namespace}.svc.cluster.local"):
        code, out = inspecting.exec_in("client", ["wget", "-q", "-O", "-", f"http://{name}/"], namespace, kube=kube)
        assert code == 0 and "nginx" in out, f"{name} from {here} to {there}: {out}"
    code, out = inspecting.exec_in("client", ["nslookup", f"db.{namespace}.svc.cluster.local"], namespace, kube=kube)
    ips = {p["status"]["podIP"] for p in pods}
    assert code == 0 and all(ip in out for ip in ips), f"the headless Service lists each ready pod {ips}: {out}"


def node_ready(kube, name: str, want: bool, timeout: float) -> None:
    waiting.watch_until("v1", "Node", None, None, lambda nodes: any(
        n["metadata"]["name"] == name and is_ready(n) == want for n in nodes), timeout=timeout, kube=kube,
        describe=lambda nodes: f"node {name} not yet {'Ready' if want else 'NotReady'}")


def fail_a_worker(kube, namespace: str) -> tuple[str, float, float]:
    """The guide's node failure: 2 pods spread over the workers, the node of one stopped (`docker stop`),
    then started again whatever happens. The pods tolerate `unreachable` and `not-ready` for 5 s, not the
    default 300. Returns the stopped node, and the seconds to its NotReady and to 2 pods Ready elsewhere."""
    tolerate = [{"key": f"node.kubernetes.io/{t}", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 5}
                for t in ("unreachable", "not-ready")]
    spread = {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": {
        "labelSelector": {"matchLabels": {"app": "survivor"}}, "topologyKey": "kubernetes.io/hostname"}}]}}
    applying.apply(deployment("survivor", 2, {"tolerations": tolerate, "affinity": spread}), namespace, kube=kube)
    there = waiting.wait_for_pods("app=survivor", namespace, count=2, kube=kube)[0]["spec"]["nodeName"]
    stopped = time.monotonic()
    subprocess.run(["docker", "stop", there], check=True, capture_output=True)
    try:
        node_ready(kube, there, False, timeout=60)
        not_ready = time.monotonic() - stopped
        waiting.watch_until("v1", "Pod", None, namespace, selector="app=survivor", timeout=180, kube=kube,
                            done=lambda pods: sum(p["spec"].get("nodeName") != there and is_ready(p) for p in pods) >= 2,
                            describe=lambda pods: f"{len(pods)} pods, not yet 2 Ready off {there}")
        return there, not_ready, time.monotonic() - stopped
    finally:
        subprocess.run(["docker", "start", there], check=True, capture_output=True)
        node_ready(kube, there, True, timeout=180)


def test_a_failed_worker_turns_notready_and_its_pods_move(kube, namespace):
    """With node-monitor-grace-period 10s (the guide's) the stopped worker is NotReady soon after."""
    if not shutil.which("docker"):
        require("docker", "the kind nodes are Docker containers")
    names = workers(kube)
    there, not_ready, moved = fail_a_worker(kube, namespace)
    assert there in names, "a worker failed, not the control plane"
    assert not_ready < 45, f"NotReady after {not_ready:.0f} s"
    assert moved > not_ready


def test_a_drain_waits_for_the_pod_disruption_budget(kube, namespace, kubeconfig):
    """`kubectl create pdb` writes the API version the server has (policy/v1beta1 on 1.20, policy/v1 since 1.21)."""
    here, there = workers(kube)[:2]
    drain = ["drain", there, "--ignore-daemonsets", "--pod-selector=app=web"]
    try:
        assert kubectl(kubeconfig, "cordon", here).returncode == 0  # both replicas land on `there`
        applying.apply(deployment("web", 2, {}), namespace, kube=kube)
        waiting.wait_for_pods("app=web", namespace, count=2, kube=kube)
        assert kubectl(kubeconfig, "uncordon", here).returncode == 0
        made = kubectl(kubeconfig, "-n", namespace, "create", "pdb", "web", "--selector=app=web", "--min-available=2")
        assert made.returncode == 0, made.stderr
        held = kubectl(kubeconfig, *drain, "--timeout=15s")
        assert held.returncode != 0 and "disruption budget" in held.stderr, held.stderr
        assert kube.core.read_node(there).spec.unschedulable, "drain cordons the node first"
        relaxed = kubectl(kubeconfig, "-n", namespace, "patch", "pdb", "web", "--type=merge", "-p",
                          '{"spec": {"minAvailable": 1}}')
        assert relaxed.returncode == 0, relaxed.stderr
        done = kubectl(kubeconfig, *drain, "--timeout=150s")
        assert done.returncode == 0, done.stderr
        pods = waiting.wait_for_pods("app=web", namespace, count=2, kube=kube)
        assert {p["spec"]["nodeName"] for p in pods} == {here}
    finally:
        kubectl(kubeconfig, "uncordon", here)
        kubectl(kubeconfig, "uncordon", there)
