# shellcheck shell=bash
# testcluster: certificates, the components and the smoke test (sourced by tests/cluster/testcluster).

# render TEMPLATE: tests/cluster/templates/TEMPLATE with each @NAME@ replaced by $NAME.
render() {
  local text name
  text=$(<"$HERE/templates/$1")
  for name in $(grep -o '@[A-Z_]*@' "$HERE/templates/$1" | sort -u | tr -d @); do
    [[ -v $name ]] || die "template $1: \$$name is not set"
    text=${text//@$name@/${!name}}
  done
  printf '%s\n' "$text"
}

# The address of the default-route interface, or a dummy interface's if there is none.
setup_node_ip() {
  local dev
  dev=$(ip -4 route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit }}')
  if [[ -n $dev ]]; then
    NODE_IP=$(ip -4 -o addr show dev "$dev" scope global | awk '{ split($4, a, "/"); print a[1]; exit }')
  fi
  if [[ -z ${NODE_IP:-} ]]; then
    if ! ip link show "$DUMMY_IF" >/dev/null 2>&1; then
      # Kernels without the dummy driver: an empty bridge does the same job.
      ip link add "$DUMMY_IF" type dummy 2>/dev/null || ip link add "$DUMMY_IF" type bridge
      ip addr add "$DUMMY_ADDR/32" dev "$DUMMY_IF"
      ip link set "$DUMMY_IF" up
      # Without a default route the host would have no route to the Service IPs.
      ip route add "$SERVICE_CIDR" dev "$DUMMY_IF"
    fi
    NODE_IP=$DUMMY_ADDR
  fi
  printf '%s\n' "$NODE_IP" >"$RUN_DIR/node-ip"
}

# sign_cert NAME SUBJECT EXTENDED_KEY_USAGE [SUBJECT_ALT_NAMES]
sign_cert() {
  local name=$1 subject=$2 eku=$3 sans=${4:-}
  local want="$subject $eku $sans"
  if [[ -f $PKI_DIR/$name.crt && -f $PKI_DIR/$name.key && -f $PKI_DIR/$name.id ]] \
    && [[ $(<"$PKI_DIR/$name.id") == "$want" ]]; then
    return 0
  fi
  local ext
  ext=$(printf '%s\n' "basicConstraints = critical, CA:FALSE" \
    "keyUsage = critical, digitalSignature, keyEncipherment" \
    "extendedKeyUsage = $eku" \
    "subjectKeyIdentifier = hash" \
    "authorityKeyIdentifier = keyid, issuer")
  if [[ -n $sans ]]; then ext+=$'\n'"subjectAltName = $sans"; fi
  openssl req -new -nodes -newkey rsa:2048 -keyout "$PKI_DIR/$name.key" -out "$PKI_DIR/$name.csr" \
    -subj "$subject" -config <(printf '[req]\ndistinguished_name = dn\n[dn]\n') 2>/dev/null
  openssl x509 -req -sha256 -days 3650 -in "$PKI_DIR/$name.csr" \
    -CA "$PKI_DIR/ca.crt" -CAkey "$PKI_DIR/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
    -extfile <(printf '%s\n' "$ext") -out "$PKI_DIR/$name.crt" 2>/dev/null
  rm -f "$PKI_DIR/$name.csr"
  printf '%s\n' "$want" >"$PKI_DIR/$name.id"
}

# write_kubeconfig FILE CERT_NAME
write_kubeconfig() {
  local file=$1 cert=$2
  CA_DATA=$(base64 -w0 "$PKI_DIR/ca.crt") CERT_DATA=$(base64 -w0 "$PKI_DIR/$cert.crt") \
    KEY_DATA=$(base64 -w0 "$PKI_DIR/$cert.key") KC_USER=$cert render kubeconfig.yaml >"$file.tmp"
  mv "$file.tmp" "$file"
}

