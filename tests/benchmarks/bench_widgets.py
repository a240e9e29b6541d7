"""Benchmarks of the live widgets against the real test cluster (a script, not collected by pytest).

    KUBECONFIG=... python tests/benchmarks/bench_widgets.py [--pods 2000] [--toggles 20] [--window 120]

1. latency: a pod's status changes (the script sets status.reason of a pending pod through
   pods/status); the time until PodTable's view shows it, against the time until a raw watch
   (the kube layer's `follow`) delivers the event, in the same run: their ratio.
2. scale: PodTable over N pending pods (a nodeSelector nothing matches), in a namespace of its
   own that is deleted afterwards: time to first render against a raw list plus json.loads of the
   same pods, taken in turns (the ratio of their medians), render cost, and per-event latency.
   Each turn starts from a full garbage collection: parsing 2,000 pods allocates enough to set off
   a full pass (over 0.1 s here), which otherwise lands on one side or the other at random.
   The scheduler keeps updating pending pods meanwhile, so the view is busy and redraws at most
   every 0.1 s: the changes come at random phases of that beat (a fixed gap would lock onto it).
3. requests: API requests per minute at steady state for each widget, counted by a shim
   around the ApiClient's `call_api` (here only, not in the package), by the calling thread.
"""

from __future__ import annotations

import argparse
import collections
import gc
import json
import os
import random
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from k8slab.clusters import choosing as cluster
from k8slab.kube import applying, waiting, watching
from k8slab.ui.widgets import ClusterMap, EventFeed, LogView, ManifestEditor, PodTable, RolloutProgress, SpecStatus

BUSYBOX = "k8slab.local/busybox:1"
NOWHERE = {"k8slab.io/nowhere": "true"}  # no node has it: the pod stays Pending, unscheduled


def pod(name: str, command=("sleep", "3600"), **spec) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"bench": "yes"}},
            "spec": {"terminationGracePeriodSeconds": 0, **spec,
                     "containers": [{"name": "main", "image": BUSYBOX, "imagePullPolicy": "Never", "command": list(command)}]}}


class Namespace:
    def __init__(self, kube, prefix: str):
        self.kube, self.name = kube, f"{prefix}-{uuid.uuid4().hex[:6]}"

    def __enter__(self) -> str:
        applying.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": self.name}}, kube=self.kube)
        # 1.20 refuses pods until the namespace's default ServiceAccount has its token
        waiting.watch_until("v1", "ServiceAccount", "default", self.name, lambda sa: bool(sa and sa.get("secrets")), timeout=60,
                            kube=self.kube)
        return self.name

    def __exit__(self, *exc):
        applying.delete(kind="Namespace", name=self.name, kube=self.kube, timeout=600)


def html_watcher(widget, predicate) -> tuple[threading.Event, list]:
    """An Event set (and the time noted) when the widget's view value first satisfies `predicate`."""
    hit, when = threading.Event(), []

    def seen(change):
        if not hit.is_set() and predicate(change["new"]):
            when.append(time.perf_counter())
            hit.set()
    widget._view.observe(seen, "value")
    return hit, when


