"""The OSD's disk: a sparse file in the kind node, attached as a loop device.

Rook needs a raw block device for an OSD; a learner's laptop has none to spare. A sparse
file costs only the space Ceph writes. Commands run inside the node container through
`k8slab.imaging.node_exec` (the kit's one door to Docker); attaching twice reuses the device.
"""

from __future__ import annotations

import posixpath

from k8slab.core.errors import K8sLabError

IMAGE_DIR = "/var/lib/k8slab-rook"
IMAGE_FILE = f"{IMAGE_DIR}/osd0.img"
MIN_SIZE_GB = 5


class NodeCommandFailed(K8sLabError):
    pass


def node_container(cluster_name: str) -> str:
    """The kind node that holds Ceph: the first worker where there is one (the control plane's taint keeps
    workloads off it), else the single node. kind names them `<cluster>-worker` and `<cluster>-control-plane`."""
    from k8slab.clusters.providers import engine

    worker = f"{cluster_name}-worker"
    return worker if worker in {name for name, _, _ in engine.kind_nodes(cluster_name)} else f"{cluster_name}-control-plane"


def _run(container: str, argv: list[str], what: str, ok=(0,)) -> str:
    from k8slab import imaging as images

    rc, out = images.node_exec(container, argv)
    if rc not in ok:
        last = (out or "").strip().splitlines()
        raise NodeCommandFailed(f"{what} in {container} failed: {last[-1] if last else f'exit code {rc}'}",
                                "is the kind node running (`k8slab status`)? is it privileged, as kind makes it?")
    return out or ""


def attached(container: str, path: str = IMAGE_FILE) -> list[str]:
    """Loop devices (e.g. `/dev/loop7`) backed by `path` inside the node."""
    out = _run(container, ["losetup", "-j", path], "listing loop devices")
    return [line.split(":", 1)[0] for line in out.splitlines() if line.startswith("/dev/loop")]


def attach(container: str, size_gb: int = 6, path: str = IMAGE_FILE) -> str:
    """Create the sparse file (if absent) and attach it; returns the device name, e.g. `loop7`."""
    if size_gb < MIN_SIZE_GB:
        raise K8sLabError(f"an OSD of {size_gb} GB is too small", f"Ceph needs at least {MIN_SIZE_GB} GB")
    devices = attached(container, path)
    if not devices:
        _run(container, ["mkdir", "-p", posixpath.dirname(path)], "making the OSD folder")
        # never truncate a file that may hold an OSD already
        _run(container, ["sh", "-c", 'test -e "$1" || truncate -s "$2" "$1"', "sh", path, f"{size_gb}G"],
             "creating the OSD's sparse file")
        out = _run(container, ["losetup", "--find", "--show", path], "attaching the loop device")
        devices = [out.strip().splitlines()[-1]]
    return posixpath.basename(devices[0])


def remove(container: str, path: str = IMAGE_FILE, data_dir: str | None = None) -> list[str]:
    """Detach every loop device on `path`, delete it, and delete `data_dir`; safe to repeat."""
    if data_dir is not None:
        _check_removable(data_dir)
    done = []
    for dev in attached(container, path):
        _run(container, ["losetup", "-d", dev], f"detaching {dev}")
        done.append(f"detached {dev}")
    _run(container, ["rm", "-f", path], "deleting the OSD file")
    _run(container, ["rmdir", "--ignore-fail-on-non-empty", posixpath.dirname(path)], "deleting the OSD folder", ok=(0, 1))
    if data_dir:
        _run(container, ["rm", "-rf", data_dir], f"deleting {data_dir}")
    return done


def _check_removable(path: str) -> None:
    """Only a folder under /var/lib, never / or /var/lib itself, is deleted recursively."""
    norm = posixpath.normpath(path)
    if not norm.startswith("/var/lib/") or norm.count("/") < 3:
        raise K8sLabError(f"refusing to delete {path} on the node", "dataDirHostPath must be a folder under /var/lib")
