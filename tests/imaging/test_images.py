"""The guide's image chapter against the REAL Docker engine: build, layers, cache, run, share, load.

No public image can be pulled here: the bases are local stand-ins made by
tests/images/build-base-images (k8slab.local/node:18 for node:7, k8slab.local/busybox:1),
and the override map sends node:7 to the stand-in, as a learner offline would. The registry
is Debian's `docker-registry` binary (the distribution v2 registry that the `registry:2`
image runs) on 127.0.0.1, started per test and stopped after.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tarfile
import tempfile
import urllib.request
import uuid
from pathlib import Path

import pytest

from k8slab import imaging as images
from k8slab.core import references
from k8slab.core.errors import DockerUnavailable, ImageError
from k8slab.imaging import dockerfile, records as layers
from k8slab.ui.widgets.build import BuildProgress
from k8slab.ui.widgets.layers import LayerView

from ..needs import free_port, require

REPO = Path(__file__).resolve().parents[2]
HELLO = REPO / "assets" / "hello"
NODE = "k8slab.local/node:18"
BUSYBOX = "k8slab.local/busybox:1"
OVERRIDES = {"node:7": NODE}


def one_line(err: Exception) -> str:
    text = str(err)
    assert "\n" not in text and text.strip() == text and text, repr(text)
    return text


# -- fixtures ---------------------------------------------------------------------

@pytest.fixture
def tag(engine):
    """A unique repository name; every image of it (any tag) and its containers are removed after."""
    name = f"k8slab-test-{uuid.uuid4().hex[:8]}"
    yield name
    for c in engine.containers.list(all=True, filters={"ancestor": name}):
        c.remove(force=True)
    for image in engine.images.list():
        for t in image.tags:
            if t.split("/")[-1].split(":")[0] == name:
                images.remove(t)


@pytest.fixture
def hello_copy(tmp_path) -> Path:
    dest = tmp_path / "hello"
    shutil.copytree(HELLO, dest)
    return dest


@pytest.fixture
def registry(tmp_path):
    """Debian's docker-registry on 127.0.0.1:<free port>, with its storage in tmp; stopped after."""
    binary = shutil.which("docker-registry") or "/usr/bin/docker-registry"
    if not Path(binary).exists():
        require("docker-registry", "apt-get install docker-registry")
    port = free_port()
    config = tmp_path / "registry.yml"
    config.write_text(
        "version: 0.1\nlog: {level: warn}\n"
        f"storage: {{filesystem: {{rootdirectory: {tmp_path / 'registry-data'}}}}}\n"
        f"http: {{addr: '127.0.0.1:{port}', secret: test-only}}\n"
    )
    log = open(tmp_path / "registry.log", "wb")
    proc = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)
    address = f"127.0.0.1:{port}"
    try:
        _wait_http(f"http://{address}/v2/", proc)
        yield address
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def _wait_http(url: str, proc: subprocess.Popen, timeout: float = 20) -> None:
    """Until `url` answers (a test helper: the registry gives no other sign that it listens)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"docker-registry exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"{url} did not answer in {timeout}s")


def same_image(a: str | None, b: str) -> bool:
    """The same image (another test may have given the base a second tag)."""
    return a is not None and images.client().images.get(a).id == images.client().images.get(b).id


def build_hello(tag: str, path: Path = HELLO, lines: list | None = None, **kw) -> images.Build:
    kw.setdefault("overrides", OVERRIDES)
    return images.build(path, tag=tag, progress=(lines.append if lines is not None else lambda _: None), **kw)


# -- pure: Dockerfiles, references, history and build output ------------------------

def test_guide_dockerfile_parses_as_the_guide_wrote_it():
    got = dockerfile.parse((HELLO / "Dockerfile").read_text())
    assert [(i.line, str(i)) for i in got] == [
        (2, "FROM node:7"), (4, "ADD app.js /app.js"), (6, 'ENTRYPOINT ["node", "app.js"]'),
    ]
    assert dockerfile.bases(got) == ["node:7"]


def test_parse_continuations_stages_and_rewrite_keeps_lines():
    text = "ARG V=1\nFROM k8slab.local/node:18 AS build\nRUN echo a \\\n  # inside\n  && echo b\nFROM scratch\nCOPY --from=build /a /a\n"
    got = dockerfile.parse(text)
    assert [(i.line, i.keyword) for i in got] == [(1, "ARG"), (2, "FROM"), (3, "RUN"), (6, "FROM"), (7, "COPY")]
    assert got[2].args == "echo a && echo b"
    assert dockerfile.bases(got) == ["k8slab.local/node:18"]
    new = dockerfile.rewrite_from(text, {"k8slab.local/node:18": "node:22"})
    assert new.splitlines()[1] == "FROM node:22 AS build"
    assert len(new.splitlines()) == len(text.splitlines())


@pytest.mark.parametrize("text, names", [
    ("FROM node:7\nADDD app.js /app.js\n", ["line 2", "'ADDD'"]),
    ("FROM node:7 # the base\n", ["line 1", "own line"]),
    ("ADD app.js /app.js\n", ["line 1", "FROM"]),
    ("# only a comment\n", ["no instructions"]),
])
def test_bad_dockerfiles_are_one_line_errors(text, names):
    with pytest.raises(ImageError) as e:
        dockerfile.parse(text, source="Dockerfile")
    msg = one_line(e.value)
    assert all(n in msg for n in names), msg


def test_references_normalize_like_docker():
    assert references.normalize("node:7") == "docker.io/library/node:7"
    assert references.normalize("docker.io/library/node:7") == "docker.io/library/node:7"
    assert references.normalize("node") == "docker.io/library/node:latest"
    assert references.split_ref("127.0.0.1:5000/hello@sha256:ab") == ("127.0.0.1:5000", "hello", None, "sha256:ab")
    assert references.split_ref("k8slab.local/node:18") == ("k8slab.local", "node", "18", None)
    assert references.split_ref("localhost:5000/a/b") == ("localhost:5000", "a/b", None, None)


def test_overrides_are_printed(capsys):
    assert images.resolve("node:7", {"docker.io/library/node:7": NODE}) == NODE
    assert images.resolve("nginx:1.17.0", {"node:7": NODE}) == "nginx:1.17.0"
    assert capsys.readouterr().out == f"image override: node:7 -> {NODE}\n"


def test_steps_from_docker_and_podman_output():
    docker_out = ["Step 1/3 : FROM k8slab.local/node:18", " ---> 5d0995e40f13", "Step 2/3 : ADD app.js /app.js",
                  " ---> Using cache", " ---> 9911308b99ae", "Step 3/3 : ENTRYPOINT [\"node\", \"app.js\"]",
                  " ---> Running in 905f3e9a6461", "Removing intermediate container 905f3e9a6461", " ---> d5e5337e475a"]
    podman_out = ["STEP 1/3: FROM k8slab.local/node:18", "STEP 2/3: ADD app.js /app.js", "--> Using cache 9911308b99ae",
                  "--> 9911308b99ae", "STEP 3/3: ENTRYPOINT [\"node\", \"app.js\"]", "--> d5e5337e475a"]
    for out in (docker_out, podman_out):
        t = layers.StepTracker(dockerfile.parse((HELLO / "Dockerfile").read_text()))
        for line in out:
            t.feed(line)
        assert [(s.number, s.line, s.from_cache) for s in t.steps] == [(1, 2, True), (2, 4, True), (3, 6, False)]
        assert t.steps[-1].id == "d5e5337e475a"


def test_history_pairs_with_dockerfile_lines():
    history = [  # newest first, as the engine answers
        {"Id": "sha256:c", "CreatedBy": '/bin/sh -c #(nop)  ENTRYPOINT ["node" "app.js"]', "Size": 0},
        {"Id": "sha256:b", "CreatedBy": "/bin/sh -c #(nop) ADD file:ab12 in /app.js ", "Size": 612},
        {"Id": "sha256:a", "CreatedBy": "", "Comment": "Imported from -", "Size": 215_300_000, "Tags": [NODE]},
    ]
    got = layers.from_history(history, 1, dockerfile.parse((HELLO / "Dockerfile").read_text()))
    assert [(x.index, x.line, x.shared, x.instruction, x.size) for x in got] == [
        (1, 2, True, "Imported from -", 215_300_000),
        (2, 4, False, "ADD app.js /app.js", 612),
        (3, 6, False, 'ENTRYPOINT ["node", "app.js"]', 0),
    ]
    assert layers.summary(got, "hello:latest", NODE) == (
        f"hello:latest: 3 layers, 215.3 MB; 1 from the base {NODE} (215.3 MB, shared), 2 of its own (612 B)\n"
        "  #      size  base  line  instruction\n"
        "  1  215.3 MB  yes   2     Imported from -\n"
        "  2     612 B  no    4     ADD app.js /app.js\n"
        '  3       0 B  no    6     ENTRYPOINT ["node", "app.js"]'
    )
    # a RUN recorded by the shell form, and an unpaired history: lines unknown, nothing invented
    assert layers.recorded_instruction("/bin/sh -c apt-get update") == "RUN apt-get update"
    assert [x.line for x in layers.from_history(history, 1, [])] == [None, None, None]


def test_layer_view_and_build_progress_without_docker():
    records = [layers.Layer(1, 2_000_000, "Imported from -", 1, True, ""), layers.Layer(2, 10, "ADD a /a", 2, False, "")]
    view = LayerView("x:1", base=BUSYBOX, records=records)
    assert view.summary() == layers.summary(records, "x:1", BUSYBOX)
    assert "<table" in view.view.value and "ADD a /a" in view.view.value
    view.show_base.value = False
    assert "Imported from" not in view.view.value and "1 layers of the base" in view.view.value
    bundle = view._repr_mimebundle_()
    assert bundle["text/plain"] == view.summary() and "<table" in bundle["text/html"]

    bp = BuildProgress()
    assert bp.summary() == "build: not started"
    bp("Step 1/2 : FROM k8slab.local/busybox:1")
    assert (bp.bar.value, bp.bar.max) == (0, 2)
    bp("Step 2/2 : ADD a /a")
    assert bp.bar.value == 1 and bp.summary() == "building: step 2/2: ADD a /a"
    bp.failed(ImageError("building x: boom"))
    assert bp.summary() == "build failed: building x: boom" and bp.bar.bar_style == "danger"


# -- build, layers and the cache on the real engine ----------------------------------

@pytest.mark.docker
def test_build_streams_progress_and_prints_the_override(bases, tag, capsys):
    lines: list[str] = []
    b = build_hello(tag, lines=lines)
    assert f"image override: node:7 -> {NODE}" in lines
    assert capsys.readouterr().out == f"image override: node:7 -> {NODE}\n", "printed even when progress goes elsewhere"
    assert any(x.startswith("sending build context to Docker daemon: 2 files") for x in lines)
    assert [x for x in lines if x.startswith("Step ")] == [
        f"Step 1/3 : FROM {NODE}", "Step 2/3 : ADD app.js /app.js", 'Step 3/3 : ENTRYPOINT ["node", "app.js"]']
    assert b.image == f"{tag}:latest" and b.base == NODE
    assert b.context_size < 20_000, "the context is the Dockerfile and app.js only"
    assert b.dockerfile.splitlines()[1] == f"FROM {NODE}"
    assert (HELLO / "Dockerfile").read_text().splitlines()[1] == "FROM node:7", "the file on disk is kept"
    assert images.client().images.get(b.image).id == b.id
    # the default progress is print: the CLI's output
    images.build(HELLO, tag=tag, overrides=OVERRIDES)
    out = capsys.readouterr().out
    assert f"image override: node:7 -> {NODE}\n" in out and "Successfully tagged" in out


@pytest.mark.docker
def test_layers_name_their_lines_and_the_shared_base(bases, tag):
    b = build_hello(tag)
    got = b.layers()
    base_layers = len(images.client().api.history(NODE))
    assert [x.shared for x in got] == [True] * base_layers + [False, False]
    assert [(x.line, x.instruction) for x in got[-2:]] == [(4, "ADD app.js /app.js"), (6, 'ENTRYPOINT ["node", "app.js"]')]
    assert got[-2].size == (HELLO / "app.js").stat().st_size and got[-1].size == 0
    assert all(x.line == 2 for x in got if x.shared), "the base's layers came from the FROM line"
    assert same_image(images.base_image(b.image), NODE)
    text = images.layers_summary(b.image, HELLO / "Dockerfile", b.base)
    assert text.splitlines()[0].startswith(f"{b.image}: {base_layers + 2} layers")
    assert "ADD app.js /app.js" in text and f"from the base {NODE}" in text
    view = LayerView.of(b)
    assert view.summary() == text
    assert "<table" in view.view.value


@pytest.mark.docker
def test_rebuild_after_a_one_line_change_uses_the_cache_up_to_add(bases, tag, hello_copy):
    first = build_hello(tag, hello_copy)
    again = build_hello(tag, hello_copy)
    assert [s.from_cache for s in again.steps] == [True, True, True] and again.id == first.id
    app = hello_copy / "app.js"
    app.write_text(app.read_text().replace("const port = 8080;", "const port = 8080;  // changed"))
    changed = build_hello(tag, hello_copy)
    assert [(s.line, s.from_cache) for s in changed.steps] == [(2, True), (4, False), (6, False)]
    assert changed.cache_summary().splitlines() == [
        "3 steps, 1 from the cache, 2 built",
        "  step  line  cache   instruction",
        f"  1/3   2     cached  FROM {NODE}",
        "  2/3   4     built   ADD app.js /app.js",
        '  3/3   6     built   ENTRYPOINT ["node", "app.js"]',
    ]
    assert changed.id != first.id
    assert first.id not in {i.id for i in images.client().images.list(all=True)}, "the replaced image is not left dangling"


@pytest.mark.docker
def test_another_base_is_sent_as_a_small_in_memory_context(bases, tag):
    bp = BuildProgress()
    b = bp.run(path=HELLO, tag=tag, base=BUSYBOX, overrides={})
    assert f"base: node:7 -> {BUSYBOX} (the Dockerfile itself is not changed)" in bp.lines
    assert b.base == BUSYBOX and same_image(images.base_image(b.image), BUSYBOX)
    assert (bp.bar.value, bp.bar.max, bp.bar.bar_style) == (3, 3, "success")
    assert bp.summary().splitlines()[0] == f"built {tag}:latest from {BUSYBOX}: 3 steps, 1 from the cache"
    assert (HELLO / "Dockerfile").read_text().splitlines()[1] == "FROM node:7"


# -- run it -------------------------------------------------------------------------

@pytest.mark.docker
def test_run_local_answers_and_logs_the_request(bases, tag):
    b = build_hello(tag)
    with images.run_local(b.image) as app:
        assert app.url == f"http://127.0.0.1:{app.port}/"
        answer = app.get()
        assert answer.startswith("You've hit ") and answer.endswith("\n")
        assert "Received request from" in app.wait_for_log("Received request from")
        cid = app.container_id
    assert not images.client().containers.list(all=True, filters={"id": cid}), "stopped AND removed"
    app.stop()  # again: nothing to do


@pytest.mark.docker
def test_run_the_nginx_stand_in_through_the_override_map(bases, capsys):
    with images.run_local("nginx:1.17.0", container_port=80, overrides={"nginx:1.17.0": "k8slab.local/nginx:1.17.0"}) as web:
        assert "<h1>Welcome to nginx!</h1>" in web.get()
        assert '"GET / HTTP/1.1" 200' in web.wait_for_log(r'"GET / HTTP/1\.1" 200')
        with pytest.raises(ImageError, match=r"did not log 'never' within 1s .*\(did the request reach it"):
            web.wait_for_log("never", timeout=1)
    assert capsys.readouterr().out == "image override: nginx:1.17.0 -> k8slab.local/nginx:1.17.0\n"


@pytest.mark.docker
def test_host_port_in_use_is_one_line_naming_the_port(bases, tag):
    b = build_hello(tag)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ImageError) as e:
            images.run_local(b.image, host_port=port)
    assert str(port) in one_line(e.value) and "already in use" in str(e.value)
    assert not images.client().containers.list(all=True, filters={"ancestor": b.image})


@pytest.mark.docker
def test_host_port_taken_by_another_container(bases, tag):
    b = build_hello(tag)
    with images.run_local(b.image) as first:
        with pytest.raises(ImageError) as e:
            images.run_local(b.image, host_port=first.port)
        assert f"host port {first.port} is already in use" in one_line(e.value)
        assert len(images.client().containers.list(all=True, filters={"ancestor": b.image})) == 1


# -- share it -----------------------------------------------------------------------

@pytest.mark.docker
def test_push_and_pull_back_by_digest(bases, tag, registry):
    b = build_hello(tag, base=BUSYBOX)  # the small base: the push is about the registry, not the app
    lines: list[str] = []
    ref = images.push(b.image, registry, progress=lines.append)
    assert ref.startswith(f"{registry}/{tag}@sha256:")
    assert any(x.startswith("latest: digest: sha256:") for x in lines)
    with urllib.request.urlopen(f"http://{registry}/v2/_catalog") as r:
        assert tag in json.load(r)["repositories"]
    assert not [t for i in images.client().images.list() for t in i.tags if t.startswith(registry)], "the registry tag is not left behind"
    images.remove(b.image)
    try:
        assert images.pull(ref, progress=lines.append) == b.id, "same content, same id"
    finally:
        images.remove(ref)


# -- hand it to a cluster -------------------------------------------------------------

@pytest.mark.docker
def test_content_tag_and_export(bases, tag):
    b = build_hello(tag, base=BUSYBOX)
    ref = images.content_tag(b.image)
    assert ref == f"{tag}:{b.short_id}"
    assert images.client().images.get(ref).id == b.id
    with tempfile.TemporaryFile() as f:
        for chunk in images.export(ref):
            f.write(chunk)
        f.seek(0)
        with tarfile.open(fileobj=f) as tar:
            manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest[0]["RepoTags"] == [ref]


# -- bad input: one line each -------------------------------------------------------

@pytest.mark.docker
def test_missing_dockerfile(engine, tmp_path):
    (tmp_path / "app.js").write_text("")
    with pytest.raises(ImageError) as e:
        images.build(tmp_path, tag="k8slab-never")
    assert f"no Dockerfile in {tmp_path}" in one_line(e.value)


@pytest.mark.docker
def test_unknown_instruction(engine, hello_copy):
    (hello_copy / "Dockerfile").write_text("FROM node:7\nADDD app.js /app.js\n")
    with pytest.raises(ImageError) as e:
        images.build(hello_copy, tag="k8slab-never", overrides=OVERRIDES, progress=lambda _: None)
    assert "line 2: unknown instruction 'ADDD'" in one_line(e.value)


@pytest.mark.docker
def test_docker_not_reachable(monkeypatch, tmp_path):
    dead = tmp_path / "dead.sock"
    monkeypatch.setenv("DOCKER_HOST", f"unix://{dead}")
    with pytest.raises(DockerUnavailable) as e:
        images.build(HELLO, tag="k8slab-never", overrides=OVERRIDES, progress=lambda _: None)
    msg = one_line(e.value)
    assert f"Docker does not answer at unix://{dead}" in msg and "podman.socket" in msg


@pytest.mark.docker
def test_base_image_that_cannot_be_pulled(engine, hello_copy):
    with pytest.raises(ImageError) as e:
        images.build(hello_copy, tag="k8slab-never", base="k8slab.local/nope:1", overrides={}, progress=lambda _: None)
    msg = one_line(e.value)
    assert msg.startswith("cannot pull the base image k8slab.local/nope:1: ")
    assert "k8slab.local" in msg.split(": ", 1)[1], "the cause is the engine's"
    assert "set an override" in msg and "another base" in msg


@pytest.mark.docker
def test_a_container_that_exits_at_once(bases):
    with pytest.raises(ImageError) as e:
        images.run_local(BUSYBOX, ready_log="never printed", overrides={})  # `sh` without a terminal ends
    assert one_line(e.value).startswith(f"{BUSYBOX} exited with code 0")
    assert not images.client().containers.list(all=True, filters={"label": "k8slab=run"})


@pytest.mark.docker
def test_running_a_missing_image(engine):
    with pytest.raises(ImageError) as e:
        images.run_local("k8slab-test-missing:1", overrides={})
    assert "no image k8slab-test-missing:1" in one_line(e.value)


# -- into the cluster ----------------------------------------------------------------

HELLO_K8S = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: hello}
spec:
  replicas: 3
  selector: {matchLabels: {app: hello}}
  template:
    metadata: {labels: {app: hello}}
    spec:
      containers:
      - name: hello
        image: IMAGE
        imagePullPolicy: IfNotPresent
        ports: [{containerPort: 8080, protocol: TCP}]  # protocol: 1.20 server-side apply needs it
        readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}  # Ready once it answers
---
apiVersion: v1
kind: Service
metadata: {name: hello}
spec:
  selector: {app: hello}
  ports: [{port: 80, targetPort: 8080, protocol: TCP}]
"""


@pytest.mark.docker
@pytest.mark.cluster
def test_deployment_of_the_image_answers_from_several_pods(bases, tag, namespace, kube):
    """Into the cluster the tests run on (the kit's kind cluster in CI), the provider's own way."""
    from k8slab.clusters import choosing as cluster
    from k8slab.kube import applying, inspecting, waiting
    from k8slab.manifests import loading as manifests

    cluster.up(progress=lambda _: None)
    b = build_hello(tag)
    ref = cluster.load_image(b.image)
    objs = manifests.load(HELLO_K8S.replace("IMAGE", ref))
    applying.apply(objs, namespace=namespace, kube=kube)
    waiting.wait_for_rollout("hello", namespace, timeout=180, kube=kube)
    pods = {p["metadata"]["name"] for p in applying.list_objects("Pod", namespace, selector="app=hello", kube=kube)}
    answers = [inspecting.call_service("hello", namespace, 80, "/", kube=kube) for _ in range(30)]
    hit = {a.strip().removeprefix("You've hit ") for a in answers}
    assert all(a.startswith("You've hit ") for a in answers)
    assert hit <= pods and len(hit) >= 2, (hit, pods)

