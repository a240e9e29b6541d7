"""kind: a Kubernetes node in a Docker (or Podman) container on the learner's machine."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ..errors import ProviderError
from . import kindconfig
from .base import Progress, Provider, run, tool


class KindProvider(Provider):
    name = "kind"
    extra_mounts: list[dict] = []

    def exists(self) -> bool:
        return self.cluster_name in run(["kind", "get", "clusters"], "listing kind clusters").stdout.split()

    def create(self, progress: Progress) -> None:
        version = run(["kind", "version"], "asking kind its version").stdout.split()
        image = self.settings.node_image or kindconfig.node_image(version[1] if len(version) > 1 else "")
        shared = self.settings.home / "shared"
        shared.mkdir(parents=True, exist_ok=True)
        config = self.settings.home / f"{self.cluster_name}.kind.yaml"
        config.write_text(kindconfig.dump(kindconfig.kind_config(self.cluster_name, shared, image, self.extra_mounts)))
        args = [tool("kind"), "create", "cluster", "--name", self.cluster_name, "--config", str(config),
                "--kubeconfig", str(self.kubeconfig_path.with_suffix(".kind")), "--wait", "120s"]
        with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
            lines = [line.strip() for line in proc.stdout]
            for line in filter(None, lines):
                progress(line)
        self.kubeconfig_path.with_suffix(".kind").unlink(missing_ok=True)
        if proc.returncode:
            raise ProviderError(f"kind could not create the cluster: {lines[-1] if lines else proc.returncode}",
                                "`k8slab doctor` checks Docker; `kind export logs` shows more")

    def delete(self) -> None:
        run(["kind", "delete", "cluster", "--name", self.cluster_name], "deleting the kind cluster")

    def write_kubeconfig(self, path: Path) -> None:
        path.write_text(run(["kind", "get", "kubeconfig", "--name", self.cluster_name], "reading kind's kubeconfig").stdout)

    def load_image(self, image: str) -> None:
        run(["kind", "load", "docker-image", image, "--name", self.cluster_name], f"loading {image} into kind")

    def export_logs(self, dest: Path) -> Path:
        run(["kind", "export", "logs", str(dest), "--name", self.cluster_name], "exporting kind's logs")
        return dest

    def node_path(self, host_path: Path) -> str:
        shared = (self.settings.home / "shared").resolve()
        try:
            rel = Path(host_path).resolve().relative_to(shared)
        except ValueError as e:
            raise ProviderError(f"{host_path} is not visible inside the kind node", f"put it under {shared}") from e
        return kindconfig.SHARED_IN_NODE + ("" if rel == Path(".") else f"/{rel.as_posix()}")
