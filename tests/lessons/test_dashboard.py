"""k8slab.dashboard and the credential helpers: real tokens from the TokenRequest API checked by
the real API server, the Dashboard's objects on the real 1.20 test cluster, a real `kubectl proxy`,
and a real kernel saving a notebook that shows a token (only the mask may reach the file)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

import nbformat
import pytest
from nbclient import NotebookClient

import k8slab as lab
from k8slab.clusters import fetching
from k8slab.core.errors import Forbidden, ImageError, K8sLabError, NotFound
from k8slab.kube import applying, tokens
from k8slab.manifests import validating
from k8slab.ui.widgets.secret import SecretView

dashboard = lab.dashboard  # on the cluster chosen last, with the session's settings (its cache)


@pytest.fixture(autouse=True)
def _no_fetch_overrides(monkeypatch):
    """CI may point the kit at a local copy; these tests choose their source themselves."""
    monkeypatch.delenv("K8SLAB_DASHBOARD_FROM_DIR", raising=False)
    monkeypatch.delenv("K8SLAB_DASHBOARD_BASE_URL", raising=False)

def test_pin_matches_upstream_checksum(dashboard_dir):
    """dashboard_dir came through the kit's checked fetch: its file is upstream's, as pinned."""
    b = fetching.bundle("dashboard")
    assert b.version == "v2.7.0" and b.files == ["recommended.yaml"]
    assert fetching.sha256((dashboard_dir / "recommended.yaml").read_bytes()) == b.sha256["recommended.yaml"]
    assert b.url("recommended.yaml") == "https://raw.githubusercontent.com/kubernetes/dashboard/v2.7.0/aio/deploy/recommended.yaml"


def test_objects_for_another_namespace_are_valid(kit_home, dashboard_dir):
    objs = dashboard.objects("t-dash", from_dir=dashboard_dir)
    assert validating.validate(objs) == []
    assert {o["metadata"].get("namespace") for o in objs if o["kind"] != "Namespace"} <= {"t-dash", None}
    dep = next(o for o in objs if o["kind"] == "Deployment" and o["metadata"]["name"] == "kubernetes-dashboard")
    assert "--namespace=t-dash" in dep["spec"]["template"]["spec"]["containers"][0]["args"]
    sa, binding = objs[-2:]
    assert sa == {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "admin-user", "namespace": "t-dash"}}
    assert binding["roleRef"]["name"] == "cluster-admin" and binding["metadata"]["name"] == "admin-user-t-dash"


def test_proxy_url_is_the_guides_with_the_dashboards_namespace():
    assert dashboard.proxy_url() == (
        "http://localhost:8001/api/v1/namespaces/kubernetes-dashboard/services/https:kubernetes-dashboard:/proxy/")


def test_sensitive_never_prints_itself():
    s = tokens.Sensitive("eyJ-clear-token", "token")
    for shown in (repr(s), str(s), f"{s}", s._repr_html_()):
        assert "eyJ-clear-token" not in shown and tokens.MASK in shown
    assert s.reveal() == "eyJ-clear-token"


def test_a_saved_notebook_keeps_only_the_mask(tmp_path):
    """A real kernel shows a SecretView, reveals and hides it, and shows a Sensitive; the saved
    file (outputs and widget state) must not contain the clear text."""
    clear = f"clear-{uuid.uuid4().hex}"
    nb = nbformat.v4.new_notebook()
    (tmp_path / "credential.txt").write_text(clear)  # read by the kernel: the cells' source never holds it
    nb.cells = [
        nbformat.v4.new_code_cell("from k8slab.ui.widgets.secret import SecretView\n"
                                  "f = SecretView(open('credential.txt').read(), 'token')\nf"),
        nbformat.v4.new_code_cell("f.reveal(); assert f.revealed; f.hide(); print(f.revealed)"),
        nbformat.v4.new_code_cell("from k8slab.kube.tokens import Sensitive\nSensitive(open('credential.txt').read(), 'token')"),
    ]
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    path = tmp_path / "saved.ipynb"
    nbformat.write(nb, path)
    saved = path.read_text()
    assert clear not in saved
    assert tokens.MASK in saved and "False" in saved
    assert "application/vnd.jupyter.widget-view+json" in saved  # the widget itself was displayed


# -- on the real test cluster ---------------------------------------------------------------

@pytest.mark.cluster
def test_a_real_token_authenticates_and_carries_its_accounts_rights(kube, namespace):
    applying.apply(dashboard.admin_user(namespace), kube=kube)
    applying.apply({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "nobody", "namespace": namespace}}, kube=kube)
    try:
        token = dashboard.token(namespace, kube=kube)
        assert isinstance(token, tokens.Sensitive) and token.reveal().count(".") == 2  # a JWT
        assert tokens.whoami(token, kube=kube) == f"system:serviceaccount:{namespace}:admin-user"
        assert tokens.can_i(token, "list", "secrets", kube=kube)  # cluster-admin, cluster-wide
        nobody = tokens.request_token("nobody", namespace, kube=kube)
        assert tokens.whoami(nobody, kube=kube) == f"system:serviceaccount:{namespace}:nobody"
        assert not tokens.can_i(nobody, "list", "secrets", kube=kube)
        with pytest.raises(Forbidden, match="does not accept this token"):
            tokens.can_i(token.reveal()[:-4] + "AAAA", "get", "pods", kube=kube)
        with pytest.raises(Forbidden, match="does not accept this token"):
            tokens.whoami("not-a-token", kube=kube)
        with pytest.raises(NotFound):
            tokens.request_token("no-such-account", namespace, kube=kube)
    finally:
        applying.delete(dashboard.admin_user(namespace), kube=kube)


@pytest.mark.cluster
def test_install_wait_token_proxy_and_teardown(kube, namespace, kit_home, dashboard_dir):
    lines = []
    report = dashboard.install(namespace, kube=kube, progress=lines.append, from_dir=dashboard_dir)
    assert report.refused == [] and len(report.applied) == 16
    assert lines[-1] == f"Kubernetes Dashboard in {namespace}: applied 16 objects"
    # no public images here: the wait fails at once, naming the image
    with pytest.raises(ImageError) as err:
        dashboard.wait(namespace, timeout=120, kube=kube)
    assert "kubernetesui/dashboard:v2.7.0" in str(err.value) and "\n" not in str(err.value)
    assert dashboard.ready(namespace, timeout=60, kube=kube, progress=lines.append) is False
    assert lines[-1].startswith("the Dashboard is not running: pod kubernetes-dashboard-")
    # the admin user's token is real and shown masked
    field = SecretView(dashboard.token(namespace, kube=kube), "admin-user token")
    assert isinstance(field, SecretView)
    assert all(tokens.MASK in str(v) or isinstance(v, dict) for v in field._repr_mimebundle_().values())
    assert tokens.whoami(field._secret, kube=kube) == f"system:serviceaccount:{namespace}:admin-user"
    # kubectl proxy answers for the Dashboard's Service (no endpoints: the pod has no image)
    with dashboard.proxy(port=0, namespace=namespace, kube=kube) as p:
        assert p.url.startswith(f"http://localhost:{p.port}/api/v1/namespaces/{namespace}/services/https:kubernetes-dashboard:/proxy/")
        with pytest.raises(urllib.error.HTTPError) as http:
            urllib.request.urlopen(p.url.replace("localhost", "127.0.0.1"), timeout=10)
        assert http.value.code == 503
        assert "no endpoints available for service" in json.loads(http.value.read())["message"]
        version = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{p.port}/version", timeout=10).read())
        assert version["gitVersion"].startswith("v1.20")
    assert p.process.poll() is not None  # stopped on leaving the block
    # teardown: the namespace and the cluster-wide RBAC go, and it can run again
    dashboard.teardown(namespace, kube=kube, progress=lines.append)
    assert lines[-1].startswith("Kubernetes Dashboard removed (")
    assert not applying.exists("Namespace", namespace, kube=kube)
    for kind, name in (("ClusterRole", "kubernetes-dashboard"), ("ClusterRoleBinding", "kubernetes-dashboard"),
                       ("ClusterRoleBinding", f"admin-user-{namespace}")):
        assert not applying.exists(kind, name, api_version="rbac.authorization.k8s.io/v1", kube=kube)
    dashboard.teardown(namespace, kube=kube, progress=lines.append)
    assert lines[-1] == f"Kubernetes Dashboard: nothing left for {namespace}"


@pytest.mark.cluster
def test_proxy_on_a_busy_port_says_so(kube):
    with dashboard.proxy(port=0, kube=kube) as first:
        with pytest.raises(K8sLabError, match="kubectl proxy stopped"):
            dashboard.proxy(port=first.port, kube=kube)
