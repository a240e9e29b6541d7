"""The kind provider against a real kind cluster: the kit's own, as `k8slab up` made it.

CI makes it with Debian's kind binary and a node image built offline (tests/cluster/kindnode);
a learner's comes from kind's own node image. The tests use the kit's real home
(K8SLAB_HOME or ~/.k8slab), because kind mounted its `shared` folder into the node.
"""

from __future__ import annotations

import shutil
import stat
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from k8slab.clusters import choosing as cluster
from k8slab.clusters.providers import kindconfig
from k8slab.core import config
from k8slab.core.errors import K8sLabError
from k8slab.kube import applying, waiting
from k8slab.manifests import loading as manifests

from ..conftest import end_namespace
from ..needs import require

NAME = "k8slab"


@pytest.fixture(scope="module")
def kind_cluster():
    if not shutil.which("kind"):
        require("kind", "install kind (conda: kubernetes-kind)")
    try:
        there = cluster.provider("kind", cluster_name=NAME).exists()
    except K8sLabError as e:  # no Docker, or it does not answer
        require("container engine", str(e))
    if not there:
        require(f"kind cluster {NAME!r}", "run `k8slab up`")
    return cluster.up("kind", cluster_name=NAME, progress=lambda _: None)


@pytest.fixture
def kind_namespace(kind_cluster):
    ns = f"t-{uuid.uuid4().hex[:8]}"
    applying.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}, kube=kind_cluster.kube)
    yield ns
    end_namespace(kind_cluster.kube, ns)


def _node_container_id() -> str:
    return subprocess.run(["docker", "inspect", "-f", "{{.Id}}", f"{NAME}-control-plane"],
                          capture_output=True, text=True, check=True).stdout.strip()


