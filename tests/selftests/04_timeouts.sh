#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Timeouts come from the namespace's sysctls; expired connections leave the table.
. "$(dirname "$0")/lib.sh"

load
pair
ip netns exec a sysctl -qw net.netfilter.nf_conntrack_udp_timeout=100
udp_send a 10.0.1.2 5000 40000
check "the timeout shown follows the sysctl" bash -c "ip netns exec a cat /proc/net/nf_conntrack | grep -Eq 'udp      17 (9[0-9]|100) .*sport=40000'"

ip netns exec a sysctl -qw net.netfilter.nf_conntrack_udp_timeout=6 net.netfilter.nf_conntrack_icmp_timeout=6
udp_send a 10.0.1.2 5000 40001
ip netns exec a ping -c 1 -W 2 10.0.1.2 >/dev/null
check_eq "short-lived entries are there" 3 "$(ct_count a)"
check "b's timeouts are its own" bash -c "ip netns exec b cat /proc/net/nf_conntrack | grep -Eq 'udp      17 ([7-9]|[12][0-9]|30) .*sport=40001'"
# Without anyone reading the table, the collector removes them: watch the count, not the file
# (reading the file removes expired entries itself). With few entries, as nf_conntrack's, it
# scans about once a minute.
check "the collector removes expired entries" wait_for 75 bash -c "test \$(ip netns exec a cat /proc/sys/net/netfilter/nf_conntrack_count) -le 1"
check "they are gone from the table" bash -c "! ip netns exec a cat /proc/net/nf_conntrack | grep -Eq 'sport=40001|icmp'"
check "the long-lived entry stays" bash -c "ip netns exec a cat /proc/net/nf_conntrack | grep -q 'sport=40000'"

# A connection that expires well before the next scan is due brings the scan forward: it does
# not stay counted for up to a minute after it expires, as under nf_conntrack.
ip netns exec a sysctl -qw net.netfilter.nf_conntrack_udp_timeout=100
udp_send a 10.0.1.2 5000 40000
ip netns exec a sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3
udp_send a 10.0.1.2 5000 40002
check "a short-lived entry among long-lived ones leaves within seconds of expiring" \
	wait_for 20 bash -c "test \$(ip netns exec a cat /proc/sys/net/netfilter/nf_conntrack_count) -le 1"
check "and the long-lived one stays" bash -c "ip netns exec a cat /proc/net/nf_conntrack | grep -q 'sport=40000'"

# A new namespace starts from the defaults.
ns_add fresh
check_eq "defaults in a new namespace" 30 "$(ip netns exec fresh cat /proc/sys/net/netfilter/nf_conntrack_udp_timeout)"
cleanup
check "unload" unload
