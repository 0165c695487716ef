# SPDX-License-Identifier: GPL-2.0
# A stateful firewall on b and a forwarding filter on r: established and related traffic,
# new connections to one port, pings, notrack, zones, marks and connection limits; every rule
# counts what it matched.
ip netns exec b nft -f - <<'NFT'
table inet fw {
	chain pre {
		type filter hook prerouting priority raw; policy accept;
		udp dport 5555 notrack
		udp dport 5556 ct zone set 7
	}

	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related counter accept
		ct state invalid counter drop
		ct state untracked counter accept
		ct zone 7 counter accept
		tcp dport 8000 ct count over 1 counter reject
		tcp dport { 80, 8000 } ct state new ct mark set 0x42 counter accept
		icmp type echo-request ct state new counter accept
		icmpv6 type { echo-request, nd-neighbor-solicit, nd-neighbor-advert } counter accept
		counter
	}

	chain output {
		type filter hook output priority filter; policy accept;
		ct mark 0x42 counter meta mark set ct mark
		ct direction reply ct original ip saddr 10.0.1.1 counter
		ct state new counter
	}
}
NFT
ip netns exec r nft -f - <<'NFT'
table ip fwd {
	chain forward {
		type filter hook forward priority filter; policy accept;
		ct state new ct original proto-dst 81 counter drop
		ct state established ct reply proto-src 80 counter
		ct original ip daddr 10.0.2.2 ct protocol tcp counter
		ct status assured counter
	}
}
NFT
tcp_server b 80 6
tcp_server b 81
udp_server b 5556
ip netns exec b socat -t $ANSWER_WAIT TCP4-LISTEN:8000,reuseaddr,fork SYSTEM:'echo hello; sleep 8' &
wait_listen b tcp 8000
tcp_ask a 10.0.2.2 80 42000 >/dev/null
tcp_ask a '[fd00:2::2]' 80 42001 6 >/dev/null
tcp_ask a 10.0.2.2 81 42002 >/dev/null
ip netns exec a ping -q -c 2 -i 0.2 -e 121 10.0.2.2 >/dev/null
ip netns exec a ping -6 -q -c 2 -i 0.2 -e 122 fd00:2::2 >/dev/null
udp_send a 10.0.2.2 5555 42003
udp_ask a 10.0.2.2 5556 42004 >/dev/null
udp_send a 10.0.2.2 5557 42005
# The second connection is refused while the first is open: b closes the first after 8 s, and
# a's socat then ends.
sleep 30 | ip netns exec a socat - TCP4:10.0.2.2:8000,sourceport=42006 >/dev/null &
held=$!
wait_established a 42006
echo hi | ip netns exec a socat -T 2 - TCP4:10.0.2.2:8000,sourceport=42007,connect-timeout=3 >/dev/null
ip netns exec a python3 "$RCT/tests/tools/rawtcp.py" 10.0.1.1 10.0.2.2 42008 80 SF
wait "$held"
sleep 1
