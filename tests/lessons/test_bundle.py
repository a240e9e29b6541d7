"""The workshop bundle: its index and checks without Docker, then the whole cycle for real.

The cycle: a registry on this machine holds stand-ins under the public names the bundle asks for;
`k8slab bundle create` gets them through the `mirrors` setting (skopeo) and the kind node image
from Docker; then, with a fresh K8SLAB_HOME, no mirror, no seed folders and the registry stopped,
`bundle load` makes a spare kind cluster of this module's own from the bundled node image, loads
the images into its node, and chapter 02 runs on it. A tampered copy is refused first, before
anything is loaded.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import types
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from k8slab.clusters import choosing as cluster, fetching
from k8slab.clusters.providers import engine, kindconfig
from k8slab.core import config, references
from k8slab.core.errors import K8sLabError
from k8slab.lessons.bundling import archive, contents, pulling

from ..needs import kind_node_image, require, require_free_ports, require_images
from ..registry import BUSYBOX, Registry, docker

REPO = Path(__file__).resolve().parents[2]
PORTS = (30280, 30281, 30282)  # the kit's cluster: 30080-; mirror 30380-; Podman 31080-; faults 32080-; all below
# Linux's ephemeral ports (32768-60999): a client socket on 35082 once kept Docker from publishing it
NGINX, NODE = "k8slab.local/nginx:1.17.0", "k8slab.local/node:18"
# The stand-ins the registry serves under the guide's public names; every other image the bundle
# asks for (Rook's, Ceph's, the CSI sidecars, the Dashboard's) is served as the busybox stand-in.
STANDINS = {"docker.io/library/nginx:1.17.0": NGINX, "docker.io/library/node:7": NODE,
            "docker.io/library/busybox:1.36": BUSYBOX}
CHAPTER = REPO / "notebooks" / "02-basics.ipynb"  # busybox:1.36 only


def quiet(_line: str) -> None:
    pass


# -- the index and its checks (no Docker) --------------------------------------------------------

def small_bundle(folder: Path, members: dict[str, bytes] | None = None) -> Path:
    members = members or {"images/a.tar": b"a" * 3000, "manifests/rook-v1/x.yaml": b"kind: X\n"}
    path = folder / "b.tar"
    writer = archive.Writer(path, archive.Index(kit="0", node_image="n"))
    for name, data in members.items():
        writer.add_bytes(name, data)
    writer.close()
    return path


def rewrite(src: Path, dest: Path, change) -> Path:
    """A copy of the bundle tar with `change(name, data)` applied to each member (None drops it)."""
    with tarfile.open(src) as tin, tarfile.open(dest, "w", format=tarfile.PAX_FORMAT) as tout:
        for info in tin:
            data = change(info.name, tin.extractfile(info).read())
            if data is not None:
                info.size = len(data)
                tout.addfile(info, io.BytesIO(data))
    return dest


def refused(path: Path) -> str:
    with pytest.raises(archive.BundleDamaged) as err:
        archive.verify(path)
    text = str(err.value)
    assert "\n" not in text and text.endswith("(copy it again from the teacher)")
    return text


def test_a_whole_bundle_checks_and_lists_every_member(tmp_path):
    path = small_bundle(tmp_path)
    index = archive.verify(path)
    assert set(index.members) == {"images/a.tar", "manifests/rook-v1/x.yaml"}
    assert index.members["images/a.tar"]["size"] == 3000
    assert [m.name for m in tarfile.open(path)][-1] == "bundle.json", "written last, once every sum is known"


def test_a_tampered_member_is_named(tmp_path):
    bad = rewrite(small_bundle(tmp_path), tmp_path / "bad.tar",
                  lambda name, data: data.replace(b"a", b"b", 1) if name == "images/a.tar" else data)
    assert refused(bad) == (f"bundle {bad} is damaged: images/a.tar does not match its checksum "
                            "(copy it again from the teacher)")


def test_a_truncated_bundle_is_refused(tmp_path):
    path = small_bundle(tmp_path)
    data = path.read_bytes()
    with tarfile.open(path) as t:
        cuts = [i.offset_data + i.size // 2 for i in t] + [t.getmember("bundle.json").offset]  # in each member, and before the index
    for cut in cuts:
        short = tmp_path / f"short-{cut}.tar"
        short.write_bytes(data[:cut])
        assert re.match(rf"bundle {re.escape(str(short))} is damaged: (it is cut short|it has no bundle.json)",
                        refused(short))


def test_a_missing_member_is_named(tmp_path):
    bad = rewrite(small_bundle(tmp_path), tmp_path / "bad.tar",
                  lambda name, data: None if name == "manifests/rook-v1/x.yaml" else data)
    assert "manifests/rook-v1/x.yaml is missing" in refused(bad)


def test_an_extra_member_is_named(tmp_path):
    path = small_bundle(tmp_path)
    with tarfile.open(path) as t:
        kept = {i.name: t.extractfile(i).read() for i in t}
    index = kept.pop("bundle.json")
    bad = tmp_path / "bad.tar"
    with tarfile.open(bad, "w") as t:
        for name, data in [*kept.items(), ("images/evil.tar", b"x"), ("bundle.json", index)]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    assert "images/evil.tar is not listed in its bundle.json" in refused(bad)


def test_not_a_bundle(tmp_path):
    (tmp_path / "x.tar").write_bytes(b"hello")
    assert "is damaged:" in refused(tmp_path / "x.tar")
    with pytest.raises(K8sLabError, match="no bundle file"):
        archive.verify(tmp_path / "nothing.tar")


def test_member_names_and_the_registries_conf_for_skopeo():
    assert archive.member_name("quay.io/ceph/ceph:v20.2.4") == "images/quay.io_ceph_ceph_v20.2.4.tar"
    assert archive.member_name("kindest/node:v1.32.0@sha256:c48c62eac5da28cd") == "images/kindest_node_v1.32.0_c48c62eac5da.tar"
    assert pulling.archive_ref("nginx:1.17.0") == "docker.io/library/nginx:1.17.0"
    conf = pulling.registries_conf({"docker.io": ["http://10.0.0.1:5000", "https://m.example"]})
    assert '[[registry]]\nprefix = "docker.io"\nlocation = "docker.io"\n' in conf
    assert '[[registry.mirror]]\nlocation = "10.0.0.1:5000"\ninsecure = true\n[[registry.mirror]]\nlocation = "m.example"\n' in conf


MISSING_ON_PURPOSE = {"ngnix:1.17.0"}  # chapter 09's typo: its lab needs an image no registry has


def test_every_image_the_notebooks_and_manifests_name_is_a_guide_image():
    """What the chapters run: their code cells, the manifests they apply, the hello app's FROM (not the guide's
    2020 YAML that chapter 04b only shows, nor a `kubectl run --dry-run` that creates nothing)."""
    texts = ["".join(c["source"]) for nb in REPO.glob("notebooks/*.ipynb")
             for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code"]
    texts += [p.read_text() for p in [*REPO.glob("notebooks/manifests/**/*.*"), REPO / "assets/hello/Dockerfile"]]
    lines = [line for text in texts for line in text.splitlines() if "--dry-run" not in line]
    named = {m for line in lines for m in re.findall(r"(?:image:\s*|FROM\s+|--image[= ])\"?([a-z0-9./-]+:[A-Za-z0-9._-]+)", line)}
    named -= MISSING_ON_PURPOSE
    assert named and {references.normalize(n) for n in named} <= {references.normalize(n) for n in contents.GUIDE_IMAGES}


def test_the_bar_redraws_in_a_terminal_only_and_a_line_clears_it():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    from k8slab.lessons.bundling.progress import Bar

    term = Terminal()
    bar = Bar(term, width=10)
    for done in (0, 1, 500_000, 500_001, 1_000_000):
        bar.meter(done, 1_000_000)
    bar.line("[1/2] busybox:1.36: 2.1 MB")
    assert term.getvalue() == ("\r  [..........]   0% 0 B of 1.0 MB\033[K"
                               "\r  [#####.....]  50% 500.0 kB of 1.0 MB\033[K"
                               "\r  [##########] 100% 1.0 MB of 1.0 MB\033[K"
                               "\r\033[K  [1/2] busybox:1.36: 2.1 MB\n")
    pipe = io.StringIO()
    Bar(pipe).meter(1, 2)
    assert pipe.getvalue() == ""


def test_a_digest_pinned_node_image_from_a_bundle_is_found_by_its_id(tmp_path, engine):
    """`docker load` keeps an image's id, not the digest it was pulled by: `k8slab up` uses the id recorded at load."""
    from k8slab.clusters.providers.kind import BUNDLED, bundled_node_image

    require_images("docker", BUSYBOX)
    pinned = "example.org/kindest/node:v1@sha256:" + "0" * 64
    assert bundled_node_image(pinned, tmp_path) == pinned, "no record: as pinned (kind pulls it)"
    image_id = docker("image", "inspect", "-f", "{{.Id}}", BUSYBOX).stdout.strip()
    (tmp_path / BUNDLED).write_text(json.dumps({pinned: image_id}))
    assert bundled_node_image(pinned, tmp_path) == image_id
    assert bundled_node_image("k8slab.local/kind-node:v1.20.2", tmp_path) == "k8slab.local/kind-node:v1.20.2"
    (tmp_path / BUNDLED).write_text(json.dumps({pinned: "sha256:" + "1" * 64}))
    assert bundled_node_image(pinned, tmp_path) == pinned, "the recorded image is gone: as pinned"


