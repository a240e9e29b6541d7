"""An unsafe CephCluster is refused on every path that writes objects, before anything is sent.

No cluster is needed: each path is stopped at its boundary (a kube stand-in that records any
use, or a recording `tools.run` for the magics), and each test asserts nothing crossed it.
"""

import subprocess

import pytest

from k8slab.core.errors import ManifestError
from k8slab.kube import applying
from k8slab.lessons.rook import spec
from k8slab.manifests import safety
from k8slab.ui import magics

# The shape of the guide's 2020 CephCluster, with the storage section of Rook's examples then.
GUIDE_2020 = """\
apiVersion: ceph.rook.io/v1
kind: CephCluster
metadata:
  name: rook-ceph
  namespace: rook-ceph
spec:
  cephVersion:
    image: ceph/ceph:v14.2.4-20190917
  dataDirHostPath: /var/lib/rook
  mon:
    count: 1
  storage:
    useAllNodes: true
    useAllDevices: true
    directories:
    - path: /var/lib/rook
"""

SAFE = """\
apiVersion: ceph.rook.io/v1
kind: CephCluster
metadata: {name: rook-ceph, namespace: rook-ceph}
spec:
  storage:
    useAllNodes: false
    useAllDevices: false
    nodes:
    - name: k8slab-control-plane
      devices:
      - name: loop0
"""

WHY = "on kind, Rook could take every empty disk it sees on this machine"
HINT = ("(name each device: storage.nodes[].devices[].name, e.g. loop0, with useAllNodes: false, "
        "as rook.cluster_spec() does)")


def refusal(where: str) -> str:
    return f"{where}: refusing CephCluster/rook-ceph: spec.storage.useAllDevices: true lets Rook take every empty disk; {WHY} {HINT}"


class Untouchable:
    """A kube stand-in: any use of it means something was about to be sent."""

    def __init__(self):
        self.used = []

    def __getattr__(self, name):
        self.used.append(name)
        raise AssertionError(f"the cluster was used ({name}) for an unsafe CephCluster")


@pytest.fixture
def no_process(monkeypatch):
    """Records every process the magics would start; starts none."""
    calls = []

    def record(argv, what, timeout=None, **kw):
        calls.append((argv, kw.get("input")))
        return subprocess.CompletedProcess(argv, 0, "cephcluster.ceph.rook.io/rook-ceph created\n", "")

    monkeypatch.setattr(magics.tools, "run", record)
    monkeypatch.setattr(magics, "kubectl_path", lambda: "/stand-in/kubectl")
    monkeypatch.setattr(magics, "current_kubeconfig", lambda: "/stand-in/kubeconfig")
    return calls


def test_the_guides_2020_cluster_is_refused_by_the_one_check():
    with pytest.raises(ManifestError) as err:
        safety.check(applying.manifests.load(GUIDE_2020)[0])
    assert str(err.value) == refusal("the YAML, line 14")


def test_a_safe_cluster_passes_the_check():
    (obj,) = applying.manifests.load(SAFE)
    assert safety.problem(obj) is None
    safety.check(obj)
    assert spec.safety(obj) == "safe: CephCluster/rook-ceph names every device it may use"


@pytest.mark.parametrize("storage, why", [
    ({"useAllDevices": True}, "spec.storage.useAllDevices: true lets Rook take every empty disk"),
    ({"deviceFilter": "^sd[b-z]"}, "spec.storage.deviceFilter lets Rook pick disks by pattern"),
    ({"devicePathFilter": "^/dev/disk/by-path/"}, "spec.storage.devicePathFilter lets Rook pick disks by pattern"),
    ({"useAllNodes": True}, "spec.storage.useAllNodes: true without named devices lets Rook pick disks on every node"),
    ({"nodes": [{"name": "a"}]}, "spec.storage.nodes[0] (a) lists no devices by name"),
    ({"nodes": [{"name": "a", "devices": [{"config": {}}]}]}, "spec.storage.nodes[0] (a) lists no devices by name"),
    ({"nodes": [{"name": "a", "deviceFilter": "sd.", "devices": [{"name": "sdb"}]}]},
     "spec.storage.nodes[0] (a) sets deviceFilter, which picks disks by pattern"),
])
def test_each_way_of_letting_rook_choose_is_named(storage, why):
    obj = {"apiVersion": "ceph.rook.io/v1", "kind": "CephCluster", "metadata": {"name": "c"}, "spec": {"storage": storage}}
    assert safety.problem(obj)[1] == why


@pytest.mark.parametrize("storage", [
    {},  # Rook's defaults choose nothing
    {"useAllNodes": True, "devices": [{"name": "loop0"}]},  # the same named device on every node
    {"nodes": [{"name": "a", "devices": [{"fullpath": "/dev/disk/by-id/usb-1"}]}]},
])
def test_named_devices_and_rooks_defaults_are_safe(storage):
    obj = {"apiVersion": "ceph.rook.io/v1", "kind": "CephCluster", "metadata": {"name": "c"}, "spec": {"storage": storage}}
    assert safety.problem(obj) is None


