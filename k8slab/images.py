"""Container images the guide's way: build, look at the layers, run, share, hand to a cluster.

The only module that imports `docker` (the Docker SDK for Python). It talks to whatever
DOCKER_HOST names: Docker Engine, Docker Desktop, or Podman through its Docker-compatible
socket (`systemctl --user start podman.socket`, then
DOCKER_HOST=unix://$XDG_RUNTIME_DIR/podman/podman.sock). Every SDK error leaves this module
as a one-line k8slab error. The image override map (Settings.images, K8SLAB_IMAGES) applies
to build bases, `run_local` and `push`, and every override applied is printed.
"""

from __future__ import annotations

import io
import os
import re
import socket
import threading
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping

import docker
import requests
import urllib3

from . import dockerfile, layers as layer_records, references, session
from .errors import DockerUnavailable, ImageError, K8sLabError
from .layers import BuildStep, Layer, StepTracker, human

Progress = Callable[[str], None]

HELLO = Path(__file__).resolve().parent.parent / "assets" / "hello"
"""The guide's hello-world image: app.js and its three-line Dockerfile (FROM node:7)."""

LARGE_CONTEXT = 50_000_000
NODE7_NOTE = ("note: node:7 is the guide's base; Node.js 7 is end-of-life since 2017: for real work pick the current LTS "
              "(an even major version, see nodejs.org/en/about/previous-releases), e.g. build(base='node:22')")
READY_LOG = r"listening|start worker process"  # the hello app's line; the nginx stand-in's (at notice level)

_clients: dict[str, docker.DockerClient] = {}


# -- the engine and its errors ----------------------------------------------------

def docker_host() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock (the default socket)"


def unavailable() -> DockerUnavailable:
    return DockerUnavailable(
        f"Docker does not answer at {docker_host()}",
        "start Docker Desktop / `sudo systemctl start docker` / Podman: `systemctl --user start podman.socket` and set DOCKER_HOST",
    )


@contextmanager
def translating(what: str):
    """Run SDK calls; anything they raise comes out as a one-line k8slab error about `what`."""
    try:
        yield
    except K8sLabError:
        raise
    except docker.errors.NotFound as e:
        raise ImageError(f"{what}: {_explanation(e)}", "`docker images` lists the images Docker has") from e
    except docker.errors.APIError as e:
        raise ImageError(f"{what}: {_explanation(e)}") from e
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout, ConnectionError, FileNotFoundError) as e:
        raise unavailable() from e
    except (urllib3.exceptions.HTTPError, requests.exceptions.RequestException) as e:  # a stream cut off midway
        raise DockerUnavailable(f"{what}: the connection to Docker at {docker_host()} broke off",
                                "is Docker still running? `k8slab doctor` checks") from e
    except docker.errors.DockerException as e:
        if "fetching server API version" in str(e) or isinstance(e.__context__, requests.exceptions.RequestException):
            raise unavailable() from e
        raise ImageError(f"{what}: {e}") from e


def _explanation(e: docker.errors.APIError) -> str:
    text = " ".join(str(e.explanation if isinstance(e.explanation, str) and e.explanation else e).split())
    parts = text.split(": ")  # the daemon often says it twice: "no such image: x: No such image: x"
    half = len(parts) // 2
    if len(parts) % 2 == 0 and [p.lower() for p in parts[:half]] == [p.lower() for p in parts[half:]]:
        text = ": ".join(parts[:half])
    return text


def client() -> docker.DockerClient:
    """The SDK client for the current DOCKER_HOST (one per address, made on first use)."""
    key = os.environ.get("DOCKER_HOST", "")
    if key not in _clients:
        with translating("connecting to Docker"):
            _clients[key] = docker.from_env(timeout=120)
    return _clients[key]


def _api():
    return client().api


def ping() -> str:
    """The engine's name and version, or DockerUnavailable (for `k8slab doctor`)."""
    with translating("asking Docker its version"):
        info = client().version()
    name = (info.get("Platform") or {}).get("Name") or "Docker Engine"
    return f"{name} {info.get('Version', '?')} answers at {docker_host().split(' ')[0]}"


