"""Benchmarks of k8slab.imaging on the real Docker engine (not collected by pytest).

    python tests/benchmarks/bench_images.py

1. A rebuild of the hello image after a one-line change to app.js vs a clean build
   (`nocache=True`) of the same folder, as a ratio of medians. With the guide's Dockerfile
   only FROM comes before ADD, so the cache can save little here; a no-change rebuild
   (every step cached) is shown as well.
2. Loading the image into the test cluster's containerd through the kit (the node provider:
   `images.export` piped into `ctr import`) vs a bare `docker save | ctr import` of the same
   image, as a ratio of medians; the image is removed from containerd before every run.
   Needs K8SLAB_CONTAINERD (`bash tests/cluster/testcluster env`); skipped without it.

Bases are the local stand-ins of tests/images/build-base-images.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from k8slab import imaging as images
from k8slab.core import config, references

REPO = Path(__file__).resolve().parents[2]
OVERRIDES = {"node:7": "k8slab.local/node:18"}
RUNS = 5


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def quiet(_line: str) -> None:
    pass


def build(folder: Path, tag: str, nocache: bool = False) -> None:
    with contextlib.redirect_stdout(io.StringIO()):  # the override line, printed at every build
        images.build(folder, tag=tag, overrides=OVERRIDES, progress=quiet, nocache=nocache)


def bench_rebuild(folder: Path, tag: str) -> None:
    app = folder / "app.js"
    original = app.read_text()
    build(folder, tag)  # warm: base present, cache filled
    clean, changed, same = [], [], []
    for n in range(RUNS):
        clean.append(timed(lambda: build(folder, tag, nocache=True)))
        app.write_text(original.replace("const port = 8080;", f"const port = 8080;  // change {n}"))
        changed.append(timed(lambda: build(folder, tag)))
        same.append(timed(lambda: build(folder, tag)))
    c, r, s = (statistics.median(x) for x in (clean, changed, same))
    print(f"clean build (no cache)         median {c * 1000:7.0f} ms")
    print(f"rebuild after one-line change  median {r * 1000:7.0f} ms   ratio to clean {r / c:.2f}")
    print(f"rebuild without a change       median {s * 1000:7.0f} ms   ratio to clean {s / c:.2f}")


def bench_load(image: str, containerd: str) -> None:
    from k8slab.clusters.providers.node import NodeProvider

    provider = NodeProvider(config.load(provider="node", containerd=containerd))
    ctr = ["ctr", "--address", containerd, "-n", "k8s.io"]
    name = references.normalize(image)

    def forget() -> None:
        subprocess.run([*ctr, "images", "rm", "--sync", name], capture_output=True)

    def bare() -> None:
        save = subprocess.Popen(["docker", "save", image], stdout=subprocess.PIPE)
        subprocess.run([*ctr, "images", "import", "-"], stdin=save.stdout, check=True, capture_output=True)
        save.stdout.close()
        if save.wait():
            raise SystemExit("docker save failed")

    kit, raw = [], []
    try:
        for _ in range(3):
            forget()
            raw.append(timed(bare))
            forget()
            kit.append(timed(lambda: provider.load_image(image)))
    finally:
        forget()
    k, b = statistics.median(kit), statistics.median(raw)
    print(f"docker save | ctr import       median {b * 1000:7.0f} ms")
    print(f"node provider load_image       median {k * 1000:7.0f} ms   ratio to bare {k / b:.2f}")


def main() -> None:
    images.client()
    subprocess.run(["bash", str(REPO / "tests" / "images" / "build-base-images")], check=True, stdout=subprocess.DEVNULL)
    tag = f"k8slab-bench-{uuid.uuid4().hex[:8]}"
    tmp = Path(tempfile.mkdtemp())
    try:
        folder = tmp / "hello"
        shutil.copytree(REPO / "assets" / "hello", folder)
        print(f"== build ({RUNS} runs each, hello app on k8slab.local/node:18)")
        bench_rebuild(folder, tag)
        containerd = os.environ.get("K8SLAB_CONTAINERD")
        if containerd and Path(containerd).exists():
            ref = images.content_tag(f"{tag}:latest")
            print(f"== load into the cluster (3 runs each, {ref})")
            bench_load(ref, containerd)
        else:
            print("== load into the cluster: skipped (no K8SLAB_CONTAINERD; `bash tests/cluster/testcluster env`)", file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        for image in images.client().images.list(name=tag):
            for t in image.tags:
                images.remove(t)


if __name__ == "__main__":
    main()