# -- the images the bundle asks for ----------------------------------------------------------------

def seeds() -> dict[str, str]:
    """The shared testdata folders the kit is pointed at for Rook's and the Dashboard's pinned files."""
    out = {}
    for var in ("K8SLAB_ROOK_FROM_DIR", "K8SLAB_DASHBOARD_FROM_DIR"):
        if not os.environ.get(var) or not Path(os.environ[var]).is_dir():
            require(var, "a folder holding the pinned files (CI: ../shared/testdata, see .ci/run)")
        out[var] = os.environ[var]
    return out


def test_the_bundle_asks_for_the_node_image_the_guides_rooks_and_the_dashboards_images(kit_home, monkeypatch, reread_settings):
    seeds()
    monkeypatch.setenv("K8SLAB_NODE_IMAGE", "example.org/node:1")
    reread_settings()
    files = {b.name: fetching.fetch(b, cache=config.load().cache) for b in contents.pinned_files()}
    assert "images.txt" in files["rook"]
    wanted = contents.wanted(files, config.load())
    names = [w.name for w in wanted]
    assert names[0] == "example.org/node:1" and wanted[0].into == (contents.DOCKER,)
    assert names[1:4] == list(contents.GUIDE_IMAGES)
    assert "quay.io/ceph/ceph:v20.2.4" in names and "registry.k8s.io/sig-storage/csi-provisioner:v6.2.0" in names
    assert names[-2:] == ["kubernetesui/dashboard:v2.7.0", "kubernetesui/metrics-scraper:v1.0.8"]
    assert len(names) == len({references.normalize(n) for n in names}) == 1 + 3 + 12 + 2


