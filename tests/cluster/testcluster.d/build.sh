# shellcheck shell=bash
# testcluster: apt packages and the Kubernetes build (sourced by tests/cluster/testcluster).

cmd_install() {
  [[ -r $APT_DEB_LIST ]] || die "$APT_DEB_LIST not found: cannot derive the deb-src entry"
  local src_entry need_update=0 missing=() pkg
  src_entry=$(sed 's/^Types:.*/Types: deb-src/' "$APT_DEB_LIST")
  if [[ ! -f $APT_SRC_LIST ]] || [[ $(<"$APT_SRC_LIST") != "$src_entry" ]]; then
    printf '%s\n' "$src_entry" >"$APT_SRC_LIST"
    need_update=1
  fi
  apt-cache showsrc kubernetes >/dev/null 2>&1 || need_update=1
  for pkg in "${APT_PACKAGES[@]}"; do
    [[ $(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null) == installed ]] || missing+=("$pkg")
  done
  if ((${#missing[@]})); then need_update=1; fi
  if ((need_update)); then
    apt-get update -qq
  fi
  if ((${#missing[@]})); then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  fi
  log "install ... ok"
}

# ---------------------------------------------------------------------------- build

binaries_built() {
  local b
  for b in "${K8S_BINARIES[@]}" pause; do
    [[ -x $BIN_DIR/$b ]] || return 1
  done
  [[ -f $BIN_DIR/BUILD_ID && $(<"$BIN_DIR/BUILD_ID") == "$BUILD_ID" ]]
}

# replace_line FILE OLD NEW: replace a whole line (awk escapes such as \t allowed).
replace_line() {
  local file=$1
  awk -v old="$2" -v new="$3" '$0 == old { $0 = new; n++ } { print } END { exit n != 1 }' \
    "$file" >"$file.new" || die "build: no single line '$2' in $file"
  mv "$file.new" "$file"
}

cmd_build() {
  if binaries_built; then
    log "build ... cached ($BIN_DIR)"
    return 0
  fi
  local work=$CACHE_DIR/v$K8S_VERSION/work
  local src_dir=$CACHE_DIR/v$K8S_VERSION/src
  local tree=$work/kubernetes
  mkdir -p "$src_dir"
  if ! compgen -G "$src_dir/kubernetes_*.dsc" >/dev/null; then
    (cd "$src_dir" && apt-get -qq -o APT::Sandbox::User=root source --download-only kubernetes) \
      || die "apt-get source kubernetes failed (run: $0 install)"
  fi
  rm -rf "$work"
  mkdir -p "$work"
  local dsc
  dsc=$(compgen -G "$src_dir/kubernetes_*.dsc" | head -n 1)
  dpkg-source --no-check -x "$dsc" "$tree" >/dev/null
  grep -q "tag: v$K8S_VERSION'" "$tree/hack/lib/version.sh" \
    || die "$dsc is not Kubernetes v$K8S_VERSION"

  # reflect2 1.0.1 (vendored) breaks with Go >= 1.18: use Debian's 1.0.2.
  local reflect2=$tree/vendor/github.com/modern-go/reflect2
  rm -rf "$reflect2"
  cp -r /usr/share/gocode/src/github.com/modern-go/reflect2 "$reflect2"
  rm -f "$reflect2/go.mod"

  # kubelet 1.20.2 deletes a pod only once its sandbox is removed, which only the container
  # GC does, once a minute: deleted pods stayed Terminating for up to 70 s. GC every 5 s,
  # and sync pod statuses every 2 s (instead of 10 s).
  replace_line "$tree/pkg/kubelet/kubelet.go" '\tContainerGCPeriod = time.Minute' \
    '\tContainerGCPeriod = 5 * time.Second'
  replace_line "$tree/pkg/kubelet/status/status_manager.go" 'const syncPeriod = 10 * time.Second' \
    'const syncPeriod = 2 * time.Second'

  mkdir -p "$tree/.go/src/k8s.io"
  ln -sfn "$tree" "$tree/.go/src/k8s.io/kubernetes"
  local whats=()
  local b
  for b in "${K8S_BINARIES[@]}"; do whats+=("cmd/$b"); done
  log "build: compiling ${K8S_BINARIES[*]} (15-20 minutes on 2 cores)"
  (
    cd "$tree/.go/src/k8s.io/kubernetes"
    export GOPATH=$tree/.go CGO_ENABLED=0 GOFLAGS=
    nice -n 10 make WHAT="${whats[*]}"
  ) >"$work/build.log" 2>&1 || die "make failed, see $work/build.log"

  rm -rf "$BIN_DIR.tmp"
  mkdir -p "$BIN_DIR.tmp"
  for b in "${K8S_BINARIES[@]}"; do
    install -m 0755 "$tree/_output/local/bin/linux/amd64/$b" "$BIN_DIR.tmp/$b"
  done
  gcc -Os -static -Wall -DVERSION=v3.4.1 -o "$BIN_DIR.tmp/pause" "$tree/build/pause/linux/pause.c"
  strip "$BIN_DIR.tmp/pause"
  printf '%s\n' "$BUILD_ID" >"$BIN_DIR.tmp/BUILD_ID"
  rm -rf "$BIN_DIR"
  mv "$BIN_DIR.tmp" "$BIN_DIR"
  # The tree with its go build cache (~2 GB) would only help a rebuild.
  rm -rf "$work"
  log "build ... ok ($BIN_DIR)"
}

