"""What every cluster provider does; subclasses fill in only what differs."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from k8slab.clusters.providers import probe
from k8slab.core import mirrors
from k8slab.core.conditions import ready as is_ready
from k8slab.core.config import Settings
from k8slab.core.errors import K8sLabError, ProviderError
from k8slab.core.tools import Progress

if TYPE_CHECKING:
    from k8slab.kube.client import Kube


class Cluster:
    """What `up()` gives back: which cluster, how to reach it, and the connection to it (made on first use:
    `k8slab up` on a cluster that answers needs no API client)."""

    def __init__(self, provider: "Provider", kubeconfig: Path | None, kube: Kube | None = None, server: str | None = None):
        self.provider, self.kubeconfig, self._kube, self._server = provider, kubeconfig, kube, server

    @property
    def kube(self) -> Kube:
        if self._kube is None:
            self._kube = self.provider.connect(self.kubeconfig)
        return self._kube

    @property
    def server(self) -> str:
        """The API server's address."""
        return self._server or self.kube.host

    @property
    def name(self) -> str:
        return self.provider.cluster_name

    def __repr__(self) -> str:
        return f"<Cluster {self.name!r} via {self.provider.name}, API server {self.server}>"


class Provider:
    """Create-or-reuse, delete, kubeconfig, image loading and log export for one kind of cluster."""

    name = "base"

    def __init__(self, settings: Settings):
        self.settings = settings
        self.cluster_name = settings.cluster_name

    # -- what subclasses fill in ---------------------------------------------------
    def exists(self) -> bool:
        raise NotImplementedError

    def find(self) -> object | None:
        """What the provider sees of its cluster, handed on to `wake` and `use_mirrors` (kind: its
        nodes, listed once); None when there is no cluster."""
        return () if self.exists() else None

    def create(self, progress: Progress) -> None:
        raise ProviderError(f"the {self.name} provider cannot create clusters", "create it with its own tool, then run `k8slab up` again")

    def delete(self) -> None:
        raise ProviderError(f"the {self.name} provider does not delete clusters it did not create", "delete it with its own tool")

    def wake(self, progress: Progress, found=None) -> bool:
        """Start the cluster's stopped nodes (after a Docker or machine restart); True when it did."""
        return False

    def write_kubeconfig(self, path: Path) -> None:
        raise NotImplementedError

    def load_image(self, image: str) -> None:
        raise NotImplementedError

    def load_archive(self, archive: Path) -> None:
        """Put the images of a `docker save` archive into the nodes; by default through the engine."""
        from k8slab import imaging as images

        for image in images.load(archive):
            self.load_image(image)

    def node_path(self, host_path: Path) -> str:
        """Where a folder of this machine appears on the nodes (for hostPath volumes)."""
        return str(host_path)

    def node_command(self, node: str, action: str, *command: str) -> list[str]:
        """The command that stops, starts or runs something in a node's machine (`stop`, `start`, `exec`)."""
        raise ProviderError(f"the {self.name} provider cannot {action} the node {node}: the kit did not make its machine",
                            "do it where that machine runs (its console, or ssh), or use the kit's kind cluster")

    def use_mirrors(self, progress: Progress, created: bool, found=None) -> None:
        """Make the nodes pull through the `mirrors` setting where the provider can; else say so in one line."""
        if self.settings.mirrors:
            progress(f"registry mirrors ({mirrors.describe(self.settings.mirrors)}) not set: the {self.name} provider "
                     "leaves the cluster alone, and its own configuration governs where its nodes pull images from")

    def why_unreachable(self, server: str) -> K8sLabError | None:
        """Why the API server at `server` does not answer (the cluster is gone, its node stopped...),
        as a one-line error to show in place of "does not answer"; None when the provider cannot tell."""
        return None

    # Whether the kubeconfig written last time still fits a reused cluster: only where it follows from
    # the cluster's name alone (kind), not from a setting the learner may have changed since.
    keeps_kubeconfig = False

    # -- what every provider shares --------------------------------------------------
    @property
    def certs_dir(self) -> Path:
        """The kit's containerd hosts.toml files (registry mirrors) for this cluster."""
        return self.settings.home / "certs.d" / self.cluster_name

    @property
    def kubeconfig_path(self) -> Path:
        return self.settings.home / f"{self.cluster_name}.kubeconfig"

    def kubeconfig(self) -> Path:
        """The kit's own kubeconfig for this cluster, written fresh, readable by the owner only."""
        path = self.kubeconfig_path
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.touch(mode=0o600)
        os.chmod(tmp, 0o600)
        self.write_kubeconfig(tmp)
        os.chmod(tmp, 0o600)
        tmp.replace(path)
        return path

    def ready(self, kube: Kube, timeout: float = 120, patient: bool = False) -> None:
        """Until the API server says ready and every node is Ready (kind's own `--wait` covers only the
        control plane); `patient` while a woken node boots."""
        from k8slab.kube.waiting import watch_until

        deadline = time.monotonic() + timeout
        while True:
            try:
                kube.readyz()
                break
            except K8sLabError:
                if not patient or time.monotonic() > deadline:
                    raise
                time.sleep(1)
        watch_until(
            "v1", "Node", None, None,
            lambda nodes: bool(nodes) and all(is_ready(n) for n in nodes), timeout=timeout, kube=kube,
            describe=lambda nodes: f"{sum(map(is_ready, nodes))} of {len(nodes)} nodes Ready",
        )

    def up(self, progress: Progress = print, timeout: float = 300) -> Cluster:
        woke = False
        early = probe.ready_soon(self.kubeconfig_path) if self.keeps_kubeconfig and self.kubeconfig_path.exists() else None
        found = self.find()
        reused = found is not None
        if reused:
            progress(f"reusing the {self.name} cluster {self.cluster_name!r}")
            woke = self.wake(progress, found)
        else:
            progress(f"creating the {self.name} cluster {self.cluster_name!r} (a few minutes the first time)")
            self.create(progress)
        self.use_mirrors(progress, created=not reused, found=found)
        kept = reused and not woke and self.keeps_kubeconfig and self.kubeconfig_path.exists()
        path = self.kubeconfig_path if kept else self.kubeconfig()
        server = (early() if early else probe.ready(path)) if kept else None
        if server:  # a known cluster that answers and has a Ready node: the API client comes when first used
            return Cluster(self, path, server=server)
        kube = self.connect(path)
        try:
            self.ready(kube, timeout, patient=woke)
        except K8sLabError:
            if not kept:
                raise
            path = self.kubeconfig()  # the kept one may no longer fit: the cluster was made anew outside the kit
            kube.close()
            kube = self.connect(path)
            progress(f"waiting for the API server of {self.cluster_name!r} (up to {timeout:g}s)")
            self.ready(kube, timeout, patient=True)  # or it is restarting, its node running
        return Cluster(self, path, kube)

    def connect(self, path: Path | None, context: str | None = None) -> Kube:
        """An API connection to this provider's cluster, which asks the provider why it does not answer."""
        from k8slab.kube.client import Kube

        kube = Kube(path, context)
        kube.explain = lambda: self.why_unreachable(kube.host)
        return kube

    def down(self, progress: Progress = print) -> bool:
        if not self.exists():
            progress(f"no {self.name} cluster {self.cluster_name!r}: nothing to delete")
            self.kubeconfig_path.unlink(missing_ok=True)
            return False
        progress(f"deleting the {self.name} cluster {self.cluster_name!r}")
        self.delete()
        self.kubeconfig_path.unlink(missing_ok=True)
        return True

