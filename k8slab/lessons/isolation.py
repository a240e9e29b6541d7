"""Containers are processes: compare a pod's namespaces, cgroups and kernel with this notebook's.

A virtual machine boots its own kernel; a container is a process of the host's kernel
that sees its own namespaces (what it can see) and sits in its own cgroups (what it may
use). Reading `/proc/1/ns/*` inside a pod and `/proc/self/ns/*` here makes that visible.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass, field
from pathlib import Path

from k8slab.core.errors import K8sLabError
from k8slab.kube import inspecting
from k8slab.kube.client import Kube

NS_TYPES = ("cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts")
NS_MEANING = {
    "cgroup": "its view of the cgroup tree",
    "ipc": "shared memory and message queues",
    "mnt": "the file system tree it sees",
    "net": "network interfaces, IPs, ports",
    "pid": "process numbers (it is PID 1)",
    "time": "boot and monotonic clocks",
    "user": "user and group ids",
    "uts": "hostname",
}
# Each line: the namespace file and where its link points, e.g. `net net:[4026532301]`.
_READ_NS = 'for f in /proc/1/ns/*; do echo "${f##*/} $(readlink $f)"; done'
_MEMORY_LIMIT = "cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes"


def _in_pod(pod: str, namespace: str, command: str, container: str | None = None, *, kube: Kube) -> str:
    rc, out = inspecting.exec_in(pod, ["sh", "-c", command], namespace, container, kube=kube)
    if rc != 0:
        raise K8sLabError(f"`{command}` in pod {pod} failed: {out.strip()[-120:]}", "does the image have a shell (sh)?")
    return out


def _parse_ns(text: str) -> dict[str, str]:
    pairs = (line.split(None, 1) for line in text.splitlines() if " " in line.strip())
    return {k: v.strip() for k, v in pairs if k in NS_TYPES}


def host_namespaces() -> dict[str, str]:
    """This process's namespaces; empty where the notebook does not run on Linux (macOS, Windows)."""
    base = Path("/proc/self/ns")
    if not base.is_dir():
        return {}
    return {t: os.readlink(base / t) for t in NS_TYPES if (base / t).exists()}


def pod_namespaces(pod: str, namespace: str = "default", container: str | None = None, *, kube: Kube) -> dict[str, str]:
    """The namespaces of the container's PID 1, read inside the pod."""
    return _parse_ns(_in_pod(pod, namespace, _READ_NS, container, kube=kube))


def host_cgroups() -> list[str]:
    path = Path("/proc/self/cgroup")
    return path.read_text().split() if path.exists() else []


def pod_cgroups(pod: str, namespace: str = "default", container: str | None = None, *, kube: Kube) -> list[str]:
    return _in_pod(pod, namespace, "cat /proc/1/cgroup", container, kube=kube).split()


def pod_memory_limit(pod: str, namespace: str = "default", container: str | None = None, *, kube: Kube) -> str:
    """The memory limit the container's cgroup enforces (cgroup v2 `memory.max` or v1 `limit_in_bytes`).

    Used in chapter 02.
    """
    value = _in_pod(pod, namespace, _MEMORY_LIMIT, container, kube=kube).strip()
    if value.isdigit() and int(value) < 2**60:
        return f"{int(value) // 2**20} MiB"
    return "no limit"


def _boot_id_here() -> str | None:
    path = Path("/proc/sys/kernel/random/boot_id")
    return path.read_text().strip() if path.exists() else None


def kvm_available() -> str:
    """Whether this machine could run KVM virtual machines (the guide's 基本理论 · KVM).

    Used in chapter 02.
    """
    if Path("/dev/kvm").exists():
        usable = os.access("/dev/kvm", os.R_OK | os.W_OK)
        return "/dev/kvm exists: this Linux kernel can run KVM virtual machines" + ("" if usable else " (not for this user)")
    if platform.system() != "Linux":
        return f"no /dev/kvm: this is {platform.system()}, whose hypervisor is not KVM"
    return "no /dev/kvm here: the CPU's virtualization is off or not passed in (common inside VMs and CI machines)"


@dataclass
class Comparison:
    """A pod's PID 1 against this notebook's process: namespaces, cgroups, kernel."""

    pod: str
    host_ns: dict[str, str]
    pod_ns: dict[str, str]
    host_cgroups: list[str] = field(default_factory=list)
    pod_cgroups: list[str] = field(default_factory=list)
    same_kernel: bool | None = None
    kernel: str = ""

    def shared(self) -> list[str]:
        return [t for t in NS_TYPES if t in self.pod_ns and self.host_ns.get(t) == self.pod_ns[t]]

    def separate(self) -> list[str]:
        return [t for t in NS_TYPES if t in self.pod_ns and self.host_ns and self.host_ns.get(t) != self.pod_ns[t]]

    def summary(self) -> str:
        """A few stable lines (no inode numbers): what the pod shares with this notebook and what it does not."""
        if not self.host_ns:
            return f"this notebook is not on Linux: the pod's kernel ({self.kernel}) is a VM's, not this machine's"
        kernel = {True: "the SAME kernel as this notebook", False: "a DIFFERENT kernel (a VM) from this notebook"}
        lines = [f"pod {self.pod} runs on {kernel.get(self.same_kernel, 'a kernel the kit cannot compare')}",
                 f"separate namespaces: {', '.join(self.separate()) or 'none'}",
                 f"shared namespaces:   {', '.join(self.shared()) or 'none'}"]
        return "\n".join(lines)

    def table(self) -> str:
        rows = [("namespace", "this notebook", f"pod {self.pod} (PID 1)", "", "isolates")]
        for t in NS_TYPES:
            if t in self.pod_ns or t in self.host_ns:
                mark = "shared" if self.host_ns.get(t) == self.pod_ns.get(t) else "separate"
                rows.append((t, self.host_ns.get(t, "n/a"), self.pod_ns.get(t, "n/a"), mark, NS_MEANING[t]))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) + "  " + r[4] for r in rows)

    def cgroups(self) -> str:
        def memory(lines):
            return next((ln.split(":", 2)[2] for ln in lines if ":memory:" in ln or ln.startswith("0::")), "n/a")

        return f"memory cgroup of this notebook: {memory(self.host_cgroups)}\nmemory cgroup of the pod:       {memory(self.pod_cgroups)}"

    def __repr__(self) -> str:
        return f"{self.table()}\n\n{self.cgroups()}\n\n{self.summary()}"


def compare(pod: str, namespace: str = "default", container: str | None = None, *, kube: Kube) -> Comparison:
    """Read the pod's namespaces, cgroups and kernel boot id, and set them against this process's.

    Used in chapter 02.
    """
    here = _boot_id_here()
    there = _in_pod(pod, namespace, "cat /proc/sys/kernel/random/boot_id; uname -r", container, kube=kube).split()
    return Comparison(
        pod=pod,
        host_ns=host_namespaces(),
        pod_ns=pod_namespaces(pod, namespace, container, kube=kube),
        host_cgroups=host_cgroups(),
        pod_cgroups=pod_cgroups(pod, namespace, container, kube=kube),
        same_kernel=(here == there[0]) if here and there else None,
        kernel=there[1] if len(there) > 1 else "",
    )
