"""What every live widget shares: background threads, an HTML view, a summary, a static fallback.

A widget's worker threads follow the cluster (through `k8slab.kube.watching`) and change its
state under `self._cond`. The state is turned into HTML and set as the view's `value` trait at
most twice in any `min_interval` seconds: by the worker itself while that allows (so a change,
or a pod's Terminating followed by its deletion, shows at once, with no hand-over between
threads), otherwise by the render thread, which gathers the rest of a burst into one render.
Threads only ever set traits. They are daemons and stop on `stop()`/`close()` and when the
kernel exits (a weakref finalizer, which also wakes the render thread).
"""

from __future__ import annotations

import collections
import html
import threading
import time
import weakref
from datetime import datetime, timezone
from typing import Callable

import ipywidgets as widgets

from k8slab.core.errors import ClusterUnreachable, K8sLabError, WaitTimeout
from k8slab.kube.client import Kube
from k8slab.kube.watching import SYNCED, Stop, follow

STYLE = (
    "<style>@keyframes k8slab-flash{from{background:#ffe066}to{background:transparent}}"
    ".k8slab-flash{animation:k8slab-flash 2s ease-out}</style>"
)
COLORS = {True: "#2b8a3e", False: "#c92a2a", None: "#868e96"}


class StaticFallback:
    """Mixed into a widget: its `summary()` as text/plain and its `html()` as text/html beside the
    live view, so a saved notebook (and nbval) still has something without a kernel."""

    def __repr__(self) -> str:
        return self.summary()

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs) or {}
        data["text/plain"] = self.summary()
        data["text/html"] = self.html()
        return data


def esc(value) -> str:
    return html.escape("" if value is None else str(value))


def badge(text: str, healthy: bool | None) -> str:
    return f'<span style="color:#fff;background:{COLORS[healthy]};border-radius:3px;padding:0 4px">{esc(text)}</span>'