def node_exec(container: str, argv: list[str]) -> tuple[int, str]:
    """Run a command in a running container, such as a kind node (`docker exec`)."""
    with translating(f"running {argv[0]} in container {container}"):
        code, out = client().containers.get(container).exec_run(argv, demux=False)
    return code, (out or b"").decode(errors="replace")


# -- the override map -------------------------------------------------------------

def resolve(image: str, overrides: Mapping[str, str] | None = None, say: Progress = print) -> str:
    """The image to use in place of `image` by the override map, saying so when there is one."""
    new = references.override(image, session.settings().images if overrides is None else overrides)
    if new:
        say(f"image override: {image} -> {new}")
        return new
    return image


def _printed(progress: Progress) -> Progress:
    """`progress`, and print too: an override is always printed, even when a widget shows the build."""
    if progress is print:
        return print

    def both(line: str) -> None:
        print(line)
        progress(line)
    return both


# -- build ------------------------------------------------------------------------

@dataclass
class Build:
    """What `build` made: the tag, the id, each step (cached or not) and the context it sent."""

    image: str
    id: str
    base: str
    dockerfile: str  # the text the daemon built (FROM rewritten if the base was)
    context_size: int
    steps: list[BuildStep] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    @property
    def short_id(self) -> str:
        return self.id.split(":")[-1][:12]

    def layers(self) -> list[Layer]:
        return layers(self.image, self.dockerfile, self.base)

    def cache_summary(self) -> str:
        return layer_records.steps_summary(self.steps)

    def __str__(self) -> str:  # no id: stable in saved outputs
        cached = sum(s.from_cache for s in self.steps)
        return f"built {self.image} from {self.base}: {len(self.steps)} steps, {cached} from the cache"


def build(
    path: str | Path = HELLO,
    tag: str = "hello",
    base: str | None = None,
    progress: Progress = print,
    nocache: bool = False,
    overrides: Mapping[str, str] | None = None,
) -> Build:
    """Build the image in `path` (the guide's hello app by default), streaming the builder's lines to `progress`.

    `base` replaces the Dockerfile's FROM image; the default keeps it (node:7 for the hello app,
    as in the guide). Node 7 is long end-of-life (2017): for real work pick the current LTS,
    an even major version listed at nodejs.org/en/about/previous-releases, e.g. base="node:22".
    The Dockerfile on disk is never changed: a different base is sent as a small in-memory
    context (the rewritten Dockerfile plus the folder's files), which also shows the guide's
    point that the whole folder goes to the daemon, so keep it small.
    """
    root = Path(path).expanduser()
    file = root / "Dockerfile"
    if not root.is_dir():
        raise ImageError(f"no build folder {root}", "pass the folder that holds the Dockerfile and the app")
    if not file.is_file():
        raise ImageError(f"no Dockerfile in {root}", "write one there (see assets/hello/Dockerfile: FROM, ADD, ENTRYPOINT)")
    text = file.read_text(encoding="utf-8")
    instructions = dockerfile.parse(text, source=str(file))
    wanted = dockerfile.bases(instructions)
    replace = {wanted[-1]: base} if base and wanted and base != wanted[-1] else {}
    if replace:
        progress(f"base: {wanted[-1]} -> {base} (the Dockerfile itself is not changed)")
    for image in wanted:
        chosen = resolve(replace.get(image, image), overrides, say=_printed(progress))
        if chosen != image:
            replace[image] = chosen
        if references.normalize(chosen) == "docker.io/library/node:7":
            progress(NODE7_NOTE)
        ensure_base(chosen, progress)
    sent = dockerfile.rewrite_from(text, replace) if replace else text
    context = _context(root, sent, progress)
    tracker = StepTracker(instructions)
    image_id, lines = _run_build(context, tag, nocache, tracker, progress)
    full_tag = tag if ":" in tag.rsplit("/", 1)[-1] else f"{tag}:latest"
    final_base = replace.get(wanted[-1], wanted[-1]) if wanted else "scratch"
    return Build(full_tag, image_id, final_base, sent, len(context), tracker.steps, lines)


