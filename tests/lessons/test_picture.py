"""The architecture picture with discovered components placed on it (no cluster: a discovery result as data)."""

import xml.etree.ElementTree as ET
from pathlib import Path

from k8slab.lessons import picture

SVG = Path(__file__).resolve().parents[2] / "assets" / "architecture.svg"


def part(name, healthy, source, detail="", version=""):
    return {"name": name, "title": name, "healthy": healthy, "source": source, "detail": detail, "version": version}


KIND = {
    "version": "v1.32.0",
    "control_plane": [part("kube-apiserver", True, "static pod", "1 pod(s) on k8slab-control-plane"),
                      part("kube-scheduler", True, "static pod", "1 pod(s) on k8slab-control-plane"),
                      part("kube-controller-manager", False, "static pod", "1 pod(s) on k8slab-control-plane, not Ready"),
                      part("etcd", None, "none", "the cluster does not report it")],
    "nodes": [{"name": "k8slab-control-plane", "ready": True, "roles": ["control-plane"], "pods": 9,
               "components": [part("container-runtime", True, "node status", version="containerd://2.0"),
                              part("kubelet", True, "node status", version="v1.32.0"),
                              part("kube-proxy", True, "pod", "DaemonSet pod", "v1.32.0")]}],
    "addons": [], "checks": {},
}


def test_every_component_of_the_picture_has_a_box():
    ids = {el.get("id") for el in ET.parse(SVG).iter() if el.get("id")}
    for name in ("kube-apiserver", "kube-scheduler", "kube-controller-manager", "etcd", "kubelet", "kube-proxy", "container-runtime"):
        assert f"c-{name}" in ids and f"w-{name}" in ids


def test_place_writes_where_and_colours_by_health():
    svg = picture.place(KIND, SVG)._repr_svg_()
    root = ET.fromstring(svg)
    by_id = {el.get("id"): el for el in root.iter() if el.get("id")}
    assert by_id["w-kube-apiserver"].text == "1 static pod on k8slab-control-plane"
    assert by_id["w-kube-scheduler"].text.endswith("…") and len(by_id["w-kube-scheduler"].text) == 24
    assert by_id["w-kubelet"].text == "on k8slab-control-plane · v1.32.0"
    rect = {name: by_id[f"c-{name}"].find(f"{{{picture.SVG_NS}}}rect").get("style") for name in ("kube-apiserver",
                                                                                                 "kube-controller-manager", "etcd")}
    assert rect == {"kube-apiserver": "fill:#d3f9d8", "kube-controller-manager": "fill:#ffc9c9", "etcd": "fill:#f1f3f5"}


def test_legend_is_stable_text():
    lines = picture.legend(KIND).splitlines()
    assert lines[0].split() == ["kube-apiserver", "1", "pod(s)", "on", "k8slab-control-plane"]
    assert "etcd                     not reported by the cluster" in lines
    assert lines[-1].endswith("master: static pods in kube-system")
