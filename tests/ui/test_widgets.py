"""Every live widget built and driven headless (no browser) against the real test cluster.

Widgets are waited on with `widget.wait_for(predicate, timeout)`: a bounded wait on the
condition the widget's own threads notify, never a sleep.
"""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from k8slab.kube import applying, architecture, waiting, watching
from k8slab.ui.widgets import ClusterMap, EventFeed, LogView, ManifestEditor, PodTable, RolloutProgress, SpecStatus

pytestmark = pytest.mark.cluster

REPO = Path(__file__).resolve().parents[2]
BUSYBOX = "k8slab.local/busybox:1"
HTTPD = ["httpd", "-f", "-p", "8080"]


def deployment(name, namespace, replicas=1, image=BUSYBOX, command=HTTPD) -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {
                "terminationGracePeriodSeconds": 1,
                "containers": [{"name": "main", "image": image, "imagePullPolicy": "Never", "command": command}]}},
        },
    }


def pod(name, namespace, command) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace},
            "spec": {"terminationGracePeriodSeconds": 1,
                     "containers": [{"name": "main", "image": BUSYBOX, "imagePullPolicy": "Never", "command": command}]}}


@pytest.fixture
def default_token(kube, namespace):
    """Bare pods in a new namespace need its default ServiceAccount's token (1.20 refuses them before)."""
    waiting.watch_until("v1", "ServiceAccount", "default", namespace, lambda sa: bool(sa and sa.get("secrets")), timeout=60, kube=kube)


def all_running(n):
    return lambda t: len(t.pods) == n and all(p["phase"] == "Running" and p["ready"] == "1/1" for p in t.pods)


def closes_cleanly(widget):
    started = time.monotonic()
    widget.close()
    assert not widget.running, "a background thread outlived close()"
    assert time.monotonic() - started < 3


def test_pod_table_sees_pods_appear_and_a_scale(kube, namespace):
    table = PodTable("app=web", namespace, kube=kube)
    try:
        table.wait_for(lambda t: t.renders > 0 and t._synced.is_set(), 30)
        assert table.pods == [] and "0 pods" in table.summary()

        applying.apply(deployment("web", namespace), kube=kube)
        table.wait_for(all_running(1), 90)
        first = table.pods[0]
        assert first["node"] and first["restarts"] == 0

        applying.patch("Deployment", "web", {"spec": {"replicas": 3}}, namespace, "apps/v1", kube=kube)
        table.wait_for(all_running(3), 90)
        assert table.summary() == f"PodTable in {namespace} matching app=web: 3 pods (3 Running), 3 ready, 0 restarts"
        table.wait_for(lambda t: all(p["name"] in t._view.value for p in t.pods), 10)  # the view shows them too

        bundle = table._repr_mimebundle_()
        assert bundle["text/plain"] == table.summary()
        assert "application/vnd.jupyter.widget-view+json" in bundle
        assert first["name"] in bundle["text/html"] and "Running" in bundle["text/html"]
    finally:
        closes_cleanly(table)


def test_pod_table_shows_why_a_pod_is_stuck(kube, namespace):
    applying.apply(deployment("bad", namespace, image="k8slab.local/absent:1"), kube=kube)
    with PodTable("app=bad", namespace, kube=kube) as table:
        table.wait_for(lambda t: t.pods and t.pods[0]["status"] == "ErrImageNeverPull", 60)
        assert "k8slab.local/absent:1" in table.pods[0]["problem"]
        table.wait_for(lambda t: "ErrImageNeverPull" in t._view.value, 10)
    assert not table.running


def test_rollout_progress_reaches_full_with_old_and_new_replicasets(kube, namespace):
    applying.apply(deployment("web", namespace, replicas=2), kube=kube)
    progress = RolloutProgress("web", namespace, kube=kube)
    try:
        progress.wait_for(lambda p: p.state["complete"], 90)
        s = progress.state
        assert (s["desired"], s["updated"], s["ready"], s["available"]) == (2, 2, 2, 2)
        assert s["new"]["revision"] == "1" and s["old"] == []

        changed = deployment("web", namespace, replicas=2, command=["sleep", "3600"])
        applying.apply(changed, kube=kube)
        progress.wait_for(lambda p: p.state["new"] and p.state["new"]["revision"] == "2", 30)
        progress.wait_for(lambda p: p.state["complete"] and all(o["current"] == 0 for o in p.state["old"]), 90)
        assert [o["revision"] for o in progress.state["old"]] == ["1"]
        assert progress.summary() == (
            "Deployment/web: 2/2 updated, 2/2 ready, 2/2 available; complete; new ReplicaSet (revision 2): 2 pods")
        html = progress.html()
        assert "complete" in html and "sleep" not in html and BUSYBOX in html
    finally:
        closes_cleanly(progress)


