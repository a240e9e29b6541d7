"""When a live widget renders: unit tests of `LiveWidget`'s scheduling, with no cluster.

A worker fed from a queue stands in for the watch; `follow` is replaced where the first list is
tested. Every wait is bounded; the only sleep makes the quiet gap that the rule is about.
"""

import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

from k8slab.ui.widgets import base


class Counting(base.LiveWidget):
    """A widget whose state is a number: each item from `feed` sets it."""

    min_interval = 0.2

    def __init__(self):
        self.feed, self.value, self.painters, self.paint_times = queue.Queue(), 0, [], []
        super().__init__(kube=object())

    def _workers(self):
        return [self._work]

    def _work(self):
        while not self._stop.is_set():
            try:
                item = self.feed.get(timeout=0.05)
            except queue.Empty:
                continue
            with self._cond:
                self.value = item
            self._changed()

    def _render(self):
        self.painters.append(threading.current_thread().name)
        self.paint_times.append(time.monotonic())
        return f"<b>{self.value}</b>"

    def _summary(self):
        return str(self.value)


def shown(widget, value):
    return f"<b>{value}</b>" in widget._view.value


def test_a_lone_change_is_drawn_at_once_by_the_thread_that_saw_it():
    with Counting() as w:
        for value in (1, 2, 3):
            if value == 3:
                time.sleep(w.min_interval)  # the quiet gap: two renders just now, so the third waits for it
            w.feed.put(value)
            w.wait_for(lambda w, v=value: shown(w, v), 10)
        assert w.painters == ["k8slab-Counting-_work"] * 3, w.painters


def test_a_burst_is_drawn_at_most_twice_per_interval_and_its_last_state_shows():
    with Counting() as w:
        for i in range(1, 301):
            w.feed.put(i)
        w.wait_for(lambda w: shown(w, 300), 10)
        times = w.paint_times
        assert len(times) < 100, f"{len(times)} renders for 300 changes"
        gaps = [later - first for first, later in zip(times, times[2:], strict=False)]
        assert all(gap >= w.min_interval * 0.99 for gap in gaps), gaps
        assert "k8slab-Counting-_render_loop" in w.painters  # the trailing state came from the render thread


def test_the_first_list_is_drawn_once_whole(monkeypatch):
    listed = [{"metadata": {"name": f"p{i}"}} for i in range(500)]

    def follow(api_version, kind, stop, kube, **query):
        yield from (("ADDED", obj) for obj in listed[:250])
        stop.wait(0.3)  # a render thread woken by the first half would draw it now
        yield from (("ADDED", obj) for obj in listed[250:])
        yield base.SYNCED, {"count": len(listed)}
        stop.wait(10)

    monkeypatch.setattr(base, "follow", follow)

    class Names(base.LiveWidget):
        def __init__(self):
            self.names, self.sizes = set(), []
            super().__init__(kube=object())

        def _workers(self):
            return [lambda: self._mirror("v1", "Pod", lambda o: self.names.add(o["metadata"]["name"]), None)]

        def _render(self):
            self.sizes.append(len(self.names))
            return f"{len(self.names)} names"

        def _summary(self):
            return f"{len(self.names)} names"

    with Names() as w:
        w.wait_for(lambda w: w.renders >= 1, 10)
        assert w.sizes == [500] and w._synced.is_set()


AT_EXIT = """
import atexit, threading
from k8slab.ui.widgets import base

class Idle(base.LiveWidget):
    tick = None  # nothing wakes its render thread but a change or the stop
    def _workers(self):
        return [self._stop.wait]
    def _render(self):
        return "idle"

def report():  # registered first, so it runs after the widget's finalizer
    for thread in widget._threads:
        thread.join(2)
    print("stopped" if not widget.running else "still running")

atexit.register(report)
widget = Idle(kube=object())
widget.wait_for(lambda w: w.running, 10)
"""


def test_the_render_thread_stops_when_the_interpreter_exits():
    done = subprocess.run([sys.executable, "-c", AT_EXIT], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    assert (done.returncode, done.stdout.strip()) == (0, "stopped"), done.stderr
