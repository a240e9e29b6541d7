"""Benchmarks of the kind provider on a real kind (not collected by pytest).

    python tests/benchmarks/bench_kind.py

Needs kind, Docker, the kit's kind cluster (`k8slab up`) and a cached node image (K8SLAB_NODE_IMAGE
offline). Each figure is a ratio against a bare run of the same work in the same run:
1. create with the node image cached: `cluster.up()` of a new cluster vs a bare `kind create cluster`
   from the same config (each maps ports of its own: the kit's cluster holds 30080-30082);
2. `up` on the existing cluster vs a bare `kind get clusters` plus one readyz (`kubectl get --raw`),
   in process and as the `k8slab up` command;
3. `load_image` vs a bare `kind load docker-image`, each of a new image (so kind cannot skip it).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

from k8slab.clusters import choosing as cluster
from k8slab.clusters.providers import kindconfig
from k8slab.core import config

RUNS = 5
BASE = "k8slab.local/nginx:1.17.0"


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def run(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True)


def report(what: str, kit: float, bare: float, bare_what: str) -> None:
    print(f"{what:<34} {kit:8.3f} s  vs {bare_what:<32} {bare:8.3f} s  ratio {kit / bare:5.2f}")


def bench_create() -> None:
    settings = config.load()
    names = [f"bench-{uuid.uuid4().hex[:6]}", f"bench-{uuid.uuid4().hex[:6]}"]
    config_file = settings.home / "bench.kind.yaml"
    kindconfig.NODE_PORTS = (32080, 32081, 32082)  # the same config the kit writes, on ports of its own
    config_file.write_text(kindconfig.dump(kindconfig.kind_config(names[1], settings.home / "shared", settings.node_image)))
    kindconfig.NODE_PORTS = (31080, 31081, 31082)
    try:
        kit = timed(lambda: cluster.up("kind", cluster_name=names[0], progress=lambda _: None))
        bare = timed(lambda: run("kind", "create", "cluster", "--name", names[1], "--config", str(config_file),
                                 "--kubeconfig", str(settings.home / "bench.kubeconfig"), "--wait", "120s"))
    finally:
        cluster.down("kind", cluster_name=names[0], progress=lambda _: None)
        run("kind", "delete", "cluster", "--name", names[1])
        config_file.unlink()
        (settings.home / "bench.kubeconfig").unlink(missing_ok=True)
    report("create (node image cached)", kit, bare, "kind create cluster")


def bench_reuse() -> None:
    kubeconfig = str(cluster.up("kind", progress=lambda _: None).kubeconfig)

    def bare():
        run("kind", "get", "clusters")
        run("kubectl", "--kubeconfig", kubeconfig, "get", "--raw", "/readyz")

    raw = statistics.median(timed(bare) for _ in range(RUNS))
    up = statistics.median(timed(lambda: cluster.up("kind", progress=lambda _: None)) for _ in range(RUNS))
    cli = statistics.median(timed(lambda: run(sys.executable, "-m", "k8slab.ui.cli", "up")) for _ in range(3))
    report("up (reuse), in process", up, raw, "kind get clusters + readyz")
    report("up (reuse), as command", cli, raw, "kind get clusters + readyz")


def fresh_image() -> str:
    """A new image (a new ID, so kind loads it whole) on the nginx stand-in."""
    tag = f"k8slab-bench:{uuid.uuid4().hex[:8]}"
    subprocess.run(["docker", "build", "-q", "-t", tag, "-"], input=f"FROM {BASE}\nLABEL run={tag}\n".encode(),
                   check=True, capture_output=True)
    return tag


def bench_load() -> None:
    cluster.up("kind", progress=lambda _: None)
    node = f"{config.load().cluster_name}-control-plane"
    kit, bare, made = [], [], []
    try:
        for i in range(3):
            a, b = fresh_image(), fresh_image()
            made += [a, b]
            pair = [("kit", lambda: cluster.load_image(a)), ("bare", lambda: run("kind", "load", "docker-image", b,
                                                                             "--name", config.load().cluster_name))]
            for who, fn in pair if i % 2 == 0 else reversed(pair):
                (kit if who == "kit" else bare).append(timed(fn))
    finally:
        subprocess.run(["docker", "rmi", *made], capture_output=True)
        subprocess.run(["docker", "exec", node, "ctr", "-n", "k8s.io", "images", "rm",
                        *(f"docker.io/library/{m}" for m in made)], capture_output=True)
    report("load_image", statistics.median(kit), statistics.median(bare), "kind load docker-image")


if __name__ == "__main__":
    if not Path(config.load().home / f"{config.load().cluster_name}.kubeconfig").exists():
        sys.exit("no kit cluster: run `k8slab up` first")
    bench_reuse()
    bench_load()
    bench_create()
