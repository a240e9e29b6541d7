"""Following the cluster as it changes: objects (list, then watch) and container logs.

Widgets run these generators on background threads. Both end promptly once their `stop`
event is set: watch requests ask the server to close after a short window, and a `Stop`
event also shuts down the socket of the stream being read, so a blocked read returns at once.
"""

from __future__ import annotations

import json
import logging
import threading
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Callable, Iterator

import urllib3
from kubernetes.client.rest import ApiException
from kubernetes.watch.watch import iter_resp_lines

from k8slab.core.errors import ClusterUnreachable
from k8slab.kube.client import Kube, translate, translating

# Besides the server's ADDED / MODIFIED / DELETED, `follow` yields ("SYNCED", {...}) after
# each (re)list: everything listed has been yielded, live events follow.
SYNCED = "SYNCED"

_log = logging.getLogger(__name__)


class Stop(threading.Event):
    """A stop signal that also interrupts the stream a follower is blocked reading."""

    def __init__(self):
        super().__init__()
        self._lock = threading.Lock()
        self._streams: set = set()

    def set(self) -> None:
        super().set()
        with self._lock:
            streams = list(self._streams)
        for resp in streams:
            _shutdown(resp)

    @contextmanager
    def holding(self, resp):
        with self._lock:
            self._streams.add(resp)
        try:
            if self.is_set():
                _shutdown(resp)
            yield resp
        finally:
            with self._lock:
                self._streams.discard(resp)


def _shutdown(resp) -> None:
    try:
        if hasattr(resp, "shutdown"):  # urllib3 >= 2.3: wakes a read blocked in another thread
            resp.shutdown()
        resp.close()
    except Exception:  # the stream is being torn down anyway
        pass


@contextmanager
def _streaming(resp, stop: threading.Event):
    """Read `resp` under `stop`; a stream read to its end goes back to the pool, one cut short is shut."""
    registered = stop.holding(resp) if isinstance(stop, Stop) else nullcontext()
    try:
        with registered:
            yield resp
    except BaseException:
        _shutdown(resp)
        raise
    if stop.is_set():
        _shutdown(resp)
    else:
        resp.release_conn()


@dataclass(frozen=True)
class _Target:
    """What a follow lists and watches: one collection on one cluster, and how errors name it."""

    kube: Kube
    path: str
    query: list
    what: str


def _get_json(target: _Target) -> dict:
    with translating(target.what, target.kube):
        resp = target.kube.dyn.request("GET", target.path, query_params=list(target.query), serialize=False,
                                       _request_timeout=(10, 60))
        try:
            return json.loads(resp.data)
        finally:
            resp.release_conn()


def _key(obj: dict) -> str:
    meta = obj.get("metadata") or {}
    return f"{meta.get('namespace') or ''}/{meta.get('name')}"


class _Gone(Exception):
    """The resourceVersion is too old (HTTP 410): list again."""


_BROKEN = (urllib3.exceptions.HTTPError, OSError, ValueError)
# A watch that breaks this many times in a row, with nothing received between, is given up.
BROKEN_LIMIT = 5
RETRY_PAUSE = 1.0  # seconds before resuming a broken watch


class _State:
    """Where a follow is: the key -> resourceVersion of every object the caller has been given,
    the resourceVersion to resume from (None: list again) and the watch's failures in a row."""

    def __init__(self, api_version: str, kind: str):
        self.api_version, self.kind = api_version, kind
        self.seen: dict[str, str] = {}
        self.version: str | None = None
        self.broken = 0

    def relisted(self, listed: dict) -> Iterator[tuple[str, dict]]:
        """DELETED for what went away, ADDED or MODIFIED for what is new or changed, then SYNCED."""
        self.version = listed["metadata"].get("resourceVersion")
        fresh = {}
        for item in listed.get("items") or []:
            item.setdefault("apiVersion", self.api_version)
            item.setdefault("kind", self.kind)
            fresh[_key(item)] = item
        for key in [k for k in self.seen if k not in fresh]:
            ns, _, gone = key.partition("/")
            del self.seen[key]
            yield "DELETED", {"apiVersion": self.api_version, "kind": self.kind, "metadata": {"name": gone, "namespace": ns or None}}
        for key, item in fresh.items():
            rv = item["metadata"].get("resourceVersion")
            if self.seen.get(key) != rv:
                yield ("MODIFIED" if key in self.seen else "ADDED"), item
                self.seen[key] = rv
        yield SYNCED, {"resourceVersion": self.version, "count": len(fresh)}

    def watched(self, events: Iterator[tuple[str, dict]]) -> Iterator[tuple[str, dict]]:
        """A watch's events but bookmarks, each noted (any event at all ends a run of failures)."""
        for etype, obj in events:
            self.broken = 0
            self.version = obj["metadata"].get("resourceVersion") or self.version
            if etype == "BOOKMARK":
                continue
            if etype == "DELETED":
                self.seen.pop(_key(obj), None)
            else:
                self.seen[_key(obj)] = obj["metadata"].get("resourceVersion")
            yield etype, obj


