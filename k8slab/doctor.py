"""`k8slab doctor`: is everything the kit needs on this machine, and how to get what is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from . import config, images
from .errors import K8sLabError
from .providers.base import INSTALL_HINTS

MIN_MEMORY_GB = 4
MIN_DISK_GB = 10


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True


def _version(args: list[str]) -> str:
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"does not run: {e}"
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if text else f"exit code {out.returncode}"


def _tool(name: str, required: bool, version_args: tuple[str, ...] = ("--version",)) -> Check:
    path = shutil.which(name)
    if not path:
        return Check(name, False, "not on PATH", INSTALL_HINTS.get(name, ""), required)
    return Check(name, True, _version([path, *version_args]), required=required)


def _engine() -> Check:
    try:
        return Check("container engine", True, images.ping())
    except K8sLabError as e:
        return Check("container engine", False, str(e), INSTALL_HINTS["docker"])


def _memory_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30


def _context(settings: config.Settings) -> Check:
    kubectl = shutil.which("kubectl")
    if not kubectl:
        return Check("kubeconfig context", False, "kubectl is missing, so no context can be read", required=False)
    args = [kubectl, *(["--kubeconfig", settings.kubeconfig] if settings.kubeconfig else []), "config", "current-context"]
    ctx = _version(args)
    ok = "error" not in ctx.lower() and "does not run" not in ctx
    return Check("kubeconfig context", ok, ctx if ok else "none set", "the kit makes its own; only the context provider needs one",
                 required=settings.provider == "context")


def run_checks(settings: config.Settings | None = None) -> list[Check]:
    settings = settings or config.load()
    kind_needed = settings.provider == "kind"
    checks = [
        _engine(),
        _tool("kind", kind_needed, ("version",)),
        _tool("kubectl", True, ("version", "--client")),
        _context(settings),
    ]
    if not kind_needed:
        checks[0].required = False
    mem = _memory_gb()
    checks.append(Check("memory", mem >= MIN_MEMORY_GB, f"{mem:.1f} GiB available",
                        f"a cluster wants at least {MIN_MEMORY_GB} GiB free: close other programs"))
    home = settings.home if settings.home.exists() else Path.home()
    disk = shutil.disk_usage(home).free / 2**30
    checks.append(Check("disk", disk >= MIN_DISK_GB, f"{disk:.1f} GiB free at {home}",
                        f"node images and clusters want at least {MIN_DISK_GB} GiB free"))
    return checks


def healthy(checks: list[Check]) -> bool:
    return all(c.ok for c in checks if c.required)


def report(checks: list[Check]) -> str:
    lines = []
    for c in checks:
        mark = "ok  " if c.ok else ("FAIL" if c.required else "warn")
        lines.append(f"{mark} {c.name:<18} {c.detail}")
        if not c.ok and c.fix:
            lines.append(f"     {'':<18} how to fix: {c.fix}")
    return "\n".join(lines)


def as_dicts(checks: list[Check]) -> list[dict]:
    return [asdict(c) for c in checks]
