"""k8slab.lessons.rook: pinned downloads (against a real local HTTP server), the safe CephCluster, the
host preflight on this machine's real /proc, the loop device in a real container, and the
operator on the real test cluster (which refuses what Kubernetes 1.20 cannot hold)."""

from __future__ import annotations

import base64
import hashlib
import http.server
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
import yaml

import k8slab as lab
from k8slab.clusters import fetching
from k8slab.core.errors import ImageError, K8sLabError, ManifestError, NotFound, UnknownKind
from k8slab.kube import applying, waiting
from k8slab.lessons.rook import host, loopdev, operator, progress, spec
from k8slab.manifests import validating

from ..needs import free_port, require

rook = lab.rook  # as the notebook calls it: the session's settings (its cache), cluster and provider

REPO = Path(__file__).resolve().parents[2]

@pytest.fixture(autouse=True)
def _no_fetch_overrides(monkeypatch):
    """CI may point the kit at a local copy; these tests choose their source themselves."""
    monkeypatch.delenv("K8SLAB_ROOK_FROM_DIR", raising=False)
    monkeypatch.delenv("K8SLAB_ROOK_BASE_URL", raising=False)

# -- a real HTTP server on 127.0.0.1 ------------------------------------------------------

class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def serve():
    """Serve a folder on 127.0.0.1:<free port>; yields a function folder -> base URL."""
    servers = []

    def start(folder: Path) -> str:
        handler = lambda *a, **kw: _Quiet(*a, directory=str(folder), **kw)  # noqa: E731
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


def test_pins_match_the_upstream_checksums(rook_dir):
    """rook_dir came through the kit's checked fetch: its files are upstream's, as pinned."""
    b = fetching.bundle("rook")
    assert b.version == "v1.20.6" and b.files == ["crds.yaml", "common.yaml", "csi-operator.yaml", "operator.yaml"]
    assert all(fetching.sha256((rook_dir / f).read_bytes()) == b.sha256[f] for f in b.files)
    assert b.url("crds.yaml") == "https://raw.githubusercontent.com/rook/rook/v1.20.6/deploy/examples/crds.yaml"


def test_fetch_downloads_verifies_caches_then_works_offline(kit_home, serve, rook_dir):
    base = serve(rook_dir)
    lines = []
    paths = rook.fetch(base_url=base, progress=lines.append)
    assert [p.name for p in paths.values()] == operator.FILES
    for p in paths.values():
        assert hashlib.sha256(p.read_bytes()).hexdigest() == fetching.bundle("rook").sha256[p.name]
        assert p.is_relative_to(kit_home / "cache" / "rook-v1.20.6")
    assert sum("downloaded from http://127.0.0.1" in line for line in lines) == 4
    # offline now: the cache answers, nothing is downloaded
    lines.clear()
    assert rook.fetch(base_url=f"http://127.0.0.1:{free_port()}/", progress=lines.append) == paths
    assert not any("downloaded" in line for line in lines)


def test_base_url_from_the_environment(kit_home, serve, monkeypatch, rook_dir):
    monkeypatch.setenv("K8SLAB_ROOK_BASE_URL", serve(rook_dir))
    lines = []
    fetching.fetch(fetching.bundle("rook"), ["operator.yaml"], cache=kit_home / "cache", progress=lines.append)
    assert lines == [f"operator.yaml: downloaded from {os.environ['K8SLAB_ROOK_BASE_URL']}operator.yaml, sha256 verified"]


def test_a_tampered_download_is_refused_and_not_cached(kit_home, serve, tmp_path, rook_dir):
    bad = tmp_path / "mirror"
    shutil.copytree(rook_dir, bad)
    (bad / "operator.yaml").write_text((rook_dir / "operator.yaml").read_text().replace('"false"', '"true"', 1))
    got = hashlib.sha256((bad / "operator.yaml").read_bytes()).hexdigest()
    with pytest.raises(fetching.ChecksumMismatch) as err:
        rook.fetch(base_url=serve(bad), progress=lambda _: None)
    msg = str(err.value)
    assert "\n" not in msg
    assert "operator.yaml from http://127.0.0.1" in msg and f"has sha256 {got}" in msg
    assert f"expected {fetching.bundle('rook').sha256['operator.yaml']}" in msg and "refusing it" in msg
    assert not (kit_home / "cache" / "rook-v1.20.6" / "operator.yaml").exists()
    assert not list((kit_home / "cache" / "rook-v1.20.6").glob(".operator.yaml.*"))


