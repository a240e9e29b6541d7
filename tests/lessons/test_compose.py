"""Docker Compose to Kubernetes objects without kompose (absent on this machine), and with a stand-in kompose."""

import pytest
import yaml

from k8slab.core.errors import ManifestError, ToolMissing
from k8slab.lessons import compose

COMPOSE = """
services:
  web:
    image: nginx:1.17.0
    ports: ["8080:80", "127.0.0.1:9090:90/udp"]
    environment: {MODE: demo}
    volumes: ["./site:/usr/share/nginx/html"]
  clock:
    image: busybox:1.36
    command: sh -c "while true; do date; sleep 10; done"
    environment: ["TZ=UTC"]
    stop_grace_period: 1m30s
"""


def test_each_service_becomes_a_deployment_and_published_ports_a_service(capsys):
    objs = compose.translate(COMPOSE)
    assert [(o["kind"], o["metadata"]["name"]) for o in objs] == [("Deployment", "web"), ("Service", "web"), ("Deployment", "clock")]
    web, svc, clock = objs
    container = web["spec"]["template"]["spec"]["containers"][0]
    assert container["ports"] == [{"containerPort": 80}, {"containerPort": 90}]
    assert container["env"] == [{"name": "MODE", "value": "demo"}]
    assert svc["spec"]["ports"][0] == {"name": "8080", "port": 8080, "targetPort": 80, "protocol": "TCP"}
    assert svc["spec"]["selector"] == web["spec"]["selector"]["matchLabels"] == {"io.kompose.service": "web"}
    assert clock["spec"]["template"]["spec"]["containers"][0]["args"] == ["sh", "-c", "while true; do date; sleep 10; done"]
    assert clock["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 90  # kompose's mapping of stop_grace_period
    assert "terminationGracePeriodSeconds" not in web["spec"]["template"]["spec"]
    assert "__source__" not in web
    assert "'web': volumes not translated" in capsys.readouterr().out
    text = repr(objs)
    assert "&id" not in text and [d["kind"] for d in yaml.safe_load_all(text)] == ["Deployment", "Service", "Deployment"]


def test_bad_compose_files_are_one_line_errors(tmp_path):
    with pytest.raises(ManifestError, match="has no `services:`"):
        compose.translate("version: '3'\nfoo: 1\n")
    with pytest.raises(ManifestError, match="has no image"):
        compose.translate("services:\n  app:\n    build: .\n")
    with pytest.raises(ManifestError, match="not valid YAML"):
        compose.translate("services: [\n")
    with pytest.raises(ManifestError, match=r"stop_grace_period '2 seconds' is not a duration.*like 2s or 1m30s"):
        compose.translate("services:\n  app:\n    image: busybox:1.36\n    stop_grace_period: 2 seconds\n")


def test_without_kompose_the_kit_translates_and_says_so(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    f = tmp_path / "docker-compose.yml"
    f.write_text(COMPOSE)
    assert len(compose.convert(f)) == 3
    assert "kompose is not installed here" in capsys.readouterr().out
    with pytest.raises(ToolMissing, match="`kompose` is not on PATH"):
        compose.convert(f, use_kompose=True)


def test_with_kompose_its_output_is_used(monkeypatch, tmp_path):
    """A stand-in `kompose` (not the real tool) that records its arguments and prints one ConfigMap."""
    log = tmp_path / "args"
    script = tmp_path / "kompose"
    script.write_text(f"#!/bin/sh\necho \"$@\" > {log}\nprintf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata: {{name: from-kompose}}\\n'\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    f = tmp_path / "docker-compose.yml"
    f.write_text(COMPOSE)
    objs = compose.convert(f)
    assert [o["metadata"]["name"] for o in objs] == ["from-kompose"]
    assert log.read_text().split() == ["convert", "--stdout", "-f", str(f)]
