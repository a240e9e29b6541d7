"""lab.apply gives kubectl's verdict: every manifest of tests/corpus through both server dry runs.

valid/ holds manifests in the styles learners write, for every kind the chapters teach; each
must be accepted by `kubectl apply --dry-run=server` and by `lab.apply(dry_run=True)`, object
for object. broken/ holds the mistakes learners make; both must refuse each, and the kit in
one line that names the file (and the line, where it knows it) with the fragments that
expected.yaml lists. Two refusals are the kit's own on purpose (`intended` there).

The custom resource of valid/crd-and-cr.yaml needs its CRD on the cluster: a server dry run
creates nothing, so kubectl (like the kit) does not know the kind of a CR whose CRD is only
in the same file. The module creates that CRD for real first; broken/crd-and-cr-together.yaml
is the same shape with a CRD the cluster lacks, which both refuse.

The second half tests, without a cluster, the fixes the corpus led to.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
import yaml

import k8slab as lab
from k8slab.core import quantities
from k8slab.core.errors import K8sLabError, ManifestError
from k8slab.kube import applying
from k8slab.manifests import loading as manifests, parsing, preparing, validating

from ..needs import require

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
VALID = sorted((CORPUS / "valid").iterdir())
BROKEN = sorted((CORPUS / "broken").iterdir())
EXPECTED = yaml.safe_load((CORPUS / "expected.yaml").read_text())
CRD_FIRST = CORPUS / "valid" / "crd-and-cr.yaml"


@pytest.fixture(scope="module")
def kubectl() -> str:
    path = shutil.which("kubectl")
    if not path:
        require("kubectl", "put kubectl of the cluster's version on PATH")
    return path


@pytest.fixture(scope="module")
def corpus_namespace(kube):
    """One namespace for every dry run (they create nothing), and the CRD of the valid custom resource."""
    name = f"corpus-{uuid.uuid4().hex[:8]}"
    crd = [o for o in manifests.load(CRD_FIRST) if o["kind"] == "CustomResourceDefinition"]
    applying.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}, kube=kube)
    try:
        applying.apply(crd, kube=kube)
        yield name
    finally:
        applying.delete(crd, kube=kube, timeout=60)
        applying.delete(kind="Namespace", name=name, kube=kube, timeout=180)


def kubectl_dry_run(kubectl: str, kubeconfig: str, path: Path, namespace: str) -> subprocess.CompletedProcess:
    return subprocess.run([kubectl, "--kubeconfig", kubeconfig, "apply", "--dry-run=server", "-f", str(path), "-n", namespace],
                          capture_output=True, text=True, timeout=120)


def kit_dry_run(path: Path, namespace: str, kube) -> list[dict]:
    # overrides={}: a dry run pulls nothing, so the image overrides (and their printed lines) are left out
    return lab.apply(path, namespace=namespace, kube=kube, dry_run=True, overrides={})


def kubectl_names(stdout: str) -> list[str]:
    """"configmap/first created (server dry run)" -> "first", one per object kubectl applied."""
    return [line.split()[0].split("/", 1)[1] for line in stdout.splitlines() if "(server dry run)" in line]


@pytest.mark.cluster
@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_manifests_are_accepted_by_both(path, kubectl, kubeconfig, kube, corpus_namespace):
    verdict = kubectl_dry_run(kubectl, kubeconfig, path, corpus_namespace)
    assert verdict.returncode == 0, verdict.stderr
    applied = kit_dry_run(path, corpus_namespace, kube)
    assert [o["metadata"]["name"] for o in applied] == kubectl_names(verdict.stdout)


def _starts_like_the_kits_errors(line: str, name: str) -> bool:
    """The kit's errors about a file open with it: "x.yaml, line 4: ...", "invalid: x.yaml, ...",
    "invalid YAML in x.yaml ...", "x.yaml holds ...", "Pod in x.yaml lacks ..."."""
    return bool(re.match(rf"(invalid: |invalid (YAML|JSON) in |(an object|[A-Za-z]+) in )?{re.escape(name)}\b", line))


@pytest.mark.cluster
@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.name)
def test_broken_manifests_are_refused_by_both_in_one_line(path, kubectl, kubeconfig, kube, corpus_namespace):
    expected = EXPECTED[path.name]
    verdict = kubectl_dry_run(kubectl, kubeconfig, path, corpus_namespace)
    if expected["kubectl"] == "accepts":
        assert expected.get("intended") and verdict.returncode == 0, verdict.stderr
    else:
        assert verdict.returncode != 0, verdict.stdout
        assert expected["kubectl"] in " ".join((verdict.stdout + verdict.stderr).split())
    with pytest.raises(K8sLabError) as err:
        kit_dry_run(path, corpus_namespace, kube)
    line = str(err.value)
    assert "\n" not in line and "Traceback" not in line
    assert _starts_like_the_kits_errors(line, path.name), line
    for fragment in expected["kit"]:
        assert fragment in line


def test_every_broken_manifest_says_what_to_expect():
    assert sorted(EXPECTED) == sorted(p.name for p in BROKEN)
    assert len(BROKEN) >= 30
    assert len({tuple(e["kit"]) for e in EXPECTED.values()}) == len(EXPECTED)  # distinct mistakes, distinct lines
    assert [n for n, e in EXPECTED.items() if "intended" in e] == ["duplicate-key.yaml", "cephcluster-use-all-devices.yaml"]


def test_the_corpus_covers_every_kind_the_chapters_teach():
    kinds = {(o["apiVersion"], o["kind"]) for p in VALID for o in manifests.load(p)}
    taught = {"Pod", "Service", "Namespace", "Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Job", "CronJob",
              "ConfigMap", "Secret", "PersistentVolume", "PersistentVolumeClaim", "StorageClass", "ResourceQuota",
              "LimitRange", "NetworkPolicy", "Ingress", "ServiceAccount", "Role", "RoleBinding", "HorizontalPodAutoscaler",
              "CustomResourceDefinition", "Greeting"}
    assert taught <= {k for _, k in kinds}
    assert ("batch/v1beta1", "CronJob") in kinds  # what Kubernetes 1.20 serves
    assert {p.suffix for p in VALID} == {p.suffix for p in BROKEN} == {".yaml", ".json"}


# -- what the corpus found, without a cluster ----------------------------------------------

def load(tmp_path, name: str, text: str) -> list[dict]:
    path = tmp_path / name
    path.write_text(text)
    return manifests.load(path)


def load_error(tmp_path, name: str, text: str) -> str:
    with pytest.raises(ManifestError) as err:
        load(tmp_path, name, text)
    return str(err.value)


def test_text_that_starts_with_a_brace_is_strict_json_as_kubectl_reads_it(tmp_path):
    assert load_error(tmp_path, "cm.json", '{"apiVersion": "v1", "kind": "ConfigMap",\n "metadata": {"name": "a",}}') == (
        "invalid JSON in cm.json, line 2: expecting property name enclosed in double quotes "
        "(check the commas, quotes and brackets there)")
    assert load_error(tmp_path, "flow.yaml", "{apiVersion: v1, kind: ConfigMap, metadata: {name: a}}").startswith(
        "invalid JSON in flow.yaml, line 1: expecting property name enclosed in double quotes")
    assert "NaN is not a JSON number" in load_error(tmp_path, "n.json", '{"apiVersion": "v1", "kind": "C", "x": NaN}')
    # YAML that starts otherwise is YAML, whatever the file is called
    assert load(tmp_path, "cm.json", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")[0]["metadata"] == {"name": "a"}


def test_json_objects_one_after_another_keep_their_own_lines(tmp_path):
    text = ('{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "one"}}\n\n'
            '{\n  "apiVersion": "v1",\n  "kind": "ConfigMap",\n  "metadata": {"name": "two"},\n  "data": {"n": "1e3"}\n}\n')
    one, two = load(tmp_path, "two.json", text)
    assert [one["metadata"]["name"], two["metadata"]["name"]] == ["one", "two"]
    assert manifests.location(one, ["metadata", "name"]) == "two.json, line 1"
    assert manifests.location(two, ["data", "n"]) == "two.json, line 7"
    assert two["data"] == {"n": "1e3"}  # JSON's own values, not YAML's reading of them
    assert "line 1: key 'name' is written twice" in load_error(tmp_path, "d.json", '{"metadata": {"name": "a", "name": "b"}}')


def test_scalars_mean_what_kubectls_go_yaml_makes_of_them():
    (cm,) = manifests.load("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
                           "data: {a: y, b: N, c: 1e3, d: 1.5e3, e: .5E-2, f: '1e3', g: Yes, h: YeS, i: e3, n: '1'}\n")
    assert cm["data"] == {"a": True, "b": False, "c": 1000.0, "d": 1500.0, "e": 0.005, "f": "1e3", "g": True, "h": "YeS",
                          "i": "e3", False: "1"}  # kubectl sends the key n as "false" too


def test_quantities_that_kubernetes_cannot_read_are_named_before_sending():
    good = ["1", "0", "0.5", ".5", "1.", "500m", "1Gi", "128Mi", "1e3", "1E-3", "2k", "1M", "100n", "+1", "-1"]
    bad = ["1GB", "lots", "1 Gi", "1gi", "1K", "", "1.2.3", "Gi", "1e", "0x10"]
    assert [t for t in good if not quantities.TEXT.fullmatch(t)] == []
    assert [t for t in bad if quantities.TEXT.fullmatch(t)] == []
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [
        {"name": "c", "image": "busybox:1.36", "resources": {"limits": {"memory": "1GB", "cpu": 1}, "requests": {"cpu": "lots"}}}]}}
    problems = validating.validate([pod], k8s_version="v1.20.2", sending=True)
    assert [(p.path, p.message) for p in problems] == [
        ("spec.containers[0].resources.limits.memory",
         "'1GB' is not a quantity: write a number with an optional suffix, e.g. 2, 500m or 1Gi"),
        ("spec.containers[0].resources.requests.cpu",
         "'lots' is not a quantity: write a number with an optional suffix, e.g. 2, 500m or 1Gi"),
    ]


def test_a_misspelt_field_is_named_before_the_required_one_it_hides():
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
           "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"spec": {"contianers": []}}}}
    assert [(p.path, p.message[:13]) for p in validating.validate([dep])] == [
        ("spec.template.spec.contianers", "unknown field"), ("spec.template.spec.containers", "required fiel")]


def test_metadata_cluster_name_is_still_accepted_by_servers_before_1_25():
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "clusterName": "x"}}
    assert validating.validate([cm], k8s_version="v1.20.2", sending=True) == []
    assert [p.path for p in validating.validate([cm], k8s_version="v1.25.0")] == ["metadata.clusterName"]


def test_quantities_of_a_kind_the_schemas_no_longer_have_become_strings_too():
    """batch/v1beta1 CronJob (what 1.20 serves) is gone from the shipped schemas: its batch/v1
    schema says where the quantities are, or server-side apply refuses `cpu: 0.1`."""
    cron = {"apiVersion": "batch/v1beta1", "kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {
        "template": {"spec": {"containers": [{"name": "c", "resources": {"limits": {"cpu": 0.1}}, "ports": [{"containerPort": 80}]}]}}}}}}
    preparing.prepare([cron], k8s_version="v1.20.2")
    container = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"]["limits"]["cpu"] == "0.1" and container["ports"][0]["containerPort"] == 80
    odd = {"apiVersion": "example.com/v1", "kind": "CronJob", "metadata": {"name": "c"}, "spec": {"cpu": 1}}
    assert preparing.normalise(odd, k8s_version="v1.20.2") == []  # another group's CronJob is not batch's


@pytest.mark.parametrize("spec", ["replicas=2", {"containers": {"name": "c"}}, {"template": "x"},
                                  {"template": {"spec": {"containers": ["c", {"image": ["x"]}]}}}])
def test_misshapen_workloads_do_not_break_the_image_overrides(spec):
    obj = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": spec}
    assert manifests.override_images([obj], {"x": "y"}) == []
    assert validating.validate([obj]) != []  # the schema says what is wrong, in one line


@pytest.mark.parametrize("message, path", [
    ('Pod "p" is invalid: spec.containers[0].image: Required value', ("spec", "containers", 0, "image")),
    ('Pod "p" is invalid: [spec.containers[0].ports[0].name: Invalid value: "HTTP": x, spec.containers[0].ports[0].name: y]',
     ("spec", "containers", 0, "ports", 0, "name")),
    ('.spec.containers: duplicate entries for key [name="main"]', ("spec", "containers")),
    ('.spec.containers[name="main"].resources.limits.cpu: expected string', ("spec", "containers")),
    ('PersistentVolumeClaim "d" is invalid: spec.resources[storage]: Required value', ("spec", "resources", "storage")),
    ('ConfigMap "c" is invalid: metadata.labels: Invalid value: "Jane Doe"', ("metadata", "labels")),
    ("Incorrect version specified in apply patch", ()),
    ("the spec is: wrong", ()),
])
def test_the_field_an_api_server_error_names(message, path):
    assert applying.server_field(message) == path


def test_a_duplicate_key_is_one_plain_manifest_error():
    """The kit's notebooks show an error's class name: no private class may reach them."""
    with pytest.raises(ManifestError) as err:
        parsing.documents("a: 1\na: 2\n", "x.yaml")
    assert type(err.value) is ManifestError
