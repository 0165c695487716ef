# SPDX-License-Identifier: GPL-2.0
# NAT on r: masquerade of a's traffic toward b (TCP, UDP, ICMP, v4 and v6), port forwarding by
# dnat, snat into a port range, redirect to r itself, an ICMP error about a masqueraded flow;
# on b, redirect of what it sends itself. The translated reply tuples and NAT status bits must
# be nf_conntrack's.
ip netns exec r nft -f - <<'NFT'
table ip nat {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		tcp dport 8080 counter dnat to 10.0.2.2:80
		udp dport 5353 counter dnat to 10.0.2.2
		tcp dport 2222 counter redirect to :22
	}

	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		udp dport 6000 counter snat to 10.0.2.1:30000-30000
		oifname "vr2" counter masquerade
	}
}
table ip6 nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "vr2" counter masquerade
	}
}
table inet filter {
	# A TCP exchange's ACKs depend on the stacks' timing, not the tracker's: its translated
	# connections are counted by their SYNs, other protocols packet by packet.
	chain forward {
		type filter hook forward priority filter; policy accept;
		ct status dnat meta l4proto != tcp counter
		ct status snat meta l4proto != tcp counter
		ct status dnat tcp flags syn counter
		ct status snat tcp flags syn counter
	}
}
NFT
ip netns exec b nft -f - <<'NFT'
table ip nat {
	chain out {
		type nat hook output priority dstnat; policy accept;
		ip daddr 10.0.2.2 tcp dport 81 counter redirect to :80
	}
}
NFT
tcp_server b 80
tcp_server b 80 6
udp_server b 53
udp_server b 6000
ip netns exec r socat -t $ANSWER_WAIT TCP4-LISTEN:22,reuseaddr,fork SYSTEM:'echo ssh' &
wait_listen r tcp 22
tcp_ask a 10.0.2.2 80 43000 >/dev/null
tcp_ask a '[fd00:2::2]' 80 43001 6 >/dev/null
tcp_ask a 10.0.1.2 8080 43002 >/dev/null
udp_ask a 10.0.1.2 5353 43003 >/dev/null
udp_ask a 10.0.2.2 6000 43004 >/dev/null
tcp_ask a 10.0.1.2 2222 43005 >/dev/null
udp_send a 10.0.2.2 5999 43006
ip netns exec a ping -q -c 2 -i 0.2 -e 111 10.0.2.2 >/dev/null
ip netns exec a ping -6 -q -c 2 -i 0.2 -e 112 fd00:2::2 >/dev/null
tcp_ask b 10.0.2.2 81 43007 >/dev/null
sleep 1