def test_an_image_that_cannot_be_had_is_named_and_no_file_is_left(kit_home, monkeypatch, tmp_path):
    seeds()
    if not shutil.which("skopeo"):
        require("skopeo", "apt-get install skopeo")
    from ..needs import free_port

    missing = f"127.0.0.1:{free_port()}/nothing/here:1"  # a closed port: nothing answers there
    monkeypatch.setenv("K8SLAB_NODE_IMAGE", missing)
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "k8slab.ui.cli", "bundle", "create", str(out / "w.tar")],
                          capture_output=True, text=True)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: cannot get {missing} for the bundle: copying {missing} with skopeo failed")
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in out.iterdir()) == []


def test_without_skopeo_docker_pulls_and_pushes(engine, monkeypatch, tmp_path):
    """The other way: `docker pull` + `docker save` to make an archive, `docker load` + `docker push` to fill a registry."""
    for tool, how in (("docker-registry", "apt-get install docker-registry"),):
        if not shutil.which(tool):
            require(tool, how)
    require_images("docker", BUSYBOX)
    which = shutil.which
    monkeypatch.setattr(pulling, "shutil", types.SimpleNamespace(which=lambda name: None if name == "skopeo" else which(name)))
    (tmp_path / "upstream").mkdir(), (tmp_path / "classroom").mkdir()
    upstream, classroom = Registry(tmp_path / "upstream"), Registry(tmp_path / "classroom")
    tag = f"bundle-{uuid.uuid4().hex[:6]}"
    source = f"127.0.0.1:{upstream.port}/standin/busybox:{tag}"  # the busybox stand-in
    try:
        upstream.push_as(BUSYBOX, f"standin/busybox:{tag}")
        archive_file = tmp_path / "image.tar"
        assert pulling.get(source, archive_file, {}) == "docker pull"
        assert tarfile.open(archive_file).getmember("manifest.json")
        assert docker("rmi", source).returncode == 0
        target = pulling.push(archive_file, source, f"127.0.0.1:{classroom.port}", tmp_path)
        assert target == f"127.0.0.1:{classroom.port}/standin/busybox:{tag}"
        assert f"PUT /v2/standin/busybox/manifests/{tag} " in classroom.log.read_text()
    finally:
        upstream.stop()
        classroom.stop()
        docker("rmi", source)


