#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Real flows between two namespaces, as /proc/net/nf_conntrack shows them: tuples, states,
# [UNREPLIED] and [ASSURED], timeouts and counters.
. "$(dirname "$0")/lib.sh"

load
pair
for n in a b; do ip netns exec "$n" sysctl -qw net.netfilter.nf_conntrack_acct=1; done

# has NS REGEX: one line of the table matches.
has() { ct_list "$1" | grep -Eq "$2"; }
line() { ct_list "$1" | grep -E "$2"; }

# UDP request and answer: replied, not assured, 30 s. Remaining times are matched from 1 s up:
# how much has passed by the listing depends on the guest's speed.
udp_server b 5000
check_eq "UDP answer" pong "$(udp_ask a 10.0.1.2 5000 40000)"
re='^ipv4     2 udp      17 ([1-9]|[12][0-9]|30) src=10.0.1.1 dst=10.0.1.2 sport=40000 dport=5000 packets=1 bytes=33 src=10.0.1.2 dst=10.0.1.1 sport=5000 dport=40000 packets=1 bytes=33 mark=0 zone=0 use=[0-9]+$'
check "UDP exchange in a" has a "$re"
check "UDP exchange in b" has b "$re"

# A UDP stream: more packets after two seconds make it assured, with the stream timeout.
sleep 2.2
udp_ask a 10.0.1.2 5000 40000 >/dev/null
check "UDP stream is assured" has a 'udp      17 (1[01][0-9]|120) src=10.0.1.1 .* sport=40000 dport=5000 packets=2 .*\[ASSURED\]'

# UDP to a closed port: unreplied; the ICMP error it draws is related, not a connection.
udp_send a 10.0.1.2 5001 40001
sleep 0.3
check "unanswered UDP is [UNREPLIED]" has a 'udp      17 ([1-9]|[12][0-9]|30) src=10.0.1.1 dst=10.0.1.2 sport=40001 dport=5001 packets=1 bytes=33 \[UNREPLIED\] src=10.0.1.2 dst=10.0.1.1 sport=5001 dport=40001 packets=0 bytes=0 mark=0'
check "the port-unreachable error is no connection of its own" bash -c "! ip netns exec a cat /proc/net/nf_conntrack | grep -q 'icmp .*type=3'"
check_eq "no ICMP error counted unmatched" 0 "$(stat a icmp_error)"

# TCP: connected, data both ways, closed.
tcp_server b 8080
check_eq "TCP answer" hello "$(tcp_ask a 10.0.1.2 8080 41000)"
check "TCP connection in a" has a '^ipv4     2 tcp      6 [0-9]+ [A-Z_]+ src=10.0.1.1 dst=10.0.1.2 sport=41000 dport=8080 packets=[0-9]+ bytes=[0-9]+ src=10.0.1.2 dst=10.0.1.1 sport=8080 dport=41000 packets=[0-9]+ bytes=[0-9]+ \[ASSURED\] mark=0 zone=0 use=[0-9]+$'

# ICMP echo: request and reply invert to each other.
check "IPv4 ping" ip netns exec a ping -c 2 -i 0.2 -e 4660 -W 2 10.0.1.2
check "ICMP echo in a" has a '^ipv4     2 icmp     1 ([1-9]|[12][0-9]|30) src=10.0.1.1 dst=10.0.1.2 type=8 code=0 id=4660 packets=2 bytes=168 src=10.0.1.2 dst=10.0.1.1 type=0 code=0 id=4660 packets=2 bytes=168 mark=0 zone=0 use=[0-9]+$'

# IPv6: UDP and ICMPv6 echo, addresses in full.
udp_server b 6000 6
check_eq "UDP over IPv6 answer" pong "$(udp_ask a '[fd00:1::2]' 6000 42000 6)"
check "UDP over IPv6 in a" has a '^ipv6     10 udp      17 ([1-9]|[12][0-9]|30) src=fd00:0001:0000:0000:0000:0000:0000:0001 dst=fd00:0001:0000:0000:0000:0000:0000:0002 sport=42000 dport=6000 packets=1 bytes=53 src=fd00:0001:0000:0000:0000:0000:0000:0002 dst=fd00:0001:0000:0000:0000:0000:0000:0001 sport=6000 dport=42000 packets=1 bytes=53 mark=0'
check "IPv6 ping" ip netns exec a ping -6 -c 1 -e 77 -W 2 fd00:1::2
check "ICMPv6 echo in a" has a '^ipv6     10 icmpv6   58 ([1-9]|[12][0-9]|30) src=fd00:0001:0000:0000:0000:0000:0000:0001 dst=fd00:0001:0000:0000:0000:0000:0000:0002 type=128 code=0 id=77 packets=1 bytes=104 src=fd00:0001:0000:0000:0000:0000:0000:0002 dst=fd00:0001:0000:0000:0000:0000:0000:0001 type=129 code=0 id=77 packets=1 bytes=104'
check "neighbour discovery is not tracked" bash -c "! ip netns exec a cat /proc/net/nf_conntrack | grep -Eq 'type=13[3-6]'"

# Another protocol: addresses and protocol number only, ten minutes.
echo x | ip netns exec a socat -u - IP4-SENDTO:10.0.1.2:253
sleep 0.3
check "generic protocol in a" has a '^ipv4     2 unknown  253 (5[0-9][0-9]|600) src=10.0.1.1 dst=10.0.1.2 packets=1 bytes=22 \[UNREPLIED\] src=10.0.1.2 dst=10.0.1.1 packets=0 bytes=0 mark=0'

# An echo reply without a request opens nothing and counts as invalid.
invalid=$(stat b invalid)
# A raw ICMP echo reply: type 0, code 0, checksum, identifier 1, sequence 0.
printf '\x00\x00\xff\xfe\x00\x01\x00\x00' | ip netns exec a socat -u - IP4-SENDTO:10.0.1.2:1
sleep 0.3
check_eq "a lone echo reply is invalid in b" $((invalid + 1)) "$(stat b invalid)"
check "and leaves no entry" bash -c "! ip netns exec b cat /proc/net/nf_conntrack | grep -q 'type=0 code=0 id=1 '"

check_eq "the count is the table's" "$(ip netns exec a cat /proc/net/nf_conntrack | wc -l)" "$(ct_count a)"
cleanup
check "unload" unload
