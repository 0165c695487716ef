#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Limits beyond nf_conntrack's: a child namespace's own nf_conntrack_max, never above the
# host's and raised again only by the host's root; adaptive timeouts for unassured connections
# as a namespace fills, assured ones untouched.
. "$(dirname "$0")/lib.sh"

P=/proc/sys/net/netfilter
load
pair
ns_add c
link c b 2
host=$(cat $P/nf_conntrack_max)
for n in a c; do ip netns exec "$n" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3600; done

# nsw NS VALUE: writes NS's nf_conntrack_max as root of the initial user namespace.
nsw() { ip netns exec "$1" bash -c "echo $2 > $P/nf_conntrack_max" 2>/dev/null; }
# tenant NS VALUE: the same as a container's root without CAP_NET_ADMIN in the initial user
# namespace, as Docker runs it by default.
tenant() { ip netns exec "$1" setpriv --bounding-set -net_admin bash -c "echo $2 > $P/nf_conntrack_max" 2>/dev/null; }

check_eq "a child follows the host's limit" "$host" "$(ip netns exec a cat $P/nf_conntrack_max)"
check_fails "a child cannot go above the host's limit" nsw a $((host + 1))
check_fails "a child limit of 0 (none) is refused" nsw a 0
check_fails "a child limit that is not a number is refused" nsw a abc
check_eq "refused writes change nothing" "$host" "$(ip netns exec a cat $P/nf_conntrack_max)"

check "a child sets a lower limit of its own" nsw a 5
check_eq "the child reads its own limit" 5 "$(ip netns exec a cat $P/nf_conntrack_max)"
check_eq "the host's limit is unchanged" "$host" "$(cat $P/nf_conntrack_max)"
udp_burst a 10.0.1.2 5000 5019 40000
check_eq "the child holds at most its own limit" 5 "$(ct_count a)"
check_ge "and counts the drops" 10 "$(stat a drop)"
udp_burst c 10.0.2.2 5000 5019 40000
check_eq "another namespace keeps the host's limit" 20 "$(ct_count c)"

check "the host's root sizes a tenant" nsw a 100
check_fails "the tenant's root cannot raise its limit" tenant a 101
check "the tenant's root may lower it" tenant a 40
check_eq "to what it wrote" 40 "$(ip netns exec a cat $P/nf_conntrack_max)"
check_fails "nor raise it back" tenant a 100
check "the host's root raises it again" nsw a 50
check_eq "to what it wrote" 50 "$(ip netns exec a cat $P/nf_conntrack_max)"

# The host's limit caps a child's own, and lowering it shows in the child.
sysctl -qw net.netfilter.nf_conntrack_max=30
check_eq "a lower host limit caps the child's own" 30 "$(ip netns exec a cat $P/nf_conntrack_max)"
sysctl -qw net.netfilter.nf_conntrack_max="$host"
check_eq "and the child's own returns with the host's" 50 "$(ip netns exec a cat $P/nf_conntrack_max)"
cleanup
check "unload" unload

# Adaptive timeouts: with start 50 and end 100 percent of a limit of 100, a new unassured
# connection made when the namespace holds n > 50 gets (100 - n) / 50 of its timeout; an
# assured one keeps its own.
load
pair
ip netns exec a sysctl -qw net.netfilter.nf_conntrack_udp_timeout=1000
check_eq "adaptive timeouts are off by default" 0 "$(ip netns exec a cat $P/nf_conntrack_adaptive_start)"
check_fails "a start above 100 is refused" ip netns exec a sysctl -qw net.netfilter.nf_conntrack_adaptive_start=101
nsw a 100
ip netns exec b socat TCP4-LISTEN:9000,reuseaddr SYSTEM:cat &
wait_listen b tcp 9000
mkfifo /tmp/limits.in
ip netns exec a socat - TCP4:10.0.1.2:9000,sourceport=41000 < /tmp/limits.in >/dev/null &
exec 3> /tmp/limits.in
echo hi >&3
tcp_line() { ip netns exec a cat /proc/net/nf_conntrack | grep 'sport=41000 '; }
wait_for 10 bash -c "ip netns exec a cat /proc/net/nf_conntrack | grep 'sport=41000 ' | grep -q ASSURED"
ip netns exec a sysctl -qw net.netfilter.nf_conntrack_adaptive_start=50 net.netfilter.nf_conntrack_adaptive_end=100
# One connection (TCP) is there: port 5000 + k is made when the namespace holds k.
udp_burst a 10.0.1.2 5001 5089 40000
timeout_of() { ip netns exec a cat /proc/net/nf_conntrack | awk -v p="dport=$1" '$0 ~ p " " { print $5; exit }'; }
# near PORT EXPECTED: the entry's timeout is EXPECTED, less what has passed since.
near() {
	local t
	t=$(timeout_of "$1")
	check "port $1's entry has about $2 s ($t)" test "${t:-0}" -le "$2" -a "${t:-0}" -ge $(($2 - 30))
}
near 5010 1000
near 5050 1000
near 5070 600
near 5089 220
echo more >&3
sleep 1
t=$(tcp_line | awk '{ print $5 }')
check "the assured connection keeps its timeout ($t)" test "${t:-0}" -ge 400000
ip netns exec a sysctl -qw net.netfilter.nf_conntrack_adaptive_start=0
udp_burst a 10.0.1.2 5095 5095 40000
near 5095 1000
exec 3>&-
rm -f /tmp/limits.in
cleanup
check "unload" unload
