# SPDX-License-Identifier: GPL-2.0
# TCP over IPv4 and IPv6: a request and an answer, closed in order on both sides; a connection
# attempt to a closed port, answered by a reset; a connection left open; one the client has
# half closed; and a client that ends with a reset, then connects again from the same port.
tcp_server b 80
tcp_server b 8080 6
tcp_ask a 10.0.2.2 80 41000 >/dev/null
tcp_ask a '[fd00:2::2]' 8080 41001 6 >/dev/null
tcp_ask a 10.0.2.2 81 41002 >/dev/null
for i in 1 2; do
	echo hi | ip netns exec a socat - TCP4:10.0.2.2:80,sourceport=41005,reuseaddr,linger=0 >/dev/null
done

ip netns exec b socat TCP4-LISTEN:82,reuseaddr SYSTEM:'echo hello; sleep 60' &
ip netns exec b socat -t 60 TCP4-LISTEN:83,reuseaddr SYSTEM:'sleep 60' &
wait_listen b tcp 82
wait_listen b tcp 83
sleep 60 | ip netns exec a socat - TCP4:10.0.2.2:82,sourceport=41003 >/dev/null &
echo hi | ip netns exec a socat -t 60 - TCP4:10.0.2.2:83,sourceport=41004 >/dev/null &
sleep 1
