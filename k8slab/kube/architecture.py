"""The guide's architecture picture, read from a live cluster: control plane, worker nodes, components.

kind and kubeadm run the control plane as static pods in kube-system (label `component=`), and
kube-proxy as a DaemonSet; their Ready condition is their health. A cluster whose control plane
runs as host processes has no such pods: then the API server's own checks (/readyz), the
leader-election leases the scheduler and controller manager renew, componentstatuses
(deprecated, still served by 1.20) and the nodes' status tell what they can. What nothing
tells is reported as unknown (healthy None), never guessed. Plain dicts, for text and widgets.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

from kubernetes.client.rest import ApiException

from k8slab.core.conditions import ready as is_ready
from k8slab.kube.client import Kube, translating

CONTROL_PLANE = (
    ("kube-apiserver", "API server"),
    ("kube-scheduler", "Scheduler"),
    ("kube-controller-manager", "Controller Manager"),
    ("etcd", "etcd"),
)
_COMPONENTSTATUS = {"kube-scheduler": "scheduler", "kube-controller-manager": "controller-manager", "etcd": "etcd-0"}
_CHECK = re.compile(r"^\[([+-])\](\S+)\s+(.*)$")


def _get(kube: Kube, path: str, query=(), timeout: float = 10) -> tuple[int, str]:
    """(HTTP status, body text) of a GET; an error status is an answer too, only no answer raises."""
    with translating(f"reading {path}", kube):
        try:
            resp = kube.dyn.request("GET", path, query_params=list(query), serialize=False, _request_timeout=(timeout, timeout))
            try:
                return resp.status, resp.data.decode("utf-8", "replace")
            finally:
                resp.release_conn()
        except ApiException as e:
            body = e.body.decode("utf-8", "replace") if isinstance(e.body, bytes) else (e.body or "")
            return e.status or 0, body


def _items(kube: Kube, path: str, query=()) -> list[dict]:
    status, text = _get(kube, path, query)
    return json.loads(text).get("items") or [] if status == 200 else []


def readiness_checks(*, kube: Kube) -> dict[str, bool]:
    """The API server's /readyz?verbose checks: {"etcd": True, "informer-sync": True, ...}.

    Used in chapter 01.
    """
    _, text = _get(kube, "/readyz", [("verbose", "true")])
    return {m[2]: m[1] == "+" for m in map(_CHECK.match, text.splitlines()) if m}


def _part(name: str, title: str, healthy: bool | None, source: str, detail: str = "", *, version: str = "") -> dict:
    return {"name": name, "title": title, "healthy": healthy, "source": source, "detail": detail, "version": version}


def _lease_health(lease: dict | None) -> tuple[bool, str] | None:
    spec = (lease or {}).get("spec") or {}
    if not spec.get("renewTime"):
        return None
    renewed = datetime.fromisoformat(spec["renewTime"].replace("Z", "+00:00"))
    age = (datetime.now(timezone.utc) - renewed).total_seconds()
    fresh = age <= 2 * (spec.get("leaseDurationSeconds") or 15)
    return fresh, "renews its leader lease" if fresh else f"has not renewed its leader lease for {age:.0f}s"


def _control_plane(name: str, title: str, *, pods: list[dict], checks: dict[str, bool], leases: dict[str, dict],
                   statuses: dict[str, tuple[bool, str]]) -> dict:
    """The best report of one control-plane component: its static pods, else /readyz, its lease, componentstatuses."""
    return (_static_pods(name, title, pods) or _readyz(name, title, checks) or _lease(name, title, leases)
            or _componentstatus(name, title, statuses) or _part(name, title, None, "none", "the cluster does not report it"))


def _static_pods(name: str, title: str, pods: list[dict]) -> dict | None:
    mine = [p for p in pods if (p["metadata"].get("labels") or {}).get("component") == name]
    if not mine:
        return None
    ready = all(is_ready(p) for p in mine)
    where = ", ".join(sorted((p.get("spec") or {}).get("nodeName") or "?" for p in mine))
    return _part(name, title, ready, "static pod", f"{len(mine)} pod(s) on {where}" + ("" if ready else ", not Ready"))


def _readyz(name: str, title: str, checks: dict[str, bool]) -> dict | None:
    if name == "kube-apiserver":
        failed = sorted(k for k, ok in checks.items() if not ok)
        return _part(name, title, bool(checks) and not failed, "/readyz",
                     f"failing checks: {', '.join(failed)}" if failed else "answers, all readiness checks pass")
    if name == "etcd" and "etcd" in checks:
        return _part(name, title, checks["etcd"], "/readyz",
                     "the API server reaches it" if checks["etcd"] else "the API server cannot reach it")
    return None


def _lease(name: str, title: str, leases: dict[str, dict]) -> dict | None:
    lease = _lease_health(leases.get(name))
    return _part(name, title, lease[0], "lease", lease[1]) if lease else None


def _componentstatus(name: str, title: str, statuses: dict[str, tuple[bool, str]]) -> dict | None:
    cs = statuses.get(_COMPONENTSTATUS.get(name, name))
    if cs is None:
        return None
    ok, message = cs
    if ok:
        return _part(name, title, True, "componentstatus", "healthy")
    if "connection refused" in message:  # --port=0, as kubeadm sets it: the probe says nothing
        return _part(name, title, None, "componentstatus", "runs without the insecure health port the API server probes")
    return _part(name, title, False, "componentstatus", message)


def _component_statuses(kube: Kube) -> dict[str, tuple[bool, str]]:
    out = {}
    for item in _items(kube, "/api/v1/componentstatuses"):
        cond = next((c for c in item.get("conditions") or [] if c.get("type") == "Healthy"), {})
        out[item["metadata"]["name"]] = (cond.get("status") == "True", cond.get("message") or cond.get("error") or "")
    return out


def _kube_proxy(kube: Kube, node: str, pods: list[dict], version: str) -> dict:
    mine = [p for p in pods if (p["metadata"].get("labels") or {}).get("k8s-app") == "kube-proxy"
            and (p.get("spec") or {}).get("nodeName") == node]
    if mine:
        return _part("kube-proxy", "kube-proxy", all(is_ready(p) for p in mine), "pod", "DaemonSet pod", version=version)
    status, text = _get(kube, f"/api/v1/nodes/{node}:10256/proxy/healthz", timeout=3)
    if status == 200:
        return _part("kube-proxy", "kube-proxy", True, "healthz", "its /healthz answers through the API server", version=version)
    return _part("kube-proxy", "kube-proxy", None, "none", "runs outside pods; its health port is not reachable through the API server",
                 version=version)


def _kubelet(kube: Kube, node: str, ready: bool, message: str, version: str) -> dict:
    status, text = _get(kube, f"/api/v1/nodes/{node}/proxy/healthz", timeout=3)
    if status == 200 and text.strip() == "ok":
        return _part("kubelet", "Kubelet", ready, "healthz", "its /healthz answers through the API server; " + message, version=version)
    return _part("kubelet", "Kubelet", ready, "node status", message, version=version)


def _node(kube: Kube, node: dict, pods: list[dict]) -> dict:
    name = node["metadata"]["name"]
    info = (node.get("status") or {}).get("nodeInfo") or {}
    ready = is_ready(node)
    cond = next((c for c in (node.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"), {})
    labels = node["metadata"].get("labels") or {}
    roles = sorted(k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/")) or ["worker"]
    running = _items(kube, "/api/v1/pods", [("fieldSelector", f"spec.nodeName={name},status.phase!=Succeeded,status.phase!=Failed")])
    return {
        "name": name,
        "ready": ready,
        "roles": roles,
        "pods": len(running),
        "components": [
            _part("container-runtime", "Container runtime", ready, "node status",
                  "" if ready else cond.get("message", ""), version=info.get("containerRuntimeVersion", "")),
            _kubelet(kube, name, ready, cond.get("message", ""), info.get("kubeletVersion", "")),
            _kube_proxy(kube, name, pods, info.get("kubeProxyVersion", "")),
        ],
    }


def _addons(pods: list[dict]) -> list[dict]:
    groups: dict[str, list[dict]] = {}
    for p in pods:
        labels = p["metadata"].get("labels") or {}
        if labels.get("component") or labels.get("k8s-app") == "kube-proxy":
            continue
        groups.setdefault(labels.get("k8s-app") or labels.get("app") or p["metadata"]["name"], []).append(p)
    return [{"name": k, "pods": len(v), "ready": sum(map(is_ready, v)), "healthy": all(map(is_ready, v))}
            for k, v in sorted(groups.items())]


def discover(*, kube: Kube) -> dict:
    """{"version", "control_plane": [...], "nodes": [...], "addons": [...], "checks": {...}}.

    Each component is {"name", "title", "healthy": True/False/None, "source", "detail", "version"}.

    Used in chapter 01.
    """
    checks = readiness_checks(kube=kube)
    pods = _items(kube, "/api/v1/namespaces/kube-system/pods")
    leases = {i["metadata"]["name"]: i for i in _items(kube, "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases")}
    has_pods = {(p["metadata"].get("labels") or {}).get("component") for p in pods}
    statuses = {} if {n for n, _ in CONTROL_PLANE} <= has_pods else _component_statuses(kube)
    _, version = _get(kube, "/version")
    return {
        "version": json.loads(version).get("gitVersion", "") if version.startswith("{") else "",
        "control_plane": [_control_plane(n, t, pods=pods, checks=checks, leases=leases, statuses=statuses) for n, t in CONTROL_PLANE],
        "nodes": [_node(kube, n, pods) for n in _items(kube, "/api/v1/nodes")],
        "addons": _addons(pods),
        "checks": checks,
    }


def _mark(healthy: bool | None) -> str:
    return {True: "ok", False: "FAILING", None: "unknown"}[healthy]


def describe(arch: dict) -> str:
    """The picture as text (the Introduction notebook prints it): no addresses, ages or hashes.

    Used in chapter 01.
    """
    lines = [f"Kubernetes {arch['version']}".rstrip(), "Control plane (控制平面):"]
    for c in arch["control_plane"]:
        lines.append(f"  {c['title']:<20} {_mark(c['healthy']):<8} ({c['source']}: {c['detail']})")
    for n in arch["nodes"]:
        lines.append(f"Node {n['name']} (工作节点, {'/'.join(n['roles'])}): {'Ready' if n['ready'] else 'NOT Ready'}")
        for c in n["components"]:
            lines.append(f"  {c['title']:<20} {_mark(c['healthy']):<8} {c['version']}".rstrip())
    if arch["addons"]:
        lines.append("Add-ons: " + ", ".join(f"{a['name']} {a['ready']}/{a['pods']}" for a in arch["addons"]))
    return "\n".join(lines)
