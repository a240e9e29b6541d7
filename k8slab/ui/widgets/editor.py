"""ManifestEditor: edit YAML, check it with the server (dry run), see what would change, apply it.

The buttons call `validate()`, `diff()` and `apply()`; a notebook (or a test) can call them too.
Every problem comes back as the kit's one-line error, shown under the editor.
"""

from __future__ import annotations

import copy
import difflib
from pathlib import Path

import ipywidgets as widgets
import yaml

from k8slab.core.errors import K8sLabError, ManifestError, NotFound
from k8slab.kube.applying import apply, apply_one, get
from k8slab.kube.client import Kube
from k8slab.manifests import loading as manifests
from k8slab.ui.widgets.base import LiveWidget, esc

_VOLATILE = ("managedFields", "resourceVersion", "uid", "creationTimestamp", "generation", "selfLink")


def _version(obj: dict) -> str | None:
    return obj.get("metadata", {}).get("resourceVersion")


def _comparable(obj: dict | None) -> list[str]:
    if obj is None:
        return []
    obj = copy.deepcopy(obj)
    obj.pop("status", None)
    for key in _VOLATILE:
        obj.get("metadata", {}).pop(key, None)
    return yaml.safe_dump(obj, sort_keys=True).splitlines()


def _text_of(manifest) -> str:
    if manifest is None:
        return ""
    if isinstance(manifest, Path) or (isinstance(manifest, str) and "\n" not in manifest and ":" not in manifest):
        try:
            return Path(manifest).read_text(encoding="utf-8")
        except OSError as e:
            raise ManifestError(f"cannot read manifest file {manifest}: {e.strerror}", "check the path") from e
    if isinstance(manifest, str):
        return manifest
    objs = manifests.load(manifest)
    return yaml.safe_dump_all([manifests.clean(o) for o in objs], sort_keys=False)


class ManifestEditor(LiveWidget):
    """`ManifestEditor(yaml_text_or_path, namespace="demo")`: Validate (server dry run), Diff, Apply.

    Used in chapter 07.
    """

    def __init__(self, manifest=None, namespace: str = "default", rows: int = 16, *, kube: Kube):
        self.namespace = namespace
        self.editor = widgets.Textarea(value=_text_of(manifest), layout=widgets.Layout(width="100%"), rows=rows)
        buttons = []
        for label, action in (("Validate", self.validate), ("Diff", self.diff), ("Apply", self.apply)):
            b = widgets.Button(description=label)
            b.on_click(lambda _b, act=action: act())
            buttons.append(b)
        self.result: tuple[str, str] = ("", "")  # (action, one-line outcome)
        self.error_line: str | None = None
        self._diff: list[str] = []
        super().__init__(start=True, kube=kube, controls=[self.editor, widgets.HBox(buttons)])

    @property
    def text(self) -> str:
        return self.editor.value

    def _objects(self) -> list[dict]:
        return manifests.load(self.text)

    def _run(self, action: str, fn) -> str:
        try:
            outcome, self.error_line = fn(), None
            self._line.value = f'<span style="color:#2b8a3e">{esc(outcome)}</span>'
        except K8sLabError as e:
            outcome = self.error_line = f"error: {e}"
            self._line.value = f'<span style="color:#c92a2a">{esc(self.error_line)}</span>'
        with self._cond:
            self.result = (action, outcome)
        self._paint()
        return outcome

    def validate(self) -> str:
        """Ask the API server to accept the objects without storing them (a server-side dry run)."""
        def check():
            done = apply(self.text, self.namespace, kube=self._kube, dry_run=True)
            self._diff = []
            return "valid (server dry run): " + ", ".join(manifests.describe(o) for o in done)
        return self._run("validate", check)

    def diff(self) -> str:
        """What applying would change, object by object: the live object against the dry-run result."""
        def compare():
            lines, changed = [], []
            for obj in self._objects():
                live, after = self._live_and_after(obj)
                name = manifests.describe(after)
                delta = list(difflib.unified_diff(_comparable(live), _comparable(after), f"{name} (live)" if live else "(absent)",
                                                  f"{name} (after apply)", lineterm="", n=2))
                if delta:
                    changed.append(name + ("" if live else " (new)"))
                lines += delta
            self._diff = lines
            return "would change: " + ", ".join(changed) if changed else "no changes: the cluster already has this"
        return self._run("diff", compare)

    def _live_and_after(self, obj: dict) -> tuple[dict | None, dict]:
        """The live object and the dry-run result, both of the same version of it: a controller may
        write to it between the two reads (a new Deployment gets its revision annotation), so read
        again until the dry run was made on the object as read (a few times at most)."""
        meta = obj.get("metadata") or {}
        for _ in range(3):
            try:
                live = get(obj["kind"], meta.get("name"), meta.get("namespace") or self.namespace, obj["apiVersion"], kube=self._kube)
            except NotFound:
                live = None
            after = apply_one(obj, self.namespace, self._kube, dry_run=True)
            if live is None or _version(live) == _version(after):
                break
        return live, after

    def apply(self) -> str:
        """Apply the objects for real (server-side apply)."""
        def do():
            done = apply(self.text, self.namespace, kube=self._kube)
            self._diff = []
            return "applied: " + ", ".join(manifests.describe(o) for o in done)
        return self._run("apply", do)

    def _render(self) -> str:
        colours = {"+": "#2b8a3e", "-": "#c92a2a", "@": "#1c7ed6"}
        body = "\n".join(f'<span style="color:{colours.get(ln[:1], "#495057")}">{esc(ln)}</span>' for ln in self._diff)
        diff = f'<pre style="font-size:11px;max-height:300px;overflow:auto">{body}</pre>' if self._diff else ""
        action, outcome = self.result
        return (f"<div><b>{esc(action)}</b>: {esc(outcome)}</div>" if action else "") + diff

    def html(self) -> str:
        return f'<pre style="font-size:11px">{esc(self.text)}</pre>' + self._render()

    def _summary(self) -> str:
        try:
            names = ", ".join(manifests.describe(o) for o in self._objects())
        except K8sLabError as e:
            names = f"unreadable ({e})"
        action, outcome = self.result
        return f"ManifestEditor: {names}" + (f"; {action}: {outcome}" if action else "")