def bench_latency(kube, toggles: int, gap: float) -> dict:
    """A pending pod's status.reason toggled through pods/status: no kubelet in the way, so the
    difference between the two clocks is what the widget adds to the watch.

    Two things would tilt it. A change reaches the watch opened last first (seen here: 1.05-1.12x
    with the raw watch opened after the view's, 0.98-1.04x with it opened before), so each order
    takes half of the changes. And the timing thread sleeps until both have seen
    a change: woken by the first, it would hold the GIL while the other is still parsing."""
    raw_lat, widget_lat, by_order = [], [], {}
    with Namespace(kube, "bench-lat") as ns:
        applying.apply(pod("flip", nodeSelector=NOWHERE), ns, kube=kube)
        for order, count in (("view first", toggles // 2), ("raw first", toggles - toggles // 2)):
            raw, view = _timed_changes(kube, ns, count, gap, raw_first=order == "raw first", start=len(raw_lat))
            raw_lat += raw
            widget_lat += view
            by_order[order] = statistics.median(view) / statistics.median(raw)
    r, w = statistics.median(raw_lat), statistics.median(widget_lat)
    return {"toggles": toggles, "gap": gap, "raw_ms": r * 1000, "widget_ms": w * 1000, "ratio": w / r, "by_order": by_order,
            "added_ms": statistics.median(b - a for a, b in zip(raw_lat, widget_lat, strict=True)) * 1000}


def _timed_changes(kube, ns: str, count: int, gap: float, *, raw_first: bool, start: int) -> tuple[list, list]:
    """`count` changes of the pod's status.reason: seconds until a raw watch, and until a PodTable's view, had each."""
    raw_stop, both = watching.Stop(), threading.Condition()
    raw_seen: dict[str, float] = {}
    view_seen: dict[str, float] = {}

    def note(seen: dict, reason: str | None) -> None:
        t = time.perf_counter()
        with both:
            seen.setdefault(reason, t)
            if reason in raw_seen and reason in view_seen:
                both.notify_all()

    def raw():
        for etype, obj in watching.follow("v1", "Pod", ns, name="flip", stop=raw_stop, kube=kube):
            if etype == "SYNCED":
                note(raw_seen, "")
            elif etype != "DELETED":
                note(raw_seen, (obj.get("status") or {}).get("reason"))

    def open_view() -> PodTable:
        table = PodTable(namespace=ns, kube=kube)
        table.wait_for(lambda t: len(t.pods) == 1, 30)
        return table

    table = None if raw_first else open_view()
    threading.Thread(target=raw, daemon=True).start()
    with both:
        assert both.wait_for(lambda: "" in raw_seen, 30), "the raw watch did not start"
    table = table or open_view()
    want = ""
    table._view.observe(lambda change: f"({want})" in change["new"] and note(view_seen, want), "value")
    raw_lat, widget_lat = [], []
    for i in range(start, start + count):
        time.sleep(gap)  # the benchmark's pacing: isolated changes, or back to back with gap 0
        want = f"Bench{i}"
        t0 = time.perf_counter()
        kube.core.patch_namespaced_pod_status("flip", ns, {"status": {"reason": want}})
        with both:
            seen = both.wait_for(lambda w=want: w in raw_seen and w in view_seen, 30)
        assert seen, f"{want}: seen by the raw watch {want in raw_seen}, by the view {want in view_seen}"
        raw_lat.append(raw_seen[want] - t0)
        widget_lat.append(view_seen[want] - t0)
    raw_stop.set()
    table.close()
    return raw_lat, widget_lat


def bench_scale(kube, count: int, gap: float, deletes: int = 30) -> dict:
    with Namespace(kube, "bench-scale") as ns:
        started = time.perf_counter()
        body = lambda i: pod(f"p{i:05d}", nodeSelector=NOWHERE)  # noqa: E731
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: kube.core.create_namespaced_pod(ns, body(i)), range(count)))
        created = time.perf_counter() - started
        raw_lists, first_renders, table = _first_renders(kube, ns, count)
        renders = []
        for _ in range(20):
            s = time.perf_counter()
            table._render()
            renders.append(time.perf_counter() - s)
        raw = DeleteWatch(kube, ns)
        time.sleep(1)  # let the raw watch list before the first delete (the benchmark, not the package, sleeps)
        raw_lat, widget_lat = _deleted_one_by_one(kube, table, raw, ns=ns, count=count, deletes=deletes, gap=gap)
        events_before, burst_lag = _deleted_at_once(kube, table, raw, ns=ns, count=count, deletes=deletes)
        raw.stop.set()
        table.close()
    r, w = statistics.median(raw_lat), statistics.median(widget_lat)
    raw_list, first_render = statistics.median(raw_lists), statistics.median(first_renders)
    return {"pods": count, "create_s": created, "first_render_s": first_render, "raw_list_s": raw_list,
            "first_render_ratio": first_render / raw_list, "render_ms": statistics.median(renders) * 1000,
            "event_raw_ms": r * 1000, "event_widget_ms": w * 1000, "event_ratio": w / r,
            "burst_events": table.events - events_before, "burst_lag_ms": burst_lag * 1000}


