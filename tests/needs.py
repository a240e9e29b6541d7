"""What a test needs from this machine, and what happens without it: a skip with the reason,
except in CI (CI=true), where `.ci/run` provides everything and a missing piece fails loudly."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

CLUSTER_HOW = ("make the kit's cluster with `k8slab up` (or export KUBECONFIG naming another cluster; "
               "the project's own: `bash tests/cluster/testcluster start` and its `env`)")


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def require(what: str, how: str) -> None:
    """Skip outside CI, fail in CI; `how` says how to get `what`."""
    if in_ci():
        pytest.fail(f"{what} is required in CI ({how})")
    pytest.skip(f"no {what}: {how}")


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on now (closed again: a server of the test's takes it,
    or a client finds nothing there)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_free_ports(ports) -> None:
    """The host ports a spare kind cluster publishes: one another program holds (a used machine's) makes
    `kind create` fail late, with Docker's "address already in use"."""
    for port in ports:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                require(f"free port {port} on 127.0.0.1", f"another program holds it (see: ss -ltnp 'sport = :{port}'): stop it")


def toml():
    """Python 3.11's TOML reader (`tomllib`); the kit runs on 3.10 too, whose standard library has none."""
    try:
        import tomllib
    except ModuleNotFoundError:
        require("Python 3.11's tomllib", "run the tests on Python 3.11 or newer: they read TOML with it")
    return tomllib


def cluster_kubeconfig() -> str | None:
    """The test cluster's kubeconfig: K8SLAB_KUBECONFIG or KUBECONFIG, else the kit's own
    cluster's (what `k8slab up` wrote), when it names a file."""
    from k8slab.core import config

    path = os.environ.get("K8SLAB_KUBECONFIG") or os.environ.get("KUBECONFIG")
    if not path:
        settings = config.load()
        kit = settings.home / f"{settings.cluster_name}.kubeconfig"
        path = str(kit) if kit.is_file() else None
    return path if path and Path(path).is_file() else None


def kind_node_image() -> str | None:
    """The node image the kit's kind provider would use here (the setting, else the one pinned for this kind)."""
    from k8slab.clusters.providers import kindconfig
    from k8slab.core import config

    version = subprocess.run(["kind", "version"], capture_output=True, text=True).stdout.split()
    return config.load().node_image or kindconfig.node_image(version[1] if len(version) > 1 else "")


def require_images(engine: str, *images: str | None) -> None:
    """Each image in `engine` (docker or podman), pulled if it can be; else require() it."""
    for image in filter(None, images):
        if (subprocess.run([engine, "image", "inspect", image], capture_output=True).returncode
                and subprocess.run([engine, "pull", image], capture_output=True).returncode):
            require(f"image {image} in {engine.capitalize()}",
                    f"`{engine} pull {image}`, or load it (`docker save {image} | {engine} load`)")
