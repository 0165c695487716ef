#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# NAT with unmodified nftables rules on rust_conntrack's NAT chains and statements: masquerade,
# snat and dnat with ports and ranges, redirect on the way in and out, netmap, clashing ports,
# ICMP errors about translated connections, IPv6; what the table holds and how the rules print.
#
#   a (10.0.1.1, .3; fd00:1::1) -- (10.0.1.2) r (10.0.2.1) -- b (10.0.2.2, fd00:2::2)
. "$(dirname "$0")/lib.sh"
. "$RCT/tests/differential/lib.sh"

# A server on NS:PORT that answers each connection with the address and port it came from.
peer_server() { # NS PORT [family]
	ip netns exec "$1" socat -t $ANSWER_WAIT "TCP${3:-4}-LISTEN:$2,reuseaddr,fork" SYSTEM:'echo $SOCAT_PEERADDR $SOCAT_PEERPORT' &
	wait_listen "$1" tcp "$2"
}
# Whether NS's table has a line matching the extended regular expression RE.
ct_has() { ct_list "$1" | grep -Eq -- "$2"; }
# Whether TEXT matches the extended regular expression RE.
matches() { [[ $2 =~ $1 ]] || { echo "    got: '$2'"; return 1; }; }

udp_peer_server() { # NS PORT
	ip netns exec "$1" socat -t $ANSWER_WAIT "UDP4-RECVFROM:$2,reuseaddr,fork" SYSTEM:'echo $SOCAT_PEERADDR $SOCAT_PEERPORT' &
	wait_listen "$1" udp "$2"
}

load
topology rust_conntrack
ip -n a addr add 10.0.1.3/24 dev va1
ip netns exec r nft -f - <<'NFT'
table ip nat {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		tcp dport 8080 dnat to 10.0.2.2:80
		tcp dport 8081 dnat to 10.0.2.2
		tcp dport 2222 redirect to :22
	}

	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 10.0.1.3 udp dport 6000 snat to 10.0.2.1:30000-30010
		oifname "vr2" udp dport 7000 snat ip prefix to ip saddr map { 10.0.1.0/24 : 10.0.2.0/24 }
		oifname "vr2" masquerade
	}
}
table ip6 nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "vr2" masquerade
	}
}
NFT
check "a NAT ruleset loads" test $? = 0
check "nf_conntrack and nf_nat are not loaded" bash -c "! grep -Eq '^(nf_conntrack|nf_nat) ' /proc/modules"

peer_server b 80
peer_server b 8081
peer_server b 90 6
udp_peer_server b 5000
udp_peer_server b 6000
udp_peer_server b 7000
ip netns exec r socat -t $ANSWER_WAIT TCP4-LISTEN:22,reuseaddr,fork SYSTEM:'echo ssh' &
wait_listen r tcp 22

# Masquerade: b sees r's address, a its own connection.
check_eq "masquerade: the server sees the router" '10.0.2.1 41000' "$(tcp_ask a 10.0.2.2 80 41000)"
check "the table holds the translated reply" ct_has r 'src=10.0.1.1 dst=10.0.2.2 sport=41000 dport=80 .*src=10.0.2.2 dst=10.0.2.1 sport=80 dport=41000 .*\[ASSURED\]'
# socat prints IPv6 peers in full.
check_eq "masquerade over IPv6" '[fd00:0002:0000:0000:0000:0000:0000:0001] 41001' "$(tcp_ask a '[fd00:2::2]' 90 41001 6)"

# Destination NAT, with and without a port.
check_eq "dnat to an address and port" '10.0.2.1 41002' "$(tcp_ask a 10.0.1.2 8080 41002)"
check "its reply tuple" ct_has r 'dst=10.0.1.2 sport=41002 dport=8080 .*src=10.0.2.2 dst=10.0.2.1 sport=80 dport=41002 '
check_eq "dnat to an address" '10.0.2.1 41003' "$(tcp_ask a 10.0.1.2 8081 41003)"

# Redirect on the way in: to the router itself.
check_eq "redirect to a local port" ssh "$(tcp_ask a 10.0.1.2 2222 41004)"
check "its reply tuple" ct_has r 'dport=2222 .*src=10.0.1.2 dst=10.0.1.1 sport=22 dport=41004 '

# Source NAT into a port range, and two connections that would clash.
peer=$(ip netns exec a socat -T $ANSWER_WAIT -t $ANSWER_WAIT - UDP4:10.0.2.2:6000,bind=10.0.1.3:41005 <<<x 2>/dev/null | tr -d '\r')
check "snat to a port range" matches '^10\.0\.2\.1 300(0[0-9]|10)$' "$peer"
ip netns exec a socat -T $ANSWER_WAIT -t $ANSWER_WAIT - UDP4:10.0.2.2:5000,bind=10.0.1.1:41006 <<<x >/tmp/nat.p1 2>/dev/null
ip netns exec a socat -T $ANSWER_WAIT -t $ANSWER_WAIT - UDP4:10.0.2.2:5000,bind=10.0.1.3:41006 <<<x >/tmp/nat.p2 2>/dev/null
p1=$(tr -d '\r' < /tmp/nat.p1) p2=$(tr -d '\r' < /tmp/nat.p2)
check_eq "the first of two clashing flows keeps its port" '10.0.2.1 41006' "$p1"
check "the second gets another" matches '^10\.0\.2\.1 [0-9]+$' "$p2"
check "not the first's" test "$p2" != "$p1"

