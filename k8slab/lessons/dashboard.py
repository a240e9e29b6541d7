"""The Kubernetes Dashboard, the guide's way made current: recommended.yaml, an admin user,
a token, `kubectl proxy`.

Why Dashboard v2.7.0's recommended.yaml: it is plain manifests (two Deployments, RBAC, a
Service) that `lab.apply` installs and `teardown` removes, with no Helm and no gateway. From
7.0 the Dashboard installs only with Helm and a Kong gateway in front of five containers,
and the project has since been retired (Headlamp is the maintained successor), so 2.7.0 is
the last release that keeps the guide's flow. What changed from the guide:

- the URL: the guide's proxy URL names `kube-system`; the Dashboard lives in `kubernetes-dashboard`;
- the token: `describe secret` found a ServiceAccount token Secret, which Kubernetes no longer
  creates (1.24+); the kit asks the TokenRequest API for a short-lived token instead.
"""

from __future__ import annotations

import selectors
import subprocess
import time
from dataclasses import dataclass

from k8slab.clusters import fetching
from k8slab.core.config import Settings
from k8slab.core.errors import ImageError, K8sLabError
from k8slab.core.tools import Progress, tool
from k8slab.kube import tokens, waiting
from k8slab.kube.applying import ApplyReport, apply_each
from k8slab.kube.client import Kube
from k8slab.manifests import loading as manifests, validating

NAMESPACE = "kubernetes-dashboard"
ADMIN = "admin-user"
FILE = "recommended.yaml"
DEPLOYMENTS = ("kubernetes-dashboard", "dashboard-metrics-scraper")


def admin_user(namespace: str = NAMESPACE) -> list[dict]:
    """The guide's "sample user": a ServiceAccount bound to cluster-admin (a learner's own cluster only)."""
    binding = ADMIN if namespace == NAMESPACE else f"{ADMIN}-{namespace}"
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": ADMIN, "namespace": namespace}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": binding},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
         "subjects": [{"kind": "ServiceAccount", "name": ADMIN, "namespace": namespace}]},
    ]


def objects(namespace: str = NAMESPACE, *, settings: Settings, **fetch_args) -> list[dict]:
    """recommended.yaml (pinned, verified, cached) for `namespace`, then the admin user."""
    text = fetching.read(fetching.bundle("dashboard"), FILE, cache=settings.cache, **fetch_args)
    return manifests.retarget(fetching.parse(text, FILE), namespace, NAMESPACE) + admin_user(namespace)


def install(namespace: str = NAMESPACE, progress: Progress = print, *, kube: Kube, settings: Settings,
            **fetch_args) -> ApplyReport:
    """Validate offline, then apply each object; refusals are reported one line each.

    Used in chapter 03.
    """
    objs = objects(namespace, settings=settings, progress=progress, **fetch_args)
    validating.check(objs)
    report = apply_each(objs, kube, progress)
    progress(f"Kubernetes Dashboard in {namespace}: {report}")
    return report


def wait(namespace: str = NAMESPACE, timeout: float = 180, *, kube: Kube) -> None:
    """Until both Deployments have rolled out; an image that cannot be pulled fails at once."""
    for name in DEPLOYMENTS:
        waiting.wait_for_rollout(name, namespace, timeout=timeout, kube=kube)


def ready(namespace: str = NAMESPACE, timeout: float = 180, progress: Progress = print, *, kube: Kube) -> bool:
    """`wait`, for a notebook: says in one line why the Dashboard cannot run instead of raising.

    Used in chapter 03.
    """
    try:
        wait(namespace, timeout, kube=kube)
    except (ImageError, K8sLabError) as e:
        progress(f"the Dashboard is not running: {e}")
        return False
    progress(f"the Dashboard is running in {namespace}")
    return True


def token(namespace: str = NAMESPACE, hours: float = 1, *, kube: Kube) -> tokens.Sensitive:
    """A login token for admin-user (`kubectl -n kubernetes-dashboard create token admin-user`), masked;
    `lab.widgets.SecretView(lab.dashboard.token())` shows it with a reveal button.

    Used in chapter 03.
    """
    return tokens.request_token(ADMIN, namespace, expiration_seconds=int(hours * 3600), kube=kube)


def proxy_url(namespace: str = NAMESPACE, port: int = 8001) -> str:
    """The Dashboard through `kubectl proxy` (the guide's URL, with the Dashboard's own namespace)."""
    return f"http://localhost:{port}/api/v1/namespaces/{namespace}/services/https:kubernetes-dashboard:/proxy/"


@dataclass
class Proxy:
    """A running `kubectl proxy`; `stop()` (or leaving the `with` block) ends it."""

    process: subprocess.Popen
    port: int
    namespace: str = NAMESPACE

    @property
    def url(self) -> str:
        return proxy_url(self.namespace, self.port)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream:
                stream.close()

    def __enter__(self) -> "Proxy":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.process.poll() is None else "stopped"
        return f"<kubectl proxy on 127.0.0.1:{self.port}, {state}: {self.url}>"


def proxy(port: int = 8001, namespace: str = NAMESPACE, timeout: float = 15, *, kube: Kube) -> Proxy:
    """Start `kubectl proxy` on 127.0.0.1 with the kit's kubeconfig (port 0: any free port).

    Used in chapter 03.
    """
    args = [tool("kubectl"), "proxy", f"--port={port}", "--address=127.0.0.1"]
    if kube.kubeconfig:
        args[1:1] = ["--kubeconfig", kube.kubeconfig]
    if kube.context:
        args[1:1] = ["--context", kube.context]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    sel.register(proc.stderr, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    try:
        while (left := deadline - time.monotonic()) > 0:
            for key, _ in sel.select(left):
                line = key.fileobj.readline()
                if key.fileobj is proc.stdout and line.startswith("Starting to serve on"):
                    return Proxy(proc, int(line.strip().rsplit(":", 1)[1]), namespace)
                if not line and proc.poll() is not None:
                    err = proc.stderr.read().strip().splitlines()
                    raise K8sLabError(f"kubectl proxy stopped: {err[-1] if err else f'exit code {proc.returncode}'}",
                                      "is the port in use? pass port=0 for any free port")
        raise K8sLabError(f"kubectl proxy did not start within {timeout:g}s")
    except BaseException:
        Proxy(proc, port, namespace).stop()
        raise
    finally:
        sel.close()


def teardown(namespace: str = NAMESPACE, progress: Progress = print, timeout: float = 180, *, kube: Kube,
             settings: Settings) -> None:
    """Delete the Dashboard's namespace and cluster-wide RBAC; safe to repeat.

    Used in chapter 03.
    """
    from k8slab.kube import applying

    objs = objects(namespace, settings=settings)
    gone = []
    for obj in reversed(objs):
        if obj.get("metadata", {}).get("namespace"):
            continue  # deleted with the namespace
        gone += applying.delete(kind=obj["kind"], name=obj["metadata"]["name"], api_version=obj["apiVersion"],
                                timeout=timeout, kube=kube)
    progress(f"Kubernetes Dashboard removed ({', '.join(gone)})" if gone
             else f"Kubernetes Dashboard: nothing left for {namespace}")
