#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where a TCP round trip's instructions go, run in a guest whose clock counts instructions:
# `perf record` of the whole system, one sample every PERIOD instructions, while TRIPS round
# trips of 64 bytes cross the veth pair, under the module's hooks alone, nf_conntrack and
# rust_conntrack. Results, for the host to collect:
#   PROFILE <config> trips <TRIPS> period <PERIOD>
#   PROFILE <config> <samples> <symbol> <module>
. /rct/tests/bench/lib.sh
PERIOD=${PERIOD:-20000}
TRIPS=${TRIPS:-20000}

sysctl -qw kernel.kptr_restrict=0 kernel.perf_event_paranoid=-1
ns_add c s
link c s 9

for config in floor nf_conntrack rust_conntrack; do
	if ! configure "$config" 65536 1048576 c s; then
		echo "PROFILE $config failed"
		deconfigure c s
		continue
	fi
	ip netns exec s tcpconn serve 80 &
	server=$!
	wait_listen s tcp 80
	ip netns exec c tcpconn pingpong 10.0.9.2 80 200 >/dev/null
	perf record -q -a -e cpu-clock -c "$PERIOD" -o "/tmp/perf.$config" -- \
		ip netns exec c tcpconn pingpong 10.0.9.2 80 "$TRIPS" >/dev/null
	echo "PROFILE $config trips $TRIPS period $PERIOD"
	perf report -i "/tmp/perf.$config" --stdio --kallsyms=/proc/kallsyms --no-children \
		--sort sym,dso -F sample,sym,dso 2>/dev/null |
		awk -v c="$config" '$1 ~ /^[0-9]+$/ && $2 ~ /^\[.\]$/ { print "PROFILE", c, $1, $3, $NF }'
	kill "$server"
	wait "$server" 2>/dev/null
	deconfigure c s
done
echo "PROFILE done"