def test_lab_apply_refuses_before_using_the_cluster(tmp_path):
    path = tmp_path / "cluster-test.yaml"
    path.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: rook-ceph}\n---\n" + GUIDE_2020)
    kube = Untouchable()
    with pytest.raises(ManifestError) as err:
        applying.apply(path, kube=kube)
    assert str(err.value) == refusal("cluster-test.yaml, line 18")
    with pytest.raises(ManifestError):
        applying.apply(path, kube=kube, dry_run=True)
    assert kube.used == []


def test_apply_one_refuses_too_so_rook_and_every_caller_are_covered():
    (obj,) = applying.manifests.load(GUIDE_2020)
    kube = Untouchable()
    with pytest.raises(ManifestError, match="refusing CephCluster/rook-ceph"):
        applying.apply_one(obj, None, kube)
    report = applying.apply_each([obj], kube, progress=lambda _: None)
    assert report.applied == [] and "refusing CephCluster/rook-ceph" in report.refused[0][1]
    assert kube.used == []


def test_rook_refuses_it():
    with pytest.raises(ManifestError) as err:
        spec.check_safe(applying.manifests.load(GUIDE_2020)[0])
    assert str(err.value) == refusal("the YAML, line 14")
    assert spec.check_safe is safety.check  # one implementation


def test_lab_patch_refuses_a_patch_that_would_make_it_unsafe(monkeypatch):
    (current,) = applying.manifests.load(SAFE)
    monkeypatch.setattr(applying, "get", lambda *a, **k: applying.manifests.clean(current))
    kube = type("Kube", (), {"resource": lambda self, *a: object()})()
    with pytest.raises(ManifestError, match="useAllDevices: true lets Rook take every empty disk"):
        applying.patch("CephCluster", "rook-ceph", {"spec": {"storage": {"useAllDevices": True}}},
                       "rook-ceph", "ceph.rook.io/v1", kube=kube)


def test_the_cell_magic_refuses_stdin_and_never_starts_kubectl(no_process):
    with pytest.raises(ManifestError) as err:
        magics.kubectl("apply -f - -n rook-ceph", GUIDE_2020)
    assert str(err.value) == refusal("the cell, line 14")
    with pytest.raises(ManifestError):
        magics.kubectl("create --dry-run=server -f -", GUIDE_2020)
    assert no_process == []


@pytest.mark.parametrize("line", [
    "apply -f {f}", "apply --filename={f}", "replace -f {f} --force", "-n rook-ceph create -f {f}",
    "apply -f {d}", "apply -R -f {top}",
])
def test_the_line_magic_refuses_files_and_folders(no_process, tmp_path, line):
    folder = tmp_path / "rook" / "more"
    folder.mkdir(parents=True)
    (folder / "cluster.yaml").write_text(GUIDE_2020)
    args = line.format(f=folder / "cluster.yaml", d=folder, top=tmp_path / "rook")
    with pytest.raises(ManifestError) as err:
        magics.kubectl(args)
    assert str(err.value) == refusal("cluster.yaml, line 14")
    assert no_process == []


def test_the_magic_refuses_what_it_cannot_check(no_process, tmp_path):
    hidden = GUIDE_2020.replace("  mon:\n", "  mon:\n    count: 1\n")  # a key written twice
    with pytest.raises(ManifestError) as err:
        magics.kubectl("apply -f -", hidden)
    assert str(err.value) == ("cannot check the CephCluster in the cell for safety: the cell, line 12: key 'count' is written "
                              "twice (first at line 11) (YAML would keep only the last one; delete or rename one of them)")
    with pytest.raises(ManifestError, match="does not fetch URLs"):
        magics.kubectl("apply -f https://raw.githubusercontent.com/rook/rook/v1.1.0/cluster/examples/kubernetes/ceph/cluster-test.yaml")
    with pytest.raises(ManifestError, match="cannot check what kubectl would build"):
        magics.kubectl(f"apply -k {tmp_path}")
    assert no_process == []


def test_safe_and_read_only_commands_reach_kubectl(no_process, tmp_path):
    unsafe = tmp_path / "cluster.yaml"
    unsafe.write_text(GUIDE_2020)
    magics.kubectl("apply -f - -n rook-ceph", SAFE)
    magics.kubectl(f"delete -f {unsafe}")  # removing it is always allowed
    magics.kubectl(f"apply -f {tmp_path}/missing.yaml")  # kubectl says the file is missing
    magics.kubectl("apply -f -", "kind: [broken")  # not a CephCluster: kubectl judges the YAML
    assert [argv[3:] for argv, _ in no_process] == [
        ["apply", "-f", "-", "-n", "rook-ceph"], ["delete", "-f", str(unsafe)],
        ["apply", "-f", f"{tmp_path}/missing.yaml"], ["apply", "-f", "-"]]


def test_the_ipython_cell_magic_fails_the_cell_with_one_line(no_process):
    from IPython.testing.globalipapp import get_ipython, start_ipython

    ip = start_ipython() or get_ipython()  # the first call of the session starts it
    ip.run_line_magic("load_ext", "k8slab.magics")
    result = ip.run_cell("%%kubectl apply -f -\n" + GUIDE_2020)
    assert isinstance(result.error_in_exec, ManifestError)
    assert str(result.error_in_exec) == refusal("the cell, line 14")
    assert no_process == []