def ensure_base(image: str, progress: Progress = print) -> None:
    """Pull a base image unless Docker has it; a failed pull says what to do instead."""
    api = _api()
    with translating(f"looking up {image}"):
        try:
            api.inspect_image(image)
            return
        except docker.errors.ImageNotFound:
            pass
    progress(f"pulling the base image {image}")
    what = f"pulling {image}"
    try:
        _stream(lambda: api.pull(image, stream=True, decode=True), progress, what)
    except ImageError as e:
        cause = e.message[len(what) + 2:] if e.message.startswith(what + ": ") else e.message
        if "schema 1" in cause or "schema1" in cause or "v1 and Docker Image manifest" in cause:
            cause = f"its registry serves it in the old schema-1 manifest format, which current Docker refuses ({cause})"
        raise ImageError(
            f"cannot pull the base image {image}: {cause}",
            f"set an override (K8SLAB_IMAGES='{image}=<an image you have>' or `images:` in the settings file) "
            "or pick another base (build(base=...)); `docker images` lists what you have",
        ) from e


def _context(root: Path, text: str, progress: Progress) -> bytes:
    files = docker.utils.build.exclude_paths(str(root), dockerfile.ignore_patterns(root), dockerfile="Dockerfile")
    context = dockerfile.context_tar(root, files, {"Dockerfile": text})
    count = sum(1 for f in files if (root / f).is_file())
    progress(f"sending build context to Docker daemon: {count} files, {human(len(context))}")
    if len(context) > LARGE_CONTEXT:
        progress(f"note: the context is {human(len(context))}: keep only what the image needs in {root} "
                 "(or list the rest in .dockerignore)")
    return context


def _run_build(context: bytes, tag: str, nocache: bool, tracker: StepTracker, progress: Progress) -> tuple[str, list[str]]:
    api = _api()
    previous = _image_id(tag)
    lines: list[str] = []

    def feed(line: str) -> None:
        lines.append(line)
        tracker.feed(line)
        progress(line)

    aux = _stream(
        lambda: api.build(fileobj=io.BytesIO(context), custom_context=True, tag=tag, rm=True, forcerm=True,
                          nocache=nocache, pull=False, decode=True),
        feed, f"building {tag}", "the step's output above says why; fix it and build again",
    )
    image_id = (aux or {}).get("ID") or _image_id(tag)
    if not image_id:
        raise ImageError(f"building {tag}: Docker reported no image", "see the output above")
    if previous and previous != image_id:
        _drop_if_untagged(previous)
    return image_id, lines


def _answers() -> bool:
    """Whether the engine answers a ping within a few seconds (the SDK's own ping waits up to 120 s)."""
    api = _api()
    try:
        return api.get(f"{api.base_url}/_ping", timeout=5).ok
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError):
        return False


def _stream(start: Callable[[], Iterable[dict]], progress: Progress, what: str, hint: str | None = None) -> dict | None:
    """Start a decoded JSON stream (build, pull, push) and relay it; an error in it becomes an ImageError.

    When the engine stops midway, the stream breaks off, or ends with an error the stopping engine
    made up (the build step it killed, a lost network sandbox): then the error says the engine stopped.
    """
    try:
        return _relay(start, progress, what, hint)
    except K8sLabError as e:
        if _answers():
            raise
        raise DockerUnavailable(f"{what}: the Docker engine at {docker_host()} stopped before it finished",
                                "start Docker again, e.g. `sudo systemctl start docker` or Docker Desktop, then run it again") from e


def _relay(start: Callable[[], Iterable[dict]], progress: Progress, what: str, hint: str | None = None) -> dict | None:
    aux, partial, last_status = None, "", None
    try:
        with translating(what):
            for chunk in start():
                if chunk.get("error"):
                    raise ImageError(f"{what}: {chunk.get('errorDetail', {}).get('message') or chunk['error']}", hint)
                aux = chunk.get("aux") or aux
                partial += chunk.get("stream", "")
                *done, partial = partial.split("\n")
                for line in filter(str.strip, done):
                    progress(line.rstrip())
                status = chunk.get("status")
                if status and not chunk.get("progressDetail", {}).get("total"):
                    line = f"{chunk['id']}: {status}" if chunk.get("id") else status
                    if line != last_status:
                        progress(line)
                    last_status = line
    except ImageError as e:
        if e.hint or not hint:
            raise
        raise ImageError(e.message, hint) from e
    if partial.strip():
        progress(partial.rstrip())
    return aux


