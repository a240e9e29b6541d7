"""Numbers in quantity fields, validation before sending: pure functions on objects and schemas.

On the 1.20 test cluster server-side apply refused `cpu: 1` ("expected string, got
&value.valueUnstructured{Value:1}") although kubectl accepts it; the kit spells quantities as
strings where the OpenAPI schema says Quantity, and validates as kubectl does before sending.
"""

import copy

import pytest

from k8slab.core import quantities
from k8slab.core.errors import ManifestError
from k8slab.kube import applying
from k8slab.manifests import loading as manifests, preparing, validating

from ..manifests.test_validating import _crd

QUOTA_AND_POD = """\
apiVersion: v1
kind: ResourceQuota
metadata: {name: q}
spec:
  hard: {cpu: 1, memory: 0, pods: 4, requests.cpu: 0.5, limits.memory: 2.0}
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: main
    image: busybox:1.36
    resources: {limits: {cpu: 1, memory: 64Mi}}
    ports: [{containerPort: 8080}]
  volumes:
  - name: info
    downwardAPI:
      items:
      - path: cpu
        resourceFieldRef: {containerName: main, resource: limits.cpu, divisor: 1}
"""


def test_quantities_written_as_numbers_become_strings():
    quota, pod = manifests.load(QUOTA_AND_POD)
    assert preparing.normalise(quota, k8s_version="v1.20.2") == [("spec", "hard", k) for k in
                                                                  ("cpu", "limits.memory", "memory", "pods", "requests.cpu")]
    assert quota["spec"]["hard"] == {"cpu": "1", "memory": "0", "pods": "4", "requests.cpu": "0.5", "limits.memory": "2"}
    assert preparing.normalise(pod, k8s_version="v1.20.2") == [
        ("spec", "containers", 0, "resources", "limits", "cpu"),
        ("spec", "volumes", 0, "downwardAPI", "items", 0, "resourceFieldRef", "divisor")]
    assert pod["spec"]["containers"][0]["resources"]["limits"] == {"cpu": "1", "memory": "64Mi"}
    assert pod["spec"]["containers"][0]["ports"] == [{"containerPort": 8080}]  # an integer field stays an integer


