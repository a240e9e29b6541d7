"""`docker build` the guide's way: the hello app (FROM node:7), its base pulled or overridden, each
step streamed and tracked (cached or not), the context sent from memory."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import docker

from k8slab.core import references
from k8slab.core.errors import ImageError
from k8slab.core.tools import Progress
from k8slab.imaging import dockerfile, records
from k8slab.imaging.engine import image_id, printed, resolve, sdk, stream, translating
from k8slab.imaging.history import layers
from k8slab.imaging.records import BuildStep, Layer, StepTracker, human

HELLO = Path(__file__).resolve().parent.parent.parent / "assets" / "hello"
"""The guide's hello-world image: app.js and its three-line Dockerfile (FROM node:7)."""

LARGE_CONTEXT = 50_000_000
NODE7_NOTE = ("note: node:7 is the guide's base; Node.js 7 is end-of-life since 2017: for real work pick the current LTS "
              "(an even major version, see nodejs.org/en/about/previous-releases), e.g. build(base='node:22')")


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
        return records.steps_summary(self.steps)

    def __str__(self) -> str:  # no id: stable in saved outputs
        cached = sum(s.from_cache for s in self.steps)
        return f"built {self.image} from {self.base}: {len(self.steps)} steps, {cached} from the cache"


def build(
    path: str | Path = HELLO,
    tag: str = "hello",
    *,
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

    Used in chapter 05.
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
        chosen = resolve(replace.get(image, image), overrides, say=printed(progress))
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
    api = sdk()
    with translating(f"looking up {image}"):
        try:
            api.inspect_image(image)
            return
        except docker.errors.ImageNotFound:
            pass
    progress(f"pulling the base image {image}")
    what = f"pulling {image}"
    try:
        stream(lambda: api.pull(image, stream=True, decode=True), progress, what)
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
    api = sdk()
    previous = image_id(tag)
    lines: list[str] = []

    def feed(line: str) -> None:
        lines.append(line)
        tracker.feed(line)
        progress(line)

    aux = stream(
        lambda: api.build(fileobj=io.BytesIO(context), custom_context=True, tag=tag, rm=True, forcerm=True,
                          nocache=nocache, pull=False, decode=True),
        feed, f"building {tag}", "the step's output above says why; fix it and build again",
    )
    built = (aux or {}).get("ID") or image_id(tag)
    if not built:
        raise ImageError(f"building {tag}: Docker reported no image", "see the output above")
    if previous and previous != built:
        _drop_if_untagged(previous)
    return built, lines


def _drop_if_untagged(image_id: str) -> None:
    """Remove the image a rebuild replaced once it has no tag left (Docker would keep it dangling)."""
    with translating("cleaning up the replaced image"):
        try:
            if not sdk().inspect_image(image_id).get("RepoTags"):
                sdk().remove_image(image_id)
        except docker.errors.APIError:
            pass  # still used by a container or a child image: keep it