def table(headers: list[str], rows: list[list[str]], flash: list[set[int]] | None = None) -> str:
    """An HTML table of already-escaped cells; `flash[i]` names the cells of row i to highlight."""
    cell = 'style="padding:1px 8px;text-align:left;border-bottom:1px solid #eee"'
    head = "".join(f"<th {cell}>{esc(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        marks = (flash[i] if flash else set())
        body.append("<tr>" + "".join(
            f'<td {cell}{" class=k8slab-flash" if j in marks else ""}>{c}</td>' for j, c in enumerate(row)) + "</tr>")
    return f'<table style="border-collapse:collapse;font-family:monospace;font-size:12px"><tr>{head}</tr>{"".join(body)}</table>'


def age(timestamp: str | None) -> str:
    """kubectl's AGE: 42s, 5m, 3h, 2d."""
    if not timestamp:
        return ""
    secs = int((datetime.now(timezone.utc) - datetime.fromisoformat(timestamp.replace("Z", "+00:00"))).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if secs >= 2 * size or (unit == "m" and secs >= size):
            return f"{secs // size}{unit}"
    return f"{max(secs, 0)}s"


def _halt(stop: Stop, cond: threading.Condition) -> None:
    """Stop the workers and wake the render thread (a function: a finalizer must not hold the widget)."""
    stop.set()
    with cond:
        cond.notify_all()


class LiveWidget(widgets.VBox):
    """Base of the live views: subclasses give `_workers`, `_render` and `_summary`."""

    tick: float | None = None  # re-render this often even without changes (for ages)
    min_interval = 0.1  # seconds between renders at most
    first_wait = 3.0  # how long a display waits for the first state, for the saved HTML
    max_retry_delay = 10.0  # seconds between a failed worker's retries at most

    def __init__(self, start: bool = True, controls: list | None = None, *, kube: Kube):
        self._kube = kube
        self._view = widgets.HTML()
        self._line = widgets.HTML()
        super().__init__(children=[*(controls or []), self._view, self._line])
        self._cond = threading.Condition(threading.RLock())
        self._stop = Stop()
        self._dirty = False
        self._painted = collections.deque([0.0, 0.0], maxlen=2)  # time.monotonic() of the last two renders
        self._painting = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._synced = threading.Event()
        self.error: str | None = None
        self.renders = 0
        weakref.finalize(self, _halt, self._stop, self._cond)  # at garbage collection, or when the kernel exits
        if start:
            self.start()

    # -- what subclasses fill in
    def _workers(self) -> list[Callable[[], None]]:
        return []

    def _render(self) -> str:
        raise NotImplementedError

    def _summary(self) -> str:
        raise NotImplementedError

    def _mirror(self, api_version: str, kind: str, upsert: Callable[[dict], None],
                delete: Callable[[dict], None], **query) -> None:
        """A worker's loop: follow objects (`kube.watching.follow`: list, watch, relist on 410 Gone,
        stop with the widget) into the widget's state; `upsert`/`delete` run under the lock, then
        the view re-renders. The first list is rendered once, whole: waking the render thread for
        each listed object would make the first view of 2,000 pods wait on 2,000 renders."""
        for etype, obj in follow(api_version, kind, stop=self._stop, kube=self._kube, **query):
            with self._cond:
                if etype == SYNCED:
                    self._ok()
                elif etype == "DELETED":
                    delete(obj)
                else:
                    upsert(obj)
                if not self._synced.is_set():
                    continue
            self._changed()

    # -- life cycle
    def start(self) -> "LiveWidget":
        """Start following the cluster (done by the constructor unless `start=False`)."""
        if self._threads or self._stop.is_set():
            return self
        workers = self._workers()
        if not workers:  # a view changed only by the learner's clicks: painted by its own methods
            self._ok()
            self._paint()
            return self
        for fn in workers:
            self._spawn(fn)
        self._spawn(self._render_loop)
        return self

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def stop(self, timeout: float = 5) -> None:
        """Stop the updates; the view keeps showing the last state."""
        _halt(self._stop, self._cond)
        for t in list(self._threads):
            if t is not threading.current_thread():
                t.join(timeout)
        self._line.value = '<span style="color:#868e96">stopped</span>'

    def close(self) -> None:
        """Stop the updates and remove the widget."""
        self.stop()
        super().close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _spawn(self, fn: Callable, *args) -> threading.Thread:
        t = threading.Thread(target=self._guarded, args=(fn, *args), daemon=True,
                             name=f"k8slab-{type(self).__name__}-{getattr(fn, '__name__', 'worker')}")
        with self._cond:
            self._threads = [x for x in self._threads if x.is_alive()] + [t]
        t.start()
        return t

    def _guarded(self, fn: Callable, *args) -> None:
        """Run a worker; a kit error is shown in one line and the worker starts over, with backoff
        (at most `max_retry_delay`, so the view comes back soon after the cluster does)."""
        delay = 1.0
        while not self._stop.is_set():
            try:
                fn(*args)
                return
            except ClusterUnreachable as e:
                lost = "connection lost" if self._synced.is_set() else "no connection"
                self._fail(f"{lost}, retrying in {delay:g}s: {e}")
            except K8sLabError as e:
                self._fail(str(e))
            except Exception as e:  # a bug: say so in the view rather than die silently
                self._fail(f"{type(e).__name__}: {e}")
                return
            if self._stop.wait(delay):
                return
            delay = min(delay * 2, self.max_retry_delay)

    def _fail(self, message: str) -> None:
        with self._cond:
            self.error = message
            self._cond.notify_all()
        self._line.value = f'<span style="color:#c92a2a">{esc(message)}</span>'

    def _ok(self) -> None:
        """The state is in step with the cluster (again)."""
        with self._cond:
            self._synced.set()
            had_error, self.error = self.error, None
            self._cond.notify_all()
        if had_error:
            self._line.value = ""

    def _changed(self) -> None:
        with self._cond:
            now = not self._stop.is_set() and self._due() <= 0 and self._painting.acquire(blocking=False)
            self._dirty = self._dirty or not now
            self._cond.notify_all()
        if now:
            try:
                self._paint()
            finally:
                self._painting.release()

    def _render_loop(self) -> None:
        while True:
            with self._cond:
                changed = self._cond.wait_for(lambda: self._dirty or self._stop.is_set(), timeout=self.tick)
            if self._stop.wait(max(0.0, self._due())):
                return
            with self._painting:
                if self._dirty or not changed:  # a change not yet shown, or the tick (ages move on)
                    self._paint()

    def _due(self) -> float:
        """Seconds until the view may render again: at most twice in any `min_interval`."""
        return self._painted[0] + self.min_interval - time.monotonic()

    def _paint(self) -> None:
        with self._cond:
            self._dirty = False
            self._painted.append(time.monotonic())
        value = STYLE + self._render()
        if value != self._view.value:
            self._view.value = value
        with self._cond:
            self.renders += 1
            self._cond.notify_all()

    # -- reading the state
    def summary(self) -> str:
        """Stable text of the state (no ages, hashes or addresses): what nbval compares."""
        with self._cond:
            text = self._summary()
        return text + (f" [error: {self.error}]" if self.error else "")

    def html(self) -> str:
        """The view as static HTML (what a saved notebook shows without a kernel)."""
        return self._render()

    def wait_for(self, predicate: Callable[["LiveWidget"], bool], timeout: float = 60) -> "LiveWidget":
        """Block until `predicate(self)` holds, re-checked at each state change; WaitTimeout after `timeout`."""
        with self._cond:
            if not self._cond.wait_for(lambda: predicate(self), timeout):
                raise WaitTimeout(f"{type(self).__name__} did not get there in {timeout:g}s: {self.summary()}")
        return self

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs) or {}
        with self._cond:  # the first state (or error), so the saved HTML shows something real
            self._cond.wait_for(lambda: self._synced.is_set() or self.error, self.first_wait)
        data["text/plain"] = self.summary()
        data["text/html"] = self.html()
        return data
