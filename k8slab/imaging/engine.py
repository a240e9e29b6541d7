"""The Docker engine: the SDK client, its errors as one-line k8slab errors, the streams that builds,
pulls and pushes send, and the image override map every job applies (Settings.images, K8SLAB_IMAGES)."""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Callable, Iterable, Mapping

import docker
import requests
import urllib3

from k8slab.core import references
from k8slab.core.errors import DockerUnavailable, ImageError, K8sLabError
from k8slab.core.tools import Progress

_clients: dict[str, docker.DockerClient] = {}


def docker_host() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock (the default socket)"


def unavailable() -> DockerUnavailable:
    return DockerUnavailable(
        f"Docker does not answer at {docker_host()}",
        "start Docker Desktop / `sudo systemctl start docker` / Podman: `systemctl --user start podman.socket` and set DOCKER_HOST",
    )


@contextmanager
def translating(what: str):
    """Run SDK calls; anything they raise comes out as a one-line k8slab error about `what`."""
    try:
        yield
    except K8sLabError:
        raise
    except docker.errors.NotFound as e:
        raise ImageError(f"{what}: {_explanation(e)}", "`docker images` lists the images Docker has") from e
    except docker.errors.APIError as e:
        raise ImageError(f"{what}: {_explanation(e)}") from e
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout, ConnectionError, FileNotFoundError) as e:
        raise unavailable() from e
    except (urllib3.exceptions.HTTPError, requests.exceptions.RequestException) as e:  # a stream cut off midway
        raise DockerUnavailable(f"{what}: the connection to Docker at {docker_host()} broke off",
                                "is Docker still running? `k8slab doctor` checks") from e
    except docker.errors.DockerException as e:
        if "fetching server API version" in str(e) or isinstance(e.__context__, requests.exceptions.RequestException):
            raise unavailable() from e
        raise ImageError(f"{what}: {e}") from e


def _explanation(e: docker.errors.APIError) -> str:
    text = " ".join(str(e.explanation if isinstance(e.explanation, str) and e.explanation else e).split())
    parts = text.split(": ")  # the daemon often says it twice: "no such image: x: No such image: x"
    half = len(parts) // 2
    if len(parts) % 2 == 0 and [p.lower() for p in parts[:half]] == [p.lower() for p in parts[half:]]:
        text = ": ".join(parts[:half])
    return text


def client() -> docker.DockerClient:
    """The SDK client for the current DOCKER_HOST (one per address, made on first use).

    Used in chapter 05.
    """
    key = os.environ.get("DOCKER_HOST", "")
    if key not in _clients:
        with translating("connecting to Docker"):
            _clients[key] = docker.from_env(timeout=120)
    return _clients[key]


def sdk() -> docker.APIClient:
    """The low-level client (`docker.APIClient`): the calls that stream."""
    return client().api


def ping() -> str:
    """The engine's name and version, or DockerUnavailable (for `k8slab doctor`)."""
    with translating("asking Docker its version"):
        info = client().version()
    name = (info.get("Platform") or {}).get("Name") or "Docker Engine"
    return f"{name} {info.get('Version', '?')} answers at {docker_host().split(' ')[0]}"


def node_exec(container: str, argv: list[str]) -> tuple[int, str]:
    """Run a command in a running container, such as a kind node (`docker exec`)."""
    with translating(f"running {argv[0]} in container {container}"):
        code, out = client().containers.get(container).exec_run(argv, demux=False)
    return code, (out or b"").decode(errors="replace")


def answers() -> bool:
    """Whether the engine answers a ping within a few seconds (the SDK's own ping waits up to 120 s)."""
    api = sdk()
    try:
        return api.get(f"{api.base_url}/_ping", timeout=5).ok
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError):
        return False


def stream(start: Callable[[], Iterable[dict]], progress: Progress, what: str, hint: str | None = None) -> dict | None:
    """Start a decoded JSON stream (build, pull, push) and relay it; an error in it becomes an ImageError.

    When the engine stops midway, the stream breaks off, or ends with an error the stopping engine
    made up (the build step it killed, a lost network sandbox): then the error says the engine stopped.
    """
    try:
        return relay(start, progress, what, hint)
    except K8sLabError as e:
        if answers():
            raise
        raise DockerUnavailable(f"{what}: the Docker engine at {docker_host()} stopped before it finished",
                                "start Docker again, e.g. `sudo systemctl start docker` or Docker Desktop, then run it again") from e


def relay(start: Callable[[], Iterable[dict]], progress: Progress, what: str, hint: str | None = None) -> dict | None:
    aux, partial, last_status = None, "", None
    try:
        with translating(what):
            for chunk in start():
                if chunk.get("error"):
                    raise ImageError(f"{what}: {chunk.get('errorDetail', {}).get('message') or chunk['error']}", hint)
                aux = chunk.get("aux") or aux
                partial += chunk.get("stream", "")
                *done, partial = partial.split("\n")
                for line in filter(str.strip, done):
                    progress(line.rstrip())
                status = chunk.get("status")
                if status and not chunk.get("progressDetail", {}).get("total"):
                    line = f"{chunk['id']}: {status}" if chunk.get("id") else status
                    if line != last_status:
                        progress(line)
                    last_status = line
    except ImageError as e:
        if e.hint or not hint:
            raise
        raise ImageError(e.message, hint) from e
    if partial.strip():
        progress(partial.rstrip())
    return aux


def image_id(image: str) -> str | None:
    """The image's id in Docker, or None when Docker does not have it."""
    with translating(f"looking up {image}"):
        try:
            return sdk().inspect_image(image)["Id"]
        except docker.errors.ImageNotFound:
            return None


def resolve(image: str, overrides: Mapping[str, str] | None = None, say: Progress = print) -> str:
    """The image to use in place of `image` by the override map, saying so when there is one."""
    new = references.override(image, overrides or {})
    if new:
        say(f"image override: {image} -> {new}")
        return new
    return image


def printed(progress: Progress) -> Progress:
    """`progress`, and print too: an override is always printed, even when a widget shows the build."""
    if progress is print:
        return print

    def both(line: str) -> None:
        print(line)
        progress(line)
    return both
