"""BuildProgress: a `docker build` as a bar of Dockerfile steps above the builder's log."""

from __future__ import annotations

import threading
from typing import Mapping

import ipywidgets as widgets

from k8slab.core.errors import K8sLabError
from k8slab.imaging.records import StepTracker, steps_summary
from k8slab.ui.widgets.base import StaticFallback, badge, esc


class BuildProgress(StaticFallback, widgets.VBox):
    """Give it to a build as its progress callback, or let it run the build::

        bp = BuildProgress(); display(bp)
        bp.run(base="node:22")          # = lab.images.build(progress=bp, base="node:22")

    The bar counts the Dockerfile's steps; the log shows every line the builder sent.

    Used in chapter 05.
    """

    def __init__(self, title: str = "build", *, overrides: Mapping[str, str] | None = None):
        """`overrides`: the image override map `run` builds with (`lab.widgets` passes the settings')."""
        self.overrides = overrides
        self.bar = widgets.IntProgress(value=0, min=0, max=1, description=title, bar_style="info")
        self.status = widgets.HTML()
        self.output = widgets.Output(layout=widgets.Layout(max_height="16em", overflow="auto", border="1px solid #dee2e6"))
        super().__init__(children=[widgets.HBox([self.bar, self.status]), self.output])
        self._lock = threading.Lock()
        self.lines: list[str] = []
        self.tracker = StepTracker()
        self.build = None  # the images.Build once finished
        self.error: str | None = None

    def __call__(self, line: str) -> None:
        """One line of the builder's output (the signature of a `progress` callback)."""
        with self._lock:
            self.lines.append(line)
            step = self.tracker.feed(line)
        self.output.append_stdout(line + "\n")
        if step is not None:
            self.bar.max = step.total
            self.bar.value = step.number - 1
            self.status.value = f"step {step.number}/{step.total}: <code>{esc(step.instruction)}</code>"

    def run(self, **build_args):
        """Run `images.build(**build_args)` with this widget as its progress; returns the Build."""
        from k8slab import imaging as images

        try:
            result = images.build(progress=self, **{"overrides": self.overrides, **build_args})
        except K8sLabError as e:
            self.failed(e)
            raise
        self.finished(result)
        return result

    def finished(self, build) -> None:
        with self._lock:
            self.build = build
        self.bar.max = max(len(build.steps), 1)
        self.bar.value = self.bar.max
        self.bar.bar_style = "success"
        cached = sum(s.from_cache for s in build.steps)
        self.status.value = f"{badge('built', True)} <code>{esc(build.image)}</code>, {cached}/{len(build.steps)} steps from the cache"

    def failed(self, error: Exception) -> None:
        with self._lock:
            self.error = str(error)
        self.bar.bar_style = "danger"
        self.status.value = f"{badge('failed', False)} {esc(error)}"

    def summary(self) -> str:
        """Stable text of the build (no ids, no times): what saved notebooks compare."""
        with self._lock:
            if self.error:
                return f"build failed: {self.error}"
            if self.build is not None:
                return f"{self.build}\n{steps_summary(self.build.steps)}"
            step = self.tracker.current
        if step is None:
            return "build: not started"
        return f"building: step {step.number}/{step.total}: {step.instruction}"

    def html(self) -> str:
        """The widget as static HTML (for a saved notebook without a kernel)."""
        pct = round(100 * self.bar.value / max(self.bar.max, 1))
        color = {"success": "#2b8a3e", "danger": "#c92a2a"}.get(self.bar.bar_style, "#1c7ed6")
        with self._lock:
            log = "\n".join(self.lines[-200:])
        return (f'<div style="display:flex;gap:8px;align-items:center;font-size:12px">'
                f'<div style="width:240px;height:12px;background:#e9ecef;border-radius:3px">'
                f'<div style="width:{pct}%;height:100%;background:{color};border-radius:3px"></div></div>'
                f'<span>{self.status.value}</span></div>'
                f'<pre style="max-height:16em;overflow:auto;font-size:11px">{esc(log)}</pre>')
