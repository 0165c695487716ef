#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The topology differential scenarios run on, built afresh for each tracker:
#
#   a (10.0.1.1, fd00:1::1) -- (10.0.1.2) r (10.0.2.1) -- b (10.0.2.2, fd00:2::2)
#
# r routes between a and b. With nf_conntrack, an nftables `ct state` rule in every namespace
# makes it track there, as rust_conntrack always does. Counters are on in every namespace.

DIFF_NS=(a r b)

topology() { # TRACKER
	ns_add "${DIFF_NS[@]}"
	link a r 1
	link r b 2
	ip -n a route add default via 10.0.1.2
	ip -n a -6 route add default via fd00:1::2
	ip -n b route add default via 10.0.2.1
	ip -n b -6 route add default via fd00:2::1
	ip netns exec r sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	local n
	for n in "${DIFF_NS[@]}"; do
		if [ "$1" = nf_conntrack ]; then
			ip netns exec "$n" nft -f - <<-'NFT'
			table inet track {
				chain pre { type filter hook prerouting priority 0; ct state new counter; }
				chain out { type filter hook output priority 0; ct state new counter; }
			}
			NFT
		fi
		# Unanswered and ICMP entries outlive the listing, however slowly the guest runs.
		ip netns exec "$n" sysctl -qw net.netfilter.nf_conntrack_acct=1 \
			net.netfilter.nf_conntrack_udp_timeout=300 net.netfilter.nf_conntrack_icmp_timeout=300 \
			net.netfilter.nf_conntrack_icmpv6_timeout=300
	done
}