def _image_id(image: str) -> str | None:
    with translating(f"looking up {image}"):
        try:
            return _api().inspect_image(image)["Id"]
        except docker.errors.ImageNotFound:
            return None


def _drop_if_untagged(image_id: str) -> None:
    """Remove the image a rebuild replaced once it has no tag left (Docker would keep it dangling)."""
    with translating("cleaning up the replaced image"):
        try:
            if not _api().inspect_image(image_id).get("RepoTags"):
                _api().remove_image(image_id)
        except docker.errors.APIError:
            pass  # still used by a container or a child image: keep it


# -- layers -----------------------------------------------------------------------

def layers(image: str, dockerfile_text: str | Path | None = None, base: str | None = None) -> list[Layer]:
    """The image's layers, oldest first: size, instruction, Dockerfile line, shared with the base or not.

    `base` defaults to the nearest tagged image in the history (the FROM image, as built here);
    `dockerfile_text` (text or a path) gives the lines.
    """
    with translating(f"reading the history of {image}"):
        history = _api().history(image)
        base = base or _base_of(history)
        base_entries = len(_api().history(base)) if base else 0
    instructions = None
    if dockerfile_text is not None:
        is_path = isinstance(dockerfile_text, Path) or ("\n" not in dockerfile_text and Path(dockerfile_text).is_file())
        text = Path(dockerfile_text).read_text(encoding="utf-8") if is_path else str(dockerfile_text)
        instructions = dockerfile.parse(text)
    return layer_records.from_history(history, base_entries, instructions)


def _base_of(history: list[dict]) -> str | None:
    top = history[0].get("Id") if history else None
    for entry in history[1:]:
        tags = [t for t in entry.get("Tags") or [] if t != "<none>:<none>"]
        if tags and entry.get("Id") != top:
            return tags[0]
    return None


def base_image(image: str) -> str | None:
    """The tagged image `image` was built FROM (the nearest tagged one in its history)."""
    with translating(f"reading the history of {image}"):
        return _base_of(_api().history(image))


def layers_summary(image: str, dockerfile_text: str | Path | None = None, base: str | None = None) -> str:
    """`layers(...)` as a text table (no ids or dates, so saved outputs stay comparable)."""
    base = base or base_image(image)
    return layer_records.summary(layers(image, dockerfile_text, base), image, base)


# -- run it locally ---------------------------------------------------------------

@dataclass
class Running:
    """A container started by `run_local`; `stop()` stops and removes it (also on leaving a `with`)."""

    image: str
    container_id: str
    name: str
    port: int
    _last_logs: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def get(self, path: str = "/", timeout: float = 10) -> str:
        """An HTTP GET to the container through the mapped port, as `curl` would."""
        url = self.url + path.lstrip("/")
        try:
            with urllib.request.urlopen(url, timeout=timeout) as reply:
                return reply.read().decode()
        except OSError as e:
            raise ImageError(f"{url} does not answer: {e}",
                             f"the container's logs say why: {self.logs().strip()[-200:] or '(empty)'}") from e

    def wait_for_log(self, pattern: str, timeout: float = 10) -> str:
        """Follow the log until the regex `pattern` matches, then return the log: a server may write
        a request's line only after it has answered (nginx's access log)."""
        with translating(f"reading the logs of {self.name}"):
            _wait_for_log(self, pattern, timeout, "did the request reach it? `get()` it first, or wait longer")
        return self.logs()

    def logs(self) -> str:
        with translating(f"reading the logs of {self.name}"):
            try:
                self._last_logs = _api().logs(self.container_id).decode(errors="replace")
            except docker.errors.NotFound:
                pass  # stopped and removed: the logs read last
        return self._last_logs

    def stop(self) -> None:
        """Stop and remove the container; safe to call again."""
        self.logs()
        with translating(f"removing {self.name}"):
            try:
                _api().remove_container(self.container_id, force=True)
            except docker.errors.NotFound:
                pass

    def __enter__(self) -> "Running":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<Running {self.image} as {self.name} at {self.url}>"


