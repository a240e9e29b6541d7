"""Benchmarks of the core, on the real test cluster (not collected by pytest).

    python tests/benchmarks/bench_core.py

1. `up` on an existing cluster vs a bare `kubectl get --raw /readyz`, as a ratio: in process
   (`cluster.up()` against the raw subprocess) and as commands (`k8slab up` against `kubectl`).
2. `wait_for_rollout` returning vs the raw watch event that ends the rollout, as a ratio of the
   times from the same start.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
import uuid

from kubernetes import client as k8s, watch

from k8slab.clusters import choosing as cluster
from k8slab.kube import applying, waiting

RUNS = 7


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def median(fn, runs=RUNS) -> float:
    return statistics.median(timed(fn) for _ in range(runs))


def bench_up(kubeconfig: str) -> None:
    kubectl = ["kubectl", "--kubeconfig", kubeconfig, "get", "--raw", "/readyz"]
    cli = [sys.executable, "-m", "k8slab.ui.cli", "up", "--provider", "node"]
    cluster.up("node", progress=lambda _: None)  # warm: the cluster exists from here on
    raw = median(lambda: subprocess.run(kubectl, check=True, capture_output=True))
    up = median(lambda: cluster.up("node", progress=lambda _: None))
    up_cli = median(lambda: subprocess.run(cli, check=True, capture_output=True), runs=3)
    print(f"up (reuse), in process : {up * 1000:7.1f} ms  vs kubectl readyz {raw * 1000:6.1f} ms  ratio {up / raw:5.2f}")
    print(f"up (reuse), as command : {up_cli * 1000:7.1f} ms  vs kubectl readyz {raw * 1000:6.1f} ms  ratio {up_cli / raw:5.2f}")


def bench_rollout(kube) -> None:
    ns = f"bench-{uuid.uuid4().hex[:6]}"
    applying.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}, kube=kube)
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "b", "namespace": ns},
           "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "b"}}, "template": {
               "metadata": {"labels": {"app": "b"}}, "spec": {"terminationGracePeriodSeconds": 0, "containers": [
                   {"name": "b", "image": "k8slab.local/busybox:1", "imagePullPolicy": "Never",
                    "command": ["sleep", "3600"]}]}}}}
    apps = k8s.AppsV1Api(kube.api)
    ratios, kit_times, raw_times = [], [], []
    try:
        applying.apply(dep, kube=kube)
        waiting.wait_for_rollout("b", ns, kube=kube)
        for i in range(5):
            ended = {}
            rv = apps.read_namespaced_deployment("b", ns).metadata.resource_version
            w = watch.Watch()

            def raw_watch(start_rv=rv):
                for ev in w.stream(apps.list_namespaced_deployment, ns, resource_version=start_rv, timeout_seconds=120):
                    obj = kube.api.sanitize_for_serialization(ev["object"])
                    if ev["type"] == "MODIFIED" and obj["metadata"]["annotations"].get("round") == str(i) \
                            and waiting.rollout_complete_or_raise(obj):
                        ended["t"] = time.perf_counter()
                        w.stop()

            t = threading.Thread(target=raw_watch)
            t.start()
            start = time.perf_counter()
            applying.patch("Deployment", "b", {"metadata": {"annotations": {"round": str(i)}},
                           "spec": {"template": {"metadata": {"annotations": {"round": str(i)}}}}}, ns, "apps/v1", kube=kube)
            waiting.wait_for_rollout("b", ns, timeout=120, kube=kube)
            done = time.perf_counter()
            t.join(130)
            kit, raw = done - start, ended["t"] - start
            kit_times.append(kit)
            raw_times.append(raw)
            ratios.append(kit / raw)
        print(f"wait_for_rollout: median {statistics.median(kit_times) * 1000:7.1f} ms vs raw watch event "
              f"{statistics.median(raw_times) * 1000:7.1f} ms  ratio {statistics.median(ratios):5.3f} "
              f"(min {min(ratios):.3f}, max {max(ratios):.3f}, {len(ratios)} rollouts)")
    finally:
        applying.delete(kind="Namespace", name=ns, kube=kube)


def main() -> None:
    kubeconfig = os.environ.get("K8SLAB_KUBECONFIG") or os.environ["KUBECONFIG"]
    os.environ["K8SLAB_KUBECONFIG"] = kubeconfig
    bench_up(kubeconfig)
    bench_rollout(cluster.up("node", progress=lambda _: None).kube)


if __name__ == "__main__":
    main()
