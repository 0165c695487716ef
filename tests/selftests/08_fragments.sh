#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fragmented packets are tracked once, whole: between namespaces, and over loopback, where the
# fragments reach the input hooks still carrying their connection (read there by IP
# defragmentation as a struct nf_conn).
. "$(dirname "$0")/lib.sh"

load
pair
ns_add lo4
ip -n lo4 link set lo mtu 1500
for n in a b lo4; do ip netns exec "$n" sysctl -qw net.netfilter.nf_conntrack_acct=1; done

check "fragmented IPv4 ping a -> b" ip netns exec a ping -c 2 -i 0.2 -s 3000 -e 11 -W 2 10.0.1.2
check "counted as whole packets in b" bash -c "ip netns exec b cat /proc/net/nf_conntrack | grep -q 'type=8 code=0 id=11 packets=2 bytes=6056 .* type=0 code=0 id=11 packets=2 bytes=6056'"
check "fragmented IPv6 ping a -> b" ip netns exec a ping -6 -c 2 -i 0.2 -s 3000 -e 12 -W 2 fd00:1::2
check "counted as whole packets in b (IPv6)" bash -c "ip netns exec b cat /proc/net/nf_conntrack | grep -q 'type=128 code=0 id=12 packets=2 bytes=6096 '"

check "fragmented ping over loopback" ip netns exec lo4 ping -c 2 -i 0.2 -s 3000 -e 13 -W 2 127.0.0.1
check "tracked once over loopback" bash -c "ip netns exec lo4 cat /proc/net/nf_conntrack | grep -q 'src=127.0.0.1 dst=127.0.0.1 type=8 code=0 id=13 packets=2 bytes=6056 src=127.0.0.1 dst=127.0.0.1 type=0 code=0 id=13 packets=2 bytes=6056'"
check "fragmented IPv6 ping over loopback" ip netns exec lo4 ping -6 -c 2 -i 0.2 -s 3000 -e 14 -W 2 ::1
check "tracked once over loopback (IPv6)" bash -c "ip netns exec lo4 cat /proc/net/nf_conntrack | grep -q 'type=128 code=0 id=14 packets=2 bytes=6096 '"
big=$(head -c 5000 /dev/zero | tr '\0' x)
ip netns exec lo4 socat -u UDP4-RECV:9000 /dev/null &
wait_listen lo4 udp 9000
echo "$big" | ip netns exec lo4 socat -u - UDP4-SENDTO:127.0.0.1:9000,sourceport=43000
sleep 0.3
check "a fragmented UDP datagram over loopback, once" bash -c "ip netns exec lo4 cat /proc/net/nf_conntrack | grep -q 'sport=43000 dport=9000 packets=1 bytes=5029 '"
cleanup
check "unload" unload
