"""Offline validation: the real upstream manifests, the kit's own objects, and broken ones."""

from __future__ import annotations

import copy

import pytest

from k8slab import dashboard, manifests, validating
from k8slab.errors import ManifestError
from k8slab.rook import operator as install, spec


@pytest.fixture(scope="module")
def rook_crds(rook_dir):
    return install.parse((rook_dir / "crds.yaml").read_text(), "crds.yaml")


@pytest.fixture(scope="module")
def rook_objects(rook_dir):
    return [o for f in install.FILES[1:] for o in install.parse((rook_dir / f).read_text(), f)]


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
    objs = install.parse((dashboard_dir / "recommended.yaml").read_text(), "recommended.yaml") + dashboard.admin_user()
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
