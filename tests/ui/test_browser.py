"""The PodTable widget in a real JupyterLab, in headless Chromium (Debian's, driven by Playwright).

The test starts JupyterLab on 127.0.0.1 with a token, in a temporary folder holding a small
notebook it writes; the notebook's kernel reaches the test cluster through KUBECONFIG. The
page runs the notebook; the table must list the running pods and change after a scale.
Screenshots go to tests/artifacts/ (gitignored) for a person to look at.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import secrets
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import nbformat
import pytest

from k8slab.kube import applying, waiting

from ..needs import free_port, require

pytestmark = [pytest.mark.browser, pytest.mark.cluster]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
BUSYBOX = "k8slab.local/busybox:1"


def web(namespace: str, replicas: int) -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": namespace},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                     "terminationGracePeriodSeconds": 1,
                     "containers": [{"name": "web", "image": BUSYBOX, "imagePullPolicy": "Never",
                                     "command": ["httpd", "-f", "-p", "8080"]}]}}},
    }


def write_notebook(folder: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell('import os\nimport k8slab as lab\nPodTable = lab.widgets.PodTable\n'
                                  'lab.use(os.environ["KUBECONFIG"]);'),
        nbformat.v4.new_code_cell('table = PodTable("app=web", os.environ["K8SLAB_TEST_NAMESPACE"])\ntable'),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "widgets.ipynb"
    nbformat.write(nb, path)
    return path


@contextlib.contextmanager
def serving(args: list[str], env: dict, base: str, token: str, *, log_name: str, within: float):
    """Run a JupyterLab server command until its log names its address; shut it down (kernels too) after."""
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / log_name).open("w")
    server = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ready = threading.Event()
    port = base.rsplit(":", 1)[1]

    def watch_log():
        for line in server.stdout:
            log.write(line)
            log.flush()
            if f":{port}/" in line:
                ready.set()

    threading.Thread(target=watch_log, daemon=True).start()
    try:
        assert ready.wait(within), f"JupyterLab did not start; see {ARTIFACTS / log_name}"
        yield
    finally:
        try:
            urllib.request.urlopen(urllib.request.Request(f"{base}/api/shutdown", method="POST",
                                                          headers={"Authorization": f"token {token}"}), timeout=10)
        except OSError:
            pass
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
        log.close()


@pytest.fixture
def jupyterlab(tmp_path, kubeconfig, namespace):
    """A JupyterLab server of the test's own: (base URL, token); stopped (kernels too) afterwards."""
    if importlib.util.find_spec("playwright") is None:
        require("Playwright", "`pip install -e '.[dev]'`")
    if not Path(CHROMIUM).exists():
        require(f"Chromium at {CHROMIUM}", "`apt-get install chromium`")
    root = tmp_path / "root"
    root.mkdir()
    write_notebook(root)
    settings = tmp_path / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)  # no news / update pop-ups over the page
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    port, token = free_port(), secrets.token_hex(16)
    pythonpath = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))  # the kernel runs this checkout
    env = {**os.environ, "KUBECONFIG": kubeconfig, "K8SLAB_TEST_NAMESPACE": namespace, "PYTHONPATH": pythonpath,
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"), "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    args = [sys.executable, "-m", "jupyter", "lab", "--ip=127.0.0.1", f"--port={port}", "--allow-root", "--no-browser",
            "--ServerApp.open_browser=False", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
            "--ServerApp.port_retries=0"]
    (ARTIFACTS / "podtable-failed.png").unlink(missing_ok=True)
    base = f"http://127.0.0.1:{port}"
    with serving(args, env, base, token, log_name="jupyterlab.log", within=90):
        yield base, token


def test_pod_table_in_jupyterlab_shows_running_pods_and_a_scale(jupyterlab, kube, namespace):
    from playwright.sync_api import expect, sync_playwright

    base, token = jupyterlab
    applying.apply(web(namespace, 2), kube=kube)
    waiting.wait_for_rollout("web", namespace, timeout=120, kube=kube)
    names = sorted(p["metadata"]["name"] for p in waiting.wait_for_pods("app=web", namespace, count=2, kube=kube))

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            page.goto(f"{base}/lab/tree/widgets.ipynb?token={token}")
            first = page.locator(".jp-Notebook .jp-Cell").first
            expect(first).to_be_visible(timeout=60_000)
            # Keys pressed before the kernel is connected are lost: wait for the status bar's "Idle".
            expect(page.locator("#jp-main-statusbar")).to_contain_text("Idle", timeout=90_000)
            page.get_by_text("Run", exact=True).first.click()
            page.get_by_text("Run All Cells", exact=True).click()

            rows = page.locator(".jp-OutputArea-output .widget-html-content table tr")
            expect(rows).to_have_count(3, timeout=60_000)  # a header and two pods
            table = page.locator(".jp-OutputArea-output .widget-html-content").first  # the view (the status line follows)
            for name in names:
                expect(table).to_contain_text(name)
            expect(table).to_contain_text("2 pods (2 Running), 2 ready")
            page.screenshot(path=str(ARTIFACTS / "podtable-running.png"), full_page=True)

            applying.patch("Deployment", "web", {"spec": {"replicas": 3}}, namespace, "apps/v1", kube=kube)
            expect(rows).to_have_count(4, timeout=90_000)
            expect(table).to_contain_text("3 pods (3 Running), 3 ready", timeout=90_000)
            page.screenshot(path=str(ARTIFACTS / "podtable-scaled.png"), full_page=True)
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / "podtable-failed.png"), full_page=True)
            raise
        finally:
            browser.close()


