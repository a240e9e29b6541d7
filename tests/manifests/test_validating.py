"""Offline validation: the real upstream manifests, the kit's own objects, and broken ones."""

from __future__ import annotations

import copy

import pytest

from k8slab.clusters import fetching
from k8slab.core.errors import ManifestError
from k8slab.lessons import dashboard
from k8slab.lessons.rook import operator as install, spec
from k8slab.manifests import loading as manifests, validating


@pytest.fixture(scope="module")
def rook_crds(rook_dir):
    return fetching.parse((rook_dir / "crds.yaml").read_text(), "crds.yaml")


@pytest.fixture(scope="module")
def rook_objects(rook_dir):
    return [o for f in install.FILES[1:] for o in fetching.parse((rook_dir / f).read_text(), f)]


def deployment(**spec_fields):
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx:1.17.0"}]}},
                 **spec_fields},
    }


def test_rooks_own_manifests_are_valid(rook_crds, rook_objects):
    assert validating.validate(rook_crds) == []
    assert validating.validate(rook_objects, rook_crds) == []
    kinds = {o["kind"] for o in rook_objects}
    assert {"Deployment", "ClusterRole", "OperatorConfig", "Driver"} <= kinds  # built-in and custom both checked


def test_dashboard_manifest_and_admin_user_are_valid(dashboard_dir):
    objs = fetching.parse((dashboard_dir / "recommended.yaml").read_text(), "recommended.yaml") + dashboard.admin_user()
    assert validating.validate(objs) == []


def test_the_kits_ceph_cluster_and_service_are_valid(rook_crds):
    objs = spec.cluster("k8slab-control-plane", "loop7") + [spec.dashboard_service()]
    assert validating.validate(objs, rook_crds) == []


def test_the_guides_ceph_cluster_names_the_removed_field(rook_crds):
    problems = validating.validate([spec.guide_cluster()], rook_crds)
    assert [str(p) for p in problems] == [
        "CephCluster/rook-ceph: spec.monitoring.rulesNamespace: unknown field (not in the CephCluster v1 schema)"
    ]


def test_custom_resource_errors_name_the_field_path(rook_crds):
    bad = copy.deepcopy(spec.cluster("n", "loop0")[0])
    bad["spec"]["mon"]["count"] = "one"
    bad["spec"]["storage"]["nodes"][0]["devices"][0]["nmae"] = "loop1"
    problems = {p.path: p.message for p in validating.validate([bad], rook_crds)}
    assert "not of type 'integer'" in problems["spec.mon.count"]
    assert problems["spec.storage.nodes[0].devices[0].nmae"].startswith("unknown field")


def test_builtin_errors_name_the_field_path():
    typo = deployment(replica=2)
    wrong = deployment(replicas="two")
    missing = deployment()
    del missing["spec"]["selector"]
    problems = validating.validate([typo, wrong, missing])
    assert [(p.obj, p.path) for p in problems] == [
        ("Deployment/web", "spec.replica"), ("Deployment/web", "spec.replicas"), ("Deployment/web", "spec.selector"),
    ]
    assert problems[0].message.startswith("unknown field")
    assert "not of type" in problems[1].message
    assert problems[2].message == "required field is missing"


def test_a_custom_resource_without_its_crd_is_a_problem():
    obj = {"apiVersion": "ceph.rook.io/v1", "kind": "CephCluster", "metadata": {"name": "x"}, "spec": {}}
    (problem,) = validating.validate([obj])
    assert "no CRD for ceph.rook.io/v1 CephCluster" in str(problem)


def _crd(props: dict) -> dict:
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "things.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced", "names": {"kind": "Thing", "plural": "things"},
                 "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                     "type": "object", "properties": {"spec": {"type": "object", "properties": props}}}}}]},
    }


def test_openapi_extensions_are_understood():
    crd = _crd({
        "maybe": {"type": "string", "nullable": True},
        "port": {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]},
        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
    })
    ok = {"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "t"},
          "spec": {"maybe": None, "port": "http", "free": {"anything": 1}}}
    assert validating.validate([crd, ok]) == []
    bad = copy.deepcopy(ok)
    bad["spec"]["port"] = 1.5
    bad["spec"]["extra"] = True
    assert {p.path for p in validating.validate([crd, bad])} == {"spec.port", "spec.extra"}


def test_check_raises_one_line_with_the_first_problem(rook_crds):
    guide = spec.guide_cluster()
    guide["spec"]["mon"]["count"] = "one"
    with pytest.raises(ManifestError) as err:
        validating.check([guide], rook_crds)
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith("invalid: CephCluster/rook-ceph: spec.mon.count:") and "(and 1 more)" in msg


