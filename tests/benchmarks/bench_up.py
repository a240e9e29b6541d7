"""`k8slab up` as a command on the existing cluster against a bare `kubectl get --raw /readyz`
(a script, not collected by pytest; the issue's bound: at most 3x).

    KUBECONFIG=... python tests/benchmarks/bench_up.py [--runs 15]

Both run as commands, interleaved, in one run; the figure is the ratio of their medians. On a
cluster that answers, `k8slab up` asks /readyz and the nodes with the standard library
(k8slab.clusters.providers.probe) and never imports the kubernetes client; the script checks that too.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    up = [sys.executable, "-m", "k8slab.ui.cli", "up"]
    readyz = ["kubectl", "--kubeconfig", os.environ["KUBECONFIG"], "get", "--raw", "/readyz"]
    quiet = subprocess.run([sys.executable, "-c", "import sys\nfrom k8slab.ui import cli\nsys.argv = ['k8slab', 'up']\n"
                            "try:\n    cli.main()\nexcept SystemExit:\n    pass\nprint('kubernetes' in sys.modules)"],
                           capture_output=True, text=True, check=True).stdout.split()[-1]
    timed(up), timed(readyz)  # warm caches
    kit, bare = [], []
    for _ in range(args.runs):
        kit.append(timed(up))
        bare.append(timed(readyz))
    k, b = statistics.median(kit), statistics.median(bare)
    print(f"k8slab up {k * 1000:.0f} ms, kubectl get --raw /readyz {b * 1000:.0f} ms -> ratio {k / b:.1f}x "
          f"(medians of {args.runs}; the kubernetes client imported by `k8slab up`: {quiet})")


if __name__ == "__main__":
    main()
