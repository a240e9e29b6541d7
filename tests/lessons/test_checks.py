"""Exercise checks against the real test cluster: PASS when done, a one-line FAIL with a hint when not."""

import re
import threading
import time

import pytest

import k8slab as lab
from k8slab.core.errors import K8sLabError, ManifestError
from k8slab.kube import applying, waiting

checks = lab.checks  # as the notebooks call them: on the cluster chosen last (the `kube` fixture's)

pytestmark = pytest.mark.cluster

BUSYBOX = "k8slab.local/busybox:1"


def server(namespace, name="web", replicas=1, page="hello from the check"):
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}, tier: front}}}}
    spec:
      containers:
      - name: web
        image: {BUSYBOX}
        imagePullPolicy: Never
        command: [sh, -c, 'echo "{page}" > /index.html; exec httpd -f -p 8080 -h /']
---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  selector: {{app: {name}}}
  ports: [{{port: 80, targetPort: 8080, protocol: TCP}}]
"""


def fail_line(excinfo) -> str:
    text = str(excinfo.value)
    assert text.startswith("FAIL ") and "\n" not in text and "(hint: " in text
    assert re.search(r'to see why: lab\.diagnose\("\w+", "[\w-]+", "[\w-]+"\)\)$', text), text
    return text


def test_deployment_and_service_pass_once_ready(kube, namespace):
    applying.apply(server(namespace, replicas=2), kube=kube)
    passed = checks.deployment_ready("web", replicas=2, namespace=namespace, timeout=120)
    assert repr(passed) == "PASS Deployment/web has 2 replicas ready"
    assert "PASS Service/web answers" in repr(checks.service_answers("web", namespace, contains="hello from the check"))
    assert repr(checks.pods_ready("app=web", 2, namespace)).startswith("PASS 2 pods")


def test_deployment_with_other_replica_count_fails_with_hint(kube, namespace):
    applying.apply(server(namespace, replicas=1), kube=kube)
    with pytest.raises(checks.CheckFailed) as e:
        checks.deployment_ready("web", replicas=3, namespace=namespace, timeout=60)
    assert "asks for 1 replicas, not 3" in fail_line(e) and "spec.replicas: 3" in str(e.value)
    with pytest.raises(checks.CheckFailed) as e:
        checks.pods_ready("app=web", 2, namespace, timeout=3)
    assert 'lab.diagnose("Pod", "web-' in fail_line(e)  # the pod to look at, by its name


def test_missing_objects_fail_after_the_timeout(kube, namespace):
    with pytest.raises(checks.CheckFailed) as e:
        checks.deployment_ready("nothing", namespace=namespace, timeout=2)
    assert "Deployment/nothing" in fail_line(e) and "does not exist" in str(e.value)
    with pytest.raises(checks.CheckFailed) as e:
        checks.pod_running("nothing", namespace, timeout=2)
    fail_line(e)
    with pytest.raises(checks.CheckFailed) as e:
        checks.object_exists("ConfigMap", "nothing", namespace, timeout=2)
    fail_line(e)


def test_service_with_wrong_page_or_no_endpoints_fails(kube, namespace):
    applying.apply(server(namespace), kube=kube)
    checks.deployment_ready("web", namespace=namespace, timeout=120)
    with pytest.raises(checks.CheckFailed) as e:
        checks.service_answers("web", namespace, contains="something else", timeout=10)
    assert "it answered 'hello from the check'" in fail_line(e)
    applying.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "lonely", "namespace": namespace},
                    "spec": {"selector": {"app": "none"}, "ports": [{"port": 80, "protocol": "TCP"}]}}, kube=kube)
    with pytest.raises(checks.CheckFailed) as e:
        checks.service_answers("lonely", namespace, timeout=3)
    assert "no ready endpoints" in fail_line(e)


def test_pod_label_waits_for_the_label(kube, namespace):
    applying.apply(server(namespace), kube=kube)
    checks.deployment_ready("web", namespace=namespace, timeout=120)
    pod = applying.list_objects("Pod", namespace, "app=web", kube=kube)[0]["metadata"]["name"]
    assert repr(checks.pod_has_label(pod, "tier", "front", namespace)).startswith("PASS")
    with pytest.raises(checks.CheckFailed) as e:
        checks.pod_has_label(pod, "tier", "back", namespace, timeout=2)
    assert "its labels are" in fail_line(e) and "kubectl label pod" in str(e.value)


def test_job_daemonset_statefulset_replicaset(kube, namespace):
    pod = {"containers": [{"name": "c", "image": BUSYBOX, "imagePullPolicy": "Never", "command": ["sleep", "3600"]}]}
    labels = {"matchLabels": {"app": "x"}}
    template = {"metadata": {"labels": {"app": "x"}}, "spec": pod}
    applying.apply([
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "ok", "namespace": namespace},
         "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{**pod["containers"][0], "command": ["true"]}]}}}},
        {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "ds", "namespace": namespace},
         "spec": {"selector": labels, "template": {**template, "spec": {**pod, "tolerations": [{"operator": "Exists"}]}}}},
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "sts", "namespace": namespace},
         "spec": {"serviceName": "sts", "replicas": 2, "selector": labels, "template": template}},
    ], kube=kube)
    assert repr(checks.job_succeeded("ok", namespace, timeout=120)) == "PASS Job/ok completed"
    assert "every node" in repr(checks.daemonset_on_every_node("ds", namespace, timeout=120))
    assert "sts-0 .. sts-1" in repr(checks.statefulset_ready("sts", 2, namespace, timeout=120))
    with pytest.raises(checks.CheckFailed) as e:
        checks.replicaset_ready("absent", 1, namespace, timeout=2)
    fail_line(e)


def test_file_in_pod_and_gone(kube, namespace):
    applying.apply(server(namespace, page="page text"), kube=kube)
    checks.deployment_ready("web", namespace=namespace, timeout=120)
    pod = applying.list_objects("Pod", namespace, "app=web", kube=kube)[0]["metadata"]["name"]
    assert repr(checks.file_in_pod(pod, "/index.html", "page text", namespace)).startswith("PASS")
    with pytest.raises(checks.CheckFailed):
        checks.file_in_pod(pod, "/index.html", "other text", namespace)
    seen = applying.get("Service", "web", namespace, kube=kube)
    applying.delete(kind="Service", name="web", namespace=namespace, kube=kube)
    assert repr(checks.gone("Service", "web", namespace, seen=seen)) == "PASS Service/web is deleted"


def test_gone_fails_for_an_object_that_never_existed(kube, namespace):
    with pytest.raises(checks.CheckFailed) as e:
        checks.gone("Service", "never-made", namespace, timeout=2)
    assert "never saw it exist" in str(e.value) and "seen=" in str(e.value)
    applying.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "other", "namespace": namespace}}, kube=kube)
    other = applying.get("ConfigMap", "other", namespace, kube=kube)
    with pytest.raises(checks.CheckFailed, match="another object"):
        checks.gone("Service", "never-made", namespace, timeout=2, seen=other)


def test_gone_without_seen_watches_an_existing_object_go(kube, namespace):
    applying.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "doomed", "namespace": namespace}}, kube=kube)
    with pytest.raises(checks.CheckFailed) as e:
        checks.gone("ConfigMap", "doomed", namespace, timeout=2)
    assert "still there" in fail_line(e)
    # the learner deletes it while the check watches
    threading.Timer(1, lambda: applying.delete(kind="ConfigMap", name="doomed", namespace=namespace, kube=kube)).start()
    assert repr(checks.gone("ConfigMap", "doomed", namespace, timeout=30)) == "PASS ConfigMap/doomed is deleted"


def test_pod_running_fails_for_a_finished_pod(kube, namespace):
    applying.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "done", "namespace": namespace},
                    "spec": {"restartPolicy": "Never", "containers": [
                        {"name": "c", "image": BUSYBOX, "imagePullPolicy": "Never", "command": ["true"]}]}}, kube=kube)
    waiting.watch_until("v1", "Pod", "done", namespace, lambda p: p and p["status"].get("phase") == "Succeeded",
                        timeout=120, kube=kube)
    with pytest.raises(checks.CheckFailed) as e:
        checks.pod_running("done", namespace, timeout=5)
    assert "it has finished (Succeeded)" in fail_line(e)


def test_service_answers_without_contains_wants_a_page(kube, namespace):
    applying.apply(server(namespace, page=""), kube=kube)
    checks.deployment_ready("web", namespace=namespace, timeout=120)
    # echo "" writes a bare newline: httpd answers 200 with an empty page
    with pytest.raises(checks.CheckFailed) as e:
        checks.service_answers("web", namespace, timeout=10)
    assert "an empty page" in fail_line(e)
    with pytest.raises(checks.CheckFailed) as e:
        checks.service_answers("web", namespace, path="/missing.html", timeout=10)
    assert "404" in fail_line(e) or "Not Found" in str(e.value)


def test_object_exists_fails_on_an_object_older_than_the_exercise(kube, namespace):
    applying.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "left", "namespace": namespace}}, kube=kube)
    later = time.time() + 5  # an exercise that began after the object was made (by an earlier run)
    with pytest.raises(checks.CheckFailed) as e:
        checks.object_exists("ConfigMap", "left", namespace, timeout=2, since=later)
    assert "before this exercise began" in fail_line(e)
    assert repr(checks.object_exists("ConfigMap", "left", namespace, timeout=2)).startswith("PASS")  # made in this session


def test_explain_returns_the_refusal_and_raises_on_success(kube, namespace):
    text = checks.explain(lab.apply, "kind: Pod\nmetadata: {name: a}", namespace=namespace)
    assert text == "ManifestError: Pod in the YAML lacks apiVersion (every object needs apiVersion, kind and metadata.name)"
    assert repr(text) == str(text)  # shown without quotes in a notebook
    with pytest.raises(K8sLabError, match="expected to be refused"):
        checks.explain(lab.exists, "Namespace", namespace)


def test_a_check_is_a_k8slab_error(kube):
    assert issubclass(checks.CheckFailed, K8sLabError)
    assert not issubclass(checks.CheckFailed, ManifestError)
    e = checks.CheckFailed("Pod/x is Ready: it does not exist", "apply it")
    assert str(e) == "FAIL Pod/x is Ready: it does not exist (hint: apply it)"
