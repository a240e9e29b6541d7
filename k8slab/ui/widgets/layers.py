"""LayerView: an image's layers as a table: size, the instruction and Dockerfile line, shared with the base or not."""

from __future__ import annotations

import ipywidgets as widgets

from k8slab.imaging.records import Layer, human, summary
from k8slab.ui.widgets.base import StaticFallback, badge, esc, table


class LayerView(StaticFallback, widgets.VBox):
    """`LayerView("hello:latest", dockerfile="assets/hello/Dockerfile")`, or `LayerView.of(build)`.

    The base image's layers can be folded away: they are the same in every image built on it
    (stored once, pulled once), which is the point of the guide's 镜像分层.

    Used in chapter 05.
    """

    def __init__(self, image: str, dockerfile=None, base: str | None = None, records: list[Layer] | None = None):
        if records is None:
            from k8slab import imaging as images

            base = base or images.base_image(image)
            records = images.layers(image, dockerfile, base)
        self.image, self.base, self.records = image, base, list(records)
        self.show_base = widgets.Checkbox(value=True, description="show the base image's layers", indent=False)
        self.view = widgets.HTML()
        self.show_base.observe(lambda _: self._paint(), "value")
        super().__init__(children=[self.show_base, self.view])
        self._paint()

    @classmethod
    def of(cls, build) -> "LayerView":
        """The layers of what `images.build` just made, with their Dockerfile lines."""
        return cls(build.image, build.dockerfile, build.base)

    def summary(self) -> str:
        """The layers as text (no ids or dates): what saved notebooks compare."""
        return summary(self.records, self.image, self.base)

    def html(self) -> str:
        shown = [x for x in self.records if self.show_base.value or not x.shared]
        largest = max((x.size for x in self.records), default=0) or 1
        rows = []
        for x in shown:
            bar = (f'<div style="display:inline-block;vertical-align:middle;height:8px;background:#74c0fc;'
                   f'width:{max(1, round(80 * x.size / largest)) if x.size else 0}px"></div>')
            rows.append([
                str(x.index), f"{esc(human(x.size))} {bar}",
                badge("base", None) if x.shared else badge("own", True),
                esc(x.line or "-"), f"<code>{esc(x.instruction)}</code>",
            ])
        hidden = len(self.records) - len(shown)
        note = f"<div style='font-size:12px;color:#868e96'>{hidden} layers of the base {esc(self.base)} hidden</div>" if hidden else ""
        head = esc(self.summary().splitlines()[0])
        rows_html = table(["#", "size", "layer", "line", "instruction"], rows)
        return f"<div style='font-size:12px;margin-bottom:4px'>{head}</div>{rows_html}{note}"

    def _paint(self) -> None:
        self.view.value = self.html()
