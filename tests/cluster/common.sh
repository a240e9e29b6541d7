# shellcheck shell=bash
# shellcheck disable=SC2034 # constants for the scripts that source this file, unused here
# What the CI scripts share, said once: sourced by testcluster, kindnode, registry and
# tests/images/build-base-images.

readonly K8S_VERSION=1.20.2
readonly CACHE_DIR=/var/cache/k8slab-testcluster
readonly BIN_DIR=$CACHE_DIR/v$K8S_VERSION/bin
readonly IMAGE_CACHE=${K8SLAB_IMAGE_CACHE:-$CACHE_DIR/images} # root filesystems, as tarballs
readonly SUITE=bookworm # Debian's release for the images' root filesystems
readonly DOCKER_DAEMON_JSON=/etc/docker/daemon.json