def test_int_or_string_fields_keep_their_integers():
    """`targetPort: 8080` and `maxSurge: 1` stay integers: an int-or-string is an untyped scalar for
    server-side apply, and the 1.20 test cluster accepts integers there (the kit's dashboard
    Service is applied with `targetPort: 7000`). Only Quantity, a string in that schema, is refused."""
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
           "spec": {"ports": [{"port": 80, "targetPort": 8080}]}}
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
           "spec": {"strategy": {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": "25%"}}}}
    assert preparing.normalise(svc) == [] and svc["spec"]["ports"][0]["targetPort"] == 8080
    assert preparing.normalise(dep) == [] and dep["spec"]["strategy"]["rollingUpdate"]["maxSurge"] == 1


def test_the_schema_says_which_fields_are_quantities():
    assert quantities.kind_of({"oneOf": [{"type": ["string", "null"]}, {"type": ["number", "null"]}]}) == "quantity"
    assert quantities.kind_of({"oneOf": [{"type": ["string", "null"]}, {"type": ["integer", "null"]}]}) == "int-or-string"
    assert quantities.kind_of({"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]}) == "int-or-string"
    assert quantities.kind_of({"type": "string", "format": "quantity"}) == "quantity"
    assert quantities.kind_of({"type": ["integer", "null"], "format": "int32"}) is None
    assert [quantities.as_quantity(n) for n in (1, 0, 0.5, 2.0, 1e-05, 12345678901234567890)] == [
        "1", "0", "0.5", "2", "1e-05", "12345678901234567890"]


def test_a_schema_of_its_own_with_refs():
    defs = {"Q": {"oneOf": [{"type": "string"}, {"type": "number"}]}, "Spec": {"properties": {
        "size": {"$ref": "#/$defs/Q"}, "sizes": {"type": "array", "items": {"$ref": "#/$defs/Q"}},
        "named": {"type": "object", "additionalProperties": {"$ref": "#/$defs/Q"}}, "count": {"type": "integer"}}}}
    obj = {"spec": {"size": 3, "sizes": [1, "2", True], "named": {"a": 1.5}, "count": 2, "other": 1}}
    changed = quantities.normalise(obj, {"properties": {"spec": {"$ref": "#/$defs/Spec"}}}, lambda ref: defs[ref.split("/")[-1]])
    assert obj == {"spec": {"size": "3", "sizes": ["1", "2", True], "named": {"a": "1.5"}, "count": 2, "other": 1}}
    assert changed == [("spec", "named", "a"), ("spec", "size"), ("spec", "sizes", 0)]


QUANTITY_IN_A_CRD = {"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": True,
                     "pattern": r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|"
                                r"([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"}


def test_custom_resources_follow_their_crd():
    """A CRD's quantity is `x-kubernetes-int-or-string`: server-side apply reads it as an untyped
    scalar, so `cpu: 1` is kept as it is; `cpu: 0.5` is neither integer nor string there, and the
    API server refuses it, so the kit refuses it before sending, with the line."""
    crd = _crd({"limits": {"type": "object", "additionalProperties": QUANTITY_IN_A_CRD}})
    (thing,) = manifests.load("apiVersion: example.com/v1\nkind: Thing\nmetadata: {name: t}\nspec:\n  limits: {cpu: 1}\n")
    preparing.prepare([thing], [crd])
    assert thing["spec"]["limits"] == {"cpu": 1}
    (half,) = manifests.load("apiVersion: example.com/v1\nkind: Thing\nmetadata: {name: t}\nspec:\n  limits:\n    cpu: 0.5\n")
    with pytest.raises(ManifestError) as err:
        preparing.prepare([half], [crd])
    assert str(err.value) == ("invalid: the YAML, line 6: Thing/t: spec.limits.cpu: 0.5 is not valid under any of the given schemas "
                              "(kubectl refuses it too: fix that field)")
    assert preparing.without_crd([thing]) == [thing] and preparing.without_crd([thing], [crd]) == []


NETPOL = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-all
spec:
  policyTypes: [Ingress]
"""


@pytest.mark.parametrize("name, text, message", [
    ("netpol.yaml", NETPOL,
     "invalid: netpol.yaml, line 5: NetworkPolicy/deny-all: spec.podSelector: required field is missing"),
    ("deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replica: 2\n  selector: {}\n"
                    "  template: {spec: {containers: [{name: c, image: nginx}]}}\n",
     "invalid: deploy.yaml, line 5: Deployment/web: spec.replica: unknown field (not in the Kubernetes 1.25.0 Deployment schema)"),
    ("surge.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {}\n"
                   "  template: {spec: {containers: [{name: c, image: nginx}]}}\n  strategy:\n    rollingUpdate:\n      maxSurge: 0.5\n",
     "invalid: surge.yaml, line 9: Deployment/web: spec.strategy.rollingUpdate.maxSurge: 0.5 is not valid under any of the given schemas"),
    ("labels.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels:\n    version: 1.0\n",
     "invalid: labels.yaml, line 6: ConfigMap/c: metadata.labels.version: 1.0 is not of type 'string', 'null'"),
])
def test_what_kubectl_refuses_is_refused_with_the_path_and_line(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ManifestError) as err:
        preparing.prepare(manifests.load(path), k8s_version="v1.20.2")
    assert str(err.value) == f"{message} (kubectl refuses it too: fix that field)"


def test_kinds_without_a_schema_here_are_left_to_the_server():
    """A kind gone from the shipped schemas (extensions/v1beta1 Ingress) or a typo is the API
    server's to judge: it answers "does not know kind" in one line."""
    objs = [{"apiVersion": "extensions/v1beta1", "kind": "Ingress", "metadata": {"name": "i"}, "spec": {"backend": {}}},
            {"apiVersion": "apps/v1", "kind": "Deploymnet", "metadata": {"name": "d"}}]
    assert preparing.prepare(copy.deepcopy(objs), k8s_version="v1.20.2") == objs
    assert validating.schema_version("v1.20.2", oldest_if_older=True) == validating.schema_version("1.25")


def test_prepare_refuses_an_unsafe_ceph_cluster_first():
    obj = {"apiVersion": "ceph.rook.io/v1", "kind": "CephCluster", "metadata": {"name": "c"},
           "spec": {"storage": {"useAllDevices": True, "monitoring": "not even valid"}}}
    with pytest.raises(ManifestError, match="refusing CephCluster/c: spec.storage.useAllDevices"):
        preparing.prepare([obj])


class Resource:
    def __init__(self, sent):
        self.sent, self.namespaced, self.name, self.group = sent, True, "things", ""

    def server_side_apply(self, body, **kw):
        self.sent.append(body)
        return type("Applied", (), {"to_dict": lambda _self: body})()


class RecordingKube:
    """Stands in for the cluster at the client boundary: records each body sent to server-side apply."""

    server_version, minor_version = "v1.20.2", 20

    def __init__(self):
        self.sent = []

    def resource(self, api_version, kind):
        return Resource(self.sent)


def test_lab_apply_sends_quantities_as_strings_and_sends_nothing_when_one_object_is_invalid():
    kube = RecordingKube()
    applying.apply(QUOTA_AND_POD, namespace="n", kube=kube)
    assert [b["kind"] for b in kube.sent] == ["ResourceQuota", "Pod"]
    assert kube.sent[0]["spec"]["hard"]["cpu"] == "1" and "__lines__" not in kube.sent[0]
    assert kube.sent[1]["spec"]["volumes"][0]["downwardAPI"]["items"][0]["resourceFieldRef"]["divisor"] == "1"
    kube.sent.clear()
    with pytest.raises(ManifestError, match="spec.podSelector: required field is missing"):
        applying.apply(QUOTA_AND_POD + "---\n" + NETPOL, namespace="n", kube=kube)
    assert kube.sent == []
