"""`docker run -p`: an image run locally on a port of 127.0.0.1, until its log says it is ready."""

from __future__ import annotations

import os
import re
import socket
import threading
import urllib.request
from dataclasses import dataclass
from typing import Mapping

import docker

from k8slab.core.errors import ImageError
from k8slab.imaging.engine import image_id, resolve, sdk, translating

READY_LOG = r"listening|start worker process"  # the hello app's line; the nginx stand-in's (at notice level)


@dataclass
class Running:
    """A container started by `run_local`; `stop()` stops and removes it (also on leaving a `with`)."""

    image: str
    container_id: str
    name: str
    port: int
    _last_logs: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def get(self, path: str = "/", timeout: float = 10) -> str:
        """An HTTP GET to the container through the mapped port, as `curl` would."""
        url = self.url + path.lstrip("/")
        try:
            with urllib.request.urlopen(url, timeout=timeout) as reply:
                return reply.read().decode()
        except OSError as e:
            raise ImageError(f"{url} does not answer: {e}",
                             f"the container's logs say why: {self.logs().strip()[-200:] or '(empty)'}") from e

    def wait_for_log(self, pattern: str, timeout: float = 10) -> str:
        """Follow the log until the regex `pattern` matches, then return the log: a server may write
        a request's line only after it has answered (nginx's access log)."""
        with translating(f"reading the logs of {self.name}"):
            _wait_for_log(self, pattern, timeout, "did the request reach it? `get()` it first, or wait longer")
        return self.logs()

    def logs(self) -> str:
        with translating(f"reading the logs of {self.name}"):
            try:
                self._last_logs = sdk().logs(self.container_id).decode(errors="replace")
            except docker.errors.NotFound:
                pass  # stopped and removed: the logs read last
        return self._last_logs

    def stop(self) -> None:
        """Stop and remove the container; safe to call again."""
        self.logs()
        with translating(f"removing {self.name}"):
            try:
                sdk().remove_container(self.container_id, force=True)
            except docker.errors.NotFound:
                pass

    def __enter__(self) -> "Running":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<Running {self.image} as {self.name} at {self.url}>"


def run_local(
    image: str = "hello",
    *,
    host_port: int | None = None,
    container_port: int = 8080,
    ready_log: str | None = READY_LOG,
    timeout: float = 30,
    overrides: Mapping[str, str] | None = None,
) -> Running:
    """Run `image` with `container_port` published on 127.0.0.1 (`host_port`, or a free one).

    Waits until the container's log matches the regex `ready_log` (the hello app logs
    "listening"); with ready_log=None it does not wait (for an image that logs nothing on start).

    Used in chapter 05.
    """
    image = resolve(image, overrides)
    if host_port is not None:
        _check_port_free(host_port)
    api = sdk()
    name = f"k8slab-run-{os.urandom(4).hex()}"
    with translating(f"running {image}"):
        if image_id(image) is None:
            raise ImageError(f"no image {image} in Docker", "build it first (`build()`), or pull it")
        config_ = api.create_host_config(port_bindings={container_port: ("127.0.0.1", host_port)})
        created = api.create_container(image, name=name, ports=[container_port], host_config=config_, labels={"k8slab": "run"})
        running = Running(image, created["Id"], name, host_port or 0)
        try:
            api.start(created["Id"])
            ports = api.inspect_container(created["Id"])["NetworkSettings"].get("Ports") or {}
            bound = ports.get(f"{container_port}/tcp") or [{"HostPort": host_port or 0}]
            running.port = int(bound[0]["HostPort"])
            if ready_log:
                _wait_for_log(running, ready_log, timeout)
        except BaseException as e:
            running.stop()
            if isinstance(e, docker.errors.APIError) and ("already allocated" in str(e) or "address already in use" in str(e)):
                raise port_in_use(host_port) from e
            raise
    return running


def port_free(port: int) -> bool:
    """Whether a program of this machine could listen on 127.0.0.1:port now."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _check_port_free(port: int) -> None:
    if not port_free(port):
        raise port_in_use(port)


def port_in_use(port: int | None) -> ImageError:
    return ImageError(f"host port {port} is already in use", "pick another host_port, or leave it out for a free one")


def _wait_for_log(running: Running, text: str, timeout: float,
                  hint: str = "pass ready_log=None for an image that logs nothing on start") -> None:
    """Follow the container's log until the regex `text` matches; the stream is cut at the deadline."""
    stream = sdk().logs(running.container_id, stream=True, follow=True)
    timer = threading.Timer(timeout, stream.close)
    timer.start()
    try:
        seen = ""
        for chunk in stream:
            seen += chunk.decode(errors="replace")
            if re.search(text, seen, re.IGNORECASE):
                return
    finally:
        timer.cancel()
        stream.close()
    state = sdk().inspect_container(running.container_id)["State"]
    last = (running.logs().strip().splitlines() or ["(no output)"])[-1]
    if not state.get("Running"):
        raise ImageError(f"{running.image} exited with code {state.get('ExitCode')}: {last}",
                         "fix the app or its ENTRYPOINT and build again")
    raise ImageError(f"{running.image} did not log {text!r} within {timeout:g}s (last line: {last})", hint)
