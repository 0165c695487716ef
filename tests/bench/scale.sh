#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Memory per connection and per namespace, lookup cost as the table grows, and expiring a
# million connections, for nf_conntrack and rust_conntrack; run in a guest with a real-time
# clock.
. /rct/tests/bench/lib.sh

echo "clocksource: $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
forwarding
# Kernel memory: slabs, per-CPU areas, vmalloc, stacks and page tables.
kmem() { awk '/^(Slab|Percpu|VmallocUsed|KernelStack|PageTables):/ { s += $2 } END { print s * 1024 }' /proc/meminfo; }
# netns_bytes N: kernel bytes per idle namespace, over N created (and then deleted).
netns_bytes() {
	local i k0 k1
	k0=$(kmem)
	for ((i = 0; i < $1; i++)); do ip netns add "m$i"; done
	sleep 2
	k1=$(kmem)
	for ((i = 0; i < $1; i++)); do ip netns del "m$i"; done
	echo $(((k1 - k0) / $1))
}
NAMESPACES=1000
for config in none nf_conntrack rust_conntrack; do
	case $config in
	none) ;;
	nf_conntrack) modprobe nf_conntrack || { result 1 "$config" failed 1; continue; } ;;
	rust_conntrack) load || { result 1 "$config" failed 1; continue; } ;;
	esac
	result 1 "$config" netns_kernel_bytes "$(netns_bytes "$NAMESPACES")"
	# Deleted namespaces are torn down in the background; unloading waits for them.
	sleep 5
	deconfigure -
	sleep 5
done
slab_bytes() { # CACHE: bytes in use by a slab cache
	awk -v c="$1" '$1 == c { print $2 * $4 }' /proc/slabinfo
}
mem_used() { awk '/^MemTotal/ { t = $2 } /^MemAvailable/ { a = $2 } END { print (t - a) * 1024 }' /proc/meminfo; }
# lookup: the median of three samples of an established flow, in ns per packet.
lookup() {
	local a b c
	a=$(pktgen 200000 flow) b=$(pktgen 200000 flow) c=$(pktgen 200000 flow)
	printf '%s\n' "$a" "$b" "$c" | sort -n | sed -n 2p
}

for config in nf_conntrack rust_conntrack; do
	cache=$config
	if ! configure "$config" 1048576 4194304 -; then
		result 1 "$config" failed 1
		continue
	fi
	sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3600
	sleep 1
	slab0=$(slab_bytes "$cache") mem0=$(mem_used)

	populate 1 1000
	result 1 "$config" entries_1k "$(count)"
	# Short runs are spread out: with a coarse clock pktgen cannot divide by a zero run time.
	PG_DELAY=20000 pktgen 1000 flow >/dev/null
	result 1 "$config" lookup_ns_per_packet_1k "$(lookup)"

	populate 2 99000
	result 1 "$config" entries_100k "$(count)"
	n=$(count)
	result 1 "$config" slab_bytes_per_connection $((($(slab_bytes "$cache") - slab0) / n))
	result 1 "$config" memory_bytes_per_connection $((($(mem_used) - mem0) / n))
	result 1 "$config" slab_object_size "$(awk -v c="$cache" '$1 == c { print $4 }' /proc/slabinfo)"
	# A TCP connection, with its window state: nf_conntrack's are all one size.
	tcp_cache=$cache
	[ "$config" = nf_conntrack ] || tcp_cache=${cache}_tcp
	result 1 "$config" slab_object_size_tcp "$(awk -v c="$tcp_cache" '$1 == c { print $4 }' /proc/slabinfo)"
	result 1 "$config" lookup_ns_per_packet_100k "$(lookup)"

	populate 3 900000
	result 1 "$config" entries_1m "$(count)"
	result 1 "$config" lookup_ns_per_packet_1m "$(lookup)"

	expire "$config" "" 30
	deconfigure -
done
echo "BENCH done"