setup_pki() {
  local old_umask
  old_umask=$(umask)
  umask 077
  mkdir -p "$PKI_DIR" "$STATE_DIR/kubeconfigs"
  if [[ ! -f $PKI_DIR/ca.crt || ! -f $PKI_DIR/ca.key ]]; then
    openssl req -x509 -new -nodes -newkey rsa:2048 -sha256 -days 3650 \
      -keyout "$PKI_DIR/ca.key" -out "$PKI_DIR/ca.crt" -subj "/CN=k8slab-testcluster-ca" \
      -config <(printf '%s\n' '[req]' 'distinguished_name = dn' 'x509_extensions = ca' '[dn]' '[ca]' \
        'basicConstraints = critical, CA:TRUE' \
        'keyUsage = critical, keyCertSign, cRLSign, digitalSignature' \
        'subjectKeyIdentifier = hash') 2>/dev/null
    rm -f "$PKI_DIR"/*.id # new CA: re-sign everything
  fi
  if [[ ! -f $PKI_DIR/sa.key ]]; then
    openssl genrsa -out "$PKI_DIR/sa.key" 2048 2>/dev/null
    openssl rsa -in "$PKI_DIR/sa.key" -pubout -out "$PKI_DIR/sa.pub" 2>/dev/null
  fi
  local sans="DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
  sans+=",DNS:kubernetes.default.svc.cluster.local,DNS:$NODE_NAME"
  sans+=",IP:127.0.0.1,IP:$SERVICE_IP,IP:$NODE_IP"
  sign_cert apiserver "/CN=kube-apiserver" serverAuth "$sans"
  sign_cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
  sign_cert admin "/O=system:masters/CN=k8slab-admin" clientAuth
  sign_cert kube-controller-manager "/CN=system:kube-controller-manager" clientAuth
  sign_cert kube-scheduler "/CN=system:kube-scheduler" clientAuth
  sign_cert kube-proxy "/CN=system:kube-proxy" clientAuth
  sign_cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" clientAuth
  local c
  for c in kube-controller-manager kube-scheduler kube-proxy kubelet; do
    write_kubeconfig "$STATE_DIR/kubeconfigs/$c.kubeconfig" "$c"
  done
  write_kubeconfig "$ADMIN_KUBECONFIG" admin
  umask "$old_umask"
}

start_etcd() {
  if ! pid_of etcd >/dev/null; then
    spawn etcd /usr/bin/etcd --data-dir "$STATE_DIR/etcd" --name k8slab --logger zap \
      --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
      --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
      --initial-cluster k8slab=http://127.0.0.1:2380
  fi
  wait_until 30 etcd curl -fsS http://127.0.0.1:2379/health
  log "etcd ... ok"
}

start_apiserver() {
  if ! pid_of kube-apiserver >/dev/null; then
    spawn kube-apiserver "$BIN_DIR/kube-apiserver" \
      --advertise-address="$NODE_IP" --secure-port=6443 \
      --etcd-servers=http://127.0.0.1:2379 \
      --tls-cert-file="$PKI_DIR/apiserver.crt" --tls-private-key-file="$PKI_DIR/apiserver.key" \
      --client-ca-file="$PKI_DIR/ca.crt" \
      --kubelet-client-certificate="$PKI_DIR/apiserver-kubelet-client.crt" \
      --kubelet-client-key="$PKI_DIR/apiserver-kubelet-client.key" \
      --kubelet-preferred-address-types=InternalIP \
      --service-account-key-file="$PKI_DIR/sa.pub" \
      --service-account-signing-key-file="$PKI_DIR/sa.key" \
      --service-account-issuer=https://kubernetes.default.svc.cluster.local \
      --service-cluster-ip-range="$SERVICE_CIDR" \
      --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
      --allow-privileged=true
  fi
  wait_until 90 kube-apiserver kubectl_admin get --raw /readyz
  log "kube-apiserver ... ok"
}

start_controller_manager() {
  local kc=$STATE_DIR/kubeconfigs/kube-controller-manager.kubeconfig
  if ! pid_of kube-controller-manager >/dev/null; then
    spawn kube-controller-manager "$BIN_DIR/kube-controller-manager" \
      --kubeconfig="$kc" --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" \
      --authentication-skip-lookup=true --bind-address=127.0.0.1 --port=0 \
      --service-account-private-key-file="$PKI_DIR/sa.key" --root-ca-file="$PKI_DIR/ca.crt" \
      --use-service-account-credentials=true \
      --cluster-signing-cert-file="$PKI_DIR/ca.crt" --cluster-signing-key-file="$PKI_DIR/ca.key" \
      --allocate-node-cidrs=true --cluster-cidr="$CLUSTER_CIDR" --node-cidr-mask-size=24 \
      --service-cluster-ip-range="$SERVICE_CIDR"
  fi
  # Its serving certificate is self-signed: -k for this loopback health probe only.
  wait_until 60 kube-controller-manager curl -fsSk https://127.0.0.1:10257/healthz
  log "kube-controller-manager ... ok"
}

start_scheduler() {
  local kc=$STATE_DIR/kubeconfigs/kube-scheduler.kubeconfig
  if ! pid_of kube-scheduler >/dev/null; then
    spawn kube-scheduler "$BIN_DIR/kube-scheduler" \
      --kubeconfig="$kc" --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" \
      --authentication-skip-lookup=true --bind-address=127.0.0.1 --port=0
  fi
  wait_until 60 kube-scheduler curl -fsSk https://127.0.0.1:10259/healthz
  log "kube-scheduler ... ok"
}

write_containerd_config() {
  render containerd.toml >"$STATE_DIR/containerd.toml"
  # "firewall" accepts the pods' traffic in FORWARD, whose policy dockerd sets to DROP
  # (with br_netfilter even pod-to-pod traffic on cni0 passes through FORWARD).
  mkdir -p "$CNI_CONF_DIR"
  render cni.conflist >"$CNI_CONF_DIR/10-k8slab.conflist"
}

start_containerd() {
  if ! pid_of containerd >/dev/null; then
    write_containerd_config
    spawn containerd /usr/bin/containerd --config "$STATE_DIR/containerd.toml"
  fi
  wait_until 30 containerd ctr --address "$CONTAINERD_SOCK" version
  log "containerd ... ok"
}

node_has_image() {
  [[ -n $(ctr --address "$CONTAINERD_SOCK" -n k8s.io images ls -q "name==$1") ]]
}

import_images() {
  local img
  for img in "$@"; do
    docker save "$img" | ctr --address "$CONTAINERD_SOCK" -n k8s.io images import - >/dev/null \
      || die "could not import docker image $img into the node"
  done
}

# docker_import IMAGE DIR CHANGE: pack DIR as the root filesystem of IMAGE.
docker_import() {
  tar -C "$2" -c . | docker import -c "$3" - "$1" >/dev/null
}

# The pause image, made here from the build's pause binary, and the busybox test image by its one
# recipe (tests/images/build-base-images); no registry here.
ensure_base_images() {
  local dir=$RUN_DIR/rootfs img
  if ! docker image inspect "$PAUSE_IMAGE" >/dev/null 2>&1; then
    rm -rf "$dir"
    mkdir -p "$dir"
    cp "$BIN_DIR/pause" "$dir/pause"
    docker_import "$PAUSE_IMAGE" "$dir" 'ENTRYPOINT ["/pause"]'
  fi
  if ! docker image inspect "$BUSYBOX_IMAGE" >/dev/null 2>&1; then
    bash "$HERE/../images/build-base-images" "$BUSYBOX_IMAGE" >/dev/null
  fi
  rm -rf "$dir"
  for img in "$PAUSE_IMAGE" "$BUSYBOX_IMAGE"; do
    node_has_image "$img" || import_images "$img"
  done
  log "images ... ok ($PAUSE_IMAGE $BUSYBOX_IMAGE)"
}

start_kubelet() {
  if ! pid_of kubelet >/dev/null; then
    render kubelet-config.yaml >"$STATE_DIR/kubelet-config.yaml"
    spawn kubelet "$BIN_DIR/kubelet" \
      --config="$STATE_DIR/kubelet-config.yaml" \
      --kubeconfig="$STATE_DIR/kubeconfigs/kubelet.kubeconfig" \
      --container-runtime=remote --container-runtime-endpoint="unix://$CONTAINERD_SOCK" \
      --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" \
      --root-dir="$KUBELET_ROOT" --cert-dir="$KUBELET_ROOT/pki" \
      --volume-plugin-dir="$KUBELET_ROOT/volume-plugins"
  fi
  wait_until 60 kubelet curl -fsS http://127.0.0.1:10248/healthz
  log "kubelet ... ok"
}

start_kube_proxy() {
  # Service traffic between pods on the cni0 bridge must pass through iptables.
  modprobe br_netfilter 2>/dev/null || true
  if [[ -w /proc/sys/net/bridge/bridge-nf-call-iptables ]]; then
    echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables
  fi
  echo 1 >/proc/sys/net/ipv4/ip_forward
  if ! pid_of kube-proxy >/dev/null; then
    # The conntrack settings 0 leave the host's sysctls alone.
    spawn kube-proxy "$BIN_DIR/kube-proxy" \
      --kubeconfig="$STATE_DIR/kubeconfigs/kube-proxy.kubeconfig" \
      --hostname-override="$NODE_NAME" --proxy-mode=iptables --cluster-cidr="$CLUSTER_CIDR" \
      --healthz-bind-address="$NODE_IP:10256" --metrics-bind-address=127.0.0.1:10249 \
      --conntrack-max-per-core=0 --conntrack-tcp-timeout-established=0s \
      --conntrack-tcp-timeout-close-wait=0s
  fi
  wait_until 60 kube-proxy curl -fsS "http://$NODE_IP:10256/healthz"
  log "kube-proxy ... ok"
}

default_sa_has_token() {
  [[ -n $(kubectl_admin -n kube-system get serviceaccount default -o 'jsonpath={.secrets[0].name}') ]]
}

# The node is Ready and a pod of the busybox image runs.
smoke_test() {
  wait_until 60 kubelet kubectl_admin get node "$NODE_NAME"
  kubectl_admin wait --for=condition=Ready "node/$NODE_NAME" --timeout=120s >/dev/null \
    || die "node $NODE_NAME not Ready; see $LOG_DIR/kubelet.log"
  log "node $NODE_NAME ... Ready"
  wait_until 60 kube-controller-manager default_sa_has_token
  render smoke-pod.yaml | kubectl_admin apply -f - >/dev/null
  kubectl_admin -n kube-system wait --for=condition=Ready "pod/$SMOKE_POD" --timeout=120s >/dev/null \
    || die "pod $SMOKE_POD not Ready: see 'kubectl -n kube-system describe pod $SMOKE_POD' and $LOG_DIR/kubelet.log"
  # A graceful deletion takes kubelet 1.20 about 15 s: remove the object now, kubelet
  # kills the container right after.
  local out
  out=$(kubectl_admin -n kube-system delete pod "$SMOKE_POD" --grace-period=0 --force 2>&1) || die "$out"
  log "pod $SMOKE_POD ... ran and deleted"
}

all_running() {
  local c
  for c in "${COMPONENTS[@]}"; do
    pid_of "$c" >/dev/null || return 1
  done
  [[ $(kubectl_admin get --raw /readyz 2>/dev/null) == ok ]]
}

cmd_start() {
  if [[ -f $ADMIN_KUBECONFIG ]] && all_running; then
    log "start ... already running"
    return 0
  fi
  binaries_built || die "binaries missing or outdated in $BIN_DIR: run '$0 build' first"
  docker info >/dev/null 2>&1 || die "dockerd is not answering ('docker info' failed): start it, e.g. '$0 dockerd'"
  mkdir -p "$RUN_DIR" "$LOG_DIR" "$STATE_DIR"
  setup_node_ip
  setup_pki
  log "pki ... ok (node IP $NODE_IP)"
  start_etcd
  start_apiserver
  start_controller_manager
  start_scheduler
  start_containerd
  ensure_base_images
  start_kubelet
  start_kube_proxy
  smoke_test
  log "start ... ok (KUBECONFIG=$ADMIN_KUBECONFIG)"
}

