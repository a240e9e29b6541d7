"""Docker Compose to Kubernetes, as the guide does with `kompose convert`.

With kompose on PATH its own output is used. Without it (kompose is not packaged for every
platform) the kit translates the common subset itself, into the same shape kompose makes:
one Deployment per service, and a Service for each service that publishes ports.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import yaml

from k8slab.core.errors import ManifestError, ToolMissing
from k8slab.core.tools import INSTALL_HINTS, run
from k8slab.manifests import loading as manifests

LABEL = "io.kompose.service"
SUPPORTED = {"image", "ports", "environment", "command", "restart", "stop_grace_period"}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|us|m|s)")
_SECONDS = {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6}


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


def _grace(name: str, value) -> int:
    """Compose's `stop_grace_period` ("2s", "1m30s") in whole seconds, as kompose maps it to
    terminationGracePeriodSeconds."""
    text = str(value).strip()
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ManifestError(f"compose service {name!r}: stop_grace_period {value!r} is not a duration", "write it like 2s or 1m30s")
    return int(sum(float(n) * _SECONDS[u] for n, u in parts))


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
    pod = {"containers": [container]}
    if "stop_grace_period" in svc:
        pod["terminationGracePeriodSeconds"] = _grace(name, svc["stop_grace_period"])
    objs = [{
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels()},
        "spec": {"replicas": 1, "selector": {"matchLabels": labels()},
                 "template": {"metadata": {"labels": labels()}, "spec": pod}},
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
    """`kompose convert` when kompose is installed, else the kit's translation; returns the objects.

    Used in chapter 03.
    """
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
