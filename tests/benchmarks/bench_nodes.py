"""Figures of the kit's multi-node cluster (not collected by pytest).

    python tests/benchmarks/bench_nodes.py [--runs 3] [--only create|memory|failure|suite]

Needs kind, Docker and a cached node image (K8SLAB_NODE_IMAGE offline); `memory` and `failure` also
need the kit's cluster of one control plane and two workers (KUBECONFIG, `k8slab up`).
1. create: `cluster.up()` of a new cluster of 1 node against one of 3 nodes (1 control plane and 2
   workers), interleaved, medians; the ratio 3 nodes / 1 node (goal 1.6 at most);
2. memory: each node container's memory (`docker stats`) at rest, and its peak while notebook 06 runs;
3. failure: a Deployment of 2 pods that tolerate `unreachable` and `not-ready` for 5 s; seconds from
   `docker stop` of a worker to its NotReady, and to both pods Ready on the other worker;
4. suite: every notebook (nbval) on a new cluster of 3 nodes against one of 1 node, in this run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from k8slab.clusters import choosing as cluster
from k8slab.clusters.providers import kindconfig
from k8slab.kube import applying

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.clusters.test_multinode import fail_a_worker  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
QUIET = {"progress": lambda _: None}


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def bench_create(runs: int) -> None:
    kindconfig.NODE_PORTS = (32080, 32081, 32082)  # the kit's own cluster may hold 30080-30082
    times: dict[int, list[float]] = {0: [], 2: []}
    for _ in range(runs):
        for workers_ in times:
            name = f"bench-{uuid.uuid4().hex[:6]}"
            try:
                times[workers_].append(timed(lambda: cluster.up("kind", cluster_name=name, workers=workers_, **QUIET)))
            finally:
                cluster.down("kind", cluster_name=name, **QUIET)
    one, three = statistics.median(times[0]), statistics.median(times[2])
    print(f"create, 1 node : {one:6.1f} s (median of {runs}: {', '.join(f'{t:.1f}' for t in times[0])})")
    print(f"create, 3 nodes: {three:6.1f} s (median of {runs}: {', '.join(f'{t:.1f}' for t in times[2])})")
    print(f"ratio 3 nodes / 1 node: {three / one:.2f} (goal <= 1.6)")


def node_memory(cluster_name: str) -> dict[str, float]:
    """MiB each node container of the kit's cluster uses now."""
    out = subprocess.run(["docker", "stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}"],
                         capture_output=True, text=True, check=True).stdout
    sizes = {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024}
    used = {}
    for line in out.splitlines():
        name, usage = line.split(" ", 1)
        if name.startswith(f"{cluster_name}-"):
            amount = usage.split("/")[0].strip()
            unit = amount[-3:]
            used[name] = float(amount[:-3]) * sizes[unit]
    return used


def bench_memory() -> None:
    name = os.environ.get("K8SLAB_CLUSTER", "k8slab")
    for node, mib in sorted(node_memory(name).items()):
        print(f"memory at rest, {node:<24} {mib:7.0f} MiB")
    peak: dict[str, float] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            for node, mib in node_memory(name).items():
                peak[node] = max(peak.get(node, 0), mib)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        nb = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "notebooks/06-concepts.ipynb"],
                            cwd=REPO, capture_output=True, text=True)
    finally:
        done.set()
        sampler.join()
    print(f"notebook 06: {nb.stdout.strip().splitlines()[-1] if nb.stdout.strip() else nb.returncode}")
    for node, mib in sorted(peak.items()):
        print(f"memory peak during chapter 06, {node:<24} {mib:7.0f} MiB")


def bench_failure() -> None:
    kube = cluster.use(os.environ["KUBECONFIG"]).kube
    namespace = f"bench-{uuid.uuid4().hex[:6]}"
    applying.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}, kube=kube)
    try:
        there, not_ready, moved = fail_a_worker(kube, namespace)
        print(f"node failure: {there} stopped; NotReady after {not_ready:.1f} s; 2 pods Ready elsewhere after {moved:.1f} s")
    finally:
        applying.delete(kind="Namespace", name=namespace, kube=kube, wait=False)


def bench_suite() -> None:
    kindconfig.NODE_PORTS = (30080, 30081, 30082)
    for workers_ in (2, 0):
        name = f"suite-{workers_}"
        env = dict(os.environ, K8SLAB_CLUSTER=name, K8SLAB_WORKERS=str(workers_),
                   KUBECONFIG=str(Path(os.environ["K8SLAB_HOME"]) / f"{name}.kubeconfig"))
        try:
            subprocess.run(["k8slab", "up"], env=env, check=True, capture_output=True)
            took = timed(lambda: subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "notebooks"],
                                                cwd=REPO, env=env, capture_output=True))
            print(f"notebooks on {kindconfig.shape(workers_)}: {took:.0f} s")
        finally:
            subprocess.run(["k8slab", "down"], env=env, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=["create", "memory", "failure", "suite"])
    args = parser.parse_args()
    steps = {"create": lambda: bench_create(args.runs), "memory": bench_memory, "failure": bench_failure,
             "suite": bench_suite}
    for step, fn in steps.items():
        if args.only in (None, step) and (step != "suite" or args.only == "suite"):
            fn()


if __name__ == "__main__":
    main()
