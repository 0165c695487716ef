#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Hash flooding: 2,000 UDP tuples crafted to share one bucket under a key an attacker might
# guess (zero, with no namespace mix; tests/tools/hashcraft.c) arrive from spoofed sources.
# The key is random, so they spread: every one is tracked, none is refused for a long chain
# (chainlength, insert_failed stay 0), and they go in no slower than as many random tuples.
. "$(dirname "$0")/lib.sh"

P=/proc/sys/net/netfilter
N=2000
load
pair
ip -n b route add 10.9.0.0/16 via 10.0.1.1
ip -n a route add blackhole 10.9.0.0/16
ip netns exec b sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.vb1.rp_filter=0 \
	net.netfilter.nf_conntrack_udp_timeout=600
buckets=$(cat $P/nf_conntrack_buckets)
"$RCT/tools/hashcraft" "$N" "$buckets" 10.0.1.2 53 > /tmp/crafted
check "hashcraft found $N tuples for one of $buckets buckets" test "$(wc -l < /tmp/crafted)" -eq "$N"
# Random tuples from the same network, for comparison.
awk -v n="$N" 'BEGIN { srand(7); for (i = 0; i < n; i++) printf "10.9.%d.%d %d\n", 128 + int(rand() * 127), 1 + int(rand() * 254), 1024 + int(rand() * 64000) }' > /tmp/random

# send FILE: one datagram from each "saddr sport" of FILE to b:53; prints the milliseconds taken.
send() {
	ip netns exec a python3 - "$1" <<-'PY'
	import socket, struct, sys, time
	def csum(d):
	    if len(d) % 2:
	        d += b"\0"
	    s = sum(struct.unpack("!%dH" % (len(d) // 2), d))
	    s = (s >> 16) + (s & 0xFFFF)
	    return ~(s + (s >> 16)) & 0xFFFF
	dst = socket.inet_aton("10.0.1.2")
	s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
	pkts = []
	for line in open(sys.argv[1]):
	    src, sport = line.split()
	    src = socket.inet_aton(src)
	    udp = struct.pack("!HHHH", int(sport), 53, 12, 0) + b"ping"
	    c = csum(src + dst + struct.pack("!BBH", 0, 17, len(udp)) + udp)
	    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
	    pkts.append(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src, dst) + udp)
	t = time.monotonic()
	for p in pkts:
	    s.sendto(p, ("10.0.1.2", 0))
	print(int((time.monotonic() - t) * 1000))
	PY
}
random_ms=$(send /tmp/random)
sleep 1
after_random=$(ct_count b)
ip netns exec b conntrack -F >/dev/null 2>&1
crafted_ms=$(send /tmp/crafted)
sleep 1
tracked=$(ct_count b)
check_ge "every crafted tuple is tracked" "$N" "$tracked"
check_ge "every random tuple was tracked" "$N" "$after_random"
check_eq "no insert refused for a long chain" 0 "$(stat b chainlength)"
check_eq "no insert failed" 0 "$(stat b insert_failed)"
# Sending time is mostly the sender's; a bucket of 2,000 would make inserts quadratic.
check "the crafted tuples go in no slower than random ones (${crafted_ms} ms, ${random_ms} ms)" \
	test "$crafted_ms" -le $((random_ms * 2))
figure "$N crafted tuples: tracked" "$tracked"
figure "send time, crafted / random, ms" "$crafted_ms / $random_ms"
ip netns exec b conntrack -F >/dev/null 2>&1
cleanup
check "unload" unload