def test_schema_versions():
    assert validating.schema_version("v1.31.2") == "1.31.0"
    with pytest.raises(ManifestError, match="no Kubernetes schemas for version 1.20"):
        validating.schema_version("1.20")


def test_manifest_text_is_accepted_too(dashboard_dir):
    assert validating.validate(manifests.load(dashboard_dir / "recommended.yaml")) == []


# -- custom resources: the schema forms Kubernetes allows in a CRD ---------------------------

def thing(api_version: str = "example.com/v1", **spec) -> dict:
    return {"apiVersion": api_version, "kind": "Thing", "metadata": {"name": "t"}, "spec": spec}


def refused(*objs) -> dict[str, str]:
    return {p.path: p.message for p in validating.validate(list(objs))}


UNKNOWN = "unknown field (not in the Thing v1 schema)"


def test_crd_schema_forms():
    crd = _crd({
        "port": {"x-kubernetes-int-or-string": True},  # without the optional anyOf
        "mode": {"type": "string", "enum": ["a", "b"], "nullable": True},
        "name": {"type": "string"},
        "labels": {"type": "object", "additionalProperties": {"type": "object", "properties": {"x": {"type": "string"}}}},
        "steps": {"type": "array", "items": {"type": "object", "properties": {"x": {"type": "string"}}}},
        "template": {"type": "object", "x-kubernetes-embedded-resource": True, "properties": {"spec": {"type": "object"}}},
        "raw": {"type": "object", "x-kubernetes-embedded-resource": True, "x-kubernetes-preserve-unknown-fields": True},
        "open": {"type": "object", "x-kubernetes-preserve-unknown-fields": True, "properties": {"known": {"type": "string"}}},
    })
    untouched = copy.deepcopy(crd)
    ok = thing(port=80, mode=None, name="n", labels={"k": {"x": "1"}}, steps=[{"x": "1"}],
               template={"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {}},
               open={"known": "k", "extra": 1}, raw={"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "1"}})
    assert refused(crd, ok, thing(port="http", mode="b")) == {}
    bad = thing(port=1.5, mode="c", name=None, labels={"k": {"y": "1"}}, steps=[{"y": "1"}],
                template={"apiVersion": 1, "kind": 2, "metadata": "m", "other": {}}, open={"known": 1}, raw={"kind": 3})
    assert refused(crd, bad) == {
        "spec.port": "1.5 is not valid under any of the given schemas",
        "spec.mode": "'c' is not one of ['a', 'b', None]",
        "spec.name": "None is not of type 'string'",
        "spec.labels.k.y": UNKNOWN,
        "spec.steps[0].y": UNKNOWN,
        "spec.template.apiVersion": "1 is not of type 'string'",
        "spec.template.kind": "2 is not of type 'string'",
        "spec.template.metadata": "'m' is not of type 'object'",
        "spec.template.other": UNKNOWN,
        "spec.open.known": "1 is not of type 'string'",
        "spec.raw.kind": "3 is not of type 'string'",
    }
    assert crd == untouched  # the CRD is sent to the cluster later: validating must not add to it


def test_a_crd_version_without_a_schema_allows_anything():
    crd = _crd({})
    del crd["spec"]["versions"][0]["schema"]
    assert refused(crd, thing(anything={"at": ["all"]})) == {}


def test_versions_a_crd_does_not_serve():
    crd = _crd({"a": {"type": "string"}})
    crd["spec"]["versions"].append({**copy.deepcopy(crd["spec"]["versions"][0]), "name": "v2", "served": False, "storage": False})
    for version in ("v2", "v3"):
        obj = thing(f"example.com/{version}")
        assert [str(p) for p in validating.validate([crd, obj])] == [
            f"Thing/t: apiVersion: things.example.com does not serve example.com/{version}"]
        assert len(validating.validate([crd, obj], sending=True)) == 1  # its CRD is here: not left to the server
        assert validating.custom_schema(obj, [crd]) is None
    schema = validating.custom_schema(thing(), [crd])
    assert schema["properties"]["spec"]["properties"] == {"a": {"type": "string"}}
    schema["properties"]["spec"]["properties"]["b"] = {}
    assert "b" not in crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]


def test_a_custom_resource_without_its_crd_is_left_to_the_server_only_when_sending():
    obj = {"apiVersion": "ceph.rook.io/v1", "kind": "CephCluster", "metadata": {"name": "x"}, "spec": {}}
    assert [(p.path, p.message) for p in validating.validate([obj])] == [("", "no CRD for ceph.rook.io/v1 CephCluster to validate against")]
    assert validating.validate([obj], sending=True) == []
    validating.check([obj], sending=True)
    with pytest.raises(ManifestError) as err:
        validating.check([obj])
    assert str(err.value) == ("invalid: CephCluster/x: no CRD for ceph.rook.io/v1 CephCluster to validate against "
                              "(kubectl refuses it too: fix that field)")


def test_check_says_how_many_more_and_where_to_see_them():
    crd = _crd({"a": {"type": "string"}})
    with pytest.raises(ManifestError) as err:
        validating.check([crd, thing(a=1, b=2)])
    assert str(err.value) == ("invalid: Thing/t: spec.b: unknown field (not in the Thing v1 schema) (and 1 more) "
                              "(`validating.validate(...)` lists them all)")


def test_problems_in_text_name_the_line_and_the_schema_version():
    text = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replica: 2\n"
            "  template:\n    spec:\n      containers:\n      - {name: c, image: nginx, ports: [{containerPort: http}]}\n")
    assert sorted(str(p) for p in validating.validate(text, k8s_version="v1.31.2")) == [
        "the YAML, line 4: Deployment/web: spec.selector: required field is missing",
        "the YAML, line 5: Deployment/web: spec.replica: unknown field (not in the Kubernetes 1.31.0 Deployment schema)",
        "the YAML, line 9: Deployment/web: spec.template.spec.containers[0].ports[0].containerPort: "
        "'http' is not of type 'integer'",
    ]
    assert validating.validate([text]) == validating.validate(text)  # a list of texts, too


def test_an_object_lacking_its_kind_is_a_manifest_error_not_a_key_error():
    with pytest.raises(ManifestError, match="an object in the object lacks kind"):
        validating.validate([{"apiVersion": "v1", "metadata": {"name": "x"}}])


def test_long_messages_are_cut_to_160_characters():
    crd = _crd({"mode": {"type": "string", "enum": ["a"]}})

    def message(value: str) -> str:
        return refused(crd, thing(mode=value))["spec.mode"]

    wording = len(message(""))  # jsonschema's own words around the value
    fits, too_long = "x" * (160 - wording), "x" * (161 - wording)
    assert len(message(fits)) == 160 and message(fits).endswith("['a']")
    assert message(too_long) == (f"'{too_long}' is not one of ['a']")[:157] + "..."


def test_the_newest_schemas_unless_a_version_is_given():
    newest = validating.schema_version()
    assert newest == validating.schema_version("v99.0.0") != validating.schema_version("1.31")
    oldest = validating.schema_version("v1.0.0", oldest_if_older=True)
    with pytest.raises(ManifestError) as err:
        validating.validate_builtin(deployment(), "v1.20.2")
    assert str(err.value) == (f"no Kubernetes schemas for version v1.20.2 (the oldest shipped is {oldest}) "
                              "(validate against a newer version)")


POD_1GB = """\
apiVersion: v1
kind: Pod
metadata: {name: p, clusterName: c}
spec:
  containers:
  - name: c
    image: nginx
    resources: {limits: {memory: 1GB, cpu: 500m}}
"""


@pytest.mark.parametrize("server, cluster_name_refused", [("v1.20.2", False), ("v1.24.0", False), ("v1.25.0", True), (None, True)])
def test_quantities_kubernetes_cannot_read_and_cluster_name_on_older_servers(server, cluster_name_refused):
    version = validating.schema_version(server, oldest_if_older=True)
    problems = [str(p) for p in validating.validate(POD_1GB, k8s_version=server, sending=True)]
    assert problems == [
        f"the YAML, line 3: Pod/p: metadata.clusterName: unknown field (not in the Kubernetes {version} Pod schema)",
    ] * cluster_name_refused + [
        "the YAML, line 8: Pod/p: spec.containers[0].resources.limits.memory: "
        "'1GB' is not a quantity: write a number with an optional suffix, e.g. 2, 500m or 1Gi",
    ]
    dep = deployment()
    dep["spec"]["template"]["metadata"]["clusterName"] = "c"  # any object's metadata, a pod template's too
    assert [p.path for p in validating.validate([dep], k8s_version=server, sending=True)] == (
        ["spec.template.metadata.clusterName"] * cluster_name_refused)


def test_a_misspelt_field_comes_before_the_required_one_it_leaves_out():
    text = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny}\nspec:\n  podselector: {}\n"
    with pytest.raises(ManifestError) as err:
        validating.check(text, k8s_version="v1.31.2")
    assert str(err.value) == ("invalid: the YAML, line 5: NetworkPolicy/deny: spec.podselector: unknown field "
                              "(not in the Kubernetes 1.31.0 NetworkPolicy schema) (and 1 more) "
                              "(`validating.validate(...)` lists them all)")