def run_local(
    image: str = "hello",
    host_port: int | None = None,
    container_port: int = 8080,
    ready_log: str | None = READY_LOG,
    timeout: float = 30,
    overrides: Mapping[str, str] | None = None,
) -> Running:
    """Run `image` with `container_port` published on 127.0.0.1 (`host_port`, or a free one).

    Waits until the container's log matches the regex `ready_log` (the hello app logs
    "listening"); with ready_log=None it does not wait (for an image that logs nothing on start).
    """
    image = resolve(image, overrides)
    if host_port is not None:
        _check_port_free(host_port)
    api = _api()
    name = f"k8slab-run-{os.urandom(4).hex()}"
    with translating(f"running {image}"):
        if _image_id(image) is None:
            raise ImageError(f"no image {image} in Docker", "build it first (`build()`), or pull it")
        config_ = api.create_host_config(port_bindings={container_port: ("127.0.0.1", host_port)})
        created = api.create_container(image, name=name, ports=[container_port], host_config=config_, labels={"k8slab": "run"})
        running = Running(image, created["Id"], name, host_port or 0)
        try:
            api.start(created["Id"])
            ports = api.inspect_container(created["Id"])["NetworkSettings"].get("Ports") or {}
            bound = ports.get(f"{container_port}/tcp") or [{"HostPort": host_port or 0}]
            running.port = int(bound[0]["HostPort"])
            if ready_log:
                _wait_for_log(running, ready_log, timeout)
        except BaseException as e:
            running.stop()
            if isinstance(e, docker.errors.APIError) and ("already allocated" in str(e) or "address already in use" in str(e)):
                raise port_in_use(host_port) from e
            raise
    return running


def port_free(port: int) -> bool:
    """Whether a program of this machine could listen on 127.0.0.1:port now."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _check_port_free(port: int) -> None:
    if not port_free(port):
        raise port_in_use(port)


def port_in_use(port: int | None) -> ImageError:
    return ImageError(f"host port {port} is already in use", "pick another host_port, or leave it out for a free one")


def _wait_for_log(running: Running, text: str, timeout: float,
                  hint: str = "pass ready_log=None for an image that logs nothing on start") -> None:
    """Follow the container's log until the regex `text` matches; the stream is cut at the deadline."""
    stream = _api().logs(running.container_id, stream=True, follow=True)
    timer = threading.Timer(timeout, stream.close)
    timer.start()
    try:
        seen = ""
        for chunk in stream:
            seen += chunk.decode(errors="replace")
            if re.search(text, seen, re.IGNORECASE):
                return
    finally:
        timer.cancel()
        stream.close()
    state = _api().inspect_container(running.container_id)["State"]
    last = (running.logs().strip().splitlines() or ["(no output)"])[-1]
    if not state.get("Running"):
        raise ImageError(f"{running.image} exited with code {state.get('ExitCode')}: {last}",
                         "fix the app or its ENTRYPOINT and build again")
    raise ImageError(f"{running.image} did not log {text!r} within {timeout:g}s (last line: {last})", hint)


# -- share it ---------------------------------------------------------------------