def _first_renders(kube, ns: str, count: int) -> tuple[list, list, PodTable]:
    """Five turns of a raw list of the pods against a new PodTable's first render; the last table stays open."""
    raw_lists, first_renders = [], []
    for turn in range(5):
        gc.collect()
        s = time.perf_counter()  # the floor: one raw list of the same pods and json.loads of it
        resp = kube.dyn.request("GET", f"/api/v1/namespaces/{ns}/pods", serialize=False, _request_timeout=(10, 120))
        assert len(json.loads(resp.data)["items"]) == count
        raw_lists.append(time.perf_counter() - s)
        gc.collect()
        t0 = time.perf_counter()
        table = PodTable(namespace=ns, kube=kube)
        hit, when = html_watcher(table, lambda html: f": {count} pods" in html)
        assert hit.wait(120) or f": {count} pods" in table._view.value, table.summary()
        first_renders.append((when[0] if when else time.perf_counter()) - t0)
        if turn < 4:
            table.close()
    return raw_lists, first_renders, table


class DeleteWatch:
    """A raw watch (the kube layer's `follow`) that notes when each pod's DELETED event arrived."""

    def __init__(self, kube, ns: str):
        self.stop, self.seen, self.cond = watching.Stop(), {}, threading.Condition()
        threading.Thread(target=self._run, args=(kube, ns), daemon=True).start()

    def _run(self, kube, ns: str) -> None:
        for etype, obj in watching.follow("v1", "Pod", ns, stop=self.stop, kube=kube):
            if etype == "DELETED":
                with self.cond:
                    self.seen[obj["metadata"]["name"]] = time.perf_counter()
                    self.cond.notify_all()

    def wait_for(self, predicate, timeout: float) -> None:
        with self.cond:
            self.cond.wait_for(lambda: predicate(self.seen), timeout)


def _deleted_one_by_one(kube, table: PodTable, raw: DeleteWatch, *, ns: str, count: int, deletes: int,
                        gap: float) -> tuple[list, list]:
    """`deletes` pods deleted one at a time: seconds until the raw watch, and until the view, had each."""
    raw_lat, widget_lat = [], []
    for i in range(deletes):
        time.sleep(gap + random.uniform(0, table.min_interval))
        name, left = f"p{i:05d}", count - i - 1
        hit, when = html_watcher(table, lambda html, n=left: f": {n} pods" in html)
        t0 = time.perf_counter()
        kube.core.delete_namespaced_pod(name, ns, grace_period_seconds=0)
        raw.wait_for(lambda seen: name in seen, 30)
        assert hit.wait(30), table.summary()
        raw_lat.append(raw.seen[name] - t0)
        widget_lat.append(when[0] - t0)
    return raw_lat, widget_lat


def _deleted_at_once(kube, table: PodTable, raw: DeleteWatch, *, ns: str, count: int, deletes: int) -> tuple[int, float]:
    """Up to 200 pods deleted at once: the view's event count before, and seconds from the raw watch's last event to the view's."""
    events_before = table.events
    burst = min(200, count - deletes)
    hit, when = html_watcher(table, lambda html, n=count - deletes - burst: f": {n} pods" in html)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: kube.core.delete_namespaced_pod(f"p{i:05d}", ns, grace_period_seconds=0), range(deletes,
                                                                                                                deletes + burst)))
    raw.wait_for(lambda seen: len(seen) >= deletes + burst, 60)
    with raw.cond:
        last_raw = max(raw.seen.values())
    assert hit.wait(60), table.summary()
    return events_before, when[0] - last_raw


