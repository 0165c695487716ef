#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Per-packet and per-connection costs, run in a guest whose clock counts instructions (one
# nanosecond each): the four configurations take turns, ROUNDS times.
. /rct/tests/bench/lib.sh
ROUNDS=${ROUNDS:-3}

forwarding
ns_add c s
link c s 9

for round in $(seq "$ROUNDS"); do
	for config in "${CONFIGS[@]}"; do
		if ! configure "$config" 65536 1048576 - c s; then
			result "$round" "$config" failed 1
			deconfigure - c s
			continue
		fi
		# Established: one UDP flow, after a first packet created its connection.
		pktgen 1000 flow >/dev/null
		result "$round" "$config" udp_flow_ns_per_packet "$(pktgen 200000 flow)"
		# New: each packet a new UDP connection.
		result "$round" "$config" udp_new_ns_per_packet "$(pktgen 50000 new)"
		# TCP over veth between two namespaces.
		ip netns exec s tcpconn serve 80 &
		server=$!
		wait_listen s tcp 80
		ip netns exec c tcpconn connect 10.0.9.2 80 50 >/dev/null
		set -- $(ip netns exec c tcpconn connect 10.0.9.2 80 1000)
		result "$round" "$config" tcp_connect_ns_per_connection $((${2#ns=} / ${1#ops=}))
		set -- $(ip netns exec c tcpconn pingpong 10.0.9.2 80 3000)
		result "$round" "$config" tcp_pingpong_ns_per_round_trip $((${2#ns=} / ${1#ops=}))
		kill "$server"
		wait "$server" 2>/dev/null
		deconfigure - c s
	done
done
# NAT and a stateful ruleset, each beside its nf counterpart: the forwarded flow masqueraded out
# of d1, and a firewall accepting established traffic by `ct state`.
for round in $(seq "$ROUNDS"); do
	for config in nf_conntrack rust_conntrack; do
		configure "$config" 65536 1048576 - || { result "$round" "$config" failed 1; continue; }
		nft -f - <<-'NFT'
		table ip nat {
			chain post { type nat hook postrouting priority srcnat; oifname "d1" masquerade; }
		}
		NFT
		pktgen 1000 flow >/dev/null
		result "$round" "$config" nat_udp_flow_ns_per_packet "$(pktgen 200000 flow)"
		result "$round" "$config" nat_udp_new_ns_per_packet "$(pktgen 50000 new)"
		nft flush ruleset
		nft -f - <<-'NFT'
		table inet fw {
			chain forward {
				type filter hook forward priority filter; policy drop;
				ct state established,related accept
				ct state invalid drop
				udp dport 9 ct state new accept
			}
		}
		NFT
		pktgen 1000 flow >/dev/null
		result "$round" "$config" fw_udp_flow_ns_per_packet "$(pktgen 200000 flow)"
		deconfigure -
	done
done
# Lookup cost as the table grows, in instructions: 1k, 100k and 1M live connections, tables of
# 2^20 buckets.
for config in nf_conntrack rust_conntrack; do
	configure "$config" 1048576 4194304 - || { result 1 "$config" failed 1; continue; }
	sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3600
	for step in "1 1000 1k" "2 99000 100k" "3 900000 1m"; do
		set -- $step
		NEW_NET=$1 pktgen "$2" new >/dev/null
		# Idle time costs no instructions here: let the collectors' first cycles finish first.
		sleep 3
		pktgen 1000 flow >/dev/null
		result 1 "$config" "icount_lookup_ns_per_packet_$3" "$(pktgen 100000 flow)"
	done
	result 1 "$config" icount_entries "$(count)"
	# Expiring them, counted: on the one vCPU, a pause is the time a spinning task waits while
	# the collector, RCU callbacks or another task run.
	expire "$config" icount_ 10
	deconfigure -
done
echo "BENCH done"