# -- the whole cycle on a spare kind cluster -------------------------------------------------------

@pytest.fixture
def tools():
    for tool, how in (("kind", "conda: kubernetes-kind"), ("docker", "apt-get install docker.io"),
                      ("docker-registry", "apt-get install docker-registry"), ("skopeo", "apt-get install skopeo")):
        if not shutil.which(tool):
            require(tool, how)
    if engine.name() != "docker":
        require("Docker under kind", "this test looks into the node with `docker exec`")
    require_images("docker", kind_node_image(), BUSYBOX, NGINX, NODE)


def node_images(node: str) -> str:
    return docker("exec", node, "ctr", "-n", "k8s.io", "images", "ls", "-q").stdout


def test_create_then_load_on_an_empty_cluster_then_a_chapter_runs_offline(tools, kit_home, monkeypatch, tmp_path, reread_settings):
    seeds()
    name = f"k8slab-bundle-{uuid.uuid4().hex[:6]}"
    node_tag = f"k8slab.local/kind-node:bundle-{uuid.uuid4().hex[:6]}"  # the node image under a name of its own
    made_cluster = False
    try:
        assert docker("tag", kind_node_image(), node_tag).returncode == 0
        made = the_teacher_makes_a_bundle(tmp_path, monkeypatch, reread_settings, node_tag)
        laptop = a_laptop(tmp_path, monkeypatch, reread_settings, node_tag, name)
        a_tampered_copy_is_refused(made.bundle, node_tag, name, laptop)
        made_cluster = True
        load_s, again_s = loaded_twice(made, name, laptop)
        loaded_into_a_classroom_registry(made.bundle, tmp_path)
        chapter_s = chapter_02_runs_offline(monkeypatch, laptop, name)
        size = made.bundle.stat().st_size
        print(f"\nbundle: {size} bytes ({size / 1e6:.0f} MB), {len(made.index.images)} images; "
              f"create {made.seconds:.0f}s, load {load_s:.0f}s (node image, {len(made.index.images) - 1} images, cluster made), "
              f"again {again_s:.0f}s; "
              f"chapter 02 offline {chapter_s:.0f}s")
    finally:
        if made_cluster:
            cluster.down("kind", cluster_name=name, progress=quiet)
        docker("rmi", node_tag)


@dataclass
class Made:
    """What the teacher's `k8slab bundle create` made, and what it printed."""

    bundle: Path
    index: archive.Index
    wanted: list
    stderr: str
    seconds: float


