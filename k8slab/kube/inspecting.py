"""Looking inside: logs, exec, events, a Service called through the API server, port-forward."""

from __future__ import annotations

import socket
import threading
from contextlib import contextmanager

from kubernetes.stream import portforward, stream

from k8slab.core.errors import K8sLabError
from k8slab.kube.client import Kube, translating


def logs(pod: str, namespace: str = "default", container: str | None = None, *, tail: int | None = None,
         previous: bool = False, kube: Kube) -> str:
    """A container's log; `previous=True` reads the run before the last restart (`kubectl logs --previous`).

    Used in chapters 03, 05, 06, 08.
    """
    with translating(f"reading the {'previous ' if previous else ''}logs of pod {pod}", kube):
        return kube.core.read_namespaced_pod_log(pod, namespace, container=container, tail_lines=tail, previous=previous)


def exec_in(pod: str, command: list[str], namespace: str = "default", container: str | None = None, *, kube: Kube) -> tuple[int,
                                                                                                                                       str]:
    """Run a command in a container (like `kubectl exec`); returns (exit code, stdout+stderr).

    Used in chapters 02, 04, 06, 07, 09.
    """
    if isinstance(command, str):
        raise K8sLabError("exec takes the command as a list of words", 'e.g. ["ls", "/usr/share/nginx/html"]')
    with translating(f"running {command[0]} in pod {pod}", kube):
        resp = stream(
            kube.core.connect_get_namespaced_pod_exec, pod, namespace, container=container, command=command,
            stderr=True, stdout=True, stdin=False, tty=False, _preload_content=False,
        )
        resp.run_forever(timeout=120)
        code = resp.returncode  # before reading output: read_all() would drain the status channel too
        out = resp.read_stdout() + resp.read_stderr()
        resp.close()
    return (1 if code is None else code), out


def events(kind: str | None = None, name: str | None = None, namespace: str = "default", *, kube: Kube) -> list[dict]:
    """Events about one object (or the whole namespace), oldest first.

    Used in chapters 01, 05.
    """
    fields = [f"involvedObject.{k}={v}" for k, v in (("kind", kind), ("name", name)) if v]
    with translating(f"reading events in {namespace}", kube):
        items = kube.core.list_namespaced_event(namespace, field_selector=",".join(fields) or None).items
    items.sort(key=lambda e: (e.last_timestamp or e.event_time or e.metadata.creation_timestamp).timestamp())
    return [
        {"type": e.type, "reason": e.reason, "object": f"{e.involved_object.kind}/{e.involved_object.name}",
         "message": (e.message or "").strip(), "count": e.count or 1}
        for e in items
    ]


def recent_events(kind: str, name: str, namespace: str | None, last: int = 3, *, kube: Kube) -> str:
    """The last few events of an object, as one line (for timeout messages)."""
    if not namespace:
        return ""
    try:
        found = events(kind, name, namespace, kube=kube)[-last:]
    except K8sLabError:
        return ""
    return "; ".join(f"{e['reason']}: {e['message']}" for e in found)


def call_service(name: str, namespace: str = "default", port: int | str = 80, path: str = "/", *, kube: Kube) -> str:
    """An HTTP GET to a Service through the API server's proxy: works on every cluster, no port mapping.

    Used in chapters 03, 05, 06, 07.
    """
    with translating(f"calling Service {name}:{port}{path}", kube):
        return kube.core.connect_get_namespaced_service_proxy_with_path(f"{name}:{port}", namespace, path.lstrip("/") or "/")


@contextmanager
def port_forward(pod: str, port: int, namespace: str = "default", local_port: int = 0, *, kube: Kube):
    """Forward 127.0.0.1:<local port> to a pod's port while the block runs; yields the local port
    (`kubectl port-forward POD LOCAL:PORT`).

    Used in chapter 07.
    """
    server = socket.create_server(("127.0.0.1", local_port))
    stop = threading.Event()

    def serve():
        server.settimeout(0.5)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            _forward(conn, pod, port, namespace, kube)

    thread = threading.Thread(target=serve, daemon=True, name=f"port-forward {pod}:{port}")
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        server.close()
        thread.join(timeout=2)


def _forward(conn: socket.socket, pod: str, port: int, namespace: str, kube: Kube) -> None:
    """One accepted connection to the pod's port, both ways; closed if the API server will not forward."""
    try:
        with translating(f"forwarding to pod {pod}:{port}", kube):
            pf = portforward(kube.core.connect_get_namespaced_pod_portforward, pod, namespace, ports=str(port))
        remote = pf.socket(port)
    except K8sLabError:
        conn.close()
        return
    for a, b in ((conn, remote), (remote, conn)):
        threading.Thread(target=_pump, args=(a, b), daemon=True).start()


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
