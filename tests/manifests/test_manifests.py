"""Reading manifests: every mistake a learner makes in a file gives one line naming it."""

import pytest

from k8slab.core.errors import ManifestError
from k8slab.manifests import loading as manifests

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


# -- no silent success, no traceback: each broken input is one line naming the file and line --

def load_error(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ManifestError) as err:
        manifests.load(path)
    return one_line(err)


NO_OBJECTS = "(save the file, or write an object with apiVersion, kind and metadata.name)"


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n---\n"])
def test_an_empty_file_names_the_file(tmp_path, text):
    assert load_error(tmp_path, "web.yaml", text) == f"web.yaml holds no Kubernetes objects: it is empty or only comments {NO_OBJECTS}"


def test_an_empty_list_of_documents_is_an_error(tmp_path):
    assert load_error(tmp_path, "all.yaml", "apiVersion: v1\nkind: List\nitems: []\n") == (
        f"all.yaml holds no Kubernetes objects: its List has no items {NO_OBJECTS}")
    with pytest.raises(ManifestError) as err:
        manifests.load([])
    assert one_line(err) == "no Kubernetes objects to read: the list is empty (pass YAML text, a path, a dict or a list of them)"
    with pytest.raises(ManifestError) as err:
        manifests.load("")
    assert one_line(err) == f"the YAML holds no Kubernetes objects: it is empty or only comments {NO_OBJECTS}"


def test_a_key_written_twice_gives_both_lines(tmp_path):
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n"
    assert load_error(tmp_path, "cm.yaml", text) == (
        "cm.yaml, line 5: key 'name' is written twice (first at line 4) "
        "(YAML would keep only the last one; delete or rename one of them)")


def test_merge_keys_may_repeat_what_they_merge():
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  <<: {x: '1', z: '2'}\n  x: '3'\n"
    assert manifests.load(text)[0]["data"] == {"x": "3", "z": "2"}


@pytest.mark.parametrize("body, line", [
    ("data: &x\n  self: *x\n", 4),
    ("spec: &x [*x]\n", 4),
    ("spec:\n  a: &x\n    b: [1, *x]\n", 5),
])
def test_an_anchor_that_contains_itself_is_one_line_not_a_recursion_error(tmp_path, body, line):
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n" + body
    assert load_error(tmp_path, "loop.yaml", text) == (
        f"loop.yaml, line {line}: the anchor &x contains itself "
        "(an alias cannot be used inside its own anchor's value; write the value out)")


def test_aliases_that_expand_to_millions_of_fields_are_refused(tmp_path):
    rows = ["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    rows += [f"{n}: &{n} [{', '.join(['*' + p] * 10)}]" for p, n in zip("abcde", "bcdef", strict=True)]
    assert load_error(tmp_path, "bomb.yaml", "\n".join(rows) + "\n") == (
        "bomb.yaml, line 1: its aliases expand to more than 200,000 fields "
        "(a manifest does not need this many aliases; write the values out)")


@pytest.mark.parametrize("name, text, message", [
    ("pod.json", '{\n  "apiVersion": "v1",\n  "kind": "Pod"\n  "metadata": {"name": "a"}\n}\n',
     "invalid JSON in pod.json, line 4: expecting ',' delimiter (check the commas, quotes and brackets there)"),
    ("two.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n- a\n- b\n",
     "two.yaml, line 5: document 2 is a list, not a Kubernetes object (each document needs apiVersion, kind and metadata)"),
    ("text.yaml", "just some words\n",
     "text.yaml, line 1: document 1 is a string, not a Kubernetes object (each document needs apiVersion, kind and metadata)"),
    ("list.yaml", "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- 42\n",
     "list.yaml, line 5: items[1] of the List is a number, not a Kubernetes object (each item needs apiVersion, kind and metadata)"),
    ("tag.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: !!python/object:os.system {}\n",
     "invalid YAML in tag.yaml, line 4: could not determine a constructor for the tag "
     "'tag:yaml.org,2002:python/object:os.system' (manifests are plain YAML: remove the tag)"),
    ("deep.yaml", "a: " + "[" * 2000 + "]" * 2000 + "\n",
     "invalid YAML in deep.yaml, line 1: exceeded maximum nesting depth (fix the indentation or quoting there)"),
    ("pod.yaml", "apiVersion: v1\nkind: Pod\nspec: {}\n",
     "Pod in pod.yaml, line 1 lacks metadata.name (every object needs apiVersion, kind and metadata.name)"),
    ("kind.yaml", "apiVersion: v1\nkind: [Pod]\nmetadata: {name: a}\n", "kind.yaml, line 1: apiVersion and kind must be strings"),
])
def test_every_parsing_failure_is_a_manifest_error_with_file_and_line(tmp_path, name, text, message):
    assert load_error(tmp_path, name, text) == message


def test_a_file_that_is_not_text(tmp_path):
    path = tmp_path / "image.yaml"
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ManifestError) as err:
        manifests.load(path)
    assert one_line(err) == "image.yaml is not UTF-8 text (byte 0) (save it as UTF-8 text)"


