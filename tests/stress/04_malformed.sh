#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Malformed packets: a corpus of truncated, overlapping-fragment, bad-length and bad-option IPv4
# and IPv6 packets (TCP, UDP, UDP-Lite, SCTP, ICMP, ICMPv6, errors quoting garbage), and random
# mutations of it, through every hook: the sender's LOCAL_OUT and POST_ROUTING, the router's
# PRE_ROUTING and POST_ROUTING, the receiver's PRE_ROUTING and LOCAL_IN. They are counted invalid
# or as ICMP errors; nothing is read past a packet's end (KASAN stays quiet); tracking goes on.
. "$(dirname "$0")/lib.sh"

load
ns_add a r b
link a r 1
link b r 2
ip netns exec r sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
ip -n a route add default via 10.0.1.2
ip -n b route add default via 10.0.2.2
ip -n a -6 route add default via fd00:1::2
ip -n b -6 route add default via fd00:2::2
for n in a r b; do ip netns exec "$n" sysctl -qw net.netfilter.nf_conntrack_checksum=0; done
sent=0
for fam in 4 6; do
	if [ $fam = 4 ]; then s=10.0.1.1 d=10.0.2.1; else s=fd00:1::1 d=fd00:2::1; fi
	n=$(ip netns exec a python3 "$RCT/tests/stress/malformed.py" $fam $s $d 3000)
	figure "IPv$fam packets sent" "${n:-0}"
	sent=$((sent + ${n:-0}))
done
check_ge "the corpus and its mutations were sent" 5000 "$sent"
for n in a r b; do
	figure "$n: invalid" "$(stat $n invalid)"
	figure "$n: icmp_error" "$(stat $n icmp_error)"
done
check_ge "the router counted invalid packets" 100 "$(stat r invalid)"
check_ge "the router counted bad ICMP errors" 10 "$(stat r icmp_error)"
tcp_server b 6000
check_eq "tracking goes on: a connection through the router" hello "$(tcp_ask a 10.0.2.1 6000 40500)"
check "and it is tracked" bash -c "ip netns exec r cat /proc/net/nf_conntrack | grep -q 'sport=40500 .*ASSURED'"
cleanup
check "unload" unload
