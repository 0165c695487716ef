# SPDX-License-Identifier: GPL-2.0
# UDP over IPv4 and IPv6: an answered exchange, a stream, an unanswered datagram drawing a port
# unreachable error, and forwarding through r.
udp_server b 53
udp_server b 5353 6
udp_ask a 10.0.2.2 53 40000 >/dev/null
udp_ask a 10.0.2.2 53 40001 >/dev/null
sleep 2.5
udp_ask a 10.0.2.2 53 40001 >/dev/null
udp_send a 10.0.2.2 9999 40002
udp_ask a '[fd00:2::2]' 5353 40003 6 >/dev/null
udp_send a '[fd00:2::2]' 9999 40004 6
udp_ask r 10.0.2.2 53 40005 >/dev/null
sleep 0.5
