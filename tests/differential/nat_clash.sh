# SPDX-License-Identifier: GPL-2.0
# NAT when the translated tuple is taken, where the outcome is forced and so comparable: a
# source NAT into two ports from three clients of one source port (the first keeps its port,
# the second gets the other one, the third finds none free and is dropped at confirmation),
# and two flows of the same tuple in two zones set for the original direction only, whose
# replies share the default zone: the second must get the other port.
ip -n a addr add 10.0.1.3/24 dev va1
ip -n a addr add 10.0.1.4/24 dev va1
ip netns exec r nft -f - <<'NFT'
table ip zones {
	chain pre {
		type filter hook prerouting priority raw; policy accept;
		udp dport 7001 ip dscp cs0 counter ct original zone set 1
		udp dport 7001 ip dscp cs1 counter ct original zone set 2
	}
}
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		udp dport { 7000, 7001 } counter snat to 10.0.2.1:30000-30001
	}
}
NFT
udp_server b 7000
udp_server b 7001
# send SRC PORT TOS: one datagram from SRC:30000 to b's PORT, with IP TOS byte TOS.
send() {
	ip netns exec a python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, int(sys.argv[3]))
s.bind((sys.argv[1], 30000))
s.settimeout(2)
s.sendto(b"ping", ("10.0.2.2", int(sys.argv[2])))
try:
    s.recv(64)
except OSError:
    pass
' "$@"
}
send 10.0.1.1 7000 0
send 10.0.1.3 7000 0
send 10.0.1.4 7000 0
send 10.0.1.1 7001 0
# In a both are one flow, replied: a stream (assured) if the second comes two seconds after the
# first. Wait so that it surely does, however slow the machine.
sleep 3
send 10.0.1.1 7001 32
sleep 1
