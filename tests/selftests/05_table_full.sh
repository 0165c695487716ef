#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A full namespace drops new connections, counts and logs the drops, and leaves other
# namespaces alone.
. "$(dirname "$0")/lib.sh"

load
ns_add a b c d
link a b 1
link c d 2
# Entries outlive the test, however slowly it runs.
for n in a c; do ip netns exec "$n" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3600; done
saved=$(cat /proc/sys/net/netfilter/nf_conntrack_max)
sysctl -qw net.netfilter.nf_conntrack_max=5
dmesg -c >/dev/null

udp_burst a 10.0.1.2 5000 5019 40000
check_eq "a holds as many connections as the limit" 5 "$(ct_count a)"
# A connection over the limit evicts an unassured entry in the buckets near its own, if one
# is there (rarely, with five entries in the whole table), or else is dropped.
evicted=$(stat a early_drop)
check_ge "a counts the dropped packets" 15 $(($(stat a drop) + evicted))
check "a logs that the table is full" bash -c "dmesg | grep -q 'table full, dropping packet'"
first=$(ip netns exec a cat /proc/net/nf_conntrack | grep -c 'dport=500[0-4] ')
check_ge "the first connections are there, but for those evicted" 5 $((first + evicted))

# Another namespace still tracks its own, up to the same limit.
for port in 6000 6001 6002; do udp_send c 10.0.2.2 "$port" 40000; done
check_eq "c is not affected by a" 3 "$(ct_count c)"
check_eq "c dropped nothing" 0 "$(stat c drop)"

# Lowering the limit removes nothing.
sysctl -qw net.netfilter.nf_conntrack_max=3
check_eq "c over its new limit keeps what it has" 3 "$(ct_count c)"
sysctl -qw "net.netfilter.nf_conntrack_max=$saved"
udp_burst a 10.0.1.2 5020 5024 40000
check_eq "with the limit raised, a tracks again" 10 "$(ct_count a)"
cleanup
check "unload" unload

# Unassured entries near a new one make room for it. With few buckets every new connection
# has full ones near it, and the table holds the newest connections.
load hashsize=1
ns_add a b
link a b 1
ip netns exec a sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3600
sysctl -qw net.netfilter.nf_conntrack_max=100
udp_burst a 10.0.1.2 7000 7199 40000
n=$(ct_count a)
check "a stays within the limit" test "$n" -le 100 -a "$n" -ge 90
check_ge "a evicted unassured connections to make room" 50 "$(stat a early_drop)"
check_ge "each connection over the limit evicted one or was dropped" 100 \
	$(($(stat a early_drop) + $(stat a drop)))
sysctl -qw "net.netfilter.nf_conntrack_max=$saved"
cleanup
check "unload with a full table" unload
