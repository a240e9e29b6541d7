"""Dockerfiles, build contexts and image references without Docker (tests/imaging/test_images.py has the guide's own)."""

from __future__ import annotations

import io
import os
import tarfile

import pytest

from k8slab.core import references
from k8slab.core.errors import ImageError
from k8slab.imaging import dockerfile


def parse_error(text: str, **kw) -> str:
    with pytest.raises(ImageError) as err:
        dockerfile.parse(text, **kw)
    return str(err.value)


def test_bases_skip_earlier_stages_named_with_as():
    text = ("FROM node:7 AS build\nRUN make\n"
            "FROM --platform=linux/amd64 build AS test\n"
            "FROM Build\n"
            "FROM scratch\n"
            "FROM k8slab.local/busybox:1 as final\n"
            "FROM FINAL\n"
            "FROM node:7\n")
    got = dockerfile.parse(text)
    assert dockerfile.bases(got) == ["node:7", "k8slab.local/busybox:1"]
    assert [dockerfile.from_image(i) for i in got if i.keyword == "FROM"] == [
        "node:7", "build", "Build", "scratch", "k8slab.local/busybox:1", "FINAL", "node:7"]


def test_continued_lines_join_with_one_space_also_at_the_end_of_the_file():
    text = "FROM node:7\nRUN apt-get update &&\\\n    apt-get install -y curl\nRUN echo a \\\n  && echo b \\\n"
    assert [(i.line, str(i)) for i in dockerfile.parse(text)] == [
        (1, "FROM node:7"), (2, "RUN apt-get update && apt-get install -y curl"), (4, "RUN echo a && echo b")]


@pytest.mark.parametrize("text, kw, message", [
    ("FROM node:7\nADDD app.js /app.js\n", {},
     "Dockerfile line 2: unknown instruction 'ADDD' (instructions are FROM, ADD, COPY, RUN, ENTRYPOINT, CMD, ENV, EXPOSE, ...; "
     "a comment goes on its own line starting with #)"),
    ("\n# nothing yet\n", {"source": "hello/Dockerfile"}, "hello/Dockerfile has no instructions (start it with FROM <base image>)"),
    ("ARG V=1\n", {}, "Dockerfile: the first instruction must be FROM (e.g. FROM node:7)"),
    ("ARG V=1\nRUN make\nFROM node:7\n", {"source": "hello/Dockerfile"},
     "hello/Dockerfile line 2: the first instruction must be FROM (e.g. FROM node:7)"),
    ("FROM node:7 # base\n", {"source": "hello/Dockerfile"},
     "hello/Dockerfile line 1: FROM takes one image (or IMAGE AS NAME), not 'node:7 # base' "
     "(a # comment must go on its own line, not after an instruction)"),
    ("FROM node:7 AS\n", {}, "Dockerfile line 1: FROM takes one image (or IMAGE AS NAME), not 'node:7 AS' "
     "(a # comment must go on its own line, not after an instruction)"),
])
def test_bad_dockerfiles_name_the_file_line_and_what_to_do(text, kw, message):
    assert parse_error(text, **kw) == message


def test_an_unknown_instruction_in_the_last_continued_lines_names_its_first_line():
    assert parse_error("FROM node:7\nRUNN make \\\n  install \\", source="hello/Dockerfile").startswith(
        "hello/Dockerfile line 2: unknown instruction 'RUNN'")


def test_platform_flags_are_not_the_image():
    text = "FROM --platform=linux/arm64 node:7 AS build\nFROM --platform=$BUILDPLATFORM k8slab.local/busybox:1\n"
    assert dockerfile.bases(dockerfile.parse(text)) == ["node:7", "k8slab.local/busybox:1"]
    assert dockerfile.rewrite_from(text, {"node:7": "k8slab.local/node:18"}).splitlines()[0] == (
        "FROM --platform=linux/arm64 k8slab.local/node:18 AS build")


def test_rewrite_keeps_windows_line_ends():
    text = "FROM node:7 AS build\r\nRUN make\r\nFROM node:7\r\n"
    assert dockerfile.rewrite_from(text, {"node:7": "k8slab.local/node:18"}) == (
        "FROM k8slab.local/node:18 AS build\r\nRUN make\r\nFROM k8slab.local/node:18\r\n")


