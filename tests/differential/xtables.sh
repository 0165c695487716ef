# SPDX-License-Identifier: GPL-2.0
# iptables (iptables-nft) rules on r and b: a Docker-style forward filter with masquerade and a
# published port, conntrack and state matches of every kind, connmark and CONNMARK, connlimit,
# SNAT, DNAT, REDIRECT, CT --zone and --notrack, IPv6 masquerade; every rule counts what it
# matched, and the tables must hold nf_conntrack's connections, marks and zones.
ip netns exec r iptables-restore <<'RULES'
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p udp --dport 5555 -j CT --notrack
-A PREROUTING -p udp --dport 5556 -j CT --zone 7
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
-A PREROUTING -p udp --dport 5000 -j MARK --set-mark 0x500
-A PREROUTING -p udp --dport 5000 -j CONNMARK --save-mark
-A PREROUTING -p udp --sport 5000 -j CONNMARK --restore-mark
-A PREROUTING -p udp --dport 5001 -j MARK --set-mark 0x4200
-A PREROUTING -p udp --dport 5001 -j CONNMARK --save-mark --nfmask 0xff00 --ctmask 0xff --right-shift-mark 8
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.0.2.2:80
-A PREROUTING -p tcp -m tcp --dport 9000:9001 -j DNAT --to-destination 10.0.2.2:80-81/9000
-A PREROUTING -p tcp -m tcp --dport 2222 -j REDIRECT --to-ports 22
-A POSTROUTING -p udp -m udp --dport 6000 -j SNAT --to-source 10.0.2.1:30000-30000
-A POSTROUTING -s 10.0.1.0/24 ! -o vr1 -j MASQUERADE
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m conntrack --ctstate INVALID -j DROP
-A FORWARD -o vr1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -m conntrack --ctstate DNAT --ctorigdst 10.0.1.2 --ctreplsrc 10.0.2.2
-A FORWARD -m conntrack --ctstate SNAT
-A FORWARD -m conntrack --ctstatus ASSURED
-A FORWARD -m conntrack --ctproto 6 --ctorigsrcport 42000:42010 --ctdir ORIGINAL
-A FORWARD -m conntrack ! --ctstatus SEEN_REPLY
-A FORWARD -m conntrack --ctstate UNTRACKED -j ACCEPT
-A FORWARD -m state --state NEW -p tcp --dport 80 -j CONNMARK --set-mark 0x11/0xff
-A FORWARD -m connmark --mark 0x11/0xff
-A FORWARD -p tcp --syn --dport 8000 -m connlimit --connlimit-above 1 --connlimit-mask 24 -j REJECT --reject-with tcp-reset
-A FORWARD -i vr1 -o vr2 -j ACCEPT
COMMIT
RULES
ip netns exec r ip6tables -t nat -A POSTROUTING -o vr2 -j MASQUERADE
ip netns exec b iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
ip netns exec b iptables -A INPUT -m conntrack --ctstate INVALID -j DROP
ip netns exec b iptables -A INPUT -p tcp -m multiport --dports 80,81,8000 -m conntrack --ctstate NEW -j ACCEPT
ip netns exec b iptables -A INPUT -m state --state UNTRACKED,NEW -p udp
ip -n a addr add 10.0.1.3/24 dev va1
tcp_server b 80
tcp_server b 81
tcp_server b 90 6
udp_server b 5000
udp_server b 5001
udp_server b 5556
udp_server b 6000
ip netns exec r socat -t $ANSWER_WAIT TCP4-LISTEN:22,reuseaddr,fork SYSTEM:'echo ssh' &
wait_listen r tcp 22
ip netns exec b socat -t $ANSWER_WAIT TCP4-LISTEN:8000,reuseaddr,fork SYSTEM:'echo hello; sleep 8' &
wait_listen b tcp 8000
tcp_ask a 10.0.2.2 80 42000 >/dev/null
tcp_ask a 10.0.1.2 8080 42001 >/dev/null
tcp_ask a 10.0.1.2 9001 42002 >/dev/null
tcp_ask a 10.0.1.2 2222 42003 >/dev/null
tcp_ask a '[fd00:2::2]' 90 42004 6 >/dev/null
udp_ask a 10.0.2.2 5000 42005 >/dev/null
udp_ask a 10.0.2.2 5001 42006 >/dev/null
udp_ask a 10.0.2.2 6000 42007 >/dev/null
udp_send a 10.0.2.2 5555 42008
udp_ask a 10.0.2.2 5556 42009 >/dev/null
udp_send a 10.0.2.2 5999 42010
ip netns exec a python3 "$RCT/tests/tools/rawtcp.py" 10.0.1.1 10.0.2.2 42011 80 SF
# The second connection of the /24 is refused while the first is open: b closes the first after
# 8 s, and a's socat then ends.
sleep 30 | ip netns exec a socat - TCP4:10.0.2.2:8000,sourceport=42012 >/dev/null &
held=$!
wait_established a 42012
echo hi | ip netns exec a socat -T 2 - TCP4:10.0.2.2:8000,bind=10.0.1.3:42013,connect-timeout=3 >/dev/null
wait "$held"
sleep 1
