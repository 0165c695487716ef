#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# iptables (iptables-nft) rules on rust_conntrack's xtables matches and targets: the rules
# Docker writes for a bridge network with a published port, the rules kube-proxy (iptables
# mode) writes for a ClusterIP and a NodePort service, then each match and target option on its
# own, counted by its rule; the checks that refuse rules; IPv6.
. "$(dirname "$0")/lib.sh"
. "$RCT/tests/differential/lib.sh"

# A server on NS:PORT that answers each connection with NAME (if given) and where it came from.
peer_server() { # NS PORT [family [NAME]]
	ip netns exec "$1" socat -t $ANSWER_WAIT "TCP${3:-4}-LISTEN:$2,reuseaddr,fork" \
		SYSTEM:"echo ${4:-}"' $SOCAT_PEERADDR $SOCAT_PEERPORT' &
	wait_listen "$1" tcp "$2"
}
ct_has() { ct_list "$1" | grep -Eq -- "$2"; }
matches() { [[ $2 =~ $1 ]] || { echo "    got: '$2'"; return 1; }; }
# The packets rule NUM of CHAIN in TABLE of NS counted (ip6tables with IPT=ip6tables).
pkts() { # NS TABLE CHAIN NUM
	ip netns exec "$1" "${IPT:-iptables}" -t "$2" -L "$3" -v -n -x --line-numbers |
		awk -v n="$4" '$1 == n { print $2 }'
}
# A veth from namespace NS (as eth0, address ADDR/PLEN) to HOST (as DEV, address HADDR/PLEN).
attach() { # NS ADDR HOST DEV HADDR PLEN
	ip link add "$4" netns "$3" type veth peer name eth0 netns "$1"
	ip -n "$1" addr add "$2/$6" dev eth0
	ip -n "$1" link set eth0 up
	[ -n "$5" ] && ip -n "$3" addr add "$5/$6" dev "$4"
	ip -n "$3" link set "$4" up
}
no_upstream() { ! grep -Eq '^(nf_conntrack|nf_nat|xt_conntrack|xt_state|xt_connmark|xt_connlimit|xt_nat|xt_MASQUERADE|xt_REDIRECT|xt_CT) ' /proc/modules; }

install -D -m 644 "$RCT/modprobe.d/rust_conntrack.conf" /etc/modprobe.d/rust_conntrack.conf
load

# --- Docker: docker0 (172.17.0.1/16) on the host dh, containers c1 (port 80 published as
# 8080) and c2; the outside world is ext (10.0.1.1), dh is 10.0.1.2 to it.
ns_add ext dh c1 c2
link ext dh 1
ip netns exec dh sysctl -qw net.ipv4.ip_forward=1
ip -n dh link add docker0 type bridge
ip -n dh addr add 172.17.0.1/16 dev docker0
ip -n dh link set docker0 up
# Docker has bridged traffic go through iptables too.
modprobe br_netfilter
ip netns exec dh sysctl -qw net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1
attach c1 172.17.0.2 dh veth1 "" 16
attach c2 172.17.0.3 dh veth2 "" 16
for i in 1 2; do
	ip -n dh link set "veth$i" master docker0
	ip -n "c$i" route add default via 172.17.0.1
