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
	local n
	for n in "${DIFF_NS[@]}"; do ip netns add "$n"; done
	# Few processes: on the debug kernel each costs about a second, and this runs twice per
	# scenario. Unanswered, closed and ICMP entries outlive the listing, however slowly the guest
	# runs.
	for n in "${DIFF_NS[@]}"; do
		ip netns exec "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 net.netfilter.nf_conntrack_acct=1 \
			net.netfilter.nf_conntrack_udp_timeout=300 net.netfilter.nf_conntrack_icmp_timeout=300 \
			net.netfilter.nf_conntrack_icmpv6_timeout=300 \
			net.netfilter.nf_conntrack_tcp_timeout_time_wait=600 \
			$([ "$n" = r ] && echo net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1)
	done
	ip -b - <<-'IP'
	link add va1 netns a type veth peer name vr1 netns r
	link add vr2 netns r type veth peer name vb2 netns b
	IP
	ip -n a -b - <<-'IP'
	link set lo up
	addr add 10.0.1.1/24 dev va1
	addr add fd00:1::1/64 dev va1 nodad
	link set va1 up
	IP
	ip -n r -b - <<-'IP'
	link set lo up
	addr add 10.0.1.2/24 dev vr1
	addr add fd00:1::2/64 dev vr1 nodad
	link set vr1 up
	addr add 10.0.2.1/24 dev vr2
	addr add fd00:2::1/64 dev vr2 nodad
	link set vr2 up
	IP
	ip -n b -b - <<-'IP'
	link set lo up
	addr add 10.0.2.2/24 dev vb2
	addr add fd00:2::2/64 dev vb2 nodad
	link set vb2 up
	route add default via 10.0.2.1
	route add ::/0 via fd00:2::1
	IP
	ip -n a -b - <<-'IP'
	route add default via 10.0.1.2
	route add ::/0 via fd00:1::2
	IP
	if [ "$1" = nf_conntrack ]; then
		for n in "${DIFF_NS[@]}"; do
			ip netns exec "$n" nft -f - <<-'NFT'
			table inet track {
				chain pre { type filter hook prerouting priority 0; ct state new counter; }
				chain out { type filter hook output priority 0; ct state new counter; }
			}
			NFT
		done
	fi
}
