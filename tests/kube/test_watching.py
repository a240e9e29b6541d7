"""`watching.follow` against a stand-in API server on 127.0.0.1 whose watches break.

The server speaks enough of the Kubernetes API for the real client: discovery, a list of
ConfigMaps, then watches that each play the next step of a script: a stream cut short, a
line that is not JSON, an event, or a window that ends normally.
"""

from __future__ import annotations

import http.server
import json
import logging
import threading
from urllib.parse import parse_qs, urlparse

import pytest

from k8slab.core.errors import ClusterUnreachable
from k8slab.kube import watching
from k8slab.kube.client import Kube

CONFIGMAPS = "/api/v1/namespaces/demo/configmaps"
DISCOVERY = {
    "/version": {"major": "1", "minor": "32", "gitVersion": "v1.32.0"},
    "/api": {"kind": "APIVersions", "versions": ["v1"],
             "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]},
    "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": []},
    "/api/v1": {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
        {"name": "configmaps", "singularName": "configmap", "namespaced": True, "kind": "ConfigMap",
         "verbs": ["get", "list", "watch"]}]},
}


def configmap(name: str, version: str) -> dict:
    return {"metadata": {"name": name, "namespace": "demo", "resourceVersion": version}}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # chunked watch streams, so a cut one is told from one that ended
    script: list[str]
    watches: list[str]  # each watch's resourceVersion, in order

    def do_GET(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        if url.path in DISCOVERY:
            self.send(DISCOVERY[url.path])
        elif url.path == CONFIGMAPS and "watch" not in query:
            self.send({"kind": "ConfigMapList", "apiVersion": "v1", "metadata": {"resourceVersion": "10"},
                       "items": [configmap("a", "10")]})
        elif url.path == CONFIGMAPS:
            self.watches.append(query.get("resourceVersion", [""])[0])
            self.watch(self.script.pop(0) if self.script else "cut")
        else:
            self.send({"kind": "Status", "code": 404}, status=404)

    def send(self, body: dict, status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def watch(self, step: str) -> None:
        """"cut": the stream stops mid-chunk; "garbage": a line that is not JSON; "empty": a window
        with no event; "add NAME VERSION": one ADDED event, then the window ends (or, with "cut"
        after it, the stream stops)."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        words = step.split()
        if words[0] == "add":
            self.chunk(json.dumps({"type": "ADDED", "object": configmap(words[1], words[2])}).encode() + b"\n")
        elif step == "garbage":
            self.chunk(b"<html>proxy error</html>\n")
        if words[-1] == "cut":
            self.wfile.write(b"40\r\n{\"type\": \"ADD")
        else:
            self.chunk(b"")

    def chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def log_message(self, *args):
        pass


@pytest.fixture
def api(tmp_path, monkeypatch):
    """A Kube on the stand-in server; `api.script` lists what the coming watches do."""
    monkeypatch.setattr(watching, "RETRY_PAUSE", 0.01)
    handler = type("Scripted", (Handler,), {"script": [], "watches": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        f"apiVersion: v1\nkind: Config\nclusters: [{{name: k, cluster: {{server: 'http://127.0.0.1:{server.server_address[1]}'}}}}]\n"
        "users: [{name: k, user: {token: t}}]\ncontexts: [{name: k, context: {cluster: k, user: k}}]\ncurrent-context: k\n")
    kube = Kube(kubeconfig)
    kube.script, kube.watches = handler.script, handler.watches
    yield kube
    kube.close()
    server.shutdown()
    server.server_close()


def events(api: Kube, until: str | None = None) -> list[tuple[str, str]]:
    """(type, name) of what follow yields, until the ConfigMap `until` is added (or it raises)."""
    stop = watching.Stop()
    guard = threading.Timer(20, stop.set)  # a follow that never ends fails the test instead of hanging it
    guard.start()
    seen = []
    try:
        for etype, obj in watching.follow("v1", "ConfigMap", "demo", stop=stop, kube=api):
            seen.append((etype, obj.get("metadata", {}).get("name")))
            if etype == "ADDED" and obj["metadata"]["name"] == until:
                break
    finally:
        guard.cancel()
    assert not stop.is_set(), f"follow ran for 20 s: {seen}"
    return seen


def test_a_watch_that_keeps_breaking_is_logged_each_time_then_given_up_in_one_line(api, caplog):
    api.script.extend(["cut"] * (watching.BROKEN_LIMIT - 1) + ["garbage"])
    caplog.set_level(logging.WARNING, logger="k8slab.kube.watching")
    with pytest.raises(ClusterUnreachable) as err:
        events(api)
    assert str(err.value) == (
        f"watching ConfigMaps: the watch broke off {watching.BROKEN_LIMIT} times in a row, last: a line that is not JSON: "
        "'<html>proxy error</html>' (is the API server restarting? `lab.status()` tells; follow again once it answers)")
    assert [r.getMessage() for r in caplog.records] == [
        "watching ConfigMaps: the watch broke off (Connection broken: IncompleteRead(13 bytes read, 51 more expected)); resuming",
    ] * (watching.BROKEN_LIMIT - 1)
    assert api.watches == ["10"] * watching.BROKEN_LIMIT, "each retry resumes from the listed version"


def test_a_watch_that_recovers_goes_on_however_often_it_broke_before(api, caplog):
    """A window that ends normally, or any event, starts the count of failures in a row again."""
    almost = (["cut", "garbage"] * watching.BROKEN_LIMIT)[:watching.BROKEN_LIMIT - 1]
    api.script.extend([*almost, "empty", *almost, "add b 11 cut", *almost[1:], "add c 12"])
    caplog.set_level(logging.WARNING, logger="k8slab.kube.watching")
    assert events(api, until="c") == [("ADDED", "a"), (watching.SYNCED, None), ("ADDED", "b"), ("ADDED", "c")]
    assert len(caplog.records) == 3 * (watching.BROKEN_LIMIT - 1)
    assert api.watches[-1] == "11", "resumed from the last event's version"
