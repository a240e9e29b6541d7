"""Docker Compose to Kubernetes, as the guide does with `kompose convert`.

With kompose on PATH its own output is used. Without it (kompose is not packaged for every
platform) the kit translates the common subset itself, into the same shape kompose makes:
one Deployment per service, and a Service for each service that publishes ports.
"""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import yaml

from . import manifests
from .errors import ManifestError, ToolMissing
from .providers.base import INSTALL_HINTS, run

LABEL = "io.kompose.service"
SUPPORTED = {"image", "ports", "environment", "command", "restart"}


def _read(source: str | Path) -> dict:
    text = Path(source).read_text(encoding="utf-8") if not (isinstance(source, str) and "\n" in source) else source
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as e:
        raise ManifestError(f"the compose file is not valid YAML: {str(e).splitlines()[0]}") from e
    if not isinstance(data.get("services"), dict) or not data["services"]:
        raise ManifestError("the compose file has no `services:`", "a compose file lists its containers under services")
    return data


def _port(spec) -> tuple[int, int]:
    """`"8080:80"` -> (8080, 80); `"80"` -> (80, 80); host IPs are dropped, the protocol is TCP."""
    text = str(spec.get("published", spec.get("target")) if isinstance(spec, dict) else spec).split("/")[0]
    target = spec.get("target") if isinstance(spec, dict) else None
    parts = text.split(":")
    published = int(parts[-2]) if len(parts) > 1 else int(parts[-1])
    return published, int(target or parts[-1])


def _env(env) -> list[dict]:
    if isinstance(env, dict):
        return [{"name": k, "value": str(v)} for k, v in env.items()]
    return [{"name": e.partition("=")[0], "value": e.partition("=")[2]} for e in env or []]


def _service_objects(name: str, svc: dict) -> list[dict]:
    if "image" not in svc:
        raise ManifestError(f"compose service {name!r} has no image", "build the image first (chapter 05), then name it under image:")
    def labels():
        return {LABEL: name}

    container = {"name": name, "image": svc["image"], "imagePullPolicy": "IfNotPresent"}
    ports = [_port(p) for p in svc.get("ports") or []]
    if ports:
        container["ports"] = [{"containerPort": target} for _, target in ports]
    if svc.get("environment"):
        container["env"] = _env(svc["environment"])
    if svc.get("command"):
        cmd = svc["command"]
        container["args"] = shlex.split(cmd) if isinstance(cmd, str) else list(cmd)
    objs = [{
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels()},
        "spec": {"replicas": 1, "selector": {"matchLabels": labels()},
                 "template": {"metadata": {"labels": labels()}, "spec": {"containers": [container]}}},
    }]
    if ports:
        objs.append({
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": labels()},
            "spec": {"selector": labels(), "ports": [{"name": str(p), "port": p, "targetPort": t, "protocol": "TCP"} for p, t in ports]},
        })
    return objs


class Objects(list):
    """The converted objects; shown as the YAML documents kompose would write."""

    def __repr__(self) -> str:
        return yaml.safe_dump_all(list(self), sort_keys=False).rstrip()


def translate(source: str | Path) -> Objects:
    """The kit's own conversion (no kompose needed); notes what it leaves out."""
    data = _read(source)
    objs = []
    for name, svc in data["services"].items():
        skipped = sorted(set(svc or {}) - SUPPORTED)
        if skipped:
            print(f"compose service {name!r}: {', '.join(skipped)} not translated (kompose maps more)")
        objs += _service_objects(name, svc or {})
    return Objects(manifests.clean(o) for o in manifests.load(objs))


def convert(source: str | Path, use_kompose: bool | None = None) -> Objects:
    """`kompose convert` when kompose is installed, else the kit's translation; returns the objects."""
    kompose = shutil.which("kompose")
    if use_kompose and not kompose:
        raise ToolMissing("`kompose` is not on PATH", INSTALL_HINTS["kompose"])
    if kompose and use_kompose is not False:
        path = Path(source)
        out = run(["kompose", "convert", "--stdout", "-f", str(path)], f"kompose convert {path.name}").stdout
        return Objects(manifests.clean(o) for o in manifests.load(out))
    print("kompose is not installed here: the kit translates the compose file itself (the same shape kompose makes)")
    return translate(source)


__all__ = ["convert", "translate"]
