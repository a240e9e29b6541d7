"""The CI scripts' machine-dependent helpers, run by bash: the test cluster's process checks
(tests/cluster/testcluster.d/processes.sh) and the registry's address on a Docker network, the latter
against recording stand-ins for `docker` and `ip` that answer with outputs seen on real machines."""

from __future__ import annotations

import ipaddress
import socket
import subprocess
from pathlib import Path

import pytest

PROCESSES = Path(__file__).parents[1] / "cluster" / "testcluster.d" / "processes.sh"


def test_a_component_counts_as_running_from_its_spawn_until_it_exits(tmp_path):
    """Between fork and exec a spawned component's command line is still the script's own (bash):
    `wait_until` asked `pid_of` then, and CI once stopped with "kubelet exited" while it was starting."""
    script = f"""
RUN_DIR={tmp_path} LOG_DIR={tmp_path} BIN_DIR=/bin
source {PROCESSES}
check() {{ if pid_of sleep >/dev/null; then echo "$1: running"; else echo "$1: not running"; fi; }}
( sleep 0.5; exec /bin/sleep 30 ) &
echo $! >"$RUN_DIR/sleep.pid"
check "before its exec"
/bin/sleep 0.8
check "after its exec"
kill "$(<"$RUN_DIR/sleep.pid")"
wait
check "after its exit"
"""
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["before its exec: running", "after its exec: running", "after its exit: not running"]


def test_a_component_whose_port_another_program_holds_is_not_spawned(tmp_path):
    """A used machine may run a Kubernetes of its own: the component would exit, or never answer."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        script = f"""
RUN_DIR={tmp_path} LOG_DIR={tmp_path} BIN_DIR=/bin
die() {{ printf 'testcluster: %s\\n' "$*" >&2; exit 1; }}
source {PROCESSES}
ports_of() {{ echo {port}; }}
spawn sleep /bin/sleep 30
echo spawned
"""
        done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (f"testcluster: port {port}, which sleep listens on, is held by another program "
                           f"(see: ss -ltnp 'sport = :{port}'): stop it first\n")
    assert not (tmp_path / "sleep.pid").exists()
    free = subprocess.run(["bash", "-c", script + 'kill "$(<"$RUN_DIR/sleep.pid")"'], capture_output=True, text=True,
                          timeout=30)
    assert (free.returncode, free.stdout) == (0, "spawned\n"), free.stderr


# -- tests/cluster/registry: this machine's address on a Docker network, from recorded outputs ------

REGISTRY = Path(__file__).parents[1] / "cluster" / "registry"
BRIDGE_ID = "3f1e0d2c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff"
KIND_ID = "a1b2c3d4e5f60718293a4b5c6d7e8f9000112233445566778899aabbccddeeff"
INSPECT = "docker network inspect"
DOCKER0 = ("5: docker0    inet 172.17.0.1/16 brd 172.17.255.255 scope global docker0\\"
           "       valid_lft forever preferred_lft forever")
KIND_BR = (f"7: br-{KIND_ID[:12]}    inet 172.18.0.1/16 brd 172.18.255.255 scope global br-{KIND_ID[:12]}\\"
           "       valid_lft forever preferred_lft forever")
NO_DEVICE = (1, 'Device "docker0" does not exist.')


def registry(standins, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["/bin/bash", str(REGISTRY), *args], capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("network, inspect, ip, address", [
    # dockerd 20.10 on a used machine: the default bridge's IPAM config names its gateway
    ("bridge", f"{BRIDGE_ID}|docker0|172.17.0.1 ", DOCKER0, "172.17.0.1"),
    # the same dockerd on a new machine: `[{"Subnet":"172.17.0.0/16"}]`, no Gateway (the template's `index`
    # prints "<no value>"); docker0 has the address
    ("bridge", f"{BRIDGE_ID}|docker0|<no value> ", DOCKER0, "172.17.0.1"),
    # kind's network: no bridge name option (the bridge is br-<first 12 of its id>), IPv4 and IPv6 gateways
    ("kind", f"{KIND_ID}||172.18.0.1 fc00:f853:ccd:e793::1 ", KIND_BR, "172.18.0.1"),
    # the IPv6 gateway listed first, and no interface here (Docker Desktop, rootless): the IPv4 gateway
    ("kind", f"{KIND_ID}||fc00:f853:ccd:e793::1 172.18.0.1 ", NO_DEVICE, "172.18.0.1"),
])
def test_the_registry_finds_this_machines_address_on_a_docker_network(standins, network, inspect, ip, address):
    dev = "docker0" if network == "bridge" else f"br-{KIND_ID[:12]}"
    standins.tools("docker", "ip").reply({f"{INSPECT} {network}": (0, inspect),
                                          f"ip -4 -o addr show dev {dev}": ip if isinstance(ip, tuple) else (0, ip)})
    done = registry(standins, "address", network)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"{address}\n", "")
    assert ["ip", "-4", "-o", "addr", "show", "dev", dev] in standins.calls()


def test_the_mirror_url_is_on_docker0s_address_when_the_ipam_config_has_no_gateway(standins):
    standins.tools("docker", "ip").reply({f"{INSPECT} bridge": (0, f"{BRIDGE_ID}|docker0|<no value> "),
                                          "ip -4 -o addr show dev docker0": (0, DOCKER0)})
    done = registry(standins, "url")
    assert (done.returncode, done.stdout) == (0, "http://172.17.0.1:5055\n"), done.stderr


@pytest.mark.docker
def test_the_registry_finds_its_address_on_this_machines_real_docker_bridge(engine):
    """The recorded outputs above cannot catch a template the real Docker refuses (`.Gateway` on a config
    without that key did: "map has no entry for key")."""
    done = subprocess.run(["bash", str(REGISTRY), "address", "bridge"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    subnet = subprocess.run(["docker", "network", "inspect", "bridge", "-f", "{{range .IPAM.Config}}{{.Subnet}} {{end}}"],
                            capture_output=True, text=True, check=True).stdout.split()
    address = ipaddress.ip_address(done.stdout.strip())
    assert any(address in ipaddress.ip_network(s) for s in subnet if "." in s), (address, subnet)
    assert f"inet {address}/" in subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True).stdout


@pytest.mark.parametrize("inspect, says", [
    ((0, f"{BRIDGE_ID}|docker0|<no value> "),
     "registry: Docker network 'bridge' has no IPv4 address here: no address on its bridge docker0, "
     "no gateway in its IPAM config"),
    ((1, "Error: No such network: bridge"), "registry: docker network inspect bridge failed: Error: No such network: bridge"),
])
def test_without_an_address_the_registry_stops_with_one_line(standins, inspect, says):
    standins.tools("docker", "ip").reply({f"{INSPECT} bridge": inspect, "ip -4 -o addr show dev docker0": NO_DEVICE})
    for args in (["address", "bridge"], ["url"]):
        done = registry(standins, *args)
        assert (done.returncode, done.stdout, done.stderr) == (1, "", says + "\n")


# -- tests/cluster/debian-mirror: apt's mirror for a suite, whatever entry comes first ----------------

MIRROR = Path(__file__).parents[1] / "cluster" / "debian-mirror"
# This kind of machine's deb822 sources (a snapshot date in a comment, the security suite second).
DEB822 = """Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
"""
# A machine whose security entry, and a deb-src one, come first, with a local mirror for the rest.
DEB822_SECURITY_FIRST = """Types: deb
URIs: http://security.debian.org/debian-security
Suites: bookworm-security
Components: main