done
ip netns exec dh iptables-restore <<'RULES'
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
-A POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE
-A DOCKER -i docker0 -j RETURN
-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-ISOLATION-STAGE-1 - [0:0]
:DOCKER-ISOLATION-STAGE-2 - [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o docker0 -j DOCKER
-A FORWARD -i docker0 ! -o docker0 -j ACCEPT
-A FORWARD -i docker0 -o docker0 -j ACCEPT
-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT
-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-1 -j RETURN
-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
-A DOCKER-ISOLATION-STAGE-2 -j RETURN
-A DOCKER-USER -j RETURN
COMMIT
RULES
check "docker: the rules load" test $? = 0
check "docker: no upstream tracking module was loaded" no_upstream
peer_server c1 80
peer_server c2 80
peer_server ext 80

check_eq "docker: the published port reaches the container, which sees the client" \
	'10.0.1.1 41000' "$(tcp_ask ext 10.0.1.2 8080 41000)"
check "docker: the table holds the translation" ct_has dh \
	'src=10.0.1.1 dst=10.0.1.2 sport=41000 dport=8080 .*src=172.17.0.2 dst=10.0.1.1 sport=80 dport=41000 .*\[ASSURED\]'
check_ge "docker: replies passed by --ctstate RELATED,ESTABLISHED" 2 "$(pkts dh filter FORWARD 3)"
check_eq "docker: a container goes out masqueraded" '10.0.1.2 41001' "$(tcp_ask c1 10.0.1.1 80 41001)"
check "docker: its entry" ct_has dh \
	'src=172.17.0.2 dst=10.0.1.1 sport=41001 dport=80 .*src=10.0.1.1 dst=10.0.1.2 sport=80 dport=41001 '
ip -n ext route add 172.17.0.0/16 via 10.0.1.2
check_eq "docker: the published container port is open from outside" '10.0.1.1 41002' \
	"$(tcp_ask ext 172.17.0.2 80 41002)"
check_eq "docker: an unpublished one is not" '' "$(tcp_ask ext 172.17.0.3 80 41003)"
check_ge "docker: the FORWARD policy dropped it" 1 \
	"$(ip netns exec dh iptables -L FORWARD -v -n -x | sed -n 's/^Chain FORWARD (policy DROP \([0-9]*\) packets.*/\1/p')"
check_eq "docker: the host reaches the published port by its own address" '10.0.1.2 41004' \
	"$(tcp_ask dh 10.0.1.2 8080 41004)"
check_eq "docker: from the bridge the published port is not translated" '' \
	"$(tcp_ask c2 10.0.1.2 8080 41005)"

# The same network with the userland proxy off: hairpin NAT from a container to its own
# published port, and from the host's loopback.
ip netns exec dh sysctl -qw net.ipv4.conf.docker0.route_localnet=1
for i in 1 2; do ip -n dh link set "veth$i" type bridge_slave hairpin on; done
ip netns exec dh iptables -t nat -F
ip netns exec dh iptables-restore --noflush <<'RULES'
*nat
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT -m addrtype --dst-type LOCAL -j DOCKER
-A POSTROUTING -o docker0 -m addrtype --src-type LOCAL -j MASQUERADE
-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
-A POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE
-A DOCKER -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
COMMIT
RULES
check_eq "docker: hairpin: a container reaches its own published port, from the bridge" \
	'172.17.0.1 41006' "$(tcp_ask c1 10.0.1.2 8080 41006)"
check "docker: hairpin entry" ct_has dh \
	'src=172.17.0.2 dst=10.0.1.2 sport=41006 dport=8080 .*src=172.17.0.2 dst=172.17.0.1 sport=80 dport=41006 '
check_eq "docker: a container reaches another's published port, unmasqueraded" '172.17.0.3 41008' \
	"$(tcp_ask c2 10.0.1.2 8080 41008)"
check_eq "docker: the host's loopback reaches the published port" '172.17.0.1 41007' \
	"$(tcp_ask dh 127.0.0.1 8080 41007)"
cleanup

# --- kube-proxy: service default/web (ClusterIP 10.96.0.10:80, NodePort 30080) with pods
# pod1 (10.244.1.2) and pod2 (10.244.2.2) on node (10.0.1.2) behind point-to-point veths;
# service default/empty has no endpoints. client (10.0.1.1) is outside the cluster.
ns_add client node pod1 pod2
link client node 1
ip netns exec node sysctl -qw net.ipv4.ip_forward=1
for i in 1 2; do
	attach "pod$i" "10.244.$i.2" node "veth$i" "10.244.$i.1" 24
	ip -n "pod$i" route add default via "10.244.$i.1"
	peer_server "pod$i" 8080 4 "pod$i"
done
ip -n client route add 10.244.0.0/16 via 10.0.1.2
ip -n node route add default via 10.0.1.1
ip netns exec node iptables-restore --noflush <<'RULES'
*filter
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-KUBELET-CANARY - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-PROXY-CANARY - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
:KUBE-SERVICES - [0:0]
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally visible service portals" -j KUBE-EXTERNAL-SERVICES
-A INPUT -j KUBE-FIREWALL
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally visible service portals" -j KUBE-EXTERNAL-SERVICES
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -j KUBE-FIREWALL
-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment "default/empty:http has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable
COMMIT
*nat
:KUBE-EXT-RJ5ZSLIABTQWBNWK - [0:0]
:KUBE-KUBELET-CANARY - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-PROXY-CANARY - [0:0]
:KUBE-SEP-4XYLKDDV3EQPOYUL - [0:0]
:KUBE-SEP-MGHA3XJQ4NSS6ZBB - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-RJ5ZSLIABTQWBNWK - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-EXT-RJ5ZSLIABTQWBNWK -m comment --comment "masquerade traffic for default/web:http external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-RJ5ZSLIABTQWBNWK -j KUBE-SVC-RJ5ZSLIABTQWBNWK
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-NODEPORTS -p tcp -m comment --comment "default/web:http" -m tcp --dport 30080 -j KUBE-EXT-RJ5ZSLIABTQWBNWK
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-SEP-4XYLKDDV3EQPOYUL -s 10.244.1.2/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-4XYLKDDV3EQPOYUL -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.1.2:8080
-A KUBE-SEP-MGHA3XJQ4NSS6ZBB -s 10.244.2.2/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-MGHA3XJQ4NSS6ZBB -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.2.2:8080
-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-RJ5ZSLIABTQWBNWK
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-SVC-RJ5ZSLIABTQWBNWK ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-RJ5ZSLIABTQWBNWK -m comment --comment "default/web:http -> 10.244.1.2:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-4XYLKDDV3EQPOYUL
-A KUBE-SVC-RJ5ZSLIABTQWBNWK -m comment --comment "default/web:http -> 10.244.2.2:8080" -j KUBE-SEP-MGHA3XJQ4NSS6ZBB
COMMIT
RULES
check "kube-proxy: the rules load" test $? = 0
check "kube-proxy: no upstream tracking module was loaded" no_upstream

# From a pod: not masqueraded, unless the service sends it back to itself.
seen=$(for p in $(seq 42000 42019); do tcp_ask pod1 10.96.0.10 80 "$p" | cut -d' ' -f1,2; done | sort -u | tr '\n' ' ')
check_eq "kube-proxy: a pod reaches both endpoints; masqueraded only back to itself" \
	'pod1 10.244.1.1 pod2 10.244.1.2 ' "$seen"
check "kube-proxy: the ClusterIP entry" ct_has node \
	'src=10.244.1.2 dst=10.96.0.10 sport=420[01][0-9] dport=80 .*src=10.244.2.2 dst=10.244.1.2 sport=8080 '
# From the node itself: masqueraded, by the mark.
check "kube-proxy: the node reaches the ClusterIP, masqueraded" matches \
	'^pod1 10\.244\.1\.1 |^pod2 10\.244\.2\.1 ' "$(tcp_ask node 10.96.0.10 80 42020)"
# A NodePort from outside: masqueraded with --random-fully.
out=$(tcp_ask client 10.0.1.2 30080 42021)
check "kube-proxy: the NodePort reaches an endpoint, masqueraded" matches \
	'^pod1 10\.244\.1\.1 |^pod2 10\.244\.2\.1 ' "$out"
check "kube-proxy: the NodePort entry" ct_has node \
	'src=10.0.1.1 dst=10.0.1.2 sport=42021 dport=30080 .*src=10.244.[12].2 dst=10.244.[12].1 sport=8080 '
check_ge "kube-proxy: KUBE-MARK-MASQ marked" 2 "$(pkts node nat KUBE-MARK-MASQ 1)"
check_ge "kube-proxy: KUBE-POSTROUTING masqueraded what was marked" 2 "$(pkts node nat KUBE-POSTROUTING 3)"
check_ge "kube-proxy: replies accepted as RELATED,ESTABLISHED" 1 "$(pkts node filter KUBE-FORWARD 3)"
check_eq "kube-proxy: a service without endpoints is rejected" '' "$(tcp_ask pod1 10.96.0.20 80 42022)"
check_ge "kube-proxy: by its REJECT rule" 1 "$(pkts node filter KUBE-SERVICES 1)"
ip netns exec client python3 "$RCT/tests/tools/rawtcp.py" 10.0.1.1 10.244.1.2 42023 8080 SF
check_eq "kube-proxy: an invalid packet is dropped by --ctstate INVALID" 1 "$(pkts node filter KUBE-FORWARD 1)"
check_eq "kube-proxy: KUBE-FIREWALL let everything through" 0 "$(pkts node filter KUBE-FIREWALL 1)"
cleanup

# --- Each option on its own, on a (10.0.1.1, .3) -- r -- b (10.0.2.2): rules in chain XT of
# r, jumped to from FORWARD, count what they match.
topology rust_conntrack
ip -n a addr add 10.0.1.3/24 dev va1
ipt() { ip netns exec r iptables "$@"; }
xt_rules=(
	'-p tcp --dport 80 -m conntrack --ctstate NEW'
	'-p tcp --sport 80 -m conntrack --ctstate ESTABLISHED'
	'-p icmp -m conntrack --ctstate RELATED'
	'-m conntrack --ctstate INVALID'
	'-m conntrack --ctstate UNTRACKED'
	'-m conntrack --ctstate DNAT'
	'-m conntrack --ctstate SNAT'
	'-p tcp -m conntrack --ctstatus ASSURED'
	'-p udp --dport 5999 -m conntrack --ctstatus ASSURED'
	'-p tcp --dport 80 -m conntrack --ctstatus SEEN_REPLY'
	'-m conntrack --ctproto 17'
	'-p udp -m conntrack --ctproto 6'
	'-m conntrack --ctorigsrc 10.0.1.0/24 --ctorigdst 10.0.2.2'
	'-m conntrack --ctorigsrc 10.0.3.0/24'
	'-p tcp --dport 80 -m conntrack --ctreplsrc 10.0.2.2 --ctrepldst 10.0.1.1'
	'-m conntrack --ctproto 6 --ctorigdst 10.0.1.2 --ctreplsrc 10.0.2.2 --ctorigdstport 8080'
	'-p tcp -m conntrack --ctproto 6 --ctorigsrcport 43000:43010'
	'-p tcp -m conntrack --ctproto 6 --ctorigdstport 81:90'
	'-m conntrack --ctproto 6 --ctreplsrcport 80 --ctrepldstport 43000'
	'-p tcp --sport 80 -m conntrack --ctdir ORIGINAL'
	'-p tcp --sport 80 -m conntrack --ctdir REPLY'
	'-p tcp --sport 80 -m conntrack ! --ctexpire 0:1'
	'-m conntrack --ctexpire 432001:4294967295'
	'-m conntrack ! --ctstate NEW,ESTABLISHED,RELATED,INVALID,UNTRACKED'
	'-p tcp --dport 80 -m conntrack ! --ctorigsrc 10.0.1.1'
	'-p tcp -m conntrack ! --ctproto 6'
	'-p tcp --dport 80 -m conntrack ! --ctstatus ASSURED'
	'-p tcp --dport 80 -m state --state ESTABLISHED'
	'-m state --state INVALID'
	'-p tcp --sport 80 -m connmark --mark 0x11/0xff'
	'-m connmark --mark 0x12'
	'-p tcp --sport 80 -m connmark ! --mark 0x12'
	'-p udp --sport 5000 -m mark --mark 0x500'
)
# What each rule counts: "+" at least one packet, "0" none.
xt_want=(+ + + + + + + + 0 + + 0 + 0 + + + 0 + 0 + + 0 0 0 0 + + + + 0 + +)
ipt -N XT
ipt -A FORWARD -j XT
for r in "${xt_rules[@]}"; do
	# shellcheck disable=SC2086
	ipt -A XT $r || fail "the rule loads: $r"
done
ipt -t raw -A PREROUTING -p udp --dport 5555 -j CT --notrack
ipt -t raw -A PREROUTING -p udp --dport 5556 -j CT --zone 7
ipt -t raw -A PREROUTING -p udp --dport 5557 -j NOTRACK
ipt -t nat -A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 10.0.2.2:80
ipt -t nat -A PREROUTING -p tcp --dport 9000:9001 -j DNAT --to-destination 10.0.2.2:80-81/9000
ipt -t nat -A PREROUTING -p tcp --dport 2222 -j REDIRECT --to-ports 22
ipt -t nat -A POSTROUTING -p udp --dport 6000 -j SNAT --to-source 10.0.2.1:30000-30010 --persistent
ipt -t nat -A POSTROUTING -o vr2 -p udp --dport 7000 -j MASQUERADE --to-ports 31000-31010
ipt -t nat -A POSTROUTING -o vr2 -p udp --dport 7001 -j MASQUERADE --random
ipt -t nat -A POSTROUTING -o vr2 -p udp --dport 7002 -j MASQUERADE --random-fully
ipt -A FORWARD -p tcp --dport 80 -m conntrack --ctstate NEW -j CONNMARK --set-mark 0x11/0xff
ipt -t mangle -A PREROUTING -p udp --dport 5000 -j MARK --set-mark 0x500
ipt -t mangle -A PREROUTING -p udp --dport 5000 -j CONNMARK --save-mark
ipt -t mangle -A PREROUTING -p udp --sport 5000 -j CONNMARK --restore-mark
ipt -t mangle -A PREROUTING -p udp --dport 5001 -j MARK --set-mark 0x4200
ipt -t mangle -A PREROUTING -p udp --dport 5001 -j CONNMARK --save-mark --nfmask 0xff00 --ctmask 0xff --right-shift-mark 8
ipt -t mangle -A PREROUTING -p udp --dport 5002 -j CONNMARK --set-xmark 0x0f/0xf0
ipt -A FORWARD -p tcp --syn --dport 8000 -m connlimit --connlimit-above 1 --connlimit-mask 24 -j REJECT --reject-with tcp-reset
ipt -A FORWARD -p tcp --syn --dport 8001 -m connlimit --connlimit-upto 1 --connlimit-daddr
check "no upstream tracking module was loaded" no_upstream

# The UDP entries below are read once all the exchanges are done, some half a minute later.
ip netns exec r sysctl -qw net.netfilter.nf_conntrack_udp_timeout=300
peer_server b 80
peer_server b 81 4 81
ip netns exec r socat -t $ANSWER_WAIT TCP4-LISTEN:22,reuseaddr,fork SYSTEM:'echo ssh' &
wait_listen r tcp 22
udp_server b 5000
udp_server b 5001
udp_server b 5002
udp_server b 5556
for p in 6000 7000 7001 7002; do
	ip netns exec b socat -t $ANSWER_WAIT "UDP4-RECVFROM:$p,reuseaddr,fork" SYSTEM:'echo $SOCAT_PEERADDR $SOCAT_PEERPORT' &
	wait_listen b udp "$p"
done
for p in 8000 8001; do
	ip netns exec b socat -t $ANSWER_WAIT "TCP4-LISTEN:$p,reuseaddr,fork" SYSTEM:'echo hello; sleep 4' &
	wait_listen b tcp "$p"
done

check_eq "a connection through the chain" '10.0.1.1 43000' "$(tcp_ask a 10.0.2.2 80 43000)"
check_eq "DNAT to an address and port" '10.0.1.1 43001' "$(tcp_ask a 10.0.1.2 8080 43001)"
check_eq "DNAT of a port range to a shifted range (revision 2)" '81 10.0.1.1 43002' \
	"$(tcp_ask a 10.0.1.2 9001 43002)"
check "its entry" ct_has r 'dport=9001 .*src=10.0.2.2 dst=10.0.1.1 sport=81 dport=43002 '
check_eq "REDIRECT --to-ports" ssh "$(tcp_ask a 10.0.1.2 2222 43003)"
check "SNAT --to-source with ports, --persistent" matches '^10\.0\.2\.1 300(0[0-9]|10)' \
	"$(udp_ask a 10.0.2.2 6000 43004 | tr -d '\r')"
check "MASQUERADE --to-ports" matches '^10\.0\.2\.1 310(0[0-9]|10)' \
	"$(udp_ask a 10.0.2.2 7000 43005 | tr -d '\r')"
check "MASQUERADE --random" matches '^10\.0\.2\.1 [0-9]+' "$(udp_ask a 10.0.2.2 7001 43006 | tr -d '\r')"
check "MASQUERADE --random-fully" matches '^10\.0\.2\.1 [0-9]+' "$(udp_ask a 10.0.2.2 7002 43007 | tr -d '\r')"
udp_ask a 10.0.2.2 5000 43008 >/dev/null
udp_ask a 10.0.2.2 5001 43009 >/dev/null
udp_ask a 10.0.2.2 5002 43010 >/dev/null
udp_send a 10.0.2.2 5999 43011
udp_send a 10.0.2.2 5555 43012
udp_ask a 10.0.2.2 5556 43013 >/dev/null
udp_send a 10.0.2.2 5557 43014
ip netns exec a python3 "$RCT/tests/tools/rawtcp.py" 10.0.1.1 10.0.2.2 43015 80 SF
# The first connection of each pair is held open, and established, before the second.
sleep 20 | ip netns exec a socat - TCP4:10.0.2.2:8000,sourceport=43016 >/dev/null &
wait_established a 43016
check_eq "connlimit --connlimit-above 1 --connlimit-mask 24 refuses a second connection of the /24" '' \
	"$(echo hi | ip netns exec a socat -T 2 - TCP4:10.0.2.2:8000,bind=10.0.1.3:43017,connect-timeout=3 2>/dev/null)"
sleep 20 | ip netns exec a socat - TCP4:10.0.2.2:8001,sourceport=43018 >/dev/null &
wait_established a 43018
echo hi | ip netns exec a socat -T 2 - TCP4:10.0.2.2:8001,bind=10.0.1.3:43019,connect-timeout=3 >/dev/null 2>&1
# The table now, before the UDP entries expire.
table=$(ct_list r)
in_table() { grep -Eq -- "$1" <<<"$table"; }
sleep 1

for i in "${!xt_rules[@]}"; do
	n=$(pkts r filter XT $((i + 1)))
	if [ "${xt_want[$i]}" = 0 ]; then
		check_eq "counts nothing: ${xt_rules[$i]}" 0 "$n"
	else
		check_ge "counts: ${xt_rules[$i]}" 1 "$n"
	fi
done
check_eq "connlimit: the rule rejected one connection" 1 "$(pkts r filter FORWARD 3)"
check_eq "connlimit --connlimit-upto 1 --connlimit-daddr: the first SYN of two" 1 "$(pkts r filter FORWARD 4)"
check "CONNMARK --set-mark value/mask" in_table 'sport=43000 dport=80 .* mark=17 '
check "CONNMARK --save-mark" in_table 'sport=43008 dport=5000 .* mark=1280 '
check "CONNMARK --save-mark with masks and a shift (revision 2)" in_table 'sport=43009 dport=5001 .* mark=66 '
check "CONNMARK --set-xmark" in_table 'sport=43010 dport=5002 .* mark=15 '
check "CT --zone" in_table 'sport=43013 dport=5556 .* zone=7 '
check_fails "CT --notrack: no entry" in_table 'dport=5555 '
check_fails "NOTRACK: no entry" in_table 'dport=5557 '

# The rules print back as written.
printed=$(ipt -S; ipt -t nat -S; ipt -t raw -S; ipt -t mangle -S)
for rule in '-m conntrack --ctstate RELATED' '--ctorigsrcport 43000:43010' '! --ctexpire 0:1' \
	'--ctdir REPLY' '-m connmark --mark 0x11/0xff' '-j CONNMARK --set-xmark 0x11/0xff' \
	'--connlimit-above 1 --connlimit-mask 24 --connlimit-saddr' \
	'-j DNAT --to-destination 10.0.2.2:80-81/9000' '-j MASQUERADE --to-ports 31000-31010' \
	'-j SNAT --to-source 10.0.2.1:30000-30010 --persistent' '-j CT --zone 7' '-j CT --notrack' \
	'--right-shift-mark 8'; do
	case "$printed" in
	*"$rule"*) pass "printed back: $rule" ;;
	*) fail "printed back: $rule" "$(echo "$printed" | grep -F -- "${rule%% *}" | head -n 3 | tr '\n' '|')" ;;
	esac
