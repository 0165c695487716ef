#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Unload under traffic: 100 load and unload cycles while UDP, TCP and ICMP flow in three
# namespaces, each cycle with a stateful nftables ruleset, a masquerading NAT chain and a
# ctnetlink event listener active until just before the unload.
# timeout: 7200
. "$(dirname "$0")/lib.sh"

ns_add a b c
link a b 1
link c b 2
ip netns exec b sysctl -qw net.ipv4.ip_forward=1
ip -n a route add default via 10.0.1.2
ip -n c route add default via 10.0.2.2
udp_server c 5000
tcp_server c 6000
# Traffic that goes on whether the module is there or not.
( while :; do udp_send a 10.0.2.1 5000 $((20000 + RANDOM % 1000)); done ) &
( while :; do tcp_ask a 10.0.2.1 6000 $((30000 + RANDOM % 1000)) >/dev/null; done ) &
( while :; do ip netns exec a ping -c 5 -i 0.2 -q 10.0.2.1 >/dev/null 2>&1; done ) &

ruleset='table inet stress {
	chain forward { type filter hook forward priority 0; ct state established,related accept; ct state new accept; ct state invalid drop; }
	chain postrouting { type nat hook postrouting priority 100; oifname "vb2" masquerade; }
}'
ok=0 bad=0
start=$SECONDS
for i in $(seq 1 100); do
	if ! load; then bad=$((bad + 1)); continue; fi
	echo "$ruleset" | ip netns exec b nft -f - || bad=$((bad + 1))
	ip netns exec b conntrack -E >/dev/null 2>&1 &
	ev=$!
	sleep 0.$((RANDOM % 8 + 2))
	kill "$ev" 2>/dev/null
	wait "$ev" 2>/dev/null
	ip netns exec b nft delete table inet stress || bad=$((bad + 1))
	# nfnetlink drops its module reference once the listener's socket is gone.
	if wait_for 10 unload; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
done
figure "load and unload cycles under traffic" "$ok of 100"
figure "seconds per cycle" $(((SECONDS - start) / 100))
check_eq "every cycle loaded, ran its rules and unloaded" 0 "$bad"
load
check "the module works after the cycles" bash -c \
	"ip netns exec b cat /proc/net/nf_conntrack | wc -l | grep -qv '^0$' || { sleep 3; ip netns exec b cat /proc/net/nf_conntrack | grep -q .; }"
cleanup
check "unload" unload