def the_teacher_makes_a_bundle(tmp_path: Path, monkeypatch, reread_settings, node_tag: str) -> Made:
    """From a registry holding the public names, reached through mirrors, and the node image in Docker."""
    (tmp_path / "registry").mkdir()
    registry = Registry(tmp_path / "registry")
    try:
        monkeypatch.setenv("K8SLAB_NODE_IMAGE", node_tag)
        reread_settings()
        files = {b.name: fetching.fetch(b, cache=config.load().cache) for b in contents.pinned_files()}
        wanted = contents.wanted(files, config.load())
        for w in wanted[1:]:
            _, path, tag, _ = references.split_ref(references.normalize(w.name))
            registry.push_as(STANDINS.get(references.normalize(w.name), BUSYBOX), f"{path}:{tag}")
            if w.name not in contents.GUIDE_IMAGES:  # those may be in Docker already (a chapter on this machine)
                assert docker("image", "inspect", w.name).returncode, f"{w.name} must come from the registry"
        mirror = f"http://127.0.0.1:{registry.port}"
        monkeypatch.setenv("K8SLAB_MIRRORS", ",".join(f"{r}={mirror}" for r in ("docker.io", "quay.io", "registry.k8s.io", "gcr.io")))
        bundle = tmp_path / "workshop.tar"
        started = time.monotonic()
        made = subprocess.run([sys.executable, "-m", "k8slab.ui.cli", "bundle", "create", str(bundle)],
                              capture_output=True, text=True)
        create_s = time.monotonic() - started
        assert made.returncode == 0, made.stderr
        lines = made.stderr.splitlines()
        assert f"  [1/{len(wanted)}] {node_tag} (kind node image): from Docker" in "\n".join(lines)
        assert any(re.match(rf"  \[4/{len(wanted)}\] node:7 \(the notebooks\): from (Docker|skopeo \(mirrors: .*\)), 2\d\d\.\d MB", ln)
                   for ln in lines), lines
        assert f"  [7/{len(wanted)}] quay.io/ceph/ceph:v20.2.4 (Rook's images.txt): from skopeo (mirrors: docker.io, quay.io, " \
               "registry.k8s.io, gcr.io), 2.1 MB" in lines, lines
        assert " /v2/ceph/ceph/manifests/v20.2.4 " in registry.log.read_text(), "through the mirror"
        assert not (tmp_path / "workshop.tar.partial").exists()
        index = archive.verify(bundle)
        assert [im["name"] for im in index.images] == [w.name for w in wanted]
        assert {m["path"] for m in index.manifests} >= {"manifests/rook-v1.20.6/images.txt",
                                                         "manifests/dashboard-v2.7.0/recommended.yaml"}
    finally:
        registry.stop()
    return Made(bundle, index, wanted, made.stderr, create_s)


