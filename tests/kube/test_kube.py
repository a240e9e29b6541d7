"""The API layer against the real test cluster: apply, rollout, logs, exec, Services, CRDs, errors."""

import base64

import pytest
import yaml

from k8slab.core import errors
from k8slab.kube import applying, client, inspecting, waiting
from k8slab.manifests import loading as manifests

pytestmark = pytest.mark.cluster

BUSYBOX = "k8slab.local/busybox:1"


def web(namespace, replicas=2, image=BUSYBOX, node_selector=None):
    """A Deployment of httpd pods that answer with their own name, and its Service."""
    pod = {"terminationGracePeriodSeconds": 1, "containers": [{
        "name": "web", "image": image, "imagePullPolicy": "Never", "ports": [{"containerPort": 8080}],
        "command": ["sh", "-c", "echo hello from $(hostname) > /index.html; echo started; exec httpd -f -v -p 8080 -h /"],
    }]}
    if node_selector:
        pod["nodeSelector"] = node_selector
    return [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": namespace},
         "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                  "template": {"metadata": {"labels": {"app": "web"}}, "spec": pod}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": namespace},
         "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}},
    ]


def one_line(excinfo) -> str:
    text = str(excinfo.value)
    assert text and "\n" not in text and "Traceback" not in text
    return text


def test_apply_rollout_logs_exec_service_delete(kube, namespace):
    applied = applying.apply(web(namespace), kube=kube)
    assert [o["kind"] for o in applied] == ["Deployment", "Service"]
    dep = waiting.wait_for_rollout("web", namespace, timeout=120, kube=kube)
    assert dep["status"]["availableReplicas"] == 2

    pods = waiting.wait_for_pods("app=web", namespace, count=2, timeout=60, kube=kube)
    name = pods[0]["metadata"]["name"]
    code, out = inspecting.exec_in(name, ["cat", "/index.html"], namespace, kube=kube)
    assert (code, out) == (0, f"hello from {name}\n")
    code, _ = inspecting.exec_in(name, ["sh", "-c", "exit 3"], namespace, kube=kube)
    assert code == 3

    answers = {inspecting.call_service("web", namespace, 80, "/index.html", kube=kube) for _ in range(12)}
    assert answers <= {f"hello from {p['metadata']['name']}\n" for p in pods} and answers
    assert "started" in inspecting.logs(name, namespace, kube=kube)

    with inspecting.port_forward(name, 8080, namespace, kube=kube) as port:
        import urllib.request

        assert urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=10).read().decode() == f"hello from {name}\n"

    assert any(e["reason"] == "ScalingReplicaSet" for e in inspecting.events("Deployment", "web", namespace, kube=kube))

    applying.apply(web(namespace), kube=kube)  # applying again changes nothing and does not fail
    applying.patch("Deployment", "web", {"spec": {"replicas": 3}}, namespace, "apps/v1", kube=kube)
    assert waiting.wait_for_rollout("web", namespace, timeout=120, kube=kube)["status"]["readyReplicas"] == 3

    assert applying.delete(web(namespace), kube=kube) == ["Service/web", "Deployment/web"]
    assert not applying.exists("Deployment", "web", namespace, "apps/v1", kube=kube)
    assert applying.delete(web(namespace), kube=kube) == []  # deleting again is fine


def test_job_completes(kube, namespace):
    applying.apply({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "pi", "namespace": namespace},
                    "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
                        {"name": "pi", "image": BUSYBOX, "imagePullPolicy": "Never", "command": ["echo", "3.14159"]}]}}}},
                   kube=kube)
    job = waiting.wait_for_job("pi", namespace, timeout=90, kube=kube)
    assert job["status"]["succeeded"] == 1


CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: lessons.k8slab.test}
spec:
  group: k8slab.test
  scope: Namespaced
  names: {plural: lessons, singular: lesson, kind: Lesson}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              chapter: {type: integer}
"""


def test_crd_and_custom_resource(kube, namespace):
    lesson = f"""
apiVersion: k8slab.test/v1
kind: Lesson
metadata: {{name: objects, namespace: {namespace}}}
spec: {{chapter: 6}}
"""
    try:
        applied = applying.apply(CRD + "---" + lesson, kube=kube)
        assert applied[1]["spec"] == {"chapter": 6}
        found = applying.list_objects("Lesson", namespace, api_version="k8slab.test/v1", kube=kube)
        assert [o["metadata"]["name"] for o in found] == ["objects"]
        with pytest.raises(errors.ManifestError) as err:  # validated against the cluster's CRD before sending, as kubectl does
            applying.apply(lesson.replace("chapter: 6", "chapter: six"), kube=kube)
        assert one_line(err) == ("invalid: the YAML, line 5: Lesson/objects: spec.chapter: 'six' is not of type 'integer' "
                                 "(kubectl refuses it too: fix that field)")
    finally:
        applying.delete(CRD, kube=kube)
    with pytest.raises(errors.UnknownKind) as err:
        applying.apply(lesson, kube=kube)
    assert one_line(err).startswith("the cluster does not know kind 'Lesson' in apiVersion 'k8slab.test/v1'")


# -- every error class, caused by real bad input -----------------------------------------


def test_unknown_kind(kube, namespace):
    with pytest.raises(errors.UnknownKind) as err:
        applying.apply(f"apiVersion: apps/v1\nkind: Deploymnet\nmetadata: {{name: x, namespace: {namespace}}}\n", kube=kube)
    assert "Deploymnet" in one_line(err) and "check the spelling" in one_line(err)


def test_api_version_the_cluster_does_not_serve(kube):
    """Like the guide's apiextensions.k8s.io/v1beta1 on a cluster of 1.22 or later."""
    old = CRD.replace("apiextensions.k8s.io/v1", "apiextensions.k8s.io/v1beta2")
    with pytest.raises(errors.UnknownKind) as err:
        applying.apply(old, kube=kube)
    assert "apiextensions.k8s.io/v1beta2" in one_line(err)