@pytest.mark.parametrize("ref, parts, normal", [
    ("node:7", (None, "node", "7", None), "docker.io/library/node:7"),
    ("library/node:7", (None, "library/node", "7", None), "docker.io/library/node:7"),
    ("index.docker.io/node:7", ("index.docker.io", "node", "7", None), "docker.io/library/node:7"),
    ("localhost/hello:1", ("localhost", "hello", "1", None), "localhost/hello:1"),
    ("learner/hello", (None, "learner/hello", None, None), "docker.io/learner/hello:latest"),
    ("node@sha256:ab", (None, "node", None, "sha256:ab"), "docker.io/library/node@sha256:ab"),
    ("127.0.0.1:5000/hello:2@sha256:ab", ("127.0.0.1:5000", "hello", "2", "sha256:ab"), "127.0.0.1:5000/hello:2@sha256:ab"),
])
def test_references_split_and_normalize_like_docker(ref, parts, normal):
    assert references.split_ref(ref) == parts
    assert references.normalize(ref) == normal


def test_dockerignore_patterns(tmp_path):
    assert dockerfile.ignore_patterns(tmp_path) == []
    (tmp_path / ".dockerignore").write_text("# build output\nnode_modules\n\n  *.log  \n  # indented comment\n!keep.log\n")
    assert dockerfile.ignore_patterns(tmp_path) == ["node_modules", "*.log", "!keep.log"]


def members(data: bytes) -> dict[str, tuple[tarfile.TarInfo, bytes | None]]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name: (m, tar.extractfile(m).read() if m.isfile() else None) for m in tar.getmembers()}


def test_build_context_holds_the_listed_files_with_the_dockerfile_sent_from_memory(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM node:7\nADD app.js /app.js\n")
    (tmp_path / "app.js").write_text("console.log(1)\n")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "a.js").write_text("a\n")
    (tmp_path / "lib" / "b.js").write_text("not listed\n")
    (tmp_path / "link").symlink_to("app.js")
    os.utime(tmp_path / "Dockerfile", (1_600_000_000, 1_600_000_000))
    sent = "FROM k8slab.local/node:18\nADD app.js /app.js\n"
    got = members(dockerfile.context_tar(tmp_path, ["app.js", "lib", "lib/a.js", "link", "Dockerfile", "gone.txt"],
                                         {"Dockerfile": sent, "Dockerfile.extra": "x"}))
    assert sorted(got) == ["Dockerfile", "Dockerfile.extra", "app.js", "lib", "lib/a.js", "link"]
    info, data = got["Dockerfile"]
    assert data == sent.encode() and info.size == len(sent) and info.mode == 0o644 and info.mtime == 1_600_000_000
    assert got["Dockerfile.extra"][1] == b"x"
    assert got["app.js"][1] == b"console.log(1)\n" and got["lib/a.js"][1] == b"a\n"
    assert got["lib"][0].isdir() and got["link"][0].issym() and got["link"][0].linkname == "app.js"
    assert members(dockerfile.context_tar(tmp_path, ["app.js"])).keys() == {"app.js"}


SPELLINGS = ["nginx:1.17.0", "library/nginx:1.17.0", "docker.io/library/nginx:1.17.0", "index.docker.io/library/nginx:1.17.0"]


@pytest.mark.parametrize("key", SPELLINGS)
@pytest.mark.parametrize("image", SPELLINGS)
def test_the_override_map_matches_an_image_however_it_is_spelled(key, image):
    """One rule for builds, manifests, %kubectl and Rook: each spelling Docker reads as the same image."""
    assert references.override(image, {key: "local/nginx:1"}) == "local/nginx:1"


@pytest.mark.parametrize("image", ["nginx:1.17", "nginx", "quay.io/nginx:1.17.0", "library/nginx:1.17.0@sha256:ab", "", None, 7])
def test_the_override_map_leaves_other_images_alone(image):
    assert references.override(image, {"nginx:1.17.0": "local/nginx:1"}) is None
    assert references.override("nginx:1.17.0", {}) is None
    assert references.override("local/nginx:1", {"local/nginx:1": "local/nginx:1"}) is None  # already itself


def test_every_caller_uses_the_one_rule():
    """Builds, manifests (and so Rook's files), and %kubectl's --image all match docker.io/library/... too."""
    from k8slab import imaging as images
    from k8slab.manifests import loading as manifests
    from k8slab.ui import magics
    overrides = {"nginx:1.17.0": "local/nginx:1"}
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": {"containers": [{"name": "c", "image": "docker.io/library/nginx:1.17.0"}]}}
    assert manifests.override_images([pod], overrides) == [("Pod/p", "docker.io/library/nginx:1.17.0", "local/nginx:1")]
    args, _, _ = magics.with_overrides(["run", "x", "--image=docker.io/library/nginx:1.17.0"], None, overrides)
    assert args[-1] == "--image=local/nginx:1"
    said = []
    assert images.resolve("library/nginx:1.17.0", overrides, say=said.append) == "local/nginx:1"
    assert said == ["image override: library/nginx:1.17.0 -> local/nginx:1"]
