#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Installs what building and testing rust_conntrack needs. Idempotent; runs as root.
set -euo pipefail
. "$(dirname "$0")/env.sh"

packages=(
	linux-source-6.12 rustc-web rust-web-src rust-web-clippy
	clang lld llvm libclang-dev
	bc flex bison libelf-dev libssl-dev cpio kmod xz-utils
	qemu-system-x86 busybox-static
	iproute2 nftables socat iputils-ping python3 gcc libc6-dev
	# the guest runs the host's tools: these are the ones the tests use
	procps util-linux iptables conntrack conntrackd ipvsadm iperf3 tcpdump python3-scapy
	# C helpers of the upstream selftests, and packetdrill
	libmnl-dev pkg-config make
	# make profile
	linux-perf
)
bindgen_version=0.69.5

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}); run as root or install them"
	log "installing ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! bindgen --version 2>/dev/null | grep -qx "bindgen $bindgen_version"; then
	log "installing bindgen-cli $bindgen_version"
	cargo install --quiet --locked bindgen-cli --version "$bindgen_version"
fi