def test_invalid_object_is_refused_by_the_server(kube, namespace):
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "bad", "namespace": namespace},
           "spec": {"ports": [{"port": 70000}]}}
    with pytest.raises(errors.Invalid) as err:
        applying.apply(svc, kube=kube)
    assert "applying Service/bad" in one_line(err) and "70000" in one_line(err)


def test_conflict_on_a_stale_resource_version(kube, namespace):
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": namespace}, "data": {"a": "1"}}
    applying.apply(cm, kube=kube)
    cm["metadata"]["resourceVersion"] = "1"
    with pytest.raises(errors.Conflict) as err:
        applying.apply(cm, kube=kube)
    assert "ConfigMap/c" in one_line(err)


def test_forbidden_for_a_service_account_without_rights(kube, namespace, tmp_path):
    applying.apply({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "nobody", "namespace": namespace}}, kube=kube)
    from kubernetes import client as k8s

    token = kube.core.create_namespaced_service_account_token(
        "nobody", namespace, k8s.AuthenticationV1TokenRequest(spec=k8s.V1TokenRequestSpec(audiences=[]))).status.token
    cfg = yaml.safe_load(open(kube.kubeconfig))
    cfg["users"] = [{"name": "nobody", "user": {"token": token}}]
    cfg["contexts"][0]["context"]["user"] = "nobody"
    path = tmp_path / "nobody.kubeconfig"
    path.write_text(yaml.safe_dump(cfg))
    nobody = client.Kube(path)
    with pytest.raises(errors.Forbidden) as err:
        applying.list_objects("Secret", namespace, kube=nobody)
    assert "forbidden" in one_line(err)


def test_timeout_reports_last_state_and_events(kube, namespace):
    applying.apply(web(namespace, replicas=1, node_selector={"disk": "none-such"}), kube=kube)
    with pytest.raises(errors.WaitTimeout) as err:
        waiting.wait_for_rollout("web", namespace, timeout=4, kube=kube)
    text = one_line(err)
    # the controller makes the pod at once (so it counts as updated); no node matches it, so it never becomes available
    assert "Deployment/web not ready after 4s: 1/1 updated, 0/1 available" in text
    assert "; events: ScalingReplicaSet: Scaled up replica set web-" in text  # the Deployment's own events


def test_image_that_cannot_be_had_names_the_image(kube, namespace):
    applying.apply(web(namespace, replicas=1, image="k8slab.local/missing:1"), kube=kube)
    with pytest.raises(errors.ImageError) as err:
        waiting.wait_for_rollout("web", namespace, timeout=60, kube=kube)
    assert "cannot get image k8slab.local/missing:1 (ErrImageNeverPull)" in one_line(err)


def test_cluster_that_vanished(tmp_path, kubeconfig):
    cfg = yaml.safe_load(open(kubeconfig))
    cfg["clusters"][0]["cluster"]["server"] = "https://127.0.0.1:1"
    path = tmp_path / "gone.kubeconfig"
    path.write_text(yaml.safe_dump(cfg))
    with pytest.raises(errors.ClusterUnreachable) as err:
        applying.list_objects("Namespace", kube=client.Kube(path))
    assert "the cluster's API server at https://127.0.0.1:1 does not answer" in one_line(err)


def test_broken_kubeconfig(tmp_path):
    path = tmp_path / "broken"
    path.write_text("apiVersion: v1\nkind: Config\nclusters: []\n")
    with pytest.raises(errors.ClusterUnreachable) as err:
        client.Kube(path)
    assert "cannot use" in one_line(err)


def test_exec_needs_a_list(kube):
    with pytest.raises(errors.K8sLabError, match="as a list of words"):
        inspecting.exec_in("any", "ls /", kube=kube)


def test_secrets_are_data_not_text(kube, namespace):
    """Secrets round-trip base64 data (the dashboard/rook password code paths read them this way)."""
    applying.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": namespace},
                    "stringData": {"password": "hunter2"}}, kube=kube)
    data = applying.get("Secret", "s", namespace, kube=kube)["data"]["password"]
    assert base64.b64decode(data).decode() == "hunter2"


def test_manifest_errors_stop_before_the_server(kube):
    with pytest.raises(errors.ManifestError):
        applying.apply("apiVersion: v1\nkind: Pod\n", kube=kube)
    assert manifests.describe({"kind": "Pod", "metadata": {"name": "p"}}) == "Pod/p"


def test_a_new_namespace_takes_a_pod_at_once(kube):
    """Before 1.24 a pod in a brand-new namespace is refused until its token Secret exists: apply waits."""
    ns = f"fresh-{__import__('uuid').uuid4().hex[:6]}"
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "first", "namespace": ns},
           "spec": {"terminationGracePeriodSeconds": 0, "restartPolicy": "Never", "containers": [
               {"name": "c", "image": BUSYBOX, "imagePullPolicy": "Never", "command": ["true"]}]}}
    try:
        applied = applying.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}, pod], kube=kube)
        assert applied[1]["metadata"]["namespace"] == ns
    finally:
        applying.delete(kind="Namespace", name=ns, kube=kube)