done

# What the kernel's modules refuse is refused.
check_fails "MASQUERADE outside the nat table" ipt -A FORWARD -j MASQUERADE
check_fails "SNAT in PREROUTING" ipt -t nat -A PREROUTING -j SNAT --to-source 10.0.2.1
check_fails "DNAT in POSTROUTING" ipt -t nat -A POSTROUTING -j DNAT --to-destination 10.0.2.2
check_fails "CT outside the raw table" ipt -A FORWARD -j CT --notrack
check_fails "CT --helper (not provided)" ipt -t raw -A PREROUTING -p tcp -j CT --helper ftp
check_fails "CT --timeout (not provided)" ipt -t raw -A PREROUTING -p tcp -j CT --timeout t

# IPv6.
ip6t() { ip netns exec r ip6tables "$@"; }
ip6t -A FORWARD -p tcp --sport 90 -m conntrack --ctstate ESTABLISHED --ctrepldst fd00:2::1
ip6t -A FORWARD -p tcp --dport 90 -m state --state NEW
ip6t -t nat -A POSTROUTING -o vr2 -j MASQUERADE
peer_server b 90 6
check "ip6tables MASQUERADE" matches 'fd00:(2|0002)(::|(:0000){5}:)(1|0001)' "$(tcp_ask a '[fd00:2::2]' 90 43020 6)"
check_ge "ip6tables -m conntrack --ctstate ESTABLISHED --ctrepldst" 1 "$(IPT=ip6tables pkts r filter FORWARD 1)"
check_eq "ip6tables -m state --state NEW" 1 "$(IPT=ip6tables pkts r filter FORWARD 2)"
check "no upstream tracking module was loaded" no_upstream

rm /etc/modprobe.d/rust_conntrack.conf
cleanup
check "with the rules gone the module unloads" wait_for 30 unload