def test_timestamps_and_base_60_stay_strings_as_kubectl_reads_them():
    (obj,) = manifests.load("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
                            "data: {when: 2020-01-01 10:00:00, at: 12:30, num: '1'}\n")
    assert obj["data"] == {"when": "2020-01-01 10:00:00", "at": "12:30", "num": "1"}


def test_every_field_keeps_its_line_and_clean_drops_the_bookkeeping():
    (dep,) = manifests.load(DEPLOYMENT)
    assert manifests.location(dep, ["spec", "template", "spec", "containers", 0, "image"]) == "the YAML, line 10"
    assert manifests.location(dep, ["spec", "replicas"]) == "the YAML, line 5"  # not written: its parent's line
    assert set(manifests.clean(dep)) == {"apiVersion", "kind", "metadata", "spec"}
    listed = manifests.load("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n")
    assert manifests.location(listed[0], ["metadata", "name"]) == "the YAML, line 7"


# -- what the kit reads from objects: containers, names, ports -------------------------------

POD_WITH_INIT = {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop"},
    "spec": {"initContainers": [{"name": "wait", "image": "busybox:1.36"}],
             "containers": [{"name": "web", "image": "nginx:1.17.0"}, {"name": "log", "image": "k8slab.local/busybox:1"},
                            {"name": "other", "image": "redis:7"}]},
}
CRONJOB = {
    "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"generateName": "tick-"},
    "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": {
        "containers": [{"name": "tick", "image": "busybox:1.36"}], "restartPolicy": "Never"}}}}},
}
IMAGES = {"nginx:1.17.0": "k8slab.local/nginx:1.17.0", "busybox:1.36": "k8slab.local/busybox:1",
          "k8slab.local/busybox:1": "k8slab.local/busybox:1"}


def test_image_overrides_reach_init_containers_and_cronjob_templates():
    pod, cron = manifests.load([POD_WITH_INIT, CRONJOB])
    changes = manifests.override_images([pod, cron], IMAGES)
    assert changes == [
        ("Pod/web in shop", "busybox:1.36", "k8slab.local/busybox:1"),
        ("Pod/web in shop", "nginx:1.17.0", "k8slab.local/nginx:1.17.0"),
        ("CronJob/tick-", "busybox:1.36", "k8slab.local/busybox:1"),
    ]
    assert [c["image"] for c in manifests.containers(pod)] == [
        "k8slab.local/busybox:1", "k8slab.local/nginx:1.17.0", "k8slab.local/busybox:1", "redis:7"]
    assert [c["name"] for c in manifests.containers(cron)] == ["tick"]


