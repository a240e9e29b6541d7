"""The Ceph cluster itself: its OSD disk, the CephCluster, the dashboard and its password."""

from __future__ import annotations

from k8slab.clusters import fetching
from k8slab.clusters.providers.base import Provider
from k8slab.core.config import Settings
from k8slab.core.errors import NotFound
from k8slab.core.tools import Progress
from k8slab.kube import applying, tokens
from k8slab.kube.client import Kube
from k8slab.lessons.rook import host, loopdev, spec
from k8slab.manifests import validating

CRDS = "crds.yaml"


def crds(*, settings: Settings, **fetch_args) -> list[dict]:
    """Rook's CRDs from the pinned crds.yaml (the schemas a CephCluster is validated against)."""
    return fetching.parse(fetching.read(fetching.bundle("rook"), CRDS, cache=settings.cache, **fetch_args), CRDS)


def validate_guide(*, settings: Settings, **fetch_args) -> list[validating.Problem]:
    """The guide's 2020 CephCluster against today's CephCluster schema, offline.

    Used in chapter 04b.
    """
    return validating.validate([spec.guide_cluster()], crds(settings=settings, **fetch_args))


def create(namespace: str = spec.NAMESPACE, *, kube: Kube, settings: Settings, provider: Provider, progress: Progress = print,
           size_gb: int = 6, name: str = spec.CLUSTER_NAME, thresholds: dict | None = None, **fetch_args) -> list[dict] | None:
    """Preflight, the loop device in the kind node, then the CephCluster and its `.mgr` pool.

    Only on kind: the OSD's loop device lives in the kind node container. Elsewhere the kit
    says so in one line and creates nothing (it will not touch another machine's disks).

    Used in chapter 04b.
    """
    image = settings.images.get(spec.CEPH_IMAGE, spec.CEPH_IMAGE)  # a classroom mirror, if configured
    validating.check(spec.cluster("NODE", "loop0", namespace, name, ceph_image=image), crds(settings=settings, **fetch_args))
    chosen = provider  # it says where the node is
    if chosen.name != "kind":
        progress(f"not created: the {chosen.name} provider has no kind node to hold the OSD's loop device "
                 "(the CephCluster spec was validated; on kind, this step creates it)")
        return None
    host.preflight(**(thresholds or {}))
    container = loopdev.node_container(chosen.cluster_name)
    device = loopdev.attach(container, size_gb)
    progress(f"OSD disk: /dev/{device} in {container} (a {size_gb} GB sparse file, {loopdev.IMAGE_FILE})")
    applied = [applying.apply_one(o, None, kube) for o in spec.cluster(container, device, namespace, name, ceph_image=image)]
    progress(f"CephCluster/{name} created in {namespace}: the operator starts a mon, a mgr and the OSD next")
    return applied


def expose_dashboard(namespace: str = spec.NAMESPACE, node_port: int | None = spec.DASHBOARD_NODE_PORT, *, kube: Kube) -> str:
    """The guide's NodePort Service for the Ceph dashboard (made current); returns its URL.

    Used in chapter 04b.
    """
    svc = spec.dashboard_service(namespace, node_port)
    validating.check([svc])
    applied = applying.apply_one(svc, None, kube)
    port = applied["spec"]["ports"][0]["nodePort"]
    return f"http://localhost:{port}/"


def dashboard_password(namespace: str = spec.NAMESPACE, *, kube: Kube) -> tokens.Sensitive:
    """The dashboard's `admin` password from the Secret Rook's mgr writes (masked; a widget reveals it:
    `lab.widgets.SecretView(rook.dashboard_password())`).

    Used in chapter 04b.
    """
    try:
        return tokens.secret_value(spec.PASSWORD_SECRET, "password", namespace, kube=kube)
    except NotFound as e:
        raise NotFound(f"no Secret {spec.PASSWORD_SECRET} in {namespace} yet",
                       "Rook's mgr writes it once the cluster runs: `rook.watch()` shows how far it is") from e
