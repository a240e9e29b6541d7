"""Pulling through the kit's registry mirror against pulling straight from the same registry (not collected by pytest).

    bash tests/cluster/registry start && python tests/benchmarks/bench_mirror.py

On a spare kind cluster of its own (ports 36080-36082, deleted at the end) made with
`mirrors: {docker.io: [<the CI registry>]}`, so its node holds no image yet. `node:7` (the CI stand-in,
node:18's size) is pulled alternately
- through the mirror: `docker.io/library/node:7` resolved by containerd from the kit's hosts.toml,
  as the kubelet's pulls are (`ctr --hosts-dir /etc/containerd/certs.d`);
- straight: `ctr pull --plain-http <registry>/library/node:7`;
and removed with its content after each pull, so every pull downloads every layer.
"""

from __future__ import annotations

import statistics
import subprocess
import time
import uuid
from pathlib import Path

from k8slab.clusters import choosing as cluster
from k8slab.clusters.providers import kindconfig

RUNS = 3
REGISTRY = Path(__file__).resolve().parent.parent / "cluster" / "registry"


def main() -> None:
    url = subprocess.run(["bash", str(REGISTRY), "url"], check=True, capture_output=True, text=True).stdout.strip()
    host = url.removeprefix("http://")
    name = f"bench-mirror-{uuid.uuid4().hex[:6]}"
    kindconfig.NODE_PORTS = (36080, 36081, 36082)
    cluster.up("kind", cluster_name=name, progress=lambda _: None, mirrors={"docker.io": [url]})
    ctr = ["docker", "exec", f"{name}-control-plane", "ctr", "-n", "k8s.io"]
    ways = {
        "through the mirror": (["images", "pull", "--hosts-dir", "/etc/containerd/certs.d", "docker.io/library/node:7"],
                               "docker.io/library/node:7"),
        "straight from it": (["images", "pull", "--plain-http", f"{host}/library/node:7"], f"{host}/library/node:7"),
    }
    times: dict[str, list[float]] = {way: [] for way in ways}

    def listed(what: str) -> set[str]:
        return set(subprocess.run([*ctr, what, "ls", "-q"], check=True, capture_output=True, text=True).stdout.split())
    try:
        images, content = listed("images"), listed("content")
        for _ in range(RUNS):
            for way, (pull, ref) in ways.items():
                t = time.perf_counter()
                subprocess.run([*ctr, *pull], check=True, capture_output=True)
                times[way].append(time.perf_counter() - t)
                # the CRI plugin also names the image by its config digest: both names go
                subprocess.run([*ctr, "images", "rm", "--sync", *(listed("images") - images)], check=True, capture_output=True)
                assert listed("content") == content, f"content left after removing {ref}: the next pull would not download it"
    finally:
        cluster.down("kind", cluster_name=name, progress=lambda _: None)
    size = subprocess.run(["docker", "image", "inspect", "-f", "{{.Size}}", "k8slab.local/node:18"],
                          check=True, capture_output=True, text=True).stdout.strip()
    mirror, straight = (statistics.median(times[w]) for w in ways)
    print(f"node:7 (stand-in, {int(size) / 1e6:.0f} MB unpacked), median of {RUNS}:")
    print(f"  through the mirror {mirror:6.2f} s  vs straight ctr pull {straight:6.2f} s  ratio {mirror / straight:4.2f}")
    print(f"  all runs: {times}")


if __name__ == "__main__":
    main()
