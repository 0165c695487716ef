#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# rust_conntrack and nf_conntrack cannot be loaded together, and say so.
. "$(dirname "$0")/lib.sh"

load
dmesg -c >/dev/null
check_fails "nf_conntrack refuses to load beside rust_conntrack" modprobe nf_conntrack
check "the log says why" bash -c "dmesg | grep -q 'nf_conntrack cannot load while rust_conntrack is loaded'"
check "nft ct rules cannot pull it in either" bash -c "! nft add table ip t 2>/dev/null || ! nft add chain ip t c '{ type filter hook input priority 0; ct state new accept; }' 2>/dev/null"
nft flush ruleset 2>/dev/null
check "unload" unload

check "nf_conntrack loads" modprobe nf_conntrack
dmesg -c >/dev/null
check_fails "rust_conntrack refuses to load beside nf_conntrack" load
check "the log says why" bash -c "dmesg | grep -q 'nf_conntrack is loaded'"
check "nf_conntrack unloads" rmmod nf_conntrack
check "rust_conntrack loads after" load
check "unload" unload
