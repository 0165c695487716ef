#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Shared by the guest benchmark scripts: the four configurations, pktgen, and results as
#   BENCH <round> <config> <measure> <value>
# lines on the console for the host to collect.
. /rct/tests/selftests/lib.sh
trap - EXIT
export PATH=/rct/tools:$PATH

CONFIGS=(none floor nf_conntrack rust_conntrack)

result() { echo "BENCH $*"; }

# Loads what configuration CONFIG needs, with a table of HASHSIZE buckets holding up to MAX.
# nf_conntrack is forced on by an nftables `ct state` rule in each namespace given, in a chain
# no hook calls: the rule turns tracking on without costing a packet anything itself.
configure() { # CONFIG HASHSIZE MAX NAMESPACE...
	local config=$1 hashsize=$2 max=$3
	shift 3
	case $config in
	none) ;;
	floor) load hooks_only=1 hashsize="$hashsize" || return 1 ;;
	rust_conntrack) load hashsize="$hashsize" || return 1 ;;
	nf_conntrack)
		modprobe nf_conntrack hashsize="$hashsize" && modprobe nft_ct || return 1
		local n
		for n in "$@"; do
			nsexec "$n" nft -f - <<-'NFT'
			table inet track {
				chain unused { ct state new counter; }
			}
			NFT
		done
		;;
	esac
	[ "$config" = none ] || sysctl -qw net.netfilter.nf_conntrack_max="$max"
}

deconfigure() { # NAMESPACE...
	local n
	for n in "$@"; do nsexec "$n" nft flush ruleset 2>/dev/null; done
	unload
	if module_loaded nf_conntrack; then wait_for 60 unload_nf; fi
}


# Runs a command in namespace NS, or in the initial namespace for "-".
nsexec() {
	local ns=$1
	shift
	if [ "$ns" = - ]; then "$@"; else ip netns exec "$ns" "$@"; fi
}

# The forwarding path pktgen drives, in the initial namespace: packets injected on d0
# (10.1.0.0/16) are routed out of d1 (10.2.0.0/24).
forwarding() {
	modprobe dummy
	modprobe pktgen
	ip link add d0 type dummy
	ip link add d1 type dummy
	ip addr add 10.1.0.1/16 dev d0
	ip addr add 10.2.0.1/24 dev d1
	ip link set d0 up
	ip link set d1 up
	sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.d0.rp_filter=0
}

pg() { echo "$2" > "/proc/net/pktgen/$1"; }

# pktgen COUNT MODE: injects COUNT 64-byte UDP packets into d0, all of one flow (MODE "flow") or
# each of a new one (MODE "new", fields varied in sequence, not at random: cheap). Prints the
# guest nanoseconds per packet.
pktgen() {
	local count=$1 mode=$2
	pg kpktgend_0 rem_device_all
	pg kpktgend_0 "add_device d0"
	pg d0 "count $count"
	pg d0 "pkt_size 64"
	pg d0 "delay ${PG_DELAY:-0}"
	pg d0 "xmit_mode netif_receive"
	pg d0 "dst 10.2.0.2"
	pg d0 "dst_mac $(cat /sys/class/net/d0/address)"
	pg d0 "udp_dst_min 9"
	pg d0 "udp_dst_max 9"
	if [ "$mode" = flow ]; then
		pg d0 "src_min 10.1.0.2"
		pg d0 "src_max 10.1.0.2"
		pg d0 "udp_src_min 9"
		pg d0 "udp_src_max 9"
	else
		# 17 addresses times 60000 ports: 1,020,000 tuples before one repeats; each run
		# starts over, so NEW_NET (0-255) picks another set.
		pg d0 "src_min 10.1.${NEW_NET:-1}.1"
		pg d0 "src_max 10.1.${NEW_NET:-1}.17"
		pg d0 "udp_src_min 1024"
		pg d0 "udp_src_max 61024"
	fi
	pg pgctrl start
	# "Result: OK: 123456(c...+d...) usec, 100000 (64byte,0frags)"
	sed -n 's/^Result: OK: \([0-9]*\)(.* usec, \([0-9]*\) .*/\1 \2/p' /proc/net/pktgen/d0 |
		awk '{ printf "%.1f\n", $1 * 1000 / $2 }'
}

count() { cat /proc/sys/net/netfilter/nf_conntrack_count; }
# populate NET COUNT: COUNT new connections from tuple set NET (short runs spread out: with a
# coarse clock pktgen cannot divide by a zero run time).
populate() { NEW_NET=$1 PG_DELAY=$(($2 < 100000 ? 20000 : 0)) pktgen "$2" new >/dev/null; }
# gap FIELD: a figure of the last gapmeter run (max_gap_us, gaps_over_1ms).
gap() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" /tmp/gaps; }

# expire CONFIG PREFIX SECS: with a million connections of tuple sets 1 to 3 in the table, the
# pauses a spinning task sees in SECS seconds while nothing expires (what the host, TCG and the
# collectors' idle walks cost: the baseline), then every entry again with a one-second timeout,
# the time until the table is empty and the pauses meanwhile. Results are named
# PREFIX<measure>.
expire() {
	local config=$1 p=$2 start refreshed
	gapmeter "$3" > /tmp/gaps
	result 1 "$config" "${p}idle_longest_pause_us" "$(gap max_gap_us)"
	result 1 "$config" "${p}idle_pauses_over_1ms" "$(gap gaps_over_1ms)"
	sysctl -qw net.netfilter.nf_conntrack_udp_timeout=1
	start=${EPOCHREALTIME/./}
	populate 1 1000
	populate 2 99000
	populate 3 900000
	refreshed=${EPOCHREALTIME/./}
	# The meter itself watches the count: a polling shell's processes would be pauses too.
	gapmeter 150 /proc/sys/net/netfilter/nf_conntrack_count 1 > /tmp/gaps
	result 1 "$config" "${p}refresh_pass_ms" $(((refreshed - start) / 1000))
	result 1 "$config" "${p}expiry_ms_after_refresh" "$(gap elapsed_ms)"
	result 1 "$config" "${p}entries_left" "$(count)"
	result 1 "$config" "${p}expiry_longest_pause_us" "$(gap max_gap_us)"
	result 1 "$config" "${p}expiry_pauses_over_1ms" "$(gap gaps_over_1ms)"
}
