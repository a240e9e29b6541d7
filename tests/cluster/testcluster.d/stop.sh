# shellcheck shell=bash
# testcluster: stop, and leave no process, mount, netns, link or chain behind (sourced by tests/cluster/testcluster).

# Kill the pods: through containerd when it runs, then any shim of ours left with
# its whole process tree (a container's PID 1 may ignore SIGTERM).
kill_pods() {
  local ctr=(ctr --address "$CONTAINERD_SOCK" -n k8s.io) ids=()
  if pid_of containerd >/dev/null; then
    mapfile -t ids < <("${ctr[@]}" tasks ls -q 2>/dev/null)
    if ((${#ids[@]})); then
      "${ctr[@]}" tasks delete --force "${ids[@]}" >/dev/null 2>&1 || true
    fi
    mapfile -t ids < <("${ctr[@]}" containers ls -q 2>/dev/null)
    if ((${#ids[@]})); then
      "${ctr[@]}" containers delete "${ids[@]}" >/dev/null 2>&1 || true
    fi
  fi
  local pids=() queue=() pid
  mapfile -t queue < <(pgrep -f -- "containerd-shim-runc-v2 .*-address $CONTAINERD_SOCK( |$)")
  while ((${#queue[@]})); do
    pid=${queue[0]}
    queue=("${queue[@]:1}")
    pids+=("$pid")
    mapfile -t -O "${#queue[@]}" queue < <(pgrep -P "$pid")
  done
  if ((${#pids[@]})); then
    kill -KILL "${pids[@]}" 2>/dev/null || true
    log "pods ... killed ${#pids[@]} leftover processes"
  fi
}

# Unmount everything at or below the given directories, deepest first.
unmount_below() {
  local mp prefix round
  for ((round = 0; round < 3; round++)); do
    local found=0
    while read -r mp; do
      mp=$(printf '%b' "$mp") # mountinfo escapes spaces etc. as \040
      for prefix in "$@"; do
        if [[ $mp == "$prefix" || $mp == "$prefix"/* ]]; then
          umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null || true
          found=1
        fi
      done
    done < <(awk '{ print $5 }' /proc/self/mountinfo | sort -r)
    ((found)) || break
  done
}

cleanup_network() {
  local mp link round
  # The pods' network namespaces are nsfs mounts on /run/netns/cni-*. Some may be hidden
  # under /run/netns itself if something made it a mount point meanwhile (`ip netns add`
  # does): then unmount that as well, and go on with what it uncovers.
  for ((round = 0; round < 3; round++)); do
    while read -r mp; do
      umount "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null || true
      rm -f "$mp" 2>/dev/null || true
    done < <(awk '$5 ~ /^\/run\/netns\/cni-/ { print $5 }' /proc/self/mountinfo)
    grep -q ' /run/netns/cni-' /proc/self/mountinfo || break
    if mountpoint -q /run/netns; then
      umount /run/netns 2>/dev/null || true
    fi
  done
  rm -f /run/netns/cni-* 2>/dev/null || true
  if ip link show cni0 >/dev/null 2>&1; then
    while read -r link; do
      ip link delete "${link%%@*}" 2>/dev/null || true
    done < <(ip -o link show master cni0 | awk -F': ' '{ print $2 }')
    ip link delete cni0
  fi
  if ip link show "$DUMMY_IF" >/dev/null 2>&1; then
    ip link delete "$DUMMY_IF"
  fi
  # CNI result caches of our network and of containerd's loopback network.
  rm -f /var/lib/cni/results/k8slab-* /var/lib/cni/results/cni-loopback-*
}

# Remove the KUBE-* (kube-proxy, kubelet) and CNI-* (bridge ipMasq, portmap) chains:
# first the jumps to them from other chains, then the chains themselves.
cleanup_iptables() {
  local tool table rules
  for tool in iptables ip6tables; do
    command -v "$tool-save" >/dev/null || continue
    for table in nat filter mangle; do
      rules=$("$tool-save" -t "$table" 2>/dev/null) || continue
      grep -qE '^:(KUBE|CNI)-' <<<"$rules" || continue
      awk -v table="$table" '
        /^:(KUBE|CNI)-/ { chains[++n] = substr($1, 2) }
        /^-A / && $2 !~ /^(KUBE|CNI)-/ && / -[jg] (KUBE|CNI)-/ { sub(/^-A /, "-D "); dels[++m] = $0 }
        END {
          print "*" table
          for (i = 1; i <= m; i++) print dels[i]
          for (i = 1; i <= n; i++) print ":" chains[i] " - [0:0]"
          for (i = 1; i <= n; i++) print "-X " chains[i]
          print "COMMIT"
        }' <<<"$rules" | "$tool-restore" --noflush
    done
  done
}

cmd_stop() {
  local purge=0
  case ${1:-} in
    --purge) purge=1 ;;
    '') ;;
    *) die "usage: $0 stop [--purge]" ;;
  esac
  stop_component kubelet
  kill_pods
  stop_component kube-proxy
  stop_component containerd
  kill_pods
  stop_component kube-scheduler
  stop_component kube-controller-manager
  # Its graceful shutdown waits up to 60 s for clients' open watches; its state is in etcd.
  stop_component kube-apiserver 5
  stop_component etcd
  cleanup_network
  unmount_below "$KUBELET_ROOT" "$CONTAINERD_ROOT" "$CONTAINERD_STATE" "$RUNC_ROOT"
  cleanup_iptables
  rm -rf "$CONTAINERD_STATE" "$RUNC_ROOT" "$CNI_IPAM_DIR" "$RUN_DIR/node-ip" "$RUN_DIR/rootfs" \
    "$CONTAINERD_SOCK" "$CONTAINERD_SOCK.ttrpc"
  if ((purge)); then
    rm -rf "$STATE_DIR"
    log "state ... purged ($STATE_DIR)"
  fi
  log "stop ... ok"
}

