"""`k8slab doctor`: is everything the kit needs on this machine, and how to get what is missing."""

from __future__ import annotations

import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from k8slab import imaging as images
from k8slab.clusters import providers
from k8slab.clusters.providers import engine
from k8slab.clusters.providers.kindconfig import NODE_PORTS, shape
from k8slab.core import config, tools
from k8slab.core.errors import K8sLabError
from k8slab.core.tools import INSTALL_HINTS
from k8slab.kube import client as kubeclient
from k8slab.ui import magics

# A node container's memory, rounded up from `tests/benchmarks/bench_nodes.py` (Kubernetes 1.20 in CI: the
# control plane 566 MiB and a worker 126 MiB at rest, more while chapter 06 runs; a learner's newer kind uses more).
CONTROL_PLANE_MIB = 900
WORKER_MIB = 400
KIT_MEMORY_MIB = 1024  # JupyterLab, its kernels and the kit
MIN_DISK_GB = 10
LAB_PORT = 8888
START_DOCKER = "start Docker (Docker Desktop, or `sudo systemctl start docker`)"


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True


def _run(args: list[str]) -> tuple[bool, str]:
    """Whether a command exited 0 (its exit code decides), and its first line of output, or why it failed."""
    try:
        out = tools.run(args, f"`{' '.join([Path(args[0]).name, *args[1:]])}`", timeout=20, check=False)
    except K8sLabError as e:
        return False, str(e)
    text = (out.stdout or out.stderr).strip().splitlines()
    if out.returncode != 0:
        return False, tools.last_line(out.stderr or out.stdout, out.returncode)
    return True, text[0] if text else "exit code 0"


def _tool(name: str, required: bool, version_args: tuple[str, ...] = ("--version",)) -> Check:
    path = shutil.which(name)
    if not path:
        return Check(name, False, "not on PATH", INSTALL_HINTS.get(name, ""), required)
    ok, detail = _run([path, *version_args])
    return Check(name, ok, detail, "" if ok else f"`{name} {' '.join(version_args)}` fails: reinstall it; "
                 f"{INSTALL_HINTS.get(name, '')}", required)


def _engine() -> Check:
    try:
        return Check("container engine", True, images.ping())
    except K8sLabError as e:
        installed = shutil.which("docker") or shutil.which("podman")
        fix = START_DOCKER if shutil.which("docker") else images.unavailable().hint
        return Check("container engine", False, str(e), fix if installed else INSTALL_HINTS["docker"])


def _kit_ports(settings: config.Settings) -> set[int]:
    """Host ports the kit's own kind cluster publishes (none when it is not there or Docker is down)."""
    if settings.provider != "kind":
        return set()
    try:
        return engine.published_ports(settings.cluster_name)
    except K8sLabError:
        return set()


def _ports(settings: config.Settings) -> list[Check]:
    """NodePorts the kind node publishes on 127.0.0.1, and JupyterLab's port, must be free for them."""
    ours = None
    checks = []
    for port in (*NODE_PORTS, LAB_PORT):
        if images.port_free(port):
            checks.append(Check(f"port {port}", True, "free on 127.0.0.1", required=False))
            continue
        ours = _kit_ports(settings) if ours is None else ours
        if port in ours:
            checks.append(Check(f"port {port}", True, f"held by the kit's cluster {settings.cluster_name}", required=False))
        elif port == LAB_PORT:
            checks.append(Check(f"port {port}", False, "in use by another program",
                                "JupyterLab then takes the next free port; or choose one: `k8slab lab --port 8890`", False))
        else:
            checks.append(Check(f"port {port}", False, "in use by another program",
                                f"the kind node publishes NodePort {port} here: stop what listens "
                                f"(`ss -ltnp 'sport = :{port}'` names it)", settings.provider == "kind"))
    return checks


def _skew(settings: config.Settings) -> list[Check]:
    """kubectl supports servers one minor version either side; only asked when a kit cluster answers."""
    path = providers.get(settings).kubeconfig_path
    if not path.is_file():
        return []
    try:
        kube = kubeclient.Kube(path)
        try:
            server, minor = kube.version(), kube.minor_version
        finally:
            kube.close()
        client = magics.client_version()
    except K8sLabError:
        return []
    ok = abs(client[1] - minor) <= 1
    detail = f"kubectl {client[0]}.{client[1]}, cluster {server}"
    return [Check("kubectl skew", ok, detail if ok else f"{detail}: more than one minor version apart",
                  f"install kubectl 1.{minor} (conda: `conda install -c conda-forge kubernetes-client=1.{minor}`)", False)]


