#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Stateful firewalling with unmodified nftables rules on rust_conntrack's `ct`, `notrack` and
# `ct count` expressions: what passes, what is dropped, what the connections hold, how the rules
# print back, and that nf_conntrack is never loaded for them.
. "$(dirname "$0")/lib.sh"

# count NS COMMENT: packets the rule with that comment counted.
count() {
	ip netns exec "$1" nft list ruleset |
		sed -n "s/.*counter packets \([0-9]*\) bytes [0-9]*.*comment \"$2\".*/\1/p"
}

load
pair
ip netns exec b nft -f - <<'NFT'
table inet fw {
	set hosts {
		type ipv4_addr
		flags dynamic
	}

	chain pre {
		type filter hook prerouting priority raw; policy accept;
		udp dport 5555 notrack
		udp dport 5556 ct zone set 7
	}

	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related counter accept comment "established"
		ct state invalid counter drop comment "invalid"
		ct state untracked udp dport 5555 counter accept comment "untracked"
		ct zone 7 udp dport 5556 counter accept comment "zone"
		tcp dport 8000 ct count over 2 counter reject comment "limit"
		tcp dport 8001 add @hosts { ip saddr ct count over 1 } counter reject comment "per-host"
		tcp dport { 80, 8000, 8001 } ct state new ct mark set 0x42 counter accept comment "web"
		icmp type echo-request ct state new counter accept comment "ping"
		icmpv6 type { echo-request, nd-neighbor-solicit, nd-neighbor-advert } accept
		counter comment "dropped"
	}

	chain output {
		type filter hook output priority filter; policy accept;
		ct mark 0x42 meta mark set ct mark
		meta mark 0x42 counter comment "marked"
	}
}
NFT
check "the ruleset loads" test $? = 0
check "nf_conntrack is not loaded" bash -c "! grep -q '^nf_conntrack ' /proc/modules"
check "rust_conntrack's expressions hold the module" bash -c "! rmmod rust_conntrack 2>/dev/null"

tcp_server b 80 6
tcp_server b 81
check_eq "a new connection to an open port passes" hello "$(tcp_ask a 10.0.1.2 80 40080)"
check_eq "also over IPv6" hello "$(tcp_ask a '[fd00:1::2]' 80 40081 6)"
check_eq "one to another port is dropped" "" "$(tcp_ask a 10.0.1.2 81 40082)"
check "pings pass" ip netns exec a ping -c 3 -i 0.2 -W 2 10.0.1.2
check_eq "two new web connections" 2 "$(count b web)"
check_eq "one new ping" 1 "$(count b ping)"
check_ge "the rest as established" 10 "$(count b established)"
check_ge "the other port's attempts dropped" 1 "$(count b dropped)"

# Marks: set by the input rule, kept on the connection, copied to its packets going out.
check "the mark is on the connection" bash -c "ip netns exec b cat /proc/net/nf_conntrack | grep -q 'dport=80 .*mark=66 '"
check_ge "the answers carry it" 2 "$(count b marked)"

# A segment no connection could send is invalid, and dropped.
ip netns exec a python3 "$RCT/tests/tools/rawtcp.py" 10.0.1.1 10.0.1.2 40083 80 SF
sleep 0.3
check_eq "SYN with FIN is invalid" 1 "$(count b invalid)"

# Untracked packets, and zones from templates.
udp_send a 10.0.1.2 5555 40084
udp_send a 10.0.1.2 5556 40085
check_eq "notrack leaves the packet untracked" 1 "$(count b untracked)"
check "and out of the table" bash -c "! ip netns exec b cat /proc/net/nf_conntrack | grep -q dport=5555"
check_eq "a zone set before tracking is the connection's" 1 "$(count b zone)"
check "the table shows it" bash -c "ip netns exec b cat /proc/net/nf_conntrack | grep -q 'dport=5556 .*zone=7 '"

# Parallel connections: at most two to 8000, one per host to 8001. They stay open until the
# checks are done: one that closes leaves the counts, and its host's set element goes with it.
for port in 8000 8001; do
	ip netns exec b socat -t $ANSWER_WAIT "TCP4-LISTEN:$port,reuseaddr,fork" SYSTEM:'echo hello; sleep 300' &
	wait_listen b tcp "$port"
