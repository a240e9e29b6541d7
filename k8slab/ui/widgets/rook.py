"""Rook's progress as six rows: operator, mon, mgr, osd-prepare, osd, health.

Each row turns from waiting to running to done (or failed, with the one-line reason) as the
watches in `k8slab.rook.progress` report; no polling, no sleeps. The plain-text fallback is
the same six lines, so a saved notebook still tells what happened.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from k8slab.lessons.rook import progress as rook_progress

ICONS = {"waiting": "○", "running": "◔", "done": "●", "failed": "✗"}
COLOURS = {"waiting": "#888", "running": "#b58900", "done": "#2aa198", "failed": "#dc322f"}


class RookProgress(widgets.VBox):
    """Draws `rook.watch()`: `lab.widgets.RookProgress(rook.watch()).show()`.

    Used in chapter 04b.
    """

    def __init__(self, watch: rook_progress.Watch | None = None):
        self.watch = watch if watch is not None else rook_progress.Watch()
        self.namespace = self.watch.namespace
        self.stages = [rook_progress.Stage(s) for s in rook_progress.STAGES]
        self._rows = {s.name: widgets.HTML(self._row(s)) for s in self.stages}
        title = widgets.HTML(f"<b>Rook in {html.escape(self.namespace)}</b>")
        super().__init__([title, *self._rows.values()])

    @staticmethod
    def _row(stage) -> str:
        colour = COLOURS.get(stage.state, "#888")
        detail = f" — {html.escape(stage.detail)}" if stage.detail else ""
        return (f"<span style='color:{colour}'>{ICONS.get(stage.state, '?')} <b>{stage.name}</b> "
                f"{stage.state}</span>{detail}")

    def _update(self, stage) -> None:
        for i, s in enumerate(self.stages):
            if s.name == stage.name:
                self.stages[i] = stage
        self._rows[stage.name].value = self._row(stage)

    def run(self) -> list:
        """Follow every stage (blocking); the rows update live while the cell runs."""
        self.stages = self.watch.run(on_update=self._update)
        return self.stages

    def show(self, progress=print) -> None:
        """Show the widget, follow until HEALTH_OK or a stage fails, then print the outcome in one line."""
        from IPython.display import display

        display(self)
        self.run()
        progress(rook_progress.summary(self.stages))

    def summary(self) -> str:
        """One line per stage, as plain text (the saved notebook's fallback)."""
        return "\n".join(str(s) for s in self.stages)

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs) or {}
        data["text/plain"] = self.summary()
        return data
