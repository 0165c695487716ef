#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Sysctls refuse bad values with an error and keep their value.
. "$(dirname "$0")/lib.sh"

load
ns_add child
P=/proc/sys/net/netfilter

# refuses FILE VALUE [NS]: writing VALUE fails and FILE keeps its value.
refuses() {
	local file=$1 value=$2 ns=${3:-}
	local run=()
	[ -n "$ns" ] && run=(ip netns exec "$ns")
	local before after
	before=$("${run[@]}" cat "$P/$file")
	if "${run[@]}" bash -c "echo '$value' > $P/$file" 2>/dev/null; then
		fail "$file refuses '$value'" "the write succeeded"
		return
	fi
	after=$("${run[@]}" cat "$P/$file")
	check_eq "$file refuses '$value' and keeps $before" "$before" "$after"
}

for t in nf_conntrack_udp_timeout nf_conntrack_generic_timeout nf_conntrack_icmp_timeout \
	nf_conntrack_tcp_timeout_established; do
	for v in -1 abc 8589935 99999999999 1x ''; do refuses "$t" "$v"; done
done
for f in nf_conntrack_acct nf_conntrack_checksum; do
	for v in 2 -1 abc 256; do refuses "$f" "$v"; done
done
for v in -1 abc 2147483648; do refuses nf_conntrack_max "$v"; done
refuses nf_conntrack_count 5
refuses nf_conntrack_buckets 1024
refuses nf_conntrack_max $(($(cat $P/nf_conntrack_max) + 1)) child

check "a good timeout is taken" bash -c "echo 45 > $P/nf_conntrack_udp_timeout && test \$(cat $P/nf_conntrack_udp_timeout) = 45"
check "a good flag is taken" bash -c "echo 1 > $P/nf_conntrack_acct && test \$(cat $P/nf_conntrack_acct) = 1"
check_eq "the child's timeouts are its own" 30 "$(ip netns exec child cat $P/nf_conntrack_udp_timeout)"
check_eq "the child sees the shared limit" "$(cat $P/nf_conntrack_max)" "$(ip netns exec child cat $P/nf_conntrack_max)"
echo 30 > $P/nf_conntrack_udp_timeout
echo 0 > $P/nf_conntrack_acct
cleanup
check "unload" unload