def follow(
    api_version: str,
    kind: str,
    namespace: str | None = None,
    selector: str | None = None,
    *,
    name: str | None = None,
    stop: threading.Event | None = None,
    fields: str | None = None,
    window: int = 10,
    kube: Kube,
    on_window: Callable[[], None] | None = None,
) -> Iterator[tuple[str, dict]]:
    """(event_type, object) for every change of the matching objects: first a list, then a watch.

    The watch resumes from the last resourceVersion after each short server-side window and
    after a dropped connection (logged; BROKEN_LIMIT drops in a row raise ClusterUnreachable);
    when that version is too old (410 Gone) it lists again and yields what changed meanwhile
    (DELETED for objects that went away). `namespace=None` follows a namespaced kind in every
    namespace. `on_window` runs after each window (a wait's periodic check; what it raises
    ends the follow). Ends when `stop` is set.
    """
    stop = stop or Stop()
    target = _target(kube, api_version, kind, namespace, selector=selector, name=name, fields=fields)
    state = _State(api_version, kind)
    while not stop.is_set():
        if state.version is None:
            yield from state.relisted(_get_json(target))
        try:
            yield from state.watched(_watch(target, state.version, window, stop))
        except _Gone:
            state.version = None
            continue
        except _BROKEN as e:
            if stop.is_set():  # the stream was shut under a read
                return
            state.broken += 1
            _broke_off(target.what, e, state.broken)
            if stop.wait(RETRY_PAUSE):  # resume from `state.version` unless told to stop
                return
            continue
        except Exception:
            if stop.is_set():  # the stream was shut under a read (a wait's deadline, a widget closed)
                return
            raise
        state.broken = 0
        if on_window and not stop.is_set():
            on_window()


def _target(kube: Kube, api_version: str, kind: str, namespace: str | None, *, selector: str | None, name: str | None,
            fields: str | None) -> _Target:
    res = kube.resource(api_version, kind)
    path = res.path(namespace=namespace if res.namespaced else None)
    field_selector = ",".join(f for f in (f"metadata.name={name}" if name else None, fields) if f)
    query = [(k, v) for k, v in (("labelSelector", selector), ("fieldSelector", field_selector)) if v]
    what = f"watching {kind}/{name}" if name else f"watching {kind}s" + (f" matching {selector!r}" if selector else "")
    return _Target(kube, path, query, what)


def _broke_off(what: str, error: Exception, times: int) -> None:
    """Log a dropped watch; the `times`-th in a row with no event between gives up, in one line."""
    said = _said(error)
    if times >= BROKEN_LIMIT:
        raise ClusterUnreachable(f"{what}: the watch broke off {times} times in a row, last: {said}",
                                 "is the API server restarting? `lab.status()` tells; follow again once it answers") from error
    _log.warning("%s: the watch broke off (%s); resuming", what, said)


def _said(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"a line that is not JSON: {error.doc.strip()[:60]!r}"
    first = error.args[0] if error.args and isinstance(error.args[0], str) else error  # urllib3's (message, cause)
    return " ".join(str(first).split()) or type(error).__name__


def _watch(target: _Target, version: str | None, window: int, stop: threading.Event) -> Iterator[tuple[str, dict]]:
    params = [*target.query, ("watch", "true"), ("allowWatchBookmarks", "true"), ("timeoutSeconds", str(window))]
    if version:
        params.append(("resourceVersion", version))
    with translating(target.what, target.kube):
        try:
            resp = target.kube.dyn.request("GET", target.path, query_params=params, serialize=False,
                                           _request_timeout=(10, window + 20))
        except ApiException as e:
            if e.status == 410:
                raise _Gone() from e
            raise
    with _streaming(resp, stop):
        for line in iter_resp_lines(resp):
            if stop.is_set():
                return
            if not line:
                continue
            event = json.loads(line)
            obj = event.get("object") or {}
            if event.get("type") == "ERROR":
                if obj.get("code") == 410:
                    raise _Gone()
                raise translate(_status_exception(obj), target.what)
            yield event["type"], obj


def _status_exception(status: dict) -> ApiException:
    """A watch's ERROR event carries a Status object, as a failed request does."""
    e = ApiException(status=status.get("code") or 500, reason=status.get("reason"))
    e.body = json.dumps(status)
    return e


def follow_logs(
    pod: str,
    namespace: str = "default",
    container: str | None = None,
    stop: threading.Event | None = None,
    *,
    tail: int | None = None,
    kube: Kube,
) -> Iterator[str]:
    """The container's log lines as they are written, until it exits or `stop` is set.

    With a plain Event, `stop` is noticed when the next line arrives; a `Stop` also
    interrupts a silent stream at once (widgets use that).
    """
    stop = stop or Stop()
    query = [("follow", "true")] + [(k, str(v)) for k, v in (("container", container), ("tailLines", tail)) if v is not None]
    with translating(f"following the logs of pod {pod}" + (f" container {container}" if container else ""), kube):
        resp = kube.dyn.request("GET", f"/api/v1/namespaces/{namespace}/pods/{pod}/log", query_params=query,
                                serialize=False, _request_timeout=(10, None))  # a log may stay silent for hours
    with _streaming(resp, stop):
        try:
            for line in iter_resp_lines(resp):
                if stop.is_set():
                    return
                yield line
        except _BROKEN as e:
            if not stop.is_set():
                raise ClusterUnreachable(f"the log stream of pod {pod} broke off", "follow the logs again") from e
