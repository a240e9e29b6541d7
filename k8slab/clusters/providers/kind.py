"""kind: a Kubernetes node in a Docker (or Podman) container on the learner's machine."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from k8slab.clusters.providers import engine, kindconfig
from k8slab.clusters.providers.base import Provider
from k8slab.core import mirrors
from k8slab.core.errors import K8sLabError, ProviderError
from k8slab.core.tools import Progress, run, stream

BUNDLED = "node-images.json"  # in the kit's cache: node images `k8slab bundle load` put into the engine, by id


def bundled_node_image(image: str | None, cache: Path) -> str | None:
    """A node image pinned by digest that came from a workshop bundle: `docker load` keeps an image's id but
    not the digest it was pulled by, so kind would try to pull it again; its id (recorded at load) stands in."""
    if not image or "@" not in image:
        return image
    try:
        image_id = json.loads((cache / BUNDLED).read_text(encoding="utf-8"))[image]
    except (OSError, ValueError, KeyError, TypeError):
        return image
    for candidate in (image, image_id):
        try:
            run([engine.name(), "image", "inspect", "-f", "{{.Id}}", candidate], f"looking up {candidate}")
            return candidate
        except K8sLabError:
            continue
    return image


class KindProvider(Provider):
    name = "kind"
    keeps_kubeconfig = True

    def __init__(self, settings, extra_mounts: tuple[dict, ...] = ()):
        """`extra_mounts`: more folders of this machine in a new node (Rook's /dev and /run/udev)."""
        super().__init__(settings)
        self.extra_mounts = tuple(extra_mounts)

    def _kind(self, *args: str, what: str) -> str:
        return run(["kind", *args], what, env=engine.kind_env()).stdout

    def find(self) -> list[tuple[str, str, str]] | None:
        """The cluster's node containers (name, state, ports), in one call; None when there are none."""
        return engine.kind_nodes(self.cluster_name) or None

    def exists(self) -> bool:
        return self.find() is not None

    def why_unreachable(self, server: str) -> K8sLabError | None:
        try:
            nodes = engine.kind_nodes(self.cluster_name, timeout=10)
        except K8sLabError as e:
            return ProviderError(f"the kind cluster {self.cluster_name!r} cannot run: {e.message}",
                                 e.hint or f"start {engine.name()}, then run `lab.up()`")
        if not nodes:
            return ProviderError(f"the kind cluster {self.cluster_name!r} was deleted",
                                 "run `lab.up()` or `k8slab up` to create it again")
        stopped = [node for node, state, _ in nodes if state != "running"]
        if stopped:
            return ProviderError(f"the kind node {stopped[0]} is stopped: Docker or this machine restarted",
                                 "run `lab.up()` or `k8slab up` to start it")
        return ProviderError(f"the API server of the kind cluster {self.cluster_name!r} at {server} does not answer, "
                             "although its node runs", "it may be restarting: `lab.up()` waits until it answers")

    def wake(self, progress: Progress, found=None) -> bool:
        nodes = found or engine.kind_nodes(self.cluster_name)
        workers = sum("-worker" in node[len(self.cluster_name):] for node, _, _ in nodes)
        if workers != self.settings.workers:
            progress(f"the kind cluster {self.cluster_name!r} has {kindconfig.shape(workers)}, the settings ask for "
                     f"{kindconfig.shape(self.settings.workers)}: kept as it is; to recreate it, "
                     f"`k8slab down && k8slab up --workers {self.settings.workers}`")
        stopped = [node for node, state, _ in nodes if state != "running"]
        for node in stopped:
            progress(f"the kind node {node} is stopped (Docker or this machine restarted): starting it")
            run([engine.name(), "start", node], f"starting the kind node {node}")
        return bool(stopped)

    def create(self, progress: Progress) -> None:
        version = self._kind("version", what="asking kind its version").split()
        image = bundled_node_image(self.settings.node_image or kindconfig.node_image(version[1] if len(version) > 1 else ""),
                                   self.settings.cache)
        shared = self.settings.home / "shared"
        shared.mkdir(parents=True, exist_ok=True)
        mirrors.write(self.certs_dir, self.settings.mirrors)  # mounted into the node even when empty: see use_mirrors
        config = self.settings.home / f"{self.cluster_name}.kind.yaml"
        config.write_text(kindconfig.dump(kindconfig.kind_config(self.cluster_name, shared, image, list(self.extra_mounts),
                                                                 self.certs_dir, workers=self.settings.workers)))
        scratch = self.kubeconfig_path.with_suffix(".kind")
        code, last = stream(["kind", "create", "cluster", "--name", self.cluster_name, "--config", str(config),
                             "--kubeconfig", str(scratch), "--wait", "120s"], progress, env=engine.kind_env())
        scratch.unlink(missing_ok=True)
        if code:
            raise ProviderError(f"kind could not create the cluster: {last or code}",
                                "`k8slab doctor` checks Docker; `kind export logs` shows more")

    def use_mirrors(self, progress: Progress, created: bool, found=None) -> None:
        """The node has the kit's hosts.toml folder bind-mounted and its containerd reads the files at every
        pull, so a new setting applies to a running cluster; without a setting the cluster keeps its mirrors."""
        if not self.settings.mirrors:
            return
        if not created:
            nodes = [node for node, _, _ in found or engine.kind_nodes(self.cluster_name)]
            if not all(mirrors.IN_NODE in engine.mount_points(node) for node in nodes):
                progress(f"registry mirrors not set: the kind cluster {self.cluster_name!r} was made without the kit's "
                         "mirror folder; recreate it with `k8slab down && k8slab up`")
                return
        if mirrors.write(self.certs_dir, self.settings.mirrors) or created:
            progress(f"registry mirrors: {mirrors.describe(self.settings.mirrors)}")

    def delete(self) -> None:
        self._kind("delete", "cluster", "--name", self.cluster_name, what="deleting the kind cluster")
        engine.remove_network_if_unused()
        shutil.rmtree(self.certs_dir, ignore_errors=True)

    def write_kubeconfig(self, path: Path) -> None:
        path.write_text(self._kind("get", "kubeconfig", "--name", self.cluster_name, what="reading kind's kubeconfig"))

    def load_image(self, image: str) -> None:
        """`kind load docker-image`; through `docker save`/`podman save` and an archive where that breaks."""
        if not engine.archive_load():
            self._kind("load", "docker-image", image, "--name", self.cluster_name, what=f"loading {image} into kind")
            return
        with tempfile.TemporaryDirectory(prefix="k8slab-image-") as tmp:
            archive = str(Path(tmp) / "image.tar")
            run([engine.name(), "save", "-o", archive, image], f"saving {image} with {engine.name()}")
            self._kind("load", "image-archive", archive, "--name", self.cluster_name, what=f"loading {image} into kind")

    def load_archive(self, archive: Path) -> None:
        run(["kind", "load", "image-archive", str(archive), "--name", self.cluster_name],
            f"loading {archive.name} into kind", timeout=3600, env=engine.kind_env())

    def node_command(self, node: str, action: str, *command: str) -> list[str]:
        """A kind node is a container: `docker stop NODE`, `docker start NODE`, `docker exec NODE ...`."""
        if node not in {name for name, _, _ in engine.kind_nodes(self.cluster_name)}:
            raise ProviderError(f"{node} is not a node of the kind cluster {self.cluster_name!r}",
                                "`kubectl get nodes` lists its nodes")
        return [engine.name(), action, node, *command]

    def node_path(self, host_path: Path) -> str:
        shared = (self.settings.home / "shared").resolve()
        try:
            rel = Path(host_path).resolve().relative_to(shared)
        except ValueError as e:
            raise ProviderError(f"{host_path} is not visible inside the kind node", f"put it under {shared}") from e
        return kindconfig.SHARED_IN_NODE + ("" if rel == Path(".") else f"/{rel.as_posix()}")
