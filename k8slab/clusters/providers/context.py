"""context: any cluster a kubeconfig context names (Docker Desktop, minikube, kubeadm, remote)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from k8slab.clusters.providers.base import Provider
from k8slab.core.errors import ProviderError
from k8slab.core.tools import run


class ContextProvider(Provider):
    name = "context"

    def _kubectl(self, *args: str) -> list[str]:
        source = ["--kubeconfig", self.settings.kubeconfig] if self.settings.kubeconfig else []
        return ["kubectl", *source, *args]

    @property
    def context(self) -> str:
        if self.settings.context:
            return self.settings.context
        return run(self._kubectl("config", "current-context"), "reading the current kubeconfig context").stdout.strip()

    def exists(self) -> bool:
        names = run(self._kubectl("config", "get-contexts", "-o", "name"), "listing kubeconfig contexts").stdout.split()
        if self.context not in names:
            raise ProviderError(f"no kubeconfig context named {self.context!r}", f"known contexts: {', '.join(names) or 'none'}")
        return True

    def write_kubeconfig(self, path: Path) -> None:
        view = self._kubectl("config", "view", "--minify", "--flatten", "--context", self.context)
        path.write_text(run(view, f"exporting context {self.context}").stdout)

    def load_image(self, image: str) -> None:
        ctx = self.context
        if ctx.startswith("minikube") or ctx == "minikube":
            run(["minikube", "image", "load", image, "-p", ctx], f"loading {image} into minikube")
        elif ctx == "docker-desktop":
            print(f"Docker Desktop's Kubernetes shares the Docker daemon's images: {image} is already there")
        elif ctx.startswith("kind-"):  # a kind cluster (the kit's own among them): kind's way, Podman's and containerd's too
            from k8slab.clusters.providers.kind import KindProvider

            KindProvider(replace(self.settings, provider="kind", cluster_name=ctx.removeprefix("kind-"))).load_image(image)
        elif self.settings.registry:
            from k8slab import imaging as images

            ref = images.push(image, self.settings.registry, overrides=self.settings.images)
            print(f"pushed {image} to {ref}: use that name in your manifests")
        else:
            raise ProviderError(
                f"the kit does not know how to load images into context {ctx!r}",
                "set K8SLAB_REGISTRY to a registry this cluster can pull from, or, on the cluster's own node, "
                "`lab.up(\"node\", kubeconfig=...)` loads into its containerd",
            )
