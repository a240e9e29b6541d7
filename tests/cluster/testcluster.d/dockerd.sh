# shellcheck shell=bash
# testcluster: Docker's engine, for kind and the stand-in images (sourced by tests/cluster/testcluster).

# Bit 24 of the capability bounding set is CAP_SYS_RESOURCE.
lacks_sys_resource() {
  local bnd
  bnd=$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)
  (((16#$bnd >> 24 & 1) == 0))
}

# Where the bounding set lacks CAP_SYS_RESOURCE, runc refuses privileged containers (kind's
# nodes): make the runc wrapper Docker's and Podman's default runtime. Prints whether Docker's
# daemon.json changed (Podman reads its configuration at every command).
setup_docker_runtime() {
  lacks_sys_resource || return 0
  install -D -m 0755 "$HERE/runc-wrapper" "$RUNC_WRAPPER"
  mkdir -p "$(dirname "$PODMAN_CONF")"
  printf '%s\n' '[engine]' 'runtime = "k8slab-runc"' '' '[engine.runtimes]' \
    "k8slab-runc = [\"$RUNC_WRAPPER\"]" >"$PODMAN_CONF"
  python3 - "$DOCKER_DAEMON_JSON" "$RUNC_WRAPPER" <<'PY'
import json, os, sys
path, wrapper = sys.argv[1:]
conf = json.load(open(path)) if os.path.exists(path) and os.path.getsize(path) else {}
want = dict(conf, runtimes=dict(conf.get("runtimes") or {}, **{"k8slab-runc": {"path": wrapper}}))
want["default-runtime"] = "k8slab-runc"
if want != conf:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(want, f, indent=2)
    print("changed")
PY
}

cmd_dockerd() {
  local changed pid
  changed=$(setup_docker_runtime)
  if docker info >/dev/null 2>&1; then
    if [[ -n $changed ]] && pid=$(pgrep -o -x dockerd); then
      kill -HUP "$pid" # dockerd reloads its runtimes on SIGHUP
      log "dockerd ... runtimes reloaded ($RUNC_WRAPPER)"
    fi
    log "dockerd ... already running"
    return 0
  fi
  command -v dockerd >/dev/null || die "dockerd not installed: run '$0 install'"
  mkdir -p "$LOG_DIR" "$RUN_DIR"
  spawn dockerd "$(command -v dockerd)"
  wait_until 60 dockerd docker info
  log "dockerd ... ok${changed:+ (default runtime $RUNC_WRAPPER)}"
}

