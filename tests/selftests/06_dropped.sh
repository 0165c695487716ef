#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A packet dropped between the tracking and the confirm hooks leaves no connection behind.
. "$(dirname "$0")/lib.sh"

load
pair
ip netns exec a nft -f - <<'NFT'
table inet filter {
	chain out {
		type filter hook output priority 0; policy accept;
		udp dport 7777 drop
		ip6 nexthdr udp udp dport 7777 drop
	}
}
NFT
udp_send a 10.0.1.2 7777 40000
udp_send a '[fd00:1::2]' 7777 40000 6
udp_send a 10.0.1.2 7778 40000
sleep 0.3
check "the dropped packets left no entry" bash -c "! ip netns exec a cat /proc/net/nf_conntrack | grep -q dport=7777"
check "the packet that passed has its entry" bash -c "ip netns exec a cat /proc/net/nf_conntrack | grep -q dport=7778"
check_eq "only the passed connection is counted" 1 "$(ct_count a)"
check_eq "nothing reached b on the dropped port" 0 "$(ip netns exec b cat /proc/net/nf_conntrack | grep -c dport=7777)"
ip netns exec a nft flush ruleset
cleanup
check "unload" unload
