# shellcheck shell=bash
# testcluster: the components' processes: find, spawn, wait for, stop (sourced by tests/cluster/testcluster).

kubectl_admin() { "$BIN_DIR/kubectl" --kubeconfig "$ADMIN_KUBECONFIG" "$@"; }

# A regular expression matching the command line of each component as `start` runs it:
# the fallback when a pid file is missing or stale.
signature() {
  case $1 in
    etcd) printf '^/usr/bin/etcd --data-dir %s/etcd ' "$STATE_DIR" ;;
    containerd) printf '^/usr/bin/containerd --config %s/containerd.toml' "$STATE_DIR" ;;
    *) printf '^%s/%s ' "$BIN_DIR" "$1" ;;
  esac
}

# Prints the pid of a running component; fails if it does not run. A process this
# script has just spawned counts before it has exec'd the component (under load, the
# forked shell can still be on its way there when the first readiness check fails).
pid_of() {
  local name=$1 pid='' arg0=''
  if [[ -r $RUN_DIR/$name.pid ]]; then
    read -r pid <"$RUN_DIR/$name.pid" || true
    if [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]]; then
      IFS= read -r -d '' arg0 <"/proc/$pid/cmdline" || true
      if [[ ${arg0##*/} == "$name" ]] || { alive "$pid" && [[ $(parent_of "$pid") == "$$" ]]; }; then
        printf '%s\n' "$pid"
        return 0
      fi
    fi
  fi
  pgrep -o -f -- "$(signature "$name")"
}

# The TCP ports a component listens on (dockerd and containerd: sockets only).
ports_of() {
  case $1 in
    etcd) echo 2379 2380 ;;
    kube-apiserver) echo 6443 ;;
    kube-controller-manager) echo 10257 ;;
    kube-scheduler) echo 10259 ;;
    kubelet) echo 10248 10250 ;;
    kube-proxy) echo 10249 10256 ;;
  esac
}

# Fails with one line when another program holds a port the component needs (a used machine may
# run a Kubernetes of its own): the component would only exit, or never answer.
ports_free() {
  local name=$1 port held
  for port in $(ports_of "$name"); do
    held=$(ss -Hltn "sport = :$port")
    if [[ -n $held ]]; then
      die "port $port, which $name listens on, is held by another program (see: ss -ltnp 'sport = :$port'): stop it first"
    fi
  done
}

# spawn NAME CMD...: run CMD in its own session, output to the component's log
# (which is rotated once when it has grown over 50 MB).
spawn() {
  local name=$1 logfile=$LOG_DIR/$1.log
  shift
  ports_free "$name"
  if [[ -f $logfile ]] && (($(stat -c %s "$logfile") > 50000000)); then
    mv "$logfile" "$logfile.1"
  fi
  printf '=== %s %s\n' "$(date -Is)" "$*" >>"$logfile"
  setsid "$@" </dev/null >>"$logfile" 2>&1 &
  printf '%s\n' "$!" >"$RUN_DIR/$name.pid"
}

# wait_until TIMEOUT NAME CMD...: poll CMD until it succeeds; fail early if NAME died.
wait_until() {
  local timeout=$1 name=$2
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    pid_of "$name" >/dev/null || die "$name exited; see $LOG_DIR/$name.log"
    ((SECONDS < deadline)) || die "$name not ready after ${timeout}s; see $LOG_DIR/$name.log"
    sleep 0.5
  done
}

# Whether a process runs; one that has exited but is not yet reaped (zombie) does not.
alive() {
  local stat
  { stat=$(<"/proc/$1/stat"); } 2>/dev/null || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]]
}

# Prints a process's parent pid.
parent_of() {
  local stat ppid
  { stat=$(<"/proc/$1/stat"); } 2>/dev/null || return 1
  read -r _ ppid _ <<<"${stat##*) }"
  printf '%s\n' "$ppid"
}

# stop_component NAME [GRACE]: SIGTERM, then SIGKILL after GRACE seconds (default 20).
stop_component() {
  local name=$1 grace=${2:-20} pid deadline round
  for ((round = 0; round < 3; round++)); do
    pid=$(pid_of "$name") || break
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + grace))
    while alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
    if alive "$pid"; then
      kill -KILL "$pid" 2>/dev/null || true
      sleep 1
    fi
    log "$name ... stopped"
  done
  if pid=$(pid_of "$name"); then
    die "$name (pid $pid) does not stop"
  fi
  rm -f "$RUN_DIR/$name.pid"
}

