#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# rust_conntrack and nf_conntrack cannot be loaded together, and say so.
. "$(dirname "$0")/lib.sh"

load
dmesg -c >/dev/null
check_fails "nf_conntrack refuses to load beside rust_conntrack" modprobe nf_conntrack
check "the log says why" bash -c "dmesg | grep -q 'nf_conntrack cannot load while rust_conntrack is loaded'"
nft add table ip t
nft add chain ip t c '{ type filter hook input priority 0; }'
check "nft ct rules take rust_conntrack's expressions" nft add rule ip t c ct state new accept
check "and do not pull nf_conntrack in" bash -c "! grep -q '^nf_conntrack ' /proc/modules"
nft flush ruleset 2>/dev/null
check "unload" wait_for 30 unload

check "nf_conntrack loads" modprobe nf_conntrack
dmesg -c >/dev/null
check_fails "rust_conntrack refuses to load beside nf_conntrack" load
check "the log says why" bash -c "dmesg | grep -q 'nf_conntrack is loaded'"
check "nf_conntrack unloads" rmmod nf_conntrack
check "rust_conntrack loads after" load
check "unload" unload
