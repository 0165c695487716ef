#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The main job, run in the guest by `make run`: loads rust_conntrack, connects three namespaces
# (a client, a router and a server), gives the router a stateful firewall and NAT in nftables
# (masquerade toward the server, a forwarded port), drives ICMP, UDP and TCP traffic over IPv4 and
# IPv6, and shows each namespace's hook counters moving, the router's rules with their
# counters, and the connection tables with their translations.
set -u
. /rct/tests/selftests/lib.sh
trap - EXIT

step() { printf '\n### %s\n' "$*"; }
counters() {
	local n
	for n in client router server; do
		printf '%-8s' "$n"
		ip netns exec "$n" cat /proc/net/rust_conntrack_hooks |
			awk '{ printf " %s/%s=%s", $1, $2, $3 }'
		echo
	done
}

step "loading rust_conntrack"
load || exit 1

step "namespaces: client (10.0.1.1) -- router -- server (10.0.2.2)"
ns_add client router server
link client router 1
link router server 2
ip -n client route add default via 10.0.1.2
ip -n client -6 route add default via fd00:1::2
ip -n server route add default via 10.0.2.1
ip -n server -6 route add default via fd00:2::1
ip netns exec router sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
for n in client router server; do ip netns exec "$n" sysctl -qw net.netfilter.nf_conntrack_acct=1; done

step "the router's ruleset: a stateful firewall, masquerade toward the server, a forwarded port"
ip netns exec router nft -f - <<'NFT'
table inet filter {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related counter accept
		ct state invalid counter drop
		iifname "vrouter1" ct state new counter accept
		counter comment "dropped"
	}
}
table inet nat {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "vrouter1" tcp dport 8080 counter dnat ip to 10.0.2.2:80
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "vrouter2" counter masquerade
	}
}
NFT
ip netns exec router nft list ruleset

step "hook counters before any traffic"
counters

step "traffic: ping, UDP and TCP over IPv4 and IPv6"
ip netns exec client ping -c 3 -i 0.2 10.0.2.2 | tail -n 2
ip netns exec client ping -6 -c 2 -i 0.2 fd00:2::2 | tail -n 2
udp_server server 53
# The server answers with the address it sees the client at: the router's, masqueraded.
ip netns exec server socat -t $ANSWER_WAIT TCP4-LISTEN:80,reuseaddr,fork SYSTEM:'echo "hello $SOCAT_PEERADDR"' &
wait_listen server tcp 80
tcp_server server 443 6
echo "UDP answer: $(udp_ask client 10.0.2.2 53 40053)"
echo "TCP answer: $(tcp_ask client 10.0.2.2 80 40080)"
echo "TCP answer through the router's forwarded port 8080: $(tcp_ask client 10.0.1.2 8080 40081)"
echo "TCP over IPv6 answer: $(tcp_ask client '[fd00:2::2]' 443 40443 6)"
if tcp_ask server 10.0.1.1 22 40022 >/dev/null; then
	echo "a new connection from the server side: answered (it should not be)"
else
	echo "a new connection from the server side: dropped by the router's firewall"
fi
udp_send client 10.0.2.2 5353 40054

step "hook counters after the traffic"
counters

step "the router's ruleset after the traffic"
ip netns exec router nft list ruleset

for n in client router server; do
	step "connection table of $n: /proc/net/nf_conntrack"
	ct_list "$n"
done

step "the router's table as the conntrack tool lists it (ctnetlink): conntrack -L"
ip netns exec router conntrack -L 2>&1

step "an iptables rule on the router (iptables-nft): -m conntrack --ctstate DNAT"
ip netns exec router iptables -A FORWARD -m conntrack --ctstate DNAT -j ACCEPT &&
	ip netns exec router iptables -S FORWARD
ip netns exec router iptables -F FORWARD

step "statistics of the router: /proc/net/stat/nf_conntrack"
ip netns exec router cat /proc/net/stat/nf_conntrack

step "unloading rust_conntrack"
cleanup
wait_for 30 unload && echo "unloaded"