@pytest.fixture
def k8slab_lab(tmp_path):
    """`k8slab lab` for real, as a learner starts it: the kit's cluster (reused), then JupyterLab."""
    if not Path(CHROMIUM).exists():
        require(f"Chromium at {CHROMIUM}", "`apt-get install chromium`")
    root = tmp_path / "notebooks"
    root.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import k8slab as lab\ncluster = lab.up()\n!kubectl get nodes -o name")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "first.ipynb")
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_TOKEN": token, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    env.pop("KUBECONFIG", None)  # `k8slab lab` must give JupyterLab the kit's own
    args = [sys.executable, "-m", "k8slab.ui.cli", "lab", "--notebooks", str(root), "--port", str(port), "--no-browser"]
    base = f"http://localhost:{port}"
    with serving(args, env, base, token, log_name="k8slab-lab.log", within=180):  # first the cluster, then JupyterLab
        yield base, token


def test_k8slab_lab_opens_a_notebook_whose_cell_reaches_the_cluster(k8slab_lab, kube):
    """The README's main command: JupyterLab comes up, a notebook opens, a cell talks to the lab cluster."""
    from playwright.sync_api import expect, sync_playwright

    base, token = k8slab_lab
    nodes = [n["metadata"]["name"] for n in applying.list_objects("Node", kube=kube)]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            page.goto(f"{base}/lab/tree/notebooks/first.ipynb?token={token}")
            expect(page.locator(".jp-Notebook .jp-Cell").first).to_be_visible(timeout=60_000)
            expect(page.locator("#jp-main-statusbar")).to_contain_text("Idle", timeout=90_000)
            page.get_by_text("Run", exact=True).first.click()
            page.get_by_text("Run All Cells", exact=True).click()
            output = page.locator(".jp-OutputArea-output")
            for node in nodes:
                expect(output.last).to_contain_text(f"node/{node}", timeout=90_000)
            expect(output.first).to_contain_text("reusing the")
            page.screenshot(path=str(ARTIFACTS / "k8slab-lab.png"), full_page=True)
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / "k8slab-lab-failed.png"), full_page=True)
            raise
        finally:
            browser.close()