# Netmap: the host part stays.
check_eq "snat to a prefix keeps the host" '10.0.2.1 41007' "$(udp_ask a 10.0.2.2 7000 41007 | tr -d '\r')"

# An ICMP error about a translated flow reaches its sender, rewritten.
check "port unreachable through masquerade" ip netns exec a python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2); s.bind(("10.0.1.1", 41008)); s.connect(("10.0.2.2", 5999))
s.send(b"x")
try:
    s.recv(10)
except ConnectionRefusedError:
    sys.exit(0)
sys.exit(1)'

# Redirect of what a host sends itself: to loopback.
ip netns exec b nft -f - <<'NFT'
table inet nat {
	chain out {
		type nat hook output priority -100; policy accept;
		ip daddr 10.0.2.2 tcp dport 81 redirect to :80
		ip6 daddr fd00:2::2 tcp dport 81 redirect to :90
	}
}
NFT
# The source stays the host's own address; the destination becomes loopback.
check_eq "redirect at output reaches the redirected port" '10.0.2.2 41009' "$(tcp_ask b 10.0.2.2 81 41009)"
check "on loopback" ct_has b 'dport=81 .*src=127\.0\.0\.1 dst=10\.0\.2\.2 sport=80 dport=41009 '
check_eq "and for IPv6" '[fd00:0002:0000:0000:0000:0000:0000:0002] 41010' "$(tcp_ask b '[fd00:2::2]' 81 41010 6)"
check "on ::1" ct_has b 'dport=81 .*src=0000:0000:0000:0000:0000:0000:0000:0001 dst=fd00:0002:0000:0000:0000:0000:0000:0002 sport=90 dport=41010 '

# Bulk data through masquerade and through dnat, with the path MTU behind the router smaller
# than the client's: r's "fragmentation needed" must reach a. The receivers check every
# segment's checksum; the bytes must arrive whole.
head -c 3000000 /dev/urandom > /tmp/nat.blob
want=$(sha256sum < /tmp/nat.blob)
ip -n r link set vr2 mtu 1200
ip netns exec b socat -u -t $ANSWER_WAIT TCP4-LISTEN:8090,reuseaddr,fork SYSTEM:'sha256sum > /tmp/nat.up' &
wait_listen b tcp 8090
ip netns exec b socat -u FILE:/tmp/nat.blob TCP4-LISTEN:8091,reuseaddr &
wait_listen b tcp 8091
ip netns exec r nft insert rule ip nat pre tcp dport 9091 dnat to 10.0.2.2:8091
timeout 60 ip netns exec a socat -u FILE:/tmp/nat.blob TCP4:10.0.2.2:8090,sourceport=41011
wait_for 10 test -s /tmp/nat.up
check_eq "an upload through masquerade and path MTU discovery arrives whole" "$want" "$(cat /tmp/nat.up)"
# b's own segments fit the smaller MTU too (a veth drops what is larger than its peer's MTU).
ip -n b link set vb2 mtu 1200
check_eq "a download through dnat arrives whole" "$want" "$(timeout 60 ip netns exec a socat -u TCP4:10.0.1.2:9091,sourceport=41012 - | sha256sum)"
check "the router told the client of the smaller MTU" ip netns exec a bash -c "ip route get 10.0.2.2 | grep -q 'mtu 1200'"
ip -n r link set vr2 mtu 1500
ip -n b link set vb2 mtu 1500

# The rules print back as written.
printed=$(ip netns exec r nft list ruleset; ip netns exec b nft list ruleset)
for rule in 'dnat to 10.0.2.2:80' 'dnat to 10.0.2.2' 'redirect to :22' \
	'snat to 10.0.2.1:30000-30010' 'snat ip prefix to ip saddr map' 'masquerade' \
	'redirect to :80'; do
	case "$printed" in
	*"$rule"*) pass "printed back: $rule" ;;
	*) fail "printed back: $rule" "$(echo "$printed" | tr '\n' '|')" ;;
	esac
done
check_fails "snat in a prerouting chain is refused" ip netns exec r nft add rule ip nat pre snat to 10.0.2.1
check_fails "masquerade in a filter chain is refused" ip netns exec r nft add table ip f '{ chain c { type filter hook postrouting priority 0; masquerade; }; }'

# Masqueraded connections end with their device's address, and with the device.
udp_ask a 10.0.2.2 5000 41013 >/dev/null
check "a masqueraded flow" ct_has r 'sport=41013 dport=5000 '
# Promoted, so that removing the primary address leaves it.
ip netns exec r sysctl -qw net.ipv4.conf.vr2.promote_secondaries=1
ip -n r addr add 10.0.2.9/24 dev vr2
ip -n r addr del 10.0.2.1/24 dev vr2
check_fails "goes when its address leaves the device" ct_has r 'sport=41013 dport=5000 '
check "others stay" ct_has r 'dport=2222 '
udp_ask a 10.0.2.2 5000 41014 >/dev/null
check "a new flow takes the new address" ct_has r 'sport=41014 dport=5000 .*dst=10.0.2.9 '
ip -n r link set vr2 down
check_fails "and goes with the device" ct_has r 'sport=41014 dport=5000 '

cleanup
check "with the NAT rules gone the module unloads" wait_for 30 unload
