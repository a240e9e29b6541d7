"""A pod's namespaces, cgroups and kernel against this process's: read for real on the test node."""

import os
import platform

import pytest

import k8slab as lab
from k8slab.core.errors import K8sLabError
from k8slab.kube import applying, waiting

isolation = lab.isolation  # on the cluster chosen last (the `kube` fixture's)

BUSYBOX = "k8slab.local/busybox:1"


def test_parse_and_report_without_a_cluster():
    text = "cgroup cgroup:[1]\nnet net:[2]\npid pid:[3]\npid_for_children pid:[3]\nuser user:[4]\n"
    assert isolation._parse_ns(text) == {"cgroup": "cgroup:[1]", "net": "net:[2]", "pid": "pid:[3]", "user": "user:[4]"}
    cmp = isolation.Comparison("p", {"net": "net:[9]", "pid": "pid:[3]", "user": "user:[4]"},
                               {"net": "net:[2]", "pid": "pid:[3]", "user": "user:[4]"},
                               ["4:memory:/user.slice"], ["4:memory:/kubepods/pod1/abc"], True, "6.1")
    assert cmp.separate() == ["net"] and cmp.shared() == ["pid", "user"]
    assert "the SAME kernel" in cmp.summary() and "separate namespaces: net" in cmp.summary()
    assert "memory cgroup of the pod:       /kubepods/pod1/abc" in cmp.cgroups()
    lines = repr(cmp).splitlines()
    assert lines[0].split()[:2] == ["namespace", "this"] and any(ln.startswith("net ") and "separate" in ln for ln in lines)
    not_linux = isolation.Comparison("p", {}, {"net": "net:[2]"}, kernel="6.1")
    assert "not on Linux" in not_linux.summary()


def test_host_side_reads_this_process():
    if platform.system() != "Linux":
        assert isolation.host_namespaces() == {}
        return
    ns = isolation.host_namespaces()
    assert ns["net"] == os.readlink("/proc/self/ns/net")
    assert isolation.host_cgroups()
    assert isolation.kvm_available().startswith(("/dev/kvm exists", "no /dev/kvm"))


@pytest.mark.cluster
def test_pod_against_this_process(kube, namespace):
    applying.apply({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "box", "namespace": namespace},
        "spec": {"containers": [{"name": "main", "image": BUSYBOX, "imagePullPolicy": "Never", "command": ["sleep", "3600"],
                                 "resources": {"limits": {"memory": "32Mi"}}}]},
    }, kube=kube)
    waiting.wait_for_pod("box", namespace, timeout=120, kube=kube)
    cmp = isolation.compare("box", namespace)
    assert {"net", "pid", "mnt", "uts", "ipc"} <= set(cmp.separate())
    assert cmp.pod_ns["net"].startswith("net:[")
    # the test cluster's node is this machine: one kernel, the same boot id
    assert cmp.same_kernel is True and cmp.kernel == platform.release()
    pod = applying.get("Pod", "box", namespace, kube=kube)
    uid, cid = pod["metadata"]["uid"], pod["status"]["containerStatuses"][0]["containerID"].split("://")[1]
    memory = next(line for line in cmp.pod_cgroups if ":memory:" in line)
    # CI's kind node (cgroup v1, kubelet's cgroupfs driver under cgroupRoot /kubelet) gives
    # memory:/kubelet/kubepods/burstable/pod<uid>/<container id>; a systemd-driven node writes the
    # same pod and container as .slice and .scope units, with "_" for "-" in the uid
    assert f"pod{uid}" in memory.replace("_", "-") and cid in memory
    assert isolation.pod_memory_limit("box", namespace) == "32 MiB"
    checks = lab.checks

    assert repr(checks.memory_limit("box", "32 MiB", namespace)) == "PASS Pod/box is limited to 32 MiB of memory"
    with pytest.raises(checks.CheckFailed, match="limits memory to 32 MiB, not 64 MiB"):
        checks.memory_limit("box", "64 MiB", namespace)


@pytest.mark.cluster
def test_a_missing_pod_is_one_line(kube, namespace):
    with pytest.raises(K8sLabError) as e:
        isolation.pod_namespaces("absent", namespace)
    assert "\n" not in str(e.value) and "absent" in str(e.value)