Types: deb-src
URIs: http://deb-src.example/debian
Suites: bookworm
Components: main

Types: deb
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main"""
# The one-line format, with options in brackets.
SOURCES_LIST = """deb [signed-by=/usr/share/keyrings/k.gpg] http://security.debian.org/debian-security bookworm-security main
deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] http://list.example/debian bookworm main
"""


@pytest.mark.parametrize("deb822, one_line, suite, uri", [
    (DEB822, None, "bookworm", "http://deb.debian.org/debian"),
    (DEB822, None, "bookworm-security", "http://deb.debian.org/debian-security"),
    (DEB822_SECURITY_FIRST, None, "bookworm", "http://mirror.example/debian"),
    (None, SOURCES_LIST, "bookworm", "http://list.example/debian"),
    ("", SOURCES_LIST, "bookworm", "http://list.example/debian"),
])
def test_the_debian_mirror_is_chosen_by_its_suite(tmp_path, deb822, one_line, suite, uri):
    files = []
    for name, text in (("debian.sources", deb822), ("sources.list", one_line)):
        files.append(tmp_path / name)
        if text is not None:
            files[-1].write_text(text)
    done = subprocess.run(["bash", str(MIRROR), suite, *map(str, files)], capture_output=True, text=True, timeout=30)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"{uri}\n", "")


def test_without_an_entry_for_the_suite_debian_mirror_says_so_in_one_line(tmp_path):
    (tmp_path / "debian.sources").write_text(DEB822)
    done = subprocess.run(["bash", str(MIRROR), "trixie", str(tmp_path / "debian.sources"), str(tmp_path / "none")],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == (f"debian-mirror: no 'deb' entry for trixie in {tmp_path}/debian.sources or {tmp_path}/none: "
                           "add one (apt's mirror for trixie)\n")