done
for i in 1 2 3; do
	sleep 300 2>/dev/null | ip netns exec a socat - "TCP4:10.0.1.2:8000,sourceport=4100$i" > "/tmp/limit$i" 2>&1 &
	sleep 0.5
	sleep 300 2>/dev/null | ip netns exec a socat - "TCP4:10.0.1.2:8001,sourceport=4200$i" > "/tmp/host$i" 2>&1 &
	sleep 0.5
done
sleep 2
check "the set remembers the host" bash -c 'set=$(ip netns exec b nft list set inet fw hosts | tr -s "\t\n" "  ")
	echo "$set"; [[ $set == *"elements = { 10.0.1.1 ct count over 1 }"* ]]'
check_eq "two connections to 8000 were let in" 2 "$(cat /tmp/limit[123] | grep -c hello)"
check_ge "the third was refused" 1 "$(count b limit)"
check_eq "one per host to 8001" 1 "$(cat /tmp/host[123] | grep -c hello)"
check_ge "the others were refused" 2 "$(count b per-host)"
# Done with them: the clients go.
ip netns pids a | xargs -r kill 2>/dev/null

# Every key, printed back as written (counters aside).
ip netns exec b nft -f - <<'NFT'
table ip keys {
	chain c {
		ct state { established, related } ct direction original ct status assured,confirmed
		ct mark 0x00000001 ct expiration 5s ct l3proto ipv4
		ct original saddr 10.0.1.1 ct reply daddr 10.0.1.1
		ct protocol tcp ct original proto-dst 80 ct reply proto-src 80
		ct original ip saddr 10.0.1.1 ct reply ip daddr 10.0.1.1
		ct packets > 10 ct original bytes > 100 ct reply avgpkt > 50 ct zone 1
		ct original zone 2 ct id 1234 ct helper "ftp" ct label 1
		ct mark set 0x00000002 ct zone set 3 ct original zone set 4 ct mark set meta mark
		meta mark set ct mark notrack ct count over 5
	}
}
NFT
check "a ruleset of every key loads" test $? = 0
printed=$(ip netns exec b nft list table ip keys | tr -s ' \t\n' ' ')
for rule in 'ct state { established, related }' 'ct direction original' \
	'ct status assured,confirmed' 'ct mark 0x00000001' 'ct expiration 5s' 'ct l3proto ipv4' \
	'ct protocol tcp' 'ct original proto-dst 80' \
	'ct reply proto-src 80' 'ct original ip saddr 10.0.1.1' 'ct reply ip daddr 10.0.1.1' \
	'ct packets > 10' 'ct original bytes > 100' 'ct reply avgpkt > 50' 'ct zone 1' \
	'ct original zone 2' 'ct id 1234' 'ct helper "ftp"' 'ct label 1' 'ct mark set 0x00000002' \
	'ct zone set 3' 'ct original zone set 4' 'ct mark set meta mark' 'meta mark set ct mark' \
	'notrack' 'ct count over 5'; do
	case " $printed " in
	*" $rule "*) pass "printed back: $rule" ;;
	*) fail "printed back: $rule" "$printed" ;;
	esac
done

cleanup
check "with the rules gone the module unloads" wait_for 30 unload

# A ruleset loaded before rust_conntrack gets it by module autoloading, never nf_conntrack.
install -D -m 644 "$RCT/modprobe.d/rust_conntrack.conf" /etc/modprobe.d/rust_conntrack.conf
mkdir -p "/lib/modules/$(uname -r)/extra" && cp "$RCT/rust_conntrack.ko" "/lib/modules/$(uname -r)/extra/" && depmod
ns_add boot
ip netns exec boot nft add table inet t
ip netns exec boot nft add chain inet t c '{ type filter hook input priority 0; }'
check "a ct rule loads with nothing loaded" ip netns exec boot nft add rule inet t c ct state established accept
check "it loaded rust_conntrack" module_loaded rust_conntrack
check "and not nf_conntrack" bash -c "! grep -q '^nf_conntrack ' /proc/modules"
check_fails "nf_conntrack itself refuses to load by name" modprobe nf_conntrack
cleanup
check "unload" wait_for 30 unload
# So does the conntrack tool, through nfnetlink's request for its subsystem.
conntrack -L >/dev/null 2>&1
check "conntrack -L with nothing loaded loads rust_conntrack" module_loaded rust_conntrack
check "and not nf_conntrack_netlink" bash -c "! grep -q '^nf_conntrack' /proc/modules"
rm /etc/modprobe.d/rust_conntrack.conf
check "unload" wait_for 30 unload
