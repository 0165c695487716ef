#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Flood to table full: spoofed SYNs and UDP datagrams fill a namespace limited to 250
# connections while established TCP connections carry data. The established ones survive (only
# unassured entries are evicted), drops and early drops are counted, the log line is rate
# limited, and the count returns to what is live once the flood stops: first with nf_conntrack's
# behaviour, then with adaptive timeouts, which clear the flood sooner.
. "$(dirname "$0")/lib.sh"

P=/proc/sys/net/netfilter
# Less room than the flood fills: in the emulated debug guest its two senders get out 50 to 75
# packets a second in all until the table is full, at most some 750 connections live at once
# with 10-s timeouts, so that with this limit the table is full for most of the flood.
LIMIT=250
load
pair
# Replies to the spoofed sources go back to a, which drops them.
ip -n b route add 10.9.0.0/16 via 10.0.1.1
ip -n a route add blackhole 10.9.0.0/16
ip netns exec b sysctl -qw net.netfilter.nf_conntrack_max=$LIMIT \
	net.netfilter.nf_conntrack_udp_timeout=10 net.netfilter.nf_conntrack_tcp_timeout_syn_recv=10 \
	net.netfilter.nf_conntrack_tcp_timeout_syn_sent=10 net.ipv4.tcp_syncookies=1
ip netns exec b python3 "$RCT/tests/stress/echo.py" server 7000 &
wait_listen b tcp 7000

round() { # NAME
	local name=$1 t0 drops0 early0 live trips failed
	drops0=$(stat b drop) early0=$(stat b early_drop)
	dmesg -C
	ip netns exec a python3 "$RCT/tests/stress/echo.py" client 10.0.1.2 7000 4 40 > /tmp/echo.out &
	local echo_pid=$!
	sleep 5
	flood a 10.0.1.2 tcp 20 7000 > /tmp/flood-tcp.out &
	local f1=$!
	flood a 10.0.1.2 udp 20 > /tmp/flood-udp.out
	wait $f1
	local peak
	peak=$(ct_count b)
	t0=$SECONDS
	# What is live: the four echo connections, still running.
	wait_for 120 bash -c "test \$(ip netns exec b cat $P/nf_conntrack_count) -le 8"
	live=$(ct_count b)
	check "$name: the count returns to what is live ($live)" test "$live" -le 8
	figure "$name: seconds from the flood's end to a clear table" $((SECONDS - t0))
	wait "$echo_pid"
	read -r trips failed < /tmp/echo.out
	check_eq "$name: the established connections all survived the flood" 0 "${failed:-x}"
	check_ge "$name: and carried data" 100 "${trips:-0}"
	figure "$name: round trips on the established connections" "${trips:-0}"
	figure "$name: spoofed packets sent" $(($(cat /tmp/flood-tcp.out) + $(cat /tmp/flood-udp.out)))
	# How many are left at the end depends on how soon the collector removes those that
	# expired during the flood: a figure. That the table filled shows in packets refused.
	figure "$name: entries at the flood's end (limit $LIMIT)" "$peak"
	figure "$name: drops" $(($(stat b drop) - drops0))
	check_ge "$name: the table filled: packets were dropped for want of room" 1 \
		$(($(stat b drop) - drops0))
	figure "$name: early drops" $(($(stat b early_drop) - early0))
	check_ge "$name: unassured entries were evicted or packets dropped" 1 \
		$(($(stat b drop) - drops0 + $(stat b early_drop) - early0))
	local logged
	logged=$(msg_count "table full")
	figure "$name: table-full log lines" "$logged"
	check "$name: the log line is rate limited ($logged lines)" test "$logged" -le 60
}

round "nf_conntrack's timeouts"
ip netns exec b sysctl -qw net.netfilter.nf_conntrack_adaptive_start=50 net.netfilter.nf_conntrack_adaptive_end=100
round "adaptive timeouts 50-100%"
cleanup
check "unload" unload
