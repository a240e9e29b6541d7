"""The DNS stand-in's records (tests/cluster/standins/standin), from the objects the API gives: the names
a learner's CoreDNS answers. The program runs for real in CI's node image (tests/clusters/test_multinode.py)."""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path

STANDIN = Path(__file__).resolve().parents[1] / "cluster" / "standins" / "standin"


def load():
    loader = importlib.machinery.SourceFileLoader("standin", str(STANDIN))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader("standin", loader))
    loader.exec_module(module)
    return module


def service(ip: str) -> dict:
    return {"spec": {"clusterIP": ip}}


def test_a_clusterip_service_is_its_address_and_a_headless_one_its_ready_pods():
    records = load().records(
        {"shop/web": service("10.96.0.20"), "shop/db": service("None"), "shop/empty": service("None")},
        {"shop/db": {"subsets": [{"addresses": [{"ip": "10.244.1.5", "hostname": "db-0"}, {"ip": "10.244.2.6"}],
                                  "notReadyAddresses": [{"ip": "10.244.2.9", "hostname": "db-1"}]}]},
         "shop/web": {"subsets": [{"addresses": [{"ip": "10.244.1.7"}]}]}})
    assert records.splitlines() == [
        "10.244.1.5 db-0.db.shop.svc.cluster.local",
        "10.244.1.5 db.shop.svc.cluster.local",
        "10.244.2.6 db.shop.svc.cluster.local",
        "10.96.0.20 web.shop.svc.cluster.local",
    ], "a pod that is not ready has no record; a ClusterIP Service is its ClusterIP, not its pods"
