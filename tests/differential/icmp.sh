# SPDX-License-Identifier: GPL-2.0
# ICMP and ICMPv6 echo, routed and direct, small and fragmented.
ip netns exec a ping -q -c 2 -i 0.2 -e 101 10.0.2.2 >/dev/null
ip netns exec a ping -q -c 1 -e 102 10.0.1.2 >/dev/null
ip netns exec a ping -q -c 1 -s 3000 -e 103 10.0.2.2 >/dev/null
ip netns exec a ping -6 -q -c 2 -i 0.2 -e 104 fd00:2::2 >/dev/null
ip netns exec a ping -6 -q -c 1 -s 3000 -e 105 fd00:2::2 >/dev/null
ip netns exec b ping -q -c 1 -e 106 10.0.1.1 >/dev/null
sleep 0.5
