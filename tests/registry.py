"""Debian's docker-registry (the distribution registry `registry:2` runs) on this machine, for the tests
that pull through a mirror or bundle images from one; and Docker's `kind` network's gateway, where a
kind node reaches it."""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from .needs import free_port, require

BUSYBOX = "k8slab.local/busybox:1"
SCRIPT = Path(__file__).parent / "cluster" / "registry"


def docker(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True)


class Registry:
    """docker-registry on 0.0.0.0:<free port>, logging every request; stopped by `stop()`."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.log = folder / "registry.log"
        config = folder / "registry.yml"
        config.write_text(
            "version: 0.1\nlog: {level: info, accesslog: {disabled: false}}\n"
            f"storage: {{filesystem: {{rootdirectory: {folder / 'data'}}}}}\n"
            f"http: {{addr: '0.0.0.0:{self.port}', secret: test-only}}\n"
        )
        self._out = open(self.log, "wb")
        self.proc = subprocess.Popen([shutil.which("docker-registry"), "serve", str(config)],
                                     stdout=self._out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:  # the registry gives no other sign that it listens
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/v2/", timeout=2).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(f"docker-registry did not answer on port {self.port}: {self.log.read_text()[-500:]}")
                time.sleep(0.1)

    def push(self, tag: str) -> None:
        """The busybox stand-in as docker.io's library/busybox:<tag>, pushed over plain HTTP to 127.0.0.1."""
        self.push_as(BUSYBOX, f"library/busybox:{tag}")

    def push_as(self, image: str, path: str) -> None:
        """A local image as `<path>` (`repository:tag`, as a registry's mirror serves it)."""
        ref = f"127.0.0.1:{self.port}/{path}"
        assert docker("tag", image, ref).returncode == 0
        try:
            pushed = docker("push", ref)
            assert pushed.returncode == 0, pushed.stderr
        finally:
            docker("rmi", ref)

    def manifest_pulls(self, tag: str, client: str) -> list[str]:
        """Access-log lines (`<client> - - [time] "GET /v2/... HTTP/1.1" 200 ...`) of the client's manifest requests."""
        return [line for line in self.log.read_text(errors="replace").splitlines()
                if line.startswith(f"{client} ") and f" /v2/library/busybox/manifests/{tag}" in line]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        self._out.close()


def kind_gateway() -> str:
    """This machine's address on the kind network, found as the CI scripts find it (`registry address`)."""
    if docker("network", "inspect", "kind").returncode:
        require("Docker's kind network", "run `k8slab up` first: the kit's own kind cluster makes it")
    found = subprocess.run(["bash", str(SCRIPT), "address", "kind"], capture_output=True, text=True)
    assert found.returncode == 0, found.stderr
    return found.stdout.strip()