class Counter:
    """Counts the ApiClient's requests by the widget class whose thread made them."""

    def __init__(self, api):
        self.counts, self.lock, self.on = collections.Counter(), threading.Lock(), False
        original = api.call_api

        def call_api(*args, **kwargs):
            if self.on:
                who = threading.current_thread().name.split("-")
                with self.lock:
                    self.counts[who[1] if who[0] == "k8slab" else "other"] += 1
            return original(*args, **kwargs)
        api.call_api = call_api


def bench_requests(kube, window: float) -> dict:
    counter = Counter(kube.api)
    with Namespace(kube, "bench-req") as ns:
        applying.apply(pod("talker", ("sh", "-c", "while true; do echo tick; sleep 1; done")), ns, kube=kube)
        dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
               "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": {
                   "metadata": {"labels": {"app": "web"}},
                   "spec": {"containers": [{"name": "web", "image": BUSYBOX, "imagePullPolicy": "Never", "command": ["httpd", "-f", "-p",
                                                                                                                     "8080"]}]}}}}
        applying.apply(dep, ns, kube=kube)
        waiting.wait_for_rollout("web", ns, kube=kube)
        waiting.wait_for_pod("talker", ns, kube=kube)
        made = [PodTable(namespace=ns, kube=kube), RolloutProgress("web", ns, kube=kube), LogView("talker", ns, kube=kube),
                EventFeed(namespace=ns, kube=kube), ClusterMap(kube=kube), SpecStatus("Deployment", "web", ns, kube=kube),
                ManifestEditor(dep, ns, kube=kube)]
        for w in made:
            w._synced.wait(30)
        counter.on = True
        time.sleep(window)  # the measured steady state (the benchmark's clock, not a wait in the package)
        counter.on = False
        for w in made:
            w.close()
    return {name: counter.counts.get(name, 0) * 60 / window for name in
            ("PodTable", "RolloutProgress", "LogView", "EventFeed", "ClusterMap", "SpecStatus", "ManifestEditor")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pods", type=int, default=2000)
    ap.add_argument("--toggles", type=int, default=20)
    ap.add_argument("--window", type=float, default=120)
    ap.add_argument("--gap", type=float, default=0.5, help="seconds between the single changes (the view renders at most every 0.1 s)")
    ap.add_argument("--only", default="latency,scale,requests")
    args = ap.parse_args()
    kube = cluster.use(os.environ.get("K8SLAB_KUBECONFIG") or os.environ.get("KUBECONFIG")).kube
    only = set(args.only.split(","))
    if "latency" in only:
        for gap in (args.gap, 0):
            r = bench_latency(kube, args.toggles, gap)
            print(f"latency  ({r['toggles']} status changes, {gap:g} s apart): raw watch {r['raw_ms']:.1f} ms, PodTable view "
                  f"{r['widget_ms']:.1f} ms -> ratio {r['ratio']:.2f}x (widget adds {r['added_ms']:.1f} ms; "
                  + ", ".join(f"{k}: {v:.2f}x" for k, v in r["by_order"].items()) + ")")
    if "scale" in only:
        r = bench_scale(kube, args.pods, args.gap)
        print(f"scale    {r['pods']} pending pods (created in {r['create_s']:.1f} s): first render {r['first_render_s']:.2f} s "
              f"against a raw list + json.loads of {r['raw_list_s']:.2f} s (medians of 5, in turns) "
              f"-> ratio {r['first_render_ratio']:.2f}x, "
              f"render {r['render_ms']:.1f} ms; one event: raw {r['event_raw_ms']:.1f} ms, view {r['event_widget_ms']:.1f} ms "
              f"-> ratio {r['event_ratio']:.2f}x; burst of {r['burst_events']} events: "
              f"view caught up {r['burst_lag_ms']:.0f} ms after the raw watch")
    if "requests" in only:
        r = bench_requests(kube, args.window)
        print(f"requests per minute at steady state ({args.window:g} s window): " + ", ".join(f"{k} {v:.1f}" for k, v in r.items()))


if __name__ == "__main__":
    main()
