"""Can this machine hold a one-node Ceph? Memory, free disk, cores and the rbd kernel module.

Measured from /proc, statvfs and /sys, not guessed; the thresholds are parameters so a test
(or a classroom with small machines) can move them. A mon, a mgr and one OSD need about
4 GiB together; the OSD's sparse file and the Ceph image need disk where Docker keeps data.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass, field
from pathlib import Path

from k8slab.core.errors import K8sLabError

GIB = 1024**3


class HostNotReady(K8sLabError):
    """The machine lacks what a Rook cluster needs."""


@dataclass
class HostCheck:
    memory_gib: float
    disk_gib: float
    disk_path: str
    cores: int
    rbd: bool
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        have = (f"{self.cores} cores, {self.memory_gib:.1f} GiB memory available, "
                f"{self.disk_gib:.1f} GiB free under {self.disk_path}, rbd module {'present' if self.rbd else 'missing'}")
        return f"host: {have}" + ("" if self.ok else f": NOT enough for Rook: {'; '.join(self.problems)}")


def available_memory(proc: Path = Path("/proc")) -> float:
    """MemAvailable from /proc/meminfo, in GiB."""
    for line in (proc / "meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024 / GIB
    raise HostNotReady(f"{proc}/meminfo has no MemAvailable line", "is this Linux?")


def free_disk(path: str | Path) -> float:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize / GIB


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def has_rbd(sys_module: Path = Path("/sys/module"), modules: Path = Path("/lib/modules")) -> bool:
    """Loaded or built in (/sys/module/rbd), or loadable (rbd.ko* under /lib/modules/<release>)."""
    if (sys_module / "rbd").exists():
        return True
    release = modules / platform.release()
    builtin = release / "modules.builtin"
    if builtin.is_file() and any(line.rstrip().endswith("/rbd.ko") for line in builtin.read_text().splitlines()):
        return True
    return any(release.glob("kernel/drivers/block/rbd.ko*"))


def default_disk_path() -> str:
    """Where the kind node's files land: Docker's data root when it is on this machine."""
    return "/var/lib/docker" if Path("/var/lib/docker").is_dir() else str(Path.home())


def check_host(*, min_memory_gib: float = 4, min_disk_gib: float = 10, min_cores: int = 2, need_rbd: bool = True,
               disk_path: str | Path | None = None, proc: Path = Path("/proc"),
               sys_module: Path = Path("/sys/module"), modules: Path = Path("/lib/modules")) -> HostCheck:
    """Measure the host and list what falls short (never raises for a small machine).

    Used in chapter 04b.
    """
    disk_path = str(disk_path or default_disk_path())
    check = HostCheck(available_memory(proc), free_disk(disk_path), disk_path, cores(), has_rbd(sys_module, modules))
    if check.memory_gib < min_memory_gib:
        check.problems.append(f"{check.memory_gib:.1f} GiB memory available, Rook needs {min_memory_gib:g} GiB")
    if check.disk_gib < min_disk_gib:
        check.problems.append(f"{check.disk_gib:.1f} GiB free under {disk_path}, Rook needs {min_disk_gib:g} GiB")
    if check.cores < min_cores:
        check.problems.append(f"{check.cores} cores, Rook needs {min_cores}")
    if need_rbd and not check.rbd:
        check.problems.append("the rbd kernel module is missing (Ceph block volumes need it; `modprobe rbd`, "
                              "or pass need_rbd=False to run Ceph without volumes)")
    return check


def preflight(**thresholds) -> HostCheck:
    """`check_host`, refusing with one line when the host falls short."""
    check = check_host(**thresholds)
    if not check.ok:
        raise HostNotReady(f"this machine cannot hold a Rook cluster: {'; '.join(check.problems)}",
                           "free memory or disk, or use a bigger machine")
    return check