def test_offline_says_so_and_how_to_seed(kit_home):
    with pytest.raises(fetching.FetchError) as err:
        rook.fetch(base_url=f"http://127.0.0.1:{free_port()}/", progress=lambda _: None)
    msg = str(err.value)
    assert msg.startswith("cannot download crds.yaml from http://127.0.0.1:")
    assert "offline?" in msg and "fetch(from_dir='FOLDER')" in msg and "K8SLAB_ROOK_FROM_DIR" in msg
    assert "\n" not in msg


def test_a_server_that_never_answers_times_out(kit_home):
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never replies
        port = silent.getsockname()[1]
        start = time.monotonic()
        with pytest.raises(fetching.FetchError, match=r"no answer in 1s"):
            rook.fetch(base_url=f"http://127.0.0.1:{port}/", timeout=1, progress=lambda _: None)
        assert time.monotonic() - start < 10


def test_an_http_error_is_one_line(kit_home, serve, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(fetching.FetchError, match=r"cannot download crds.yaml from .*: HTTP 404"):
        rook.fetch(base_url=serve(tmp_path / "empty"), progress=lambda _: None)


def test_seed_from_a_folder_is_verified_the_same_way(kit_home, tmp_path, monkeypatch, rook_dir):
    lines = []
    paths = rook.fetch(from_dir=rook_dir, progress=lines.append)
    assert len(paths) == 4 and lines[0] == f"crds.yaml: copied from {rook_dir}, sha256 verified"
    shutil.rmtree(kit_home / "cache")
    bad = tmp_path / "seed"
    shutil.copytree(rook_dir, bad)
    (bad / "common.yaml").write_bytes(b"not rook\n")
    with pytest.raises(fetching.ChecksumMismatch, match=r"common.yaml from .*seed/common.yaml has sha256"):
        rook.fetch(from_dir=bad, progress=lambda _: None)
    monkeypatch.setenv("K8SLAB_ROOK_FROM_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(fetching.FetchError, match=r"cannot read common.yaml from the folder .*nowhere"):
        rook.fetch(progress=lambda _: None)


def test_a_damaged_cache_entry_is_fetched_again(kit_home, rook_dir):
    paths = rook.fetch(from_dir=rook_dir, progress=lambda _: None)
    paths["crds.yaml"].write_text("truncated")
    lines = []
    rook.fetch(from_dir=rook_dir, progress=lines.append)
    assert lines[0].startswith("crds.yaml: copied from")
    assert hashlib.sha256(paths["crds.yaml"].read_bytes()).hexdigest() == fetching.bundle("rook").sha256["crds.yaml"]


# -- the CephCluster: never useAllDevices --------------------------------------------------

def test_the_kits_cluster_names_its_one_device_and_never_uses_all():
    cluster, pool = rook.cluster_spec("k8slab-control-plane", "loop7")
    storage = cluster["spec"]["storage"]
    assert storage["useAllDevices"] is False and storage["useAllNodes"] is False
    assert storage["nodes"] == [{"name": "k8slab-control-plane", "devices": [{"name": "loop7"}]}]
    assert cluster["spec"]["dashboard"] == {"enabled": True, "ssl": False, "port": 7000}
    assert cluster["spec"]["mon"]["count"] == 1 and cluster["spec"]["dataDirHostPath"] == "/var/lib/rook"
    assert pool["spec"] == {"name": ".mgr", "replicated": {"size": 1, "requireSafeReplicaSize": False}}


@pytest.mark.parametrize("change, words", [
    ({"useAllDevices": True}, "spec.storage.useAllDevices: true lets Rook take every empty disk"),
    ({"deviceFilter": "^sd."}, "spec.storage.deviceFilter lets Rook pick disks by pattern"),
    ({"useAllNodes": True}, "spec.storage.useAllNodes: true without named devices"),
    ({"nodes": [{"name": "n", "useAllDevices": True}]}, r"spec.storage.nodes\[0\] \(n\) sets useAllDevices: true"),
    ({"nodes": [{"name": "n", "devicePathFilter": "^/dev/disk/by-id/.*"}]}, "sets devicePathFilter"),
    ({"nodes": [{"name": "n"}]}, "lists no devices by name"),
])
def test_check_safe_refuses_clusters_that_pick_disks_themselves(change, words):
    cluster = rook.cluster_spec("n", "loop0")[0]
    cluster["spec"]["storage"].update(change)
    with pytest.raises(ManifestError, match=words):
        rook.check_safe(cluster)


def test_rooks_defaults_choose_no_disk():
    """Without useAllDevices (Rook's default is false) only the named devices are used: safe."""
    cluster = rook.cluster_spec("n", "loop0")[0]
    del cluster["spec"]["storage"]["useAllDevices"]
    rook.check_safe(cluster)
    assert rook.safety(cluster) == "safe: CephCluster/rook-ceph names every device it may use"


def test_rooks_own_test_cluster_example_is_refused(rook_dir):
    example = yaml.safe_load_all((rook_dir / "cluster-test.yaml").read_text())
    with pytest.raises(ManifestError, match="useAllDevices: true lets Rook take every empty disk"):
        rook.check_safe(next(example))


def test_operator_config_allows_loop_devices_and_files_come_in_todays_order(kit_home, rook_dir):
    objs = rook.operator_objects(from_dir=rook_dir, progress=lambda _: None)
    config = next(o for o in objs if o["metadata"]["name"] == "rook-ceph-operator-config")
    assert config["data"]["ROOK_CEPH_ALLOW_LOOP_DEVICES"] == "true"
    sources = [o.source for o in objs]
    assert sorted(set(sources), key=sources.index) == operator.FILES
    assert validating.validate(objs) == []


def test_retarget_moves_everything_to_another_namespace(kit_home, rook_dir):
    objs = rook.operator_objects("t-elsewhere", from_dir=rook_dir, progress=lambda _: None)
    text = yaml.safe_dump([{k: v for k, v in o.items() if k != "spec" or o["kind"] != "CustomResourceDefinition"} for o in objs])
    assert not re.search(r"namespace: rook-ceph$", text, re.M)
    assert not re.search(r"^\s*(- )?name: rook-ceph$", text, re.M)  # the Namespace object itself
    assert {o["metadata"]["name"] for o in objs if o["kind"] == "Driver"} == {
        "t-elsewhere.rbd.csi.ceph.com", "t-elsewhere.cephfs.csi.ceph.com"}


def test_kind_mounts():
    assert rook.kind_mounts() == [{"hostPath": "/dev", "containerPath": "/dev"},
                                  {"hostPath": "/run/udev", "containerPath": "/run/udev"}]


def test_the_guides_files_are_the_seed_guides_text():
    """The guide's own text is not in the repository: K8SLAB_GUIDE_TEXT names a folder holding it (CI sets it)."""
    folder = os.environ.get("K8SLAB_GUIDE_TEXT")
    texts = sorted(Path(folder).glob("*.txt")) if folder else []
    if not texts:
        require("guide text", "set K8SLAB_GUIDE_TEXT to a folder holding the guide as a .txt file")
    text = texts[0].read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    from_guide = [yaml.safe_load(b) for b in blocks if "ceph.rook.io" in b or "rook-ceph-mgr-dashboard" in b]
    assert from_guide == spec.guide_files()


def test_the_changes_table_covers_the_guides_fields():
    fields = [row["field"] for row in rook.changes()]
    for needed in ("dataDirHostPath", "mon.count / allowMultiplePerNode", "dashboard.ssl / port",
                   "monitoring.rulesNamespace", "OSD storage", "cephVersion.image"):
        assert needed in fields
    table = rook.changes_table()
    assert "<table>" in table._repr_html_() and repr(table).splitlines()[0].startswith("field")


# -- preflight: this machine's real /proc, statvfs and /sys ---------------------------------

def _meminfo_gib() -> float:
    line = next(ln for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemAvailable:"))
    return int(line.split()[1]) / 1024**2


def test_check_host_measures_this_machine(tmp_path):
    check = rook.check_host(need_rbd=False, disk_path=tmp_path)
    assert abs(check.memory_gib - _meminfo_gib()) < 1
    st = os.statvfs(tmp_path)
    assert abs(check.disk_gib - st.f_bavail * st.f_frsize / 1024**3) < 1
    assert check.cores == len(os.sched_getaffinity(0))
    assert check.ok and str(check).startswith(f"host: {check.cores} cores,")


@pytest.mark.parametrize("threshold, words", [
    ({"min_memory_gib": 10**6}, "GiB memory available, Rook needs 1e+06 GiB"),
    ({"min_disk_gib": 10**9}, "GiB free under"),
    ({"min_cores": 4096}, "cores, Rook needs 4096"),
])
def test_each_threshold_trips_preflight(threshold, words, tmp_path):
    with pytest.raises(rook.HostNotReady) as err:
        rook.preflight(need_rbd=False, disk_path=tmp_path, **threshold)
    assert words in str(err.value) and "\n" not in str(err.value)
    assert str(err.value).startswith("this machine cannot hold a Rook cluster:")


def test_the_rbd_module_is_looked_for_where_linux_keeps_it(tmp_path):
    sys_module, modules = tmp_path / "sys-module", tmp_path / "lib-modules"
    sys_module.mkdir()
    modules.mkdir()
    with pytest.raises(rook.HostNotReady, match="the rbd kernel module is missing"):
        rook.preflight(disk_path=tmp_path, sys_module=sys_module, modules=modules)
    (sys_module / "rbd").mkdir()
    assert rook.preflight(disk_path=tmp_path, sys_module=sys_module, modules=modules).rbd
    # this machine, as it is: the result matches what /sys/module and /lib/modules hold
    assert host.has_rbd() == (Path("/sys/module/rbd").exists() or any(Path("/lib/modules").glob("*/kernel/drivers/block/rbd.ko*")))


def test_this_machine_without_rbd_gets_the_one_line_refusal(tmp_path):
    """Ceph block volumes cannot work without the rbd module: where it is missing, the kit refuses in one line."""
    roomy = {"disk_path": tmp_path, "min_memory_gib": 0, "min_disk_gib": 0, "min_cores": 1}
    if host.has_rbd():
        assert rook.preflight(**roomy).rbd
        return
    with pytest.raises(rook.HostNotReady) as err:
        rook.preflight(**roomy)
    assert str(err.value) == (
        "this machine cannot hold a Rook cluster: the rbd kernel module is missing (Ceph block volumes need it; "
        "`modprobe rbd`, or pass need_rbd=False to run Ceph without volumes) (free memory or disk, or use a bigger machine)")


# -- the loop device, in a real privileged container standing in for the kind node --------

@pytest.fixture
def standin_node(bases):
    """Stand-in kind node: a container of the test image k8slab.local/node:18 (util-linux inside) with
    the host's /dev, as kind's node has with rook.kind_mounts(). kind's node is privileged; this
    sandbox refuses --privileged, so the stand-in gets what losetup needs: CAP_SYS_ADMIN and the
    loop devices (block major 7, /dev/loop-control). Yields the kind cluster name it stands for."""
    cluster = f"k8slab-rooktest-{uuid.uuid4().hex[:6]}"
    name = loopdev.node_container(cluster)
    subprocess.run(["docker", "run", "-d", "--rm", "--cap-add", "SYS_ADMIN", "-v", "/dev:/dev",
                    "--device-cgroup-rule", "b 7:* rmw", "--device-cgroup-rule", "c 10:237 rmw",
                    "--name", name, "k8slab.local/node:18", "sleep", "900"], check=True, capture_output=True)
    yield cluster
    subprocess.run(["docker", "exec", name, "sh", "-c", f"losetup -j {loopdev.IMAGE_FILE} | cut -d: -f1 | xargs -r losetup -d"],
                   capture_output=True)
    subprocess.run(["docker", "rm", "-f", name], capture_output=True)


@pytest.mark.docker
def test_loop_device_attach_reuse_and_remove(standin_node):
    name = loopdev.node_container(standin_node)
    device = loopdev.attach(name, size_gb=5)
    assert re.fullmatch(r"loop\d+", device)
    assert Path(f"/dev/{device}").exists()
    assert loopdev.attach(name, size_gb=5) == device  # reused, not a second device
    out = subprocess.run(["docker", "exec", name, "stat", "-c", "%s %b", loopdev.IMAGE_FILE],
                         check=True, capture_output=True, text=True).stdout.split()
    assert int(out[0]) == 5 * 1024**3 and int(out[1]) * 512 < 1024**2  # 5 GB, sparse
    subprocess.run(["docker", "exec", name, "mkdir", "-p", "/var/lib/rook/mon-a"], check=True)
    assert loopdev.remove(name, data_dir="/var/lib/rook") == [f"detached /dev/{device}"]
    assert loopdev.attached(name) == []
    gone = subprocess.run(["docker", "exec", name, "ls", loopdev.IMAGE_FILE, "/var/lib/rook"], capture_output=True)
    assert gone.returncode != 0
    assert loopdev.remove(name, data_dir="/var/lib/rook") == []  # safe to repeat


@pytest.mark.docker
@pytest.mark.cluster
@pytest.mark.usefixtures("kit_home")
def test_create_and_teardown_on_kind_make_and_remove_the_osd_disk(standin_node, kube, namespace, chosen, rook_dir):
    """The kind path end to end, up to what 1.20 cannot do: the loop device is made in the (stand-in)
    kind node, the CephCluster is refused (no CephCluster CRD on 1.20), teardown removes the disk."""
    chosen(kube, provider="kind", cluster_name=standin_node)
    name = loopdev.node_container(standin_node)
    lines = []
    with pytest.raises(UnknownKind, match="CephCluster"):
        rook.create(namespace, kube=kube, progress=lines.append, size_gb=5, thresholds={"need_rbd": False}, from_dir=rook_dir)
    (device,) = loopdev.attached(name)
    assert lines == [f"OSD disk: {device} in {name} (a 5 GB sparse file, {loopdev.IMAGE_FILE})"]
    subprocess.run(["docker", "exec", name, "mkdir", "-p", "/var/lib/rook/rook-ceph"], check=True)
    rook.teardown(namespace, kube=kube, progress=lines.append, from_dir=rook_dir)
    assert lines[-1] == f"{name}: detached {device}, OSD file and /var/lib/rook deleted"
    assert loopdev.attached(name) == []
    assert subprocess.run(["docker", "exec", name, "ls", "/var/lib/rook"], capture_output=True).returncode != 0
    rook.teardown(namespace, kube=kube, progress=lines.append, from_dir=rook_dir)
    assert lines[-1] == f"{name}: OSD file and /var/lib/rook deleted"


def test_loop_device_refuses_small_disks_and_odd_data_dirs():
    with pytest.raises(K8sLabError, match="too small"):
        loopdev.attach("any", size_gb=4)
    for path in ("/", "/var/lib", "/home/learner", "/var/lib/../etc"):
        with pytest.raises(K8sLabError, match="refusing to delete"):
            loopdev.remove("any", data_dir=path)


# -- the operator on the real 1.20 test cluster -------------------------------------------

def _refusable(crd: dict) -> bool:
    """What a 1.20 API server cannot hold: CEL rules (x-kubernetes-validations), or empty-string
    defaults, which it reads as null ("default: Invalid value: "null": must be of type string")."""
    text = yaml.safe_dump(crd["spec"])
    return "x-kubernetes-validations" in text or "default: ''" in text


@pytest.fixture
def node_provider(chosen, kit_home, kubeconfig, kube):
    chosen(kube, provider="node", kubeconfig=kubeconfig)
    return kit_home


@pytest.mark.cluster
def test_operator_applies_what_120_accepts_and_names_the_image_it_cannot_pull(kube, namespace, node_provider, rook_dir):
    lines = []
    report = rook.install(namespace, kube=kube, progress=lines.append, from_dir=rook_dir)
    assert any(line.startswith("this cluster runs Kubernetes 1.20; Rook v1.20.6 needs 1.31 or newer") for line in lines)
    objs = rook.operator_objects(namespace, from_dir=rook_dir, progress=lambda _: None)
    crds = [o for o in objs if o["kind"] == "CustomResourceDefinition"]
    refused = dict(report.refused)
    # every refusal is expected: a CRD 1.20 cannot hold, or an object of a kind whose CRD was refused
    refused_kinds = {c["spec"]["names"]["kind"] for c in crds if f"CustomResourceDefinition/{c['metadata']['name']}" in refused}
    for what, reason in refused.items():
        kind = what.split("/")[0]
        if kind == "CustomResourceDefinition":
            crd = next(c for c in crds if what == f"CustomResourceDefinition/{c['metadata']['name']}")
            assert _refusable(crd), f"{what} was refused unexpectedly: {reason}"
        else:
            assert kind in refused_kinds and "its CRD was refused above" in reason
        assert "\n" not in reason
    # exactly the CRDs 1.20 cannot hold are refused; CephCluster's is one (it has CEL rules)
    assert {w for w in refused if w.startswith("CustomResourceDefinition/")} == {
        f"CustomResourceDefinition/{c['metadata']['name']}" for c in crds if _refusable(c)}
    assert "CustomResourceDefinition/cephclusters.ceph.rook.io" in refused
    for must in ("Namespace/" + namespace, f"Deployment/rook-ceph-operator in {namespace}",
                 f"ServiceAccount/rook-ceph-system in {namespace}", "ClusterRole/rook-ceph-global"):
        assert must in report.applied
    assert [line for line in lines if line.startswith("refused: ")] == [f"refused: {w}: {r}" for w, r in report.refused]
    assert lines[-1] == f"Rook operator in {namespace}: {report}"
    # the operator cannot start here: the kit's wait says why, naming the image
    with pytest.raises(ImageError) as err:
        waiting.wait_for_rollout("rook-ceph-operator", namespace, timeout=120, kube=kube)
    assert "docker.io/rook/ceph:v1.20.6" in str(err.value) and "\n" not in str(err.value)
    # the progress stages report the same and stop there
    stages = progress.run(namespace, kube=kube, timeouts={"operator": 60})
    assert stages[0].state == "failed" and "docker.io/rook/ceph:v1.20.6" in stages[0].detail
    assert all(s.state == "waiting" and "not started" in s.detail for s in stages[1:])
    assert progress.summary(stages).startswith("Rook stopped at operator: pod rook-ceph-operator-")
    # teardown removes everything, and can run again
    rook.teardown(namespace, kube=kube, progress=lines.append, from_dir=rook_dir)
    assert not applying.exists("Namespace", namespace, kube=kube)
    for o in objs:
        if o["kind"] in ("ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"):
            assert not applying.exists(o["kind"], o["metadata"]["name"], api_version=o["apiVersion"], kube=kube)
    rook.teardown(namespace, kube=kube, progress=lines.append, from_dir=rook_dir)
    assert lines[-1] == f"Rook: nothing left in the cluster for namespace {namespace}"


@pytest.mark.cluster
def test_progress_widget_shows_the_failed_stage(kube, namespace, node_provider, rook_dir):
    from k8slab.ui.widgets.rook import RookProgress

    rook.install(namespace, kube=kube, progress=lambda _: None, from_dir=rook_dir)
    try:
        w = RookProgress(rook.watch(namespace, timeouts={"operator": 60}, kube=kube))
        w.run()
        bundle = w._repr_mimebundle_()
        assert bundle["text/plain"].splitlines()[0].startswith("operator: failed: pod rook-ceph-operator-")
        assert "docker.io/rook/ceph:v1.20.6" in w._rows["operator"].value
        assert "not started" in w._rows["health"].value
    finally:
        rook.teardown(namespace, kube=kube, progress=lambda _: None, from_dir=rook_dir)


@pytest.mark.cluster
def test_the_guides_cluster_what_the_api_server_answers(kube, namespace, node_provider):
    answer = rook.guide_cluster_answer(namespace, kube=kube)
    # 1.20 cannot hold Rook v1.20's CephCluster CRD (CEL rules, see the operator test above), so the kind is unknown
    assert answer == ("the API server refuses it: the cluster does not know kind 'CephCluster' in apiVersion "
                      "'ceph.rook.io/v1' (check the spelling, or install the CRD that defines it first)")


@pytest.mark.cluster
def test_create_on_a_provider_without_kind_nodes_says_so_in_one_line(kube, namespace, node_provider, rook_dir):
    lines = []
    assert rook.create(namespace, kube=kube, progress=lines.append, from_dir=rook_dir) is None
    assert lines == ["not created: the node provider has no kind node to hold the OSD's loop device "
                     "(the CephCluster spec was validated; on kind, this step creates it)"]


@pytest.mark.cluster
def test_dashboard_service_and_password(kube, namespace, node_provider):
    with pytest.raises(NotFound) as missing:
        rook.dashboard_password(namespace, kube=kube)
    assert str(missing.value) == (f"no Secret rook-ceph-dashboard-password in {namespace} yet (Rook's mgr writes it once "
                                  "the cluster runs: `rook.watch()` shows how far it is)")
    clear = f"pw-{uuid.uuid4().hex}"
    kube.core.create_namespaced_secret(namespace, {
        "metadata": {"name": "rook-ceph-dashboard-password"}, "data": {"password": base64.b64encode(clear.encode()).decode()}})
    password = rook.dashboard_password(namespace, kube=kube)
    assert password.reveal() == clear and clear not in repr(password) and clear not in str(password)
    from k8slab.ui.widgets.secret import SecretView

    field = SecretView(password, "admin password")
    assert all(clear not in str(v) for v in field._repr_mimebundle_().values())
    field.reveal()
    assert clear in field._text.value
    field.hide()
    assert clear not in field._text.value
    url = rook.expose_dashboard(namespace, node_port=None, kube=kube)
    svc = applying.get("Service", spec.DASHBOARD_SERVICE, namespace, kube=kube)
    assert url == f"http://localhost:{svc['spec']['ports'][0]['nodePort']}/"
    assert svc["spec"]["selector"] == {"app": "rook-ceph-mgr", "mgr_role": "active", "rook_cluster": namespace}


@pytest.mark.cluster
def test_crds_refused_by_120_are_reported_not_raised(kube, node_provider, rook_dir):
    """The refusal itself, on a CRD the 1.20 API server rejects: one line, the server's reason."""
    crds = rook.crds(from_dir=rook_dir)
    refusable = next(c for c in crds if _refusable(c))
    lines = []
    report = applying.apply_each([refusable], kube, lines.append)
    try:
        assert report.applied == [] and len(report.refused) == 1
        what, reason = report.refused[0]
        assert what == f"CustomResourceDefinition/{refusable['metadata']['name']}"
        assert lines == [f"refused: {what}: {reason}"]
        assert "\n" not in reason
    finally:
        try:
            applying.delete(kind="CustomResourceDefinition", name=refusable["metadata"]["name"],
                            api_version="apiextensions.k8s.io/v1", kube=kube)
        except UnknownKind:
            pass
