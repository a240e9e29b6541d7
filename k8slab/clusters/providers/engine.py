"""The container engine under kind, Docker or Podman, as the kind provider and `k8slab doctor` see it."""

from __future__ import annotations

import os
import re
import shutil

from k8slab.core.tools import run

LABEL = "io.x-k8s.kind.cluster"  # kind labels each node container with its cluster's name


def name() -> str:
    """`podman` where kind is told to use it (KIND_EXPERIMENTAL_PROVIDER=podman) or on a Podman-only
    host, else `docker` (whose absence `tool()` reports with a hint)."""
    if os.environ.get("KIND_EXPERIMENTAL_PROVIDER") == "podman":
        return "podman"
    return "podman" if not shutil.which("docker") and shutil.which("podman") else "docker"


def kind_env() -> dict | None:
    """kind drives Podman only when told to: KIND_EXPERIMENTAL_PROVIDER=podman."""
    return dict(os.environ, KIND_EXPERIMENTAL_PROVIDER="podman") if name() == "podman" else None


def kind_nodes(cluster: str, timeout: float | None = 600) -> list[tuple[str, str, str]]:
    """(container, state, published ports) of each node container of a kind cluster."""
    fmt = "{{.Names}}\t{{.State}}\t{{.Ports}}"
    out = run([name(), "ps", "-a", "--filter", f"label={LABEL}={cluster}", "--format", fmt], "listing kind's node containers",
              timeout=timeout).stdout
    return [tuple((line.split("\t") + ["", ""])[:3]) for line in out.splitlines() if line.strip()]


def published_ports(cluster: str) -> set[int]:
    """Host ports the running node containers of a kind cluster publish (e.g. `127.0.0.1:30080->30080/tcp`)."""
    return {int(p) for _, state, ports in kind_nodes(cluster) if state == "running" for p in re.findall(r":(\d+)->", ports)}


def mount_points(container: str) -> set[str]:
    """Where a container has volumes or bind mounts (a kind node's extraMounts among them)."""
    fmt = "{{range .Mounts}}{{.Destination}} {{end}}"
    return set(run([name(), "inspect", "-f", fmt, container], f"inspecting {container}").stdout.split())


def archive_load() -> bool:
    """Where `kind load docker-image` breaks: Podman, and Docker's containerd image store (kind issue #3795)."""
    if name() == "podman":
        return True
    store = run(["docker", "info", "-f", "{{.DriverStatus}}"], "asking Docker which image store it uses").stdout
    return "io.containerd.snapshotter" in store


def remove_network_if_unused(network: str = "kind") -> None:
    """kind leaves its network behind; remove it once no container uses it (another kind cluster may)."""
    found = run([name(), "network", "ls", "-q", "--filter", f"name=^{network}$"], "listing networks").stdout.strip()
    if found and not run([name(), "ps", "-aq", "--filter", f"network={network}"], "listing containers").stdout.strip():
        run([name(), "network", "rm", network], f"removing the {network} network")
