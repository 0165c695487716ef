#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Concurrency, on every vCPU at once for two minutes: the resolver's race (two first packets of
# one UDP connection on two CPUs, clashing at confirmation), new TCP connections, /proc and
# ctnetlink dumps, and flushes of the whole table. No answer is lost to a clash, nothing splats,
# and the count comes back to what is live.
# timeout: 900
. "$(dirname "$0")/lib.sh"

secs=120
load
pair
ip netns exec b python3 "$RCT/tests/stress/dns.py" server 53 &
tcp_server b 6000
wait_listen b udp 53
ip netns exec a python3 "$RCT/tests/stress/dns.py" client 10.0.1.2 53 $secs > /tmp/dns.out &
dns=$!
end=$((SECONDS + secs))
( while [ $SECONDS -lt $end ]; do tcp_ask a 10.0.1.2 6000 $((30000 + RANDOM % 20000)) >/dev/null; done ) &
( while [ $SECONDS -lt $end ]; do ip netns exec b cat /proc/net/nf_conntrack >/dev/null; done ) &
( while [ $SECONDS -lt $end ]; do ip netns exec b conntrack -L >/dev/null 2>&1; done ) &
flushes=0
while [ $SECONDS -lt $end ]; do
	ip netns exec b conntrack -F >/dev/null 2>&1 && flushes=$((flushes + 1))
	ip netns exec a conntrack -F >/dev/null 2>&1
	sleep 0.5
done
wait "$dns"
read -r pairs lost < /tmp/dns.out
figure "query pairs sent (two first packets at once)" "${pairs:-0}"
figure "answers lost" "${lost:-x}"
figure "flushes" "$flushes"
figure "clashes resolved (b)" "$(stat b clashres)"
figure "insert_failed (a, b)" "$(stat a insert_failed), $(stat b insert_failed)"
check_ge "the race ran" 50 "${pairs:-0}"
check_eq "no answer was lost" 0 "${lost:-x}"
check_eq "no insertion failed" 0 $(($(stat a insert_failed) + $(stat b insert_failed)))
wait_for 60 bash -c "test \$(ip netns exec b cat /proc/sys/net/netfilter/nf_conntrack_count) -le 150"
check "the count comes back to what is live ($(ct_count b))" test "$(ct_count b)" -le 150
cleanup
check "unload" unload