def a_laptop(tmp_path: Path, monkeypatch, reread_settings, node_tag: str, name: str) -> Path:
    """Empty caches, no mirror, no seed folders, the node image not in Docker; its K8SLAB_HOME."""
    assert docker("rmi", node_tag).returncode == 0
    laptop = tmp_path / "laptop-home"
    monkeypatch.setenv("K8SLAB_HOME", str(laptop))
    for var in ("K8SLAB_MIRRORS", "K8SLAB_IMAGES", "K8SLAB_ROOK_FROM_DIR", "K8SLAB_DASHBOARD_FROM_DIR",
                "K8SLAB_KUBECONFIG", "K8SLAB_PROVIDER"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("K8SLAB_CLUSTER", name)
    monkeypatch.setenv("K8SLAB_WORKERS", "0")  # a laptop's single node is enough for chapter 02
    require_free_ports(PORTS)
    monkeypatch.setattr(kindconfig, "NODE_PORTS", PORTS)
    reread_settings()  # the laptop's settings; the kit's current cluster comes back afterwards
    return laptop


def a_tampered_copy_is_refused(bundle: Path, node_tag: str, name: str, laptop: Path) -> None:
    """Before anything is loaded (the node image comes first in the file)."""
    tampered = bundle.with_name("tampered.tar")
    shutil.copyfile(bundle, tampered)
    with tarfile.open(tampered) as t:
        member = t.getmember(archive.member_name("busybox:1.36"))
    with open(tampered, "r+b") as f:
        f.seek(member.offset_data + member.size // 2)
        byte = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([byte[0] ^ 0xFF]))
    refused = subprocess.run([sys.executable, "-m", "k8slab.ui.cli", "bundle", "load", str(tampered)],
                             capture_output=True, text=True)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines()[-1] == (
        f"error: bundle {tampered} is damaged: images/busybox_1.36.tar does not match its checksum "
        "(copy it again from the teacher)")
    assert docker("image", "inspect", node_tag).returncode, "Docker did not get the node image"
    assert not engine.kind_nodes(name), "no cluster was made"
    assert not (laptop / "cache").exists(), "nothing went into the cache"


def loaded_twice(made: Made, name: str, laptop: Path) -> tuple[float, float]:
    """The real bundle onto a new cluster, then again (loading again is fine); the seconds each took."""
    from k8slab.lessons.bundling import load

    lines, before = [], []
    node = f"{name}-control-plane"

    def progress(line: str) -> None:
        lines.append(line)
        if line.startswith(f"[2/{len(made.wanted)}] "):  # the new node, with only busybox:1.36 loaded yet
            before.append(node_images(node))

    started = time.monotonic()
    load(made.bundle, settings=config.load(), progress=progress)
    load_s = time.monotonic() - started
    assert lines[1] == f"checked: {len(made.index.members)} members match their sha256 and size"
    assert f"creating the kind cluster {name!r} (a few minutes the first time)" in lines
    assert docker("image", "inspect", made.index.node_image).returncode == 0
    assert "docker.io/library/busybox:1.36" in before[0]
    assert not [w.name for w in made.wanted[2:] if references.normalize(w.name) in before[0]], "the new node had none of them"
    listed = node_images(node)
    for image in ("docker.io/library/busybox", "docker.io/library/nginx", "quay.io/ceph/ceph", "docker.io/kubernetesui/dashboard"):
        assert image in listed, listed
    # offline: the cache answers
    rook_files = fetching.fetch(contents.pinned_files()[0], base_url="http://127.0.0.1:9/", cache=config.load().cache)
    assert "images.txt" in rook_files and rook_files["crds.yaml"].is_relative_to(laptop / "cache")
    print("\n" + made.stderr + "\n".join(lines))
    lines.clear()
    started = time.monotonic()
    load(made.bundle, settings=config.load(), progress=lines.append)
    again_s = time.monotonic() - started
    assert f"reusing the kind cluster {name!r}" in lines
    return load_s, again_s


def loaded_into_a_classroom_registry(bundle: Path, tmp_path: Path) -> None:
    """The classroom registry instead of the nodes: the images under their own paths, as a mirror serves them."""
    from k8slab.lessons.bundling import load

    (tmp_path / "classroom").mkdir()
    registry = Registry(tmp_path / "classroom")
    try:
        load(bundle, registry=f"127.0.0.1:{registry.port}", settings=config.load(), progress=quiet)
        for path in ("library/busybox/manifests/1.36", "ceph/ceph/manifests/v20.2.4", "kubernetesui/dashboard/manifests/v2.7.0"):
            assert f" /v2/{path} " in registry.log.read_text(), path
    finally:
        registry.stop()


def chapter_02_runs_offline(monkeypatch, laptop: Path, name: str) -> float:
    """Chapter 02 on the spare cluster, by the guide's own image names, with no registry anywhere; its seconds."""
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("KUBECONFIG", str(laptop / f"{name}.kubeconfig"))
    monkeypatch.setenv("K8SLAB_RUN_SOLUTIONS", "1")  # its exercises' reference answers run, as in CI
    nb = nbformat.read(CHAPTER, as_version=4)
    started = time.monotonic()
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(CHAPTER.parent)}}).execute()
    seconds = time.monotonic() - started
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not any("image override" in (o.get("text") or "") for o in outputs)
    return seconds
