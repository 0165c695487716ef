# SPDX-License-Identifier: GPL-2.0
# TCP over IPv4 and IPv6: a request and an answer, closed in order on both sides; and a
# connection attempt to a closed port, answered by a reset.
tcp_server b 80
tcp_server b 8080 6
tcp_ask a 10.0.2.2 80 41000 >/dev/null
tcp_ask a '[fd00:2::2]' 8080 41001 6 >/dev/null
tcp_ask a 10.0.2.2 81 41002 >/dev/null
sleep 1
