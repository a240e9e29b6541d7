"""node: this machine is the Kubernetes node (kubeadm's shape, and the kit's test cluster)."""

from __future__ import annotations

import shutil
from pathlib import Path

from k8slab.clusters.providers.base import Provider
from k8slab.core import mirrors, tools
from k8slab.core.errors import ProviderError
from k8slab.core.tools import Progress

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

    def use_mirrors(self, progress: Progress, created: bool, found=None) -> None:
        """Where this machine's containerd reads hosts.toml files is in its own config (`config_path`), which
        the kit cannot read; it writes the files for the learner to copy there (as root)."""
        if self.settings.mirrors:
            mirrors.write(self.certs_dir, self.settings.mirrors)
            progress(f"registry mirrors ({mirrors.describe(self.settings.mirrors)}): the node provider leaves this "
                     f"machine's containerd alone; copy the folders in {self.certs_dir} into the folder its config_path "
                     f"names (kubeadm's containerd: {mirrors.IN_NODE}, with config_path set to it)")

    def delete(self) -> None:
        raise ProviderError("the node provider does not delete the machine's cluster", "stop it with the tool that started it")

    def write_kubeconfig(self, path: Path) -> None:
        shutil.copyfile(self.source, path)

    def load_image(self, image: str) -> None:
        """`docker save IMAGE | ctr -n k8s.io images import -`, streamed."""
        from k8slab import imaging as images

        socket = self.settings.containerd or DEFAULT_CONTAINERD
        tools.feed(["ctr", "--address", socket, "-n", "k8s.io", "images", "import", "-"], images.export(image),
                   f"ctr importing {image} into the node", hint=f"is containerd listening on {socket}? set K8SLAB_CONTAINERD")
