"""node: this machine is the Kubernetes node (kubeadm's shape, and the kit's test cluster)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ..errors import ProviderError
from .base import Provider, tool

DEFAULT_KUBECONFIG = "/etc/kubernetes/admin.conf"
DEFAULT_CONTAINERD = "/run/containerd/containerd.sock"


class NodeProvider(Provider):
    name = "node"

    @property
    def source(self) -> Path:
        return Path(self.settings.kubeconfig or DEFAULT_KUBECONFIG)

    def exists(self) -> bool:
        return self.source.is_file()

    def create(self, progress) -> None:
        raise ProviderError(
            f"no cluster on this machine: {self.source} does not exist",
            "start one with `kubeadm init` (or the kit's test cluster: `bash tests/cluster/testcluster start`) "
            "and set K8SLAB_KUBECONFIG to its admin kubeconfig",
        )

    def delete(self) -> None:
        raise ProviderError("the node provider does not delete the machine's cluster", "stop it with the tool that started it")

    def write_kubeconfig(self, path: Path) -> None:
        shutil.copyfile(self.source, path)

    def load_image(self, image: str) -> None:
        """`docker save IMAGE | ctr -n k8s.io images import -`, streamed."""
        from .. import images

        socket = self.settings.containerd or DEFAULT_CONTAINERD
        args = [tool("ctr"), "--address", socket, "-n", "k8s.io", "images", "import", "-"]
        with subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as ctr:
            try:
                for chunk in images.export(image):
                    ctr.stdin.write(chunk)
            except BrokenPipeError:
                pass
            finally:
                ctr.stdin.close()
            err = ctr.stderr.read().decode(errors="replace").strip()
        if ctr.returncode:
            raise ProviderError(f"ctr could not import {image} into the node: {err.splitlines()[-1] if err else ctr.returncode}",
                                f"is containerd listening on {socket}? set K8SLAB_CONTAINERD")
