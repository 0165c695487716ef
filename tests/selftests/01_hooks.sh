#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Hooks run in every namespace, existing and new, and count what they see.
. "$(dirname "$0")/lib.sh"

load
ns_add a b r c idle
link a b 1
link a r 2
link r c 3
ip -n a route add 10.0.3.0/24 via 10.0.2.2
ip -n c route add 10.0.2.0/24 via 10.0.3.1
ip netns exec r sysctl -qw net.ipv4.ip_forward=1

snapshot() { # NS: the counters file, as "family/hook=count" words
	ip netns exec "$1" cat /proc/net/rust_conntrack_hooks | awk '{ printf "%s/%s=%s ", $1, $2, $3 }'
}
delta() { # NS FAMILY HOOK BEFORE-SNAPSHOT
	local now before
	now=$(hook_count "$1" "$2" "$3")
	before=$(echo "$4" | tr ' ' '\n' | sed -n "s|^$2/$3=||p")
	echo $((now - before))
}

# Let IPv6 neighbour discovery settle before counting.
ip netns exec a ping -c 1 -W 2 10.0.1.2 >/dev/null
ip netns exec a ping -6 -c 1 -W 2 fd00:1::2 >/dev/null

sa=$(snapshot a) sb=$(snapshot b)
check "IPv4 ping a -> b" ip netns exec a ping -c 3 -i 0.2 -W 2 10.0.1.2
for h in LOCAL_OUT POST_ROUTING PRE_ROUTING LOCAL_IN; do
	check_eq "a counts 3 IPv4 packets at $h" 3 "$(delta a ipv4 $h "$sa")"
	check_eq "b counts 3 IPv4 packets at $h" 3 "$(delta b ipv4 $h "$sb")"
done

sa=$(snapshot a) sb=$(snapshot b)
check "IPv6 ping a -> b" ip netns exec a ping -6 -c 3 -i 0.2 -W 2 fd00:1::2
for h in LOCAL_OUT POST_ROUTING PRE_ROUTING LOCAL_IN; do
	check_ge "a counts the IPv6 packets at $h" 3 "$(delta a ipv6 $h "$sa")"
	check_ge "b counts the IPv6 packets at $h" 3 "$(delta b ipv6 $h "$sb")"
done

sr=$(snapshot r)
check "IPv4 ping a -> c through r" ip netns exec a ping -c 3 -i 0.2 -W 2 10.0.3.2
check_eq "r counts the forwarded packets at PRE_ROUTING" 6 "$(delta r ipv4 PRE_ROUTING "$sr")"
check_eq "r counts the forwarded packets at POST_ROUTING" 6 "$(delta r ipv4 POST_ROUTING "$sr")"
check_eq "r has no packets for itself" 0 "$(delta r ipv4 LOCAL_IN "$sr")"
check_eq "r sends nothing of its own" 0 "$(delta r ipv4 LOCAL_OUT "$sr")"

check_eq "a namespace without traffic counts nothing at its eight hooks" \
	"ipv4/PRE_ROUTING=0 ipv4/LOCAL_IN=0 ipv4/LOCAL_OUT=0 ipv4/POST_ROUTING=0 ipv6/PRE_ROUTING=0 ipv6/LOCAL_IN=0 ipv6/LOCAL_OUT=0 ipv6/POST_ROUTING=0 " \
	"$(snapshot idle)"

# A namespace created later gets hooks too.
ns_add late
link late b 4
sl=$(snapshot late)
check "ping from a namespace created after loading" ip netns exec late ping -c 2 -i 0.2 -W 2 10.0.4.2
check_eq "the new namespace counts its packets" 2 "$(delta late ipv4 LOCAL_OUT "$sl")"

cleanup
check "unload" unload
