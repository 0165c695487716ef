#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Namespaces come and go with the module loaded; the module comes and goes under traffic.
. "$(dirname "$0")/lib.sh"

load
dmesg -C
for round in 1 2 3; do
	ns_add "n$round" "m$round"
	link "n$round" "m$round" "$round"
	ip netns exec "n$round" ping -c 1 -W 2 "10.0.$round.2" >/dev/null
	check "round $round: the new namespace's table has the ping" \
		bash -c "ip netns exec n$round cat /proc/net/nf_conntrack | grep -q 'icmp .*dst=10.0.$round.2'"
	ip netns exec "n$round" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=$((40 + round))
	check_eq "round $round: the new namespace has sysctls of its own" $((40 + round)) \
		"$(ip netns exec "n$round" sysctl -n net.netfilter.nf_conntrack_udp_timeout)"
	check_eq "round $round: the initial namespace's stay as they were" 30 \
		"$(sysctl -n net.netfilter.nf_conntrack_udp_timeout)"
	ip netns del "n$round"
	ip netns del "m$round"
done
# Unloading destroys the connection caches, which the kernel refuses loudly while they still
# hold objects: connections of deleted namespaces must all be freed by then.
check "namespaces deleted with connections in their tables: the module unloads" unload
check "no connection outlived its namespace" bash -c "! dmesg | grep -E 'rust_conntrack.*(still has objects|Objects remaining)'"
load

# Unload and load again while UDP, TCP and ping traffic flows.
pair
udp_server b 5000
tcp_server b 8080
(
	while :; do
		udp_send a 10.0.1.2 5000 $((40000 + RANDOM % 1000))
		tcp_ask a 10.0.1.2 8080 $((41000 + RANDOM % 1000)) >/dev/null
	done
) &
ip netns exec a ping -q -i 0.01 10.0.1.2 >/dev/null &
for round in 1 2 3; do
	sleep 1
	check "round $round: unload under traffic" unload
	sleep 0.5
	check "round $round: load under traffic" load
done
check "connections are tracked after reloading" \
	wait_for 10 bash -c "ip netns exec a cat /proc/net/nf_conntrack | grep -q dport=5000"
cleanup
check "unload" unload