def test_log_view_follows_into_a_bounded_buffer_and_stops(kube, namespace, default_token):
    counter = ["sh", "-c", "i=0; while true; do echo line $i; i=$((i+1)); sleep 0.1; done"]
    applying.apply(pod("talker", namespace, counter), kube=kube)
    view = LogView("talker", namespace, max_lines=5, kube=kube)
    try:
        view.wait_for(lambda v: v.total >= 12, 90)
        lines = view.lines
        assert len(lines) == 5
        numbers = [int(line.split()[1]) for line in lines]
        assert numbers == list(range(numbers[0], numbers[0] + 5)) and numbers[0] >= 7
    finally:
        closes_cleanly(view)
    total = view.total
    assert view.lines[-1].startswith("line ")
    assert view.total == total  # nothing arrives after close


def test_log_view_of_a_deployment_prefixes_each_pod(kube, namespace):
    hello = ["sh", "-c", "echo hello from $(hostname); exec sleep 3600"]
    applying.apply(deployment("hello", namespace, replicas=2, command=hello), kube=kube)
    with LogView(deployment="hello", namespace=namespace, kube=kube) as view:
        view.wait_for(lambda v: len(v.lines) == 2, 90)
        assert sorted(line.split()[-1][:6] for line in view.lines) == ["hello-", "hello-"]
        view.wait_for(lambda v: "[hello-" in v._view.value, 10)


def test_event_feed_gets_the_events_of_a_namespace_and_of_one_object(kube, namespace, default_token):
    feed = EventFeed(namespace=namespace, kube=kube)
    applying.apply(pod("one", namespace, ["sleep", "3600"]), kube=kube)
    applying.apply(pod("two", namespace, ["sleep", "3600"]), kube=kube)
    try:
        feed.wait_for(lambda f: {("Pod/one", "Started"), ("Pod/two", "Started")} <= {(e["object"], e["reason"]) for e in f.events}, 90)
        assert {"Scheduled", "Created", "Started"} <= {e["reason"] for e in feed.events}
        with EventFeed("Pod/one", namespace, kube=kube) as only_one:
            only_one.wait_for(lambda f: "Started" in {e["reason"] for e in f.events}, 30)
            assert {e["object"] for e in only_one.events} == {"Pod/one"}
            assert only_one.summary().startswith(f"EventFeed Pod/one in {namespace}: ")
    finally:
        closes_cleanly(feed)


def test_spec_status_marks_the_difference_until_it_closes(kube, namespace):
    applying.apply(deployment("web", namespace, replicas=2, image="k8slab.local/absent:1"), kube=kube)
    view = SpecStatus("Deployment", "web", namespace, kube=kube)
    try:
        view.wait_for(lambda v: any(w == "spec.replicas vs status.readyReplicas" for w, _, _ in v.differences), 60)
        assert ("spec.replicas vs status.readyReplicas", 2, 0) in view.differences
        view.wait_for(lambda v: "status.readyReplicas" in v._view.value, 10)
        assert "#ffe3e3" in view.html()  # the differing lines are marked in the YAML too

        applying.apply(deployment("web", namespace, replicas=2), kube=kube)
        view.wait_for(lambda v: v.summary() == "Deployment/web: status matches spec", 120)
        assert "status matches spec" in view.html()
    finally:
        closes_cleanly(view)


def test_manifest_editor_reports_a_server_error_inline_then_diffs_and_applies(kube, namespace):
    import yaml

    bad = deployment("web", namespace, replicas=-1)
    editor = ManifestEditor(yaml.safe_dump(bad), namespace, kube=kube)
    outcome = editor.validate()
    assert outcome.startswith("error: ") and "\n" not in outcome
    assert "spec.replicas" in outcome and "greater than or equal to 0" in outcome  # the API server's own words
    assert "spec.replicas" in editor._line.value and "#c92a2a" in editor._line.value  # shown inline, in red
    assert not applying.exists("Deployment", "web", namespace, "apps/v1", kube=kube)

    editor.editor.value = yaml.safe_dump(deployment("web", namespace, replicas=1))
    assert editor.validate() == f"valid (server dry run): Deployment/web in {namespace}"
    assert not applying.exists("Deployment", "web", namespace, "apps/v1", kube=kube)
    assert editor.diff() == f"would change: Deployment/web in {namespace} (new)"
    assert editor.apply() == f"applied: Deployment/web in {namespace}"
    assert applying.exists("Deployment", "web", namespace, "apps/v1", kube=kube)
    assert editor.diff() == "no changes: the cluster already has this"

    editor.editor.value = yaml.safe_dump(deployment("web", namespace, replicas=3))
    assert editor.diff() == f"would change: Deployment/web in {namespace}"
    assert any(line.startswith("-") and "replicas: 1" in line for line in editor._diff)
    assert any(line.startswith("+") and "replicas: 3" in line for line in editor._diff)
    assert "replicas: 3" in editor.html()
    editor.close()