def test_container_and_service_ports_spell_out_tcp():
    """Server-side apply on 1.18-1.20 refuses a port list without `protocol` (see default_port_protocols)."""
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "dns"},
           "spec": {"ports": [{"port": 80}, {"port": 53, "protocol": "UDP"}]}}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": {"initContainers": [{"name": "i", "image": "busybox:1.36", "ports": [{"containerPort": 1}]}],
                    "containers": [{"name": "c", "image": "nginx:1.17.0", "ports": [{"containerPort": 80}]}, {"name": "d", "image": "x"}]}}
    thing = {"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "t"}, "spec": {"ports": [{"port": 1}]}}
    for obj in (svc, pod, thing):
        manifests.default_port_protocols(obj)
    assert svc["spec"]["ports"] == [{"port": 80, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}]
    assert [c.get("ports") for c in manifests.containers(pod)] == [
        [{"containerPort": 1, "protocol": "TCP"}], [{"containerPort": 80, "protocol": "TCP"}], None]
    assert thing["spec"]["ports"] == [{"port": 1}]  # only Services and containers have these port lists


def test_generate_name_is_a_name_and_an_object_whose_items_are_data_is_not_a_list():
    (pod,) = manifests.load("apiVersion: v1\nkind: Pod\nmetadata: {generateName: web-}\n")
    assert manifests.describe(pod) == "Pod/web-"
    (thing,) = manifests.load('{"apiVersion": "example.com/v1", "kind": "Shelf", "metadata": {"name": "s"}, "items": [{"a": 1}]}')
    assert thing["items"] == [{"a": 1}]


@pytest.mark.parametrize("manifest, message", [
    ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}},
     "ConfigMap in the object lacks metadata.name (every object needs apiVersion, kind and metadata.name)"),
    ("apiVersion: v1\nkind: [Pod]\n", "an object in the YAML lacks metadata.name (every object needs apiVersion, kind and metadata.name)"),
    ("kind: Pod\n", "Pod in the YAML lacks apiVersion, metadata.name (every object needs apiVersion, kind and metadata.name)"),
    ("apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- 1.5\n",
     "the YAML, line 5: items[1] of the List is a number, not a Kubernetes object (each item needs apiVersion, kind and metadata)"),
    ("apiVersion: v1\nkind: List\nitems:\n- true\n",
     "the YAML, line 4: items[0] of the List is a boolean, not a Kubernetes object (each item needs apiVersion, kind and metadata)"),
    (42, "cannot read a manifest from a int (pass YAML text, a path, a dict or a list)"),
])
def test_what_cannot_be_an_object_is_one_line(manifest, message):
    with pytest.raises(ManifestError) as err:
        manifests.load(manifest)
    assert one_line(err) == message


def test_an_object_checked_on_its_own_is_the_object():
    with pytest.raises(ManifestError) as err:
        manifests.check({"kind": "Pod"})
    assert one_line(err) == "Pod in the object lacks apiVersion, metadata.name (every object needs apiVersion, kind and metadata.name)"
    assert manifests.location({"kind": "Pod"}, ["spec"]) == "the object"


def test_folders_and_paths_that_give_nothing(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "json").mkdir()
    (tmp_path / "json" / "cm.json").write_text('{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j"}}')
    assert [o["metadata"]["name"] for o in manifests.load(tmp_path / "json")] == ["j"]
    with pytest.raises(ManifestError) as err:
        manifests.load(tmp_path / "empty")
    assert one_line(err) == f"no .yaml, .yml or .json files under {tmp_path / 'empty'}"
    with pytest.raises(ManifestError) as err:
        manifests.load(tmp_path / "nginx.yaml")
    assert one_line(err) == (f"no such manifest file: {tmp_path / 'nginx.yaml'} "
                             "(check the path (relative paths start from the notebook's folder))")
    long_name = tmp_path / ("x" * 300 + ".yaml")
    with pytest.raises(ManifestError) as err:
        manifests.load(long_name)
    assert one_line(err) == f"cannot read {long_name}: File name too long (check the path and its permissions)"


def test_a_misshapen_workload_gets_no_overrides_and_no_traceback():
    objs = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}, "spec": "containers"},
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "b"},
             "spec": {"containers": [{"name": "c", "image": ["nginx:1.17.0"]}]}}]
    assert manifests.override_images(objs, IMAGES) == []
    assert list(manifests.containers(objs[0])) == []


def test_a_json_file_that_is_a_list_names_json_in_its_error(tmp_path):
    text = '[\n  {"apiVersion": "v1", "kind": "Pod"\n   "metadata": {"name": "a"}}\n]\n'
    assert load_error(tmp_path, "pods.json", text) == (
        "invalid JSON in pods.json, line 3: did not find expected ',' or '}' (fix the indentation or quoting there)")


def test_label_selector_from_match_labels_service_selectors_and_pod_labels():
    deployment = {"spec": {"selector": {"matchLabels": {"tier": "front", "app": "web"}}}}
    assert manifests.label_selector(deployment["spec"]["selector"]["matchLabels"]) == "app=web,tier=front"
    assert manifests.label_selector({"app": "web"}) == "app=web"
    assert manifests.label_selector({"app.kubernetes.io/name": "web", "io.kompose.service": "db"}) == (
        "app.kubernetes.io/name=web,io.kompose.service=db")


def test_label_selector_of_no_labels_selects_everything():
    assert manifests.label_selector({}) == ""
    assert manifests.label_selector(None) == ""
