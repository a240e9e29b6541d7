"""Every chapter as a learner first sees it: opened in a real JupyterLab, in headless Chromium.

No cell runs. Each notebook must render its headings (Chinese and English) and draw every Mermaid
diagram as a picture, not as a code block. The pages are saved, in parts of one screen height, to
tests/artifacts/pages/ (gitignored) for a person to look at; CI installs fonts-noto-cjk, so the
Chinese text is drawn in a CJK font, not as empty boxes.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from ..needs import free_port, require
from ..ui.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, REPO, serving

pytestmark = pytest.mark.browser

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
PAGES = ARTIFACTS / "pages"
SCREEN = {"width": 1280, "height": 1000}
MERMAID = re.compile(r"^```mermaid\s*$", re.MULTILINE)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab over a copy of notebooks/, with every cell drawn (no windowing) and no pop-ups."""
    if not Path(CHROMIUM).exists():
        require(f"Chromium at {CHROMIUM}", "`apt-get install chromium`")
    fonts = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True)
    if fonts.returncode or not fonts.stdout.strip():
        require("a Chinese font", "`apt-get install fonts-noto-cjk`")
    tmp = tmp_path_factory.mktemp("pages")
    root = tmp / "k8slab"  # as `k8slab lab` serves a checkout: notebooks/ beside assets/
    for folder in ("notebooks", "assets"):
        shutil.copytree(REPO / folder, root / folder)
    settings = tmp / "settings" / "@jupyterlab"
    (settings / "apputils-extension").mkdir(parents=True)
    (settings / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    (settings / "notebook-extension").mkdir()
    (settings / "notebook-extension" / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"), "JUPYTER_CONFIG_DIR": str(tmp / "config"),
           "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"), "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces")}
    args = [sys.executable, "-m", "jupyter", "lab", "--ip=127.0.0.1", f"--port={port}", "--allow-root", "--no-browser",
            "--ServerApp.open_browser=False", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
            "--ServerApp.port_retries=0"]
    base = f"http://127.0.0.1:{port}"
    shutil.rmtree(PAGES, ignore_errors=True)
    PAGES.mkdir(parents=True)
    with serving(args, env, base, token, log_name="pages-jupyterlab.log", within=90):
        from playwright.sync_api import sync_playwright
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                yield browser, base, token
            finally:
                browser.close()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_chapter_renders_its_headings_and_diagrams(lab, path):
    from playwright.sync_api import expect

    browser, base, token = lab
    book = nbformat.read(path, as_version=4)
    markdown = [c.source for c in book.cells if c.cell_type == "markdown"]
    diagrams = sum(len(MERMAID.findall(m)) for m in markdown)
    title = next(ln.lstrip("# ").strip() for ln in markdown[0].splitlines() if ln.startswith("#"))
    page = browser.new_page(viewport=SCREEN)
    try:
        page.goto(f"{base}/lab/tree/notebooks/{path.name}?token={token}")
        notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")
        expect(notebook.locator(".jp-MarkdownCell").first).to_be_visible(timeout=60_000)
        expect(notebook.locator(".jp-RenderedMarkdown h1").first).to_contain_text(title, timeout=30_000)
        expect(notebook.locator(".jp-MarkdownCell")).to_have_count(len(markdown), timeout=30_000)
        if page.locator("#jp-left-stack").is_visible():  # JupyterLab remembers it from the last page
            page.keyboard.press("Control+b")  # the file browser closed: the page is the chapter
        expect(page.locator("#jp-left-stack")).to_be_hidden()
        if diagrams:
            # JupyterLab draws each diagram as an SVG picture; one it cannot parse gets the warning class
            expect(notebook.locator('.jp-RenderedMermaid img[src^="data:image/svg+xml"]')).to_have_count(diagrams, timeout=60_000)
        expect(notebook.locator(".jp-RenderedMermaid.jp-mod-warning")).to_have_count(0)
        pictures = notebook.locator(".jp-RenderedMarkdown img")
        for i in range(pictures.count()):  # each picture loads (a broken one keeps naturalWidth 0)
            expect(pictures.nth(i)).to_have_js_property("complete", True, timeout=30_000)
            assert pictures.nth(i).evaluate("img => img.naturalWidth") > 0, f"{pictures.nth(i).get_attribute('src')} does not load"
        shots = page.evaluate("""() => {
            const el = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer');
            return Math.ceil(el.scrollHeight / el.clientHeight);
        }""")
        for i in range(shots):
            page.evaluate("""(i) => {
                const el = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer');
                el.scrollTop = i * el.clientHeight;
            }""", i)
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")  # painted
            page.screenshot(path=str(PAGES / f"{path.stem}-{i + 1:02d}.png"))
    except BaseException:
        page.screenshot(path=str(PAGES / f"{path.stem}-failed.png"))
        raise
    finally:
        page.close()
