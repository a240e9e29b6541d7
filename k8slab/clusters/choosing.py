"""The learner's cluster: bring it up (or reuse it), or use one a kubeconfig names; ask how it is; take it down.

`up()` and `use()` start the session (k8slab.clusters.session): the settings, the provider and the
API connection that every later `lab.*` call acts on, so the cluster chosen last is the one the kit uses.
"""

from __future__ import annotations

from pathlib import Path

from k8slab.clusters import providers, session
from k8slab.clusters.providers import kindconfig
from k8slab.clusters.providers.base import Cluster
from k8slab.clusters.providers.context import ContextProvider
from k8slab.clusters.providers.kind import KindProvider
from k8slab.core import config
from k8slab.core.errors import K8sLabError
from k8slab.core.tools import Progress, run


def provider(name: str | None = None, **settings) -> providers.Provider:
    """The provider the settings name (read now): for `up`, and for `status`/`down` given settings."""
    return providers.get(config.load(provider=name, **settings))


def _chosen(name: str | None, settings: dict) -> providers.Provider:
    """The provider of the cluster chosen last, unless a provider or settings are named."""
    found = session.current().provider
    return found if found is not None and name is None and not settings else provider(name, **settings)


def up(provider_name: str | None = None, progress: Progress = print, timeout: float = 300, rook: bool = False,
       **settings) -> Cluster:
    """Create the cluster, or reuse the one already there, and make it the kit's current cluster.

    `rook=True` gives a new kind cluster the mounts Rook needs (/dev, /run/udev).

    Used in chapters 01, 02, 03, 04, 04b, 05, 06, 07, 08, 09.
    """
    p = provider(provider_name, **settings)
    if rook and isinstance(p, KindProvider):
        p = KindProvider(p.settings, extra_mounts=kindconfig.rook_mounts())
    made = p.up(progress, timeout)
    session.start(p.settings, p, kubeconfig=made.kubeconfig, connect=lambda: made.kube)
    return made


def use(kubeconfig: str | Path | None = None, context: str | None = None) -> Cluster:
    """Make the cluster a kubeconfig names (its current context, or `context`) the one the kit acts on.

    It is reached through the context provider: loading images works where that provider knows how
    (kind, minikube, Docker Desktop, a registry), and says in one line what to do elsewhere.
    """
    path = Path(kubeconfig).expanduser() if kubeconfig else None
    settings = config.load(provider="context", kubeconfig=str(path) if path else None, context=context)
    p = ContextProvider(settings)
    kube = p.connect(path, context)
    session.start(settings, p, kube, path)
    return Cluster(p, path, kube)


def down(provider_name: str | None = None, progress: Progress = print, **settings) -> bool:
    """Delete the cluster chosen last (or the one the settings name); the session ends."""
    deleted = _chosen(provider_name, settings).down(progress)
    session.end()
    return deleted


def load_image(image: str) -> str:
    """Put a local image into the cluster's nodes; returns the name to use in manifests.

    An image tagged `latest` (or not at all) is first tagged by its content: with `:latest`,
    Kubernetes defaults imagePullPolicy to Always and tries a registry instead of the node
    (kind issue 328). A content tag also changes whenever the image does, so a rollout follows.

    Used in chapter 05.
    """
    return providers.load_image(session.provider(), image)


def node_path(host_path: str | Path) -> str:
    """Where a folder of this machine appears on the nodes (for a hostPath volume).

    Used in chapters 04, 07.
    """
    return session.provider().node_path(Path(host_path))


def _on_node(node: str, action: str, *command: str) -> str:
    """Run the provider's command for `node`, shown first as the learner would type it; its output
    (a command run on the node may fail: its error is part of what the learner reads)."""
    args = session.provider().node_command(node, action, *command)
    print("$ " + " ".join(args))
    done = run(args, f"`{action}` on the node {node}", timeout=120, check=action != "exec")
    return done.stdout + done.stderr


def stop_node(node: str) -> None:
    """Stop a node's machine, as a power cut would (kind: `docker stop NODE`).

    Used in chapter 01.
    """
    _on_node(node, "stop")


def start_node(node: str) -> None:
    """Start a stopped node's machine again (kind: `docker start NODE`); its kubelet comes back with it.

    Used in chapter 01.
    """
    _on_node(node, "start")


def node_exec(node: str, command: list[str]) -> str:
    """Run a command on a node's machine, outside every pod (kind: `docker exec NODE ...`); its output.

    Used in chapter 09.
    """
    if isinstance(command, str):
        raise K8sLabError("node_exec takes the command as a list of words", 'e.g. ["systemctl", "status", "kubelet"]')
    return _on_node(node, "exec", *command)


def status(provider_name: str | None = None, **settings) -> dict:
    """What the kit knows: provider, cluster, API server, version, nodes. Never raises for a stopped cluster.

    Used in chapters 01, 03.
    """
    p = _chosen(provider_name, settings)
    info = {"provider": p.name, "cluster": p.cluster_name, "exists": False, "ready": False}
    try:
        info["exists"] = p.exists()
        if info["exists"]:
            ours = session.current().provider is p
            kube = session.kube() if ours else p.connect(p.kubeconfig())
            info.update(providers.describe(kube))
            if not ours:
                kube.close()
    except K8sLabError as e:
        info["error"] = str(e)
    return info
