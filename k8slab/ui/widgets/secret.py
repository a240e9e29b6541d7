"""A password or token shown masked, with a button that reveals it for a while.

The clear text reaches the browser only while revealed, and never the notebook file: the
widget's plain-text and HTML fallbacks (what a saved notebook, nbconvert or GitHub show)
carry only the mask, and the revealed text hides itself again after `reveal_seconds`.
"""

from __future__ import annotations

import html
import threading

import ipywidgets as widgets

from k8slab.kube.tokens import MASK, Sensitive


class SecretView(widgets.HBox):
    """A secret shown masked: the button reveals it for a while, and a saved notebook keeps only the mask.

    Used in chapters 03, 04b.
    """
    def __init__(self, secret: Sensitive | str, description: str | None = None, reveal_seconds: float = 30):
        description = description or (secret.label if isinstance(secret, Sensitive) else "secret")
        self._secret = secret if isinstance(secret, Sensitive) else Sensitive(secret, description)
        self.description = description
        self.reveal_seconds = reveal_seconds
        self._timer: threading.Timer | None = None
        self._label = widgets.Label(f"{description}:")
        self._text = widgets.HTML(self._masked_html())
        self._button = widgets.ToggleButton(value=False, description="reveal", icon="eye",
                                            tooltip=f"show the {description} for {reveal_seconds:g} s")
        self._button.observe(self._toggled, names="value")
        super().__init__([self._label, self._text, self._button])

    def _masked_html(self) -> str:
        return f"<code>{MASK}</code>"

    @property
    def revealed(self) -> bool:
        return self._button.value

    def reveal(self) -> None:
        self._button.value = True

    def hide(self) -> None:
        self._button.value = False

    def _toggled(self, change) -> None:
        if self._timer:
            self._timer.cancel()
            self._timer = None
        if change["new"]:
            self._text.value = f"<code>{html.escape(self._secret.reveal())}</code>"
            self._button.description, self._button.icon = "hide", "eye-slash"
            if self.reveal_seconds:
                self._timer = threading.Timer(self.reveal_seconds, self.hide)
                self._timer.daemon = True
                self._timer.start()
        else:
            self._text.value = self._masked_html()
            self._button.description, self._button.icon = "reveal", "eye"

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs) or {}
        data["text/plain"] = self.summary()
        data["text/html"] = f"<span>{html.escape(self.description)}: <code>{MASK}</code> (masked)</span>"
        return data

    def summary(self) -> str:
        """Stable text (what a saved notebook shows): the mask, never the value."""
        return f"{self.description}: {MASK}"

    def __repr__(self) -> str:
        return f"<SecretView {self.description}: {MASK}>"
