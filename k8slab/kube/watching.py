"""Following the cluster as it changes: objects (list, then watch) and container logs.

Widgets run these generators on background threads. Both end promptly once their `stop`
event is set: watch requests ask the server to close after a short window, and a `Stop`
event also shuts down the socket of the stream being read, so a blocked read returns at once.
"""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager, nullcontext
from typing import Callable, Iterator

import urllib3
from kubernetes.client.rest import ApiException
from kubernetes.watch.watch import iter_resp_lines

from ..errors import ClusterUnreachable
from .client import Kube, current, translate, translating

# Besides the server's ADDED / MODIFIED / DELETED, `follow` yields ("SYNCED", {...}) after
# each (re)list: everything listed has been yielded, live events follow.
SYNCED = "SYNCED"


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


def _get_json(kube: Kube, path: str, query: list, what: str) -> dict:
    with translating(what, kube):
        resp = kube.dyn.request("GET", path, query_params=list(query), serialize=False, _request_timeout=(10, 60))
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


def follow(
    api_version: str,
    kind: str,
    namespace: str | None = None,
    selector: str | None = None,
    name: str | None = None,
    stop: threading.Event | None = None,
    *,
    fields: str | None = None,
    window: int = 10,
    kube: Kube | None = None,
    on_window: Callable[[], None] | None = None,
) -> Iterator[tuple[str, dict]]:
    """(event_type, object) for every change of the matching objects: first a list, then a watch.

    The watch resumes from the last resourceVersion after each short server-side window and
    after a dropped connection; when that version is too old (410 Gone) it lists again and
    yields what changed meanwhile (DELETED for objects that went away). `namespace=None`
    follows a namespaced kind in every namespace. `on_window` runs after each window (a wait's
    periodic check; what it raises ends the follow). Ends when `stop` is set.
    """
    kube = kube or current()
    stop = stop or Stop()
    res = kube.resource(api_version, kind)
    path = res.path(namespace=namespace if res.namespaced else None)
    field_selector = ",".join(f for f in (f"metadata.name={name}" if name else None, fields) if f)
    query = [(k, v) for k, v in (("labelSelector", selector), ("fieldSelector", field_selector)) if v]
    what = f"watching {kind}/{name}" if name else f"watching {kind}s" + (f" matching {selector!r}" if selector else "")
    known: dict[str, str] = {}  # key -> resourceVersion of what the caller has seen
    version = None
    while not stop.is_set():
        if version is None:
            listed = _get_json(kube, path, query, what)
            version = listed["metadata"].get("resourceVersion")
            fresh = {}
            for item in listed.get("items") or []:
                item.setdefault("apiVersion", api_version)
                item.setdefault("kind", kind)
                fresh[_key(item)] = item
            for key in [k for k in known if k not in fresh]:
                ns, _, gone = key.partition("/")
                del known[key]
                yield "DELETED", {"apiVersion": api_version, "kind": kind, "metadata": {"name": gone, "namespace": ns or None}}
            for key, item in fresh.items():
                rv = item["metadata"].get("resourceVersion")
                if known.get(key) != rv:
                    yield ("MODIFIED" if key in known else "ADDED"), item
                    known[key] = rv
            yield SYNCED, {"resourceVersion": version, "count": len(fresh)}
        try:
            for etype, obj in _watch(kube, path, query, version, window, stop, what):
                version = obj["metadata"].get("resourceVersion") or version
                if etype == "BOOKMARK":
                    continue
                if etype == "DELETED":
                    known.pop(_key(obj), None)
                else:
                    known[_key(obj)] = obj["metadata"].get("resourceVersion")
                yield etype, obj
        except _Gone:
            version = None
            continue
        except _BROKEN:
            if stop.wait(1):  # the connection dropped: resume from `version` unless told to stop
                return
            continue
        except Exception:
            if stop.is_set():  # the stream was shut under a read (a wait's deadline, a widget closed)
                return
            raise
        if on_window and not stop.is_set():
            on_window()


def _watch(kube: Kube, path, query, version, window, stop, what) -> Iterator[tuple[str, dict]]:
    params = [*query, ("watch", "true"), ("allowWatchBookmarks", "true"), ("timeoutSeconds", str(window))]
    if version:
        params.append(("resourceVersion", version))
    with translating(what, kube):
        try:
            resp = kube.dyn.request("GET", path, query_params=params, serialize=False, _request_timeout=(10, window + 20))
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
                raise translate(_status_exception(obj), what)
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
    kube: Kube | None = None,
) -> Iterator[str]:
    """The container's log lines as they are written, until it exits or `stop` is set.

    With a plain Event, `stop` is noticed when the next line arrives; a `Stop` also
    interrupts a silent stream at once (widgets use that).
    """
    kube = kube or current()
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
