"""Container images the guide's way: build, look at the layers, run, share, hand to a cluster.

The only module that imports `docker` (the Docker SDK for Python). It talks to whatever
DOCKER_HOST names: Docker Engine, Docker Desktop, or Podman through its Docker-compatible
socket (`systemctl --user start podman.socket`, then
DOCKER_HOST=unix://$XDG_RUNTIME_DIR/podman/podman.sock). Every SDK error leaves this module
as a one-line k8slab error. The image override map (Settings.images, K8SLAB_IMAGES) applies
to build bases, `run_local` and `push`, and every override applied is printed.
"""

from k8slab.core.tools import Progress
from k8slab.imaging.building import HELLO, LARGE_CONTEXT, NODE7_NOTE, Build, build, ensure_base
from k8slab.imaging.engine import client, docker_host, image_id, node_exec, ping, resolve, translating, unavailable
from k8slab.imaging.history import base_image, layers, layers_summary
from k8slab.imaging.running import READY_LOG, Running, port_free, port_in_use, run_local
from k8slab.imaging.sharing import content_tag, export, load, pull, push, remove, save

__all__ = [
    "HELLO", "LARGE_CONTEXT", "NODE7_NOTE", "READY_LOG", "Build", "Progress", "Running", "base_image", "build", "client",
    "content_tag", "docker_host", "ensure_base", "export", "image_id", "layers", "layers_summary", "load", "node_exec",
    "ping", "port_free", "port_in_use", "pull", "push", "remove", "resolve", "run_local", "save", "translating",
    "unavailable",
]
