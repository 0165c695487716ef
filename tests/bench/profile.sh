#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where the instructions go, run in a guest whose clock counts instructions: `perf record` of
# the whole system, one sample every PERIOD instructions, while
#  - tcp (the default): TRIPS round trips of 64 bytes cross the veth pair, under the module's
#    hooks alone, nf_conntrack and rust_conntrack;
#  - expiry: a million connections expire at once, as `make bench` expires them, under
#    nf_conntrack and rust_conntrack.
# Results, for the host to collect:
#   PROFILE <config> <unit> <count> period <PERIOD>
#   PROFILE <config> <samples> <symbol> <module>
. /rct/tests/bench/lib.sh
WHAT=${1:-tcp}
TRIPS=${TRIPS:-20000}

# record CONFIG UNIT COUNT FILE COMMAND...: samples the whole system while COMMAND runs (its
# output dropped), then prints the samples.
record() {
	local config=$1 unit=$2 n=$3 file=$4
	shift 4
	perf record -q -a -e cpu-clock -c "$PERIOD" -o "$file" -- "$@" >/dev/null
	echo "PROFILE $config $unit $n period $PERIOD"
	perf report -i "$file" --stdio --kallsyms=/proc/kallsyms --no-children \
		--sort sym,dso -F sample,sym,dso 2>/dev/null |
		awk -v c="$config" '$1 ~ /^[0-9]+$/ && $2 ~ /^\[.\]$/ { print "PROFILE", c, $1, $3, $NF }'
	rm -f "$file"
}

sysctl -qw kernel.kptr_restrict=0 kernel.perf_event_paranoid=-1
if [ "$WHAT" = expiry ]; then
	PERIOD=${PERIOD:-200000}
	forwarding
	for config in nf_conntrack rust_conntrack; do
		if ! configure "$config" 1048576 4194304 -; then
			echo "PROFILE $config failed"
			deconfigure -
			continue
		fi
		sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3600
		populate 1 1000
		populate 2 99000
		populate 3 900000
		sleep 3
		n=$(count)
		sysctl -qw net.netfilter.nf_conntrack_udp_timeout=1
		populate 1 1000
		populate 2 99000
		populate 3 900000
		record "$config" connections "$n" "/tmp/perf.$config" timeout 150 bash -c \
			'until [ "$(cat /proc/sys/net/netfilter/nf_conntrack_count)" -le 1 ]; do sleep 0.1; done'
		deconfigure -
	done
	echo "PROFILE done"
	exit
fi

PERIOD=${PERIOD:-20000}
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
	record "$config" trips "$TRIPS" "/tmp/perf.$config" \
		ip netns exec c tcpconn pingpong 10.0.9.2 80 "$TRIPS"
	kill "$server"
	wait "$server" 2>/dev/null
	deconfigure c s
done
echo "PROFILE done"
