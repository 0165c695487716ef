#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Namespace churn: 1,000 namespaces created, given traffic and deleted while the module stays
# loaded, then pairs deleted while datagrams are in flight between them across veth (some
# unconfirmed). Nothing is left behind: the module's caches drain and it unloads.
# timeout: 5400
. "$(dirname "$0")/lib.sh"

# objects CACHE_PREFIX: objects in use in the slab caches whose names start so. SLUB counts the
# free objects of per-CPU slabs as active: the caches are shrunk first, which flushes those.
objects() {
	local c
	for c in /sys/kernel/slab/"$1"*/shrink; do [ -w "$c" ] && echo 1 > "$c"; done
	awk -v p="$1" 'index($1, p) == 1 { n += $2 } END { print n + 0 }' /proc/slabinfo
}
export -f objects

# CHURN_NAMESPACES: how many, in hundreds (1000 by default); a twentieth as many pairs.
total=${CHURN_NAMESPACES:-1000}
pairs=$((total / 20))
load
base=$(objects rust_conntrack)
start=$SECONDS
for batch in $(seq 0 $((total / 100 - 1))); do
	for i in $(seq 0 99); do
		n=churn$((batch * 100 + i))
		ip netns add "$n"
		ip -n "$n" link set lo up
	done
	for i in $(seq 0 99); do
		ip netns exec churn$((batch * 100 + i)) ping -c 1 -W 1 -q 127.0.0.1 >/dev/null &
	done
	wait
	tracked=0
	for i in 0 50 99; do
		# Once more in the foreground: a ping that could not start under load sends nothing.
		ip netns exec churn$((batch * 100 + i)) ping -c 1 -W 2 -q 127.0.0.1 >/dev/null
		c=$(ip netns exec churn$((batch * 100 + i)) cat /proc/sys/net/netfilter/nf_conntrack_count)
		tracked=$((tracked + c))
	done
	[ "$batch" != 0 ] || check_ge "the new namespaces track their traffic" 3 "$tracked"
	for i in $(seq 0 99); do ip netns del churn$((batch * 100 + i)); done
	echo "churn: $((batch * 100 + 100)) namespaces after $((SECONDS - start)) s"
done
took=$((SECONDS - start))
figure "$total namespaces created, used and deleted, seconds" "$took"

# Pairs deleted with traffic in flight.
start=$SECONDS
for i in $(seq 1 $pairs); do
	ns_add x y
	link x y 1
	udp_burst x 10.0.1.2 1000 1400 40000 &
	sleep 0.$((RANDOM % 5))
	ip netns del y
	ip netns del x
	wait
done
figure "$pairs pairs deleted with datagrams in flight, seconds" $((SECONDS - start))
# Namespaces go away in the background: wait for their connections to be freed.
wait_for 300 bash -c "test \$(objects rust_conntrack) -le $base"
left=$(objects rust_conntrack)
check "no connection is left in the caches ($left, $base before)" test "$left" -le "$base"
check "unload" unload
