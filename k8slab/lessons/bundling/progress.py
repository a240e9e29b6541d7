"""Progress of the bundle commands: a line per item, and a bar over a long copy in a terminal."""

from __future__ import annotations

import sys
from typing import Callable, TextIO

from k8slab.imaging.records import human

Meter = Callable[[int, int], None]  # bytes done, bytes in all (of the item at hand)


class Bar:
    """`line()` prints a progress line; `meter()` redraws one bar line in place (a terminal only)."""

    def __init__(self, stream: TextIO = sys.stderr, width: int = 30):
        self.stream, self.width, self.shown, self.percent = stream, width, False, -1
        self.tty = stream.isatty()

    def line(self, text: str) -> None:
        self._clear()
        print(f"  {text}", file=self.stream, flush=True)

    def meter(self, done: int, total: int) -> None:
        if not self.tty or total <= 0:
            return
        percent = 100 * done // total
        if self.shown and percent == self.percent:
            return
        self.percent = percent
        filled = min(self.width, self.width * done // total)
        self.stream.write(f"\r  [{'#' * filled}{'.' * (self.width - filled)}] {percent:3d}% "
                          f"{human(done)} of {human(total)}\033[K")
        self.stream.flush()
        self.shown = True

    def _clear(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.shown = False
