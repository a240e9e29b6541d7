"""Reading manifests: every mistake a learner makes in a file gives one line naming it."""

import pytest

from k8slab import manifests
from k8slab.errors import ManifestError

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: web
        image: nginx:1.17.0
"""


def one_line(err) -> str:
    text = str(err.value)
    assert "\n" not in text and text
    return text


def test_multi_document_yaml_and_lists():
    text = DEPLOYMENT + "---\n---\n" + "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n"
    objs = manifests.load(text)
    assert [o["kind"] for o in objs] == ["Deployment", "ConfigMap"]


def test_invalid_yaml_names_the_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n   labels: {a: b}\n")
    with pytest.raises(ManifestError) as err:
        manifests.load(bad)
    assert "invalid YAML in bad.yaml, line 5" in one_line(err)


@pytest.mark.parametrize(
    "doc, missing",
    [
        ("kind: Pod\nmetadata: {name: x}\n", "apiVersion"),
        ("apiVersion: v1\nmetadata: {name: x}\n", "kind"),
        ("apiVersion: v1\nkind: Pod\n", "metadata.name"),
        ("apiVersion: v1\nkind: Pod\nmetadata: {labels: {a: b}}\n", "metadata.name"),
    ],
)
def test_missing_required_fields(doc, missing):
    with pytest.raises(ManifestError) as err:
        manifests.load(doc)
    assert f"lacks {missing}" in one_line(err)


def test_a_document_that_is_not_an_object():
    with pytest.raises(ManifestError) as err:
        manifests.load("- just\n- a list\n")
    assert "is a list, not a Kubernetes object" in one_line(err)


def test_missing_file():
    with pytest.raises(ManifestError) as err:
        manifests.load("no-such-dir/nginx-deployment.yaml")
    assert "no such manifest file" in one_line(err)


def test_folder_is_read_recursively(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one}\n")
    (tmp_path / "two.yml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: two}\n")
    (tmp_path / "notes.txt").write_text("not a manifest")
    assert sorted(o["metadata"]["name"] for o in manifests.load(tmp_path)) == ["one", "two"]


def test_image_overrides_are_reported_and_leave_the_input_alone():
    original = manifests.load(DEPLOYMENT)[0]
    objs = manifests.load(original)
    changes = manifests.override_images(objs, {"nginx:1.17.0": "k8slab.local/nginx:1.17.0"})
    assert changes == [("Deployment/web", "nginx:1.17.0", "k8slab.local/nginx:1.17.0")]
    assert objs[0]["spec"]["template"]["spec"]["containers"][0]["image"] == "k8slab.local/nginx:1.17.0"
    assert original["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.17.0"