def _memory_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30


def _memory(settings: config.Settings) -> Check:
    """Free memory against what the cluster's shape wants: each kind node, plus JupyterLab and the kit."""
    free = _memory_gb()
    if settings.provider != "kind":
        want = KIT_MEMORY_MIB / 1024
        return Check("memory", free >= want, f"{free:.1f} GiB available; the kit wants {want:.1f} GiB (a cluster "
                                             "the kit did not make is not counted)", "close other programs")
    if _kit_running(settings):
        want = KIT_MEMORY_MIB / 1024
        return Check("memory", free >= want, f"{free:.1f} GiB available beside the kit's running cluster "
                                             f"{settings.cluster_name}; JupyterLab and the kit want {want:.1f} GiB",
                     "close other programs")
    workers = settings.workers
    want = (CONTROL_PLANE_MIB + WORKER_MIB * workers + KIT_MEMORY_MIB) / 1024
    verb = "want" if workers else "wants"
    return Check("memory", free >= want, f"{free:.1f} GiB available; {shape(workers)} {verb} {want:.1f} GiB",
                 _smaller(workers))


def _kit_running(settings: config.Settings) -> bool:
    """Whether the kit's kind cluster runs: its nodes' memory is then no longer available, but in use."""
    try:
        return any(state == "running" for _, state, _ in engine.kind_nodes(settings.cluster_name, timeout=10))
    except K8sLabError:
        return False


def _smaller(workers: int) -> str:
    """How to want less; `up` keeps a cluster of another shape, so a smaller one is made anew."""
    if not workers:
        return "close other programs"
    fewer = ("`k8slab up --workers 1`, or K8SLAB_WORKERS=0 for a single node" if workers > 1
             else "K8SLAB_WORKERS=0 (or `k8slab up --workers 0`) for a single node")
    return f"close other programs, or make the cluster smaller: {fewer} (`k8slab down` first if it exists)"


def _context(settings: config.Settings) -> Check:
    kubectl = shutil.which("kubectl")
    if not kubectl:
        return Check("kubeconfig context", False, "kubectl is missing, so no context can be read", required=False)
    args = [kubectl, *(["--kubeconfig", settings.kubeconfig] if settings.kubeconfig else []), "config", "current-context"]
    ok, ctx = _run(args)
    return Check("kubeconfig context", ok, ctx if ok else "none set", "the kit makes its own; only the context provider needs one",
                 required=settings.provider == "context")


def run_checks(*, settings: config.Settings) -> list[Check]:
    """What this machine has for the cluster `settings` name: engine, tools, context, memory, disk.

    Used in chapter 03.
    """
    kind_needed = settings.provider == "kind"
    checks = [
        _engine(),
        _tool("kind", kind_needed, ("version",)),
        _tool("kubectl", True, ("version", "--client")),
        _context(settings),
    ]
    if not kind_needed:
        checks[0].required = False
    checks.append(_memory(settings))
    home = next(p for p in (settings.home, *settings.home.parents) if p.exists())
    disk = shutil.disk_usage(home).free / 2**30
    checks.append(Check("disk", disk >= MIN_DISK_GB, f"{disk:.1f} GiB free at {home}",
                        f"node images and clusters want at least {MIN_DISK_GB} GiB free"))
    return checks + _ports(settings) + _skew(settings)


def healthy(checks: list[Check]) -> bool:
    return all(c.ok for c in checks if c.required)


def report(checks: list[Check]) -> str:
    """One line a check: ok, FAIL (needed) or warn (optional), and what was found.

    Used in chapter 03.
    """
    lines = []
    for c in checks:
        mark = "ok  " if c.ok else ("FAIL" if c.required else "warn")
        lines.append(f"{mark} {c.name:<18} {c.detail}")
        if not c.ok and c.fix:
            lines.append(f"     {'':<18} how to fix: {c.fix}")
    return "\n".join(lines)


def as_dicts(checks: list[Check]) -> list[dict]:
    return [asdict(c) for c in checks]