def push(image: str, registry: str | None = None, progress: Progress = print, overrides: Mapping[str, str] | None = None) -> str:
    """Push `image` to `registry` (host:port); returns the pushed reference BY DIGEST.

    On a learner's machine a local registry is one container:
    `docker run -d -p 5000:5000 --name registry registry:2`, then push(image, "localhost:5000").
    """
    image = resolve(image, overrides, say=_printed(progress))
    registry = registry or session.settings().registry
    if not registry:
        raise ImageError(f"no registry to push {image} to",
                         "start one (`docker run -d -p 5000:5000 registry:2`) and pass registry='localhost:5000'")
    _, path, tag, _ = references.split_ref(image)
    target = f"{registry}/{path}"
    api = _api()
    with translating(f"tagging {image} for {registry}"):
        api.tag(image, target, tag or "latest")
    try:
        progress(f"pushing {target}:{tag or 'latest'}")
        aux = _stream(lambda: api.push(target, tag or "latest", stream=True, decode=True), progress, f"pushing {image} to {registry}",
                      f"is a registry running at {registry}? (`docker run -d -p 5000:5000 registry:2`)")
    finally:
        with translating(f"untagging {target}"):
            api.remove_image(f"{target}:{tag or 'latest'}")  # the image keeps its own tag
    digest = (aux or {}).get("Digest")
    if not digest:
        raise ImageError(f"pushing {image} to {registry}: the registry reported no digest")
    return f"{target}@{digest}"


def pull(ref: str, progress: Progress = print, overrides: Mapping[str, str] | None = None) -> str:
    """Pull `ref` (by tag or by digest: `host:port/hello@sha256:...`); returns the image id."""
    ref = resolve(ref, overrides, say=_printed(progress))
    _stream(lambda: _api().pull(ref, stream=True, decode=True), progress, f"pulling {ref}",
            "check the name, and that the registry is running and reachable")
    image_id = _image_id(ref)
    if not image_id:
        raise ImageError(f"pulling {ref}: Docker has no such image afterwards")
    return image_id


# -- hand it to a cluster -----------------------------------------------------------

def export(image: str) -> Iterator[bytes]:
    """The image as a `docker save` tar stream (what `ctr images import -` and `kind load` read)."""
    api = _api()
    with translating(f"exporting {image}"):
        api.inspect_image(image)
        chunks = api.get_image(image, chunk_size=1 << 20)

    def relay() -> Iterator[bytes]:
        with translating(f"exporting {image}"):
            yield from chunks

    return relay()


def content_tag(image: str) -> str:
    """Tag `image` by its content (`hello:<short image id>`) and return that tag.

    Why: a pod whose image is `hello:latest` (or untagged) gets imagePullPolicy Always, so
    the kubelet tries Docker Hub even though the image was loaded into the node, and the pod
    fails with ErrImagePull (kind issue 328). A tag named by the content is not `latest`, and
    it changes whenever the image does, so a Deployment updated to it really rolls out.
    """
    with translating(f"tagging {image} by its content"):
        image_id = _api().inspect_image(image)["Id"]
        registry, path, _, _ = references.split_ref(image)
        repo = f"{registry}/{path}" if registry else path
        if re.fullmatch(r"(sha256:)?[0-9a-f]{12,64}", image):
            repo = "image"  # given by id: there is no name to keep
        short = image_id.split(":")[-1][:12]
        _api().tag(image_id, repo, short)
    return f"{repo}:{short}"


def remove(*images: str) -> None:
    """Remove images (tags or ids) from Docker; ones already gone are skipped."""
    with translating("removing images"):
        for image in images:
            try:
                _api().remove_image(image, force=True)
            except docker.errors.NotFound:
                pass


# -- archives (workshop bundles) ------------------------------------------------------

def image_id(image: str) -> str | None:
    """The image's id in Docker, or None when Docker does not have it."""
    return _image_id(image)


def save(image: str, dest: Path) -> int:
    """`docker save IMAGE -o DEST`; returns its size in bytes."""
    with open(dest, "wb") as out:
        for chunk in export(image):
            out.write(chunk)
    return dest.stat().st_size


def load(archive: Path) -> list[str]:
    """`docker load -i ARCHIVE` (a `docker save` tar); returns the names (or ids) it loaded."""
    loaded = []
    with open(archive, "rb") as f, translating(f"loading {archive.name} into Docker"):
        for chunk in _api().load_image(f):
            error = chunk.get("error") or ("stream" not in chunk and "status" not in chunk and chunk.get("message"))
            if error:
                raise ImageError(f"loading {archive.name} into Docker: {error}")
            text = chunk.get("stream", "")
            for prefix in ("Loaded image: ", "Loaded image ID: "):
                if text.startswith(prefix):
                    loaded.append(text[len(prefix):].strip())
    return loaded