def _get(url: str, within: float = 60) -> str:
    """GET a NodePort on this machine; kube-proxy may program a new Service a moment after the
    pod is Ready, and nothing in the API says when, so connection errors are retried for a while.
    So are timeouts: Docker's port proxy accepts the connection before the node has a route for it."""
    deadline = time.monotonic() + within
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return r.read().decode()
        except (ConnectionError, TimeoutError, urllib.error.URLError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_up_reuses_the_cluster(kind_cluster):
    before = _node_container_id()
    lines = []
    again = cluster.up("kind", cluster_name=NAME, progress=lines.append)
    assert lines[0] == f"reusing the kind cluster {NAME!r}"
    assert _node_container_id() == before, "reuse must not make a new node"
    assert stat.S_IMODE(again.kubeconfig.stat().st_mode) == 0o600
    assert again.kubeconfig == config.load().home / f"{NAME}.kubeconfig"
    assert again.kube.version().startswith("v1.")


def test_a_stopped_node_is_started_again(kind_cluster):
    """After a restart of Docker or of the laptop the node container is stopped: `up` starts it and waits."""
    node = f"{NAME}-control-plane"
    subprocess.run(["docker", "stop", node], check=True, capture_output=True)
    lines = []
    again = cluster.up("kind", cluster_name=NAME, progress=lines.append)
    assert lines[:2] == [f"reusing the kind cluster {NAME!r}",
                         f"the kind node {node} is stopped (Docker or this machine restarted): starting it"]
    assert subprocess.run(["docker", "inspect", "-f", "{{.State.Running}}", node],
                          capture_output=True, text=True).stdout.strip() == "true"
    assert again.kube.readyz().strip() == "ok"


def test_the_node_has_the_kits_port_mappings_and_shared_folder(kind_cluster):
    inspect = subprocess.run(["docker", "inspect", "-f", "{{json .HostConfig.PortBindings}} {{json .Mounts}}",
                              f"{NAME}-control-plane"], capture_output=True, text=True, check=True).stdout
    for port in kindconfig.NODE_PORTS:
        assert f'"{port}/tcp":[{{"HostIp":"127.0.0.1","HostPort":"{port}"}}]' in inspect
    assert f'"Destination":"{kindconfig.SHARED_IN_NODE}"' in inspect


def test_the_guides_quick_node_timeout_has_a_heartbeat_to_match(kind_cluster):
    """node-monitor-grace-period 10 s (the guide's) needs several heartbeats in it: the kubelet
    renews its Lease every quarter of its duration, so a 10 s Lease beats every 2.5 s."""
    lease = applying.get("Lease", f"{NAME}-control-plane", "kube-node-lease", "coordination.k8s.io/v1", kube=kind_cluster.kube)
    assert lease["spec"]["leaseDurationSeconds"] == 10
    flags = applying.get("Pod", f"kube-controller-manager-{NAME}-control-plane", "kube-system", kube=kind_cluster.kube)
    assert "--node-monitor-grace-period=10s" in flags["spec"]["containers"][0]["command"]


HELLO = """
apiVersion: v1
kind: Pod
metadata: {name: hello, labels: {app: hello}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: hello
    image: IMAGE
    imagePullPolicy: IfNotPresent
    ports: [{containerPort: 8080, protocol: TCP}]
    readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: hello}
spec:
  type: NodePort
  selector: {app: hello}
  ports: [{port: 80, targetPort: 8080, nodePort: 30080, protocol: TCP}]
"""


def test_a_loaded_image_runs_and_its_nodeport_answers_on_localhost(kind_cluster, kind_namespace, tmp_path):
    """`kind load docker-image` of the guide's hello image, then the pod answers on 127.0.0.1:30080."""
    from k8slab import imaging as images

    app = Path(__file__).resolve().parents[2] / "assets" / "hello"
    tag = f"k8slab-kindtest-{uuid.uuid4().hex[:6]}"
    built = images.build(app, tag=tag, overrides={"node:7": "k8slab.local/node:18"}, progress=lambda _: None)
    ref = built.image
    try:
        ref = cluster.load_image(built.image)
        node_images = subprocess.run(["docker", "exec", f"{NAME}-control-plane", "ctr", "-n", "k8s.io", "images", "ls", "-q"],
                                     capture_output=True, text=True, check=True).stdout
        assert f"docker.io/library/{ref}" in node_images.split(), "kind load docker-image put it into the node"
        applying.apply(manifests.load(HELLO.replace("IMAGE", ref)), namespace=kind_namespace, kube=kind_cluster.kube)
        pod = waiting.wait_for_pod("hello", kind_namespace, timeout=120, kube=kind_cluster.kube)
        assert _get("http://127.0.0.1:30080/").strip() == f"You've hit {pod['metadata']['name']}"
    finally:
        subprocess.run(["docker", "rmi", "-f", built.image, ref], capture_output=True)
        subprocess.run(["docker", "exec", f"{NAME}-control-plane", "ctr", "-n", "k8s.io", "images", "rm",
                        f"docker.io/library/{ref}"], capture_output=True)


NGINX = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx-deployment}
spec:
  replicas: 2
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: nginx
        image: k8slab.local/nginx:1.17.0
        imagePullPolicy: IfNotPresent
        ports: [{containerPort: 80, protocol: TCP}]
        volumeMounts: [{name: www, mountPath: /usr/share/nginx/html}]
      volumes:
      - name: www
        hostPath: {path: NODE_PATH, type: Directory}
---
apiVersion: v1
kind: Service
metadata: {name: nginx}
spec:
  type: NodePort
  selector: {app: nginx}
  ports: [{port: 80, targetPort: 80, nodePort: 30081, protocol: TCP}]
"""


def test_the_guides_hostpath_page_is_served_through_the_shared_folder(kind_cluster, kind_namespace):
    """The guide's nginx Deployment with a hostPath volume: the learner's page, from both pods."""
    www = config.load().home / "shared" / f"www-{kind_namespace}"
    www.mkdir(parents=True)
    try:
        (www / "index.html").write_text(f"<h1>hello from {kind_namespace}</h1>\n")
        node_path = cluster.node_path(www)
        assert node_path == f"{kindconfig.SHARED_IN_NODE}/{www.name}"
        applying.apply(manifests.load(NGINX.replace("NODE_PATH", node_path)), namespace=kind_namespace,
                       kube=kind_cluster.kube)
        waiting.wait_for_rollout("nginx-deployment", kind_namespace, timeout=120, kube=kind_cluster.kube)
        assert _get("http://127.0.0.1:30081/") == f"<h1>hello from {kind_namespace}</h1>\n"
    finally:
        shutil.rmtree(www, ignore_errors=True)
