"""Is a known cluster ready? /readyz and the nodes, asked with the standard library alone.

`k8slab up` on a cluster that is already there needs one answer from its API server, not the
kubernetes client, whose import is most of the command's time. This covers what the kit's own
kubeconfigs hold (kind's and kubeadm's: client certificates, or a token); anything else returns
None, and the kubernetes client asks as usual.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import ssl
import tempfile
import threading
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

import yaml

from k8slab.core.conditions import ready as is_ready

SAFE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, where built: a kubeconfig in 0.5 ms, not 8


def _named(cfg: dict, kind: str, name: str | None) -> dict:
    """The `cluster`, `user` or `context` entry of that name in a kubeconfig."""
    return next((e.get(kind) or {} for e in cfg.get(f"{kind}s") or [] if e.get("name") == name), {})


def _pem(entry: dict, key: str) -> bytes | None:
    if entry.get(f"{key}-data"):
        return base64.b64decode(entry[f"{key}-data"])
    if entry.get(key):
        return Path(entry[key]).expanduser().read_bytes()
    return None


def _tls(cluster: dict, user: dict) -> ssl.SSLContext | None:
    ca = _pem(cluster, "certificate-authority")
    if cluster.get("insecure-skip-tls-verify") or not ca:
        return None
    ctx = ssl.create_default_context(cadata=ca.decode())
    cert, key = _pem(user, "client-certificate"), _pem(user, "client-key")
    if cert and key:
        with tempfile.TemporaryDirectory(prefix="k8slab-probe-") as tmp:  # ssl reads a key from files only
            paths = [os.path.join(tmp, n) for n in ("cert.pem", "key.pem")]
            for path, data in zip(paths, (cert, key), strict=True):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
            ctx.load_cert_chain(*paths)
    return ctx


def ready(kubeconfig: Path, timeout: float = 5) -> str | None:
    """The API server's address when it says ready and a node is Ready; None when it is not, or the
    kubeconfig holds what this probe does not handle (exec plugins, proxies...)."""
    try:
        cfg = yaml.load(Path(kubeconfig).read_text(encoding="utf-8"), Loader=SAFE) or {}
        context = _named(cfg, "context", cfg.get("current-context"))
        cluster, user = _named(cfg, "cluster", context.get("cluster")), _named(cfg, "user", context.get("user"))
        if user.get("exec") or user.get("auth-provider") or cluster.get("proxy-url"):
            return None
        server = urlsplit(cluster.get("server") or "")
        ctx = _tls(cluster, user) if server.scheme == "https" else None
        if ctx is None or not server.hostname:
            return None
        headers = {"Authorization": f"Bearer {user['token']}"} if user.get("token") else {}
        conn = http.client.HTTPSConnection(server.hostname, server.port or 443, context=ctx, timeout=timeout)
        try:
            answers = []
            for path in ("/readyz", "/api/v1/nodes"):
                conn.request("GET", path, headers=headers)
                resp = conn.getresponse()
                answers.append((resp.status, resp.read()))
        finally:
            conn.close()
    except (OSError, ValueError, KeyError, TypeError, AttributeError, yaml.YAMLError, ssl.SSLError, http.client.HTTPException):
        return None
    (readyz, text), (listed, nodes) = answers
    if readyz != 200 or text.strip() != b"ok" or listed != 200:
        return None
    return cluster["server"] if any(is_ready(n) for n in json.loads(nodes).get("items") or []) else None


def ready_soon(kubeconfig: Path) -> Callable[[], str | None]:
    """`ready(kubeconfig)` begun now on a daemon thread; call what this returns for its answer.

    The provider looks for its cluster (`docker ps`) meanwhile: the two wait on different things.
    A daemon, so an answer that is not wanted (the node was stopped) never holds up the exit."""
    answer: list[str | None] = []
    thread = threading.Thread(target=lambda: answer.append(ready(kubeconfig)), daemon=True, name="k8slab-probe")
    thread.start()

    def result() -> str | None:
        thread.join()
        return answer[0] if answer else None
    return result
