#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Captures ctnetlink messages from nf_conntrack for the codec's fixtures; runs in the test
# guest (qemu/run.sh -f tests:tests -- bash tests/tools/capture_fixtures.sh). Each message is
# printed as "FIXTURE <name> <hex>"; scripts/capture_fixtures.sh files them under
# tests/fixtures/ctnetlink/captured/. The connections are made the same way each time, and what
# still differs between runs (identifiers, timeouts, use counts, times, ports) is set fixed.
RCT=/rct
. "$RCT/tests/selftests/lib.sh"
CTNL="python3 $RCT/tests/tools/ctnl.py"

modprobe nft_ct && modprobe nf_conntrack_netlink || exit 1
pair
for n in a b; do
	ip netns exec "$n" nft -f - <<-'NFT'
	table inet track {
		chain pre { type filter hook prerouting priority 0; ct state new counter; }
		chain out { type filter hook output priority 0; ct state new counter; }
	}
	NFT
	ip netns exec "$n" sysctl -qw net.netfilter.nf_conntrack_acct=1
done
emit() { # NAME: the hex lines of standard input
	while read -r hex; do echo "FIXTURE $1 $hex"; done
}

ip netns exec b sysctl -qw net.netfilter.nf_conntrack_timestamp=1
ip netns exec b $CTNL events 12 > /tmp/events.hex &
events=$!
sleep 2
udp_server b 53
udp_ask a 10.0.1.2 53 40000 > /dev/null
udp_server b 5353 6
udp_ask a fd00:1::2 5353 40001 6 > /dev/null
ip netns exec a ping -c 1 -W 1 -p 00 -s 16 10.0.1.2 > /dev/null
ip netns exec a ping -c 1 -W 1 -p 00 -s 16 fd00:1::2 > /dev/null
ip netns exec b socat TCP4-LISTEN:80,reuseaddr SYSTEM:'sleep 30' &
wait_listen b tcp 80
sleep 30 | ip netns exec a socat - TCP4:10.0.1.2:80,sourceport=41000 > /dev/null &
sleep 2
ip netns exec b conntrack -I -p udp -s 10.0.9.1 -d 10.0.9.2 --sport 7 --dport 8 -t 60 \
	--zone 3 -m 5 -u SEEN_REPLY,ASSURED > /dev/null 2>&1
ip netns exec b conntrack -I -f ipv6 -p tcp -s fd00:9::1 -d fd00:9::2 --sport 7 --dport 8 \
	-t 60 --state ESTABLISHED > /dev/null 2>&1
ip netns exec b $CTNL capture 2 | emit dump_ipv4
ip netns exec b $CTNL capture 10 | emit dump_ipv6
sleep 1
ip netns exec b conntrack -F > /dev/null 2>&1
wait "$events"
emit events < /tmp/events.hex
cleanup
echo "FIXTURES done"