def test_cluster_map_shows_the_node_and_components_healthy(kube):
    # The map shows health as it is. Earlier tests load the machine (a second kind cluster, a
    # restarted node), and a node may miss its heartbeats for a while: first let every node be
    # Ready, within a bound, so the assertions below are about the map, not about the load. The
    # same for the control plane's static pods: on a cluster made a minute ago, the controller
    # manager is not Ready yet.
    for node in applying.list_objects("Node", kube=kube):
        waiting.wait_for_condition("v1", "Node", node["metadata"]["name"], None, "Ready", timeout=180, kube=kube)
    for pod in applying.list_objects("Pod", namespace="kube-system", selector="tier=control-plane", kube=kube):
        waiting.wait_for_condition("v1", "Pod", pod["metadata"]["name"], "kube-system", "Ready", timeout=180, kube=kube)
    arch = architecture.discover(kube=kube)
    plane = {c["name"]: c for c in arch["control_plane"]}
    assert plane["kube-apiserver"]["healthy"] is True and plane["etcd"]["healthy"] is True
    assert all(c["healthy"] is not False for c in plane.values()), plane
    assert arch["nodes"] and all(n["ready"] for n in arch["nodes"])
    for node in arch["nodes"]:
        parts = {c["name"]: c for c in node["components"]}
        assert parts["kubelet"]["healthy"] is True and parts["kubelet"]["version"].startswith("v1.")
        assert parts["container-runtime"]["healthy"] is True and "://" in parts["container-runtime"]["version"]
        assert parts["kube-proxy"]["healthy"] is not False
    text = architecture.describe(arch)
    assert "Control plane (控制平面):" in text and f"Node {arch['nodes'][0]['name']}" in text

    with ClusterMap(refresh=60, kube=kube) as cmap:
        cmap.wait_for(lambda m: m.architecture is not None and "Control plane" in m._view.value, 30)
        assert cmap.summary() == architecture.describe(cmap.architecture)
        for node in arch["nodes"]:
            assert node["name"] in cmap.html()


def test_follow_lists_then_watches_and_stops_promptly(kube, namespace):
    stop = watching.Stop()
    seen: list[tuple[str, str]] = []
    synced, added = threading.Event(), threading.Event()

    def run():
        for etype, obj in watching.follow("v1", "ConfigMap", namespace, stop=stop, window=30, kube=kube):
            seen.append((etype, obj.get("metadata", {}).get("name")))
            if etype == watching.SYNCED:
                synced.set()
            elif seen[-1] == ("ADDED", "c1"):
                added.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert synced.wait(30)
    applying.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c1"}, "data": {"a": "1"}}, namespace, kube=kube)
    assert added.wait(30), seen
    started = time.monotonic()
    stop.set()  # a 30 s watch window is open: the Stop must cut it short
    thread.join(5)
    assert not thread.is_alive() and time.monotonic() - started < 2


def test_an_expired_resource_version_asks_for_a_new_list(kube, namespace):
    """The API server's watch cache of a kind starts at the resourceVersion current when the kind
    appeared: for a fresh CRD, version "1" is always older than that, so the answer is 410 Gone.
    (A built-in kind's cache may start near 1 on a young cluster, and then "1" is not too old.)"""
    group = f"{namespace}.k8slab.test"
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": f"notes.{group}"},
        "spec": {"group": group, "scope": "Namespaced", "names": {"plural": "notes", "singular": "note", "kind": "Note"},
                 "versions": [{"name": "v1", "served": True, "storage": True,
                               "schema": {"openAPIV3Schema": {"type": "object"}}}]},
    }
    applying.apply(crd, kube=kube)
    try:
        waiting.wait_for_condition("apiextensions.k8s.io/v1", "CustomResourceDefinition", crd["metadata"]["name"], None,
                                   "Established", timeout=60, kube=kube)
        res = kube.resource(f"{group}/v1", "Note")
        with pytest.raises(watching._Gone):
            list(watching._watch(watching._Target(kube, res.path(namespace=namespace), [], "watching"), "1", 5, watching.Stop()))
    finally:
        applying.delete(kind="CustomResourceDefinition", name=crd["metadata"]["name"],
                        api_version="apiextensions.k8s.io/v1", kube=kube)


AT_EXIT = """
import atexit, sys
import k8slab as lab

def report():  # registered first, so it runs after the widgets' finalizers
    for t in widgets:
        for thread in t._threads:
            thread.join(5)
    print("stopped" if all(t._stop.is_set() and not t.running for t in widgets) else "still running")

atexit.register(report)
lab.use(sys.argv[1])
widgets = [lab.widgets.PodTable(namespace=sys.argv[2]), lab.widgets.EventFeed(namespace=sys.argv[2])]
widgets[0].wait_for(lambda w: w._synced.is_set(), 30)
print(widgets[0].summary())
"""


def test_the_threads_stop_when_the_interpreter_exits(kubeconfig, namespace):
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", AT_EXIT, kubeconfig, namespace], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"PodTable in {namespace}: 0 pods, 0 ready, 0 restarts", "stopped"]
    assert time.monotonic() - started < 30
