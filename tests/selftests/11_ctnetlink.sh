#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# ctnetlink against the unmodified conntrack tool: the same operations, events and malformed
# messages, once under nf_conntrack (with nf_conntrack_netlink) and once under rust_conntrack in
# the same boot, must be answered alike (remaining timeouts, identifiers and times aside). Then
# what only rust_conntrack is checked for: dumps of many parts, lost events told again, and
# who may change the table.
. "$(dirname "$0")/lib.sh"
DIFF="$RCT/tests/differential"
. "$DIFF/lib.sh"
CTNL="python3 $RCT/tests/tools/ctnl.py"
OUT=/tmp/ctnetlink
rm -rf "$OUT" && mkdir -p "$OUT"

# Output with what differs between runs replaced: the seconds left (the third number of a
# line, after the protocol's), identifiers (of connections, and of pings in events), ports of
# processes (and their names, which conntrack finds only while the process still runs), start
# and stop times, ages.
normalize() {
	sed -E -e 's/^( *(\[[A-Z]+\] +)?(ipv[46] +[0-9]+ +)?[a-z0-9]+ +[0-9]+ )[0-9]+ /\1T /' \
		-e 's/id=[0-9]{5,}/id=N/g' -e 's/<(timeout|id|start|stop|deltatime)>[0-9]+</<\1>N</g' \
		-e '/^ *\[/s/ id=[0-9]+/ id=N/g' -e 's/portid=[0-9]+/portid=P/' -e 's/ progname=[^ ]*//' \
		-e 's/\[(start|stop)=[^]]*\]/[\1=S]/g' -e 's/delta-time=[0-9]+/delta-time=D/g'
}

# op COMMAND...: runs conntrack, prints the command, its sorted output and its exit code.
op() {
	echo "\$ conntrack $*"
	conntrack "$@" > /tmp/op.out 2>&1
	local rc=$?
	normalize < /tmp/op.out | sort
	echo "rc=$rc"
}

# The operations, in namespace t; timeouts long enough that nothing expires meanwhile.
operations() {
	op -L
	op -I -p tcp -s 10.9.0.1 -d 10.9.0.2 --sport 1000 --dport 80 --state ESTABLISHED -t 9000 \
		-u SEEN_REPLY,ASSURED
	op -I -p tcp -s 10.9.0.1 -d 10.9.0.2 --sport 1001 --dport 80 --state SYN_SENT -t 800
	op -I -p udp -s 10.9.0.3 -d 10.9.0.2 --sport 53 --dport 5353 -t 900 --mark 5
	op -I -p udp -s 10.9.0.3 -d 10.9.0.2 --sport 53 --dport 5353 -t 900 --zone 7
	op -I -p icmp -s 10.9.0.1 -d 10.9.0.4 --icmp-type 8 --icmp-code 0 --icmp-id 33 -t 900
	op -I -f ipv6 -p tcp -s fd00::1 -d fd00::2 --sport 2000 --dport 443 --state ESTABLISHED -t 9000
	op -I -f ipv6 -p udp -s fd00::1 -d fd00::3 --sport 2001 --dport 53 -t 900 -m 6
	op -I -p udp -s 10.9.0.3 -d 10.9.0.2 --sport 53 --dport 5353 -t 900
	op -L
	op -L -p tcp
	op -L -s 10.9.0.3
	op -L -d 10.9.0.4
	op -L -p tcp --sport 1000
	op -L -p tcp --dport 443 -f ipv6
	op -L -p tcp --state ESTABLISHED
	op -L -m 5
	op -L -m 4/0xfffffffc
	op -L --zone 7
	op -L -f ipv6
	op -L -o extended
	op -L -o xml
	op -L -o id
	op -G -p tcp -s 10.9.0.1 -d 10.9.0.2 --sport 1000 --dport 80
	op -G -p tcp -s 10.9.0.1 -d 10.9.0.2 --sport 9 --dport 80
	op -G -p udp -s 10.9.0.3 -d 10.9.0.2 --sport 53 --dport 5353 --zone 7
	op -U -p tcp -s 10.9.0.1 -d 10.9.0.2 --sport 1000 --dport 80 -m 9
	op -U -p tcp -s 10.9.0.1 -d 10.9.0.2 --sport 1001 --dport 80 -t 500
	op -U -f ipv6 -p udp -m 12
	op -L -m 9
	op -L -m 12
	op -C
	op -L -z
	op -D -p tcp -s 10.9.0.1 -d 10.9.0.2 --sport 1001 --dport 80
	op -D -p tcp -s 10.9.0.1 -d 10.9.0.2 --sport 1001 --dport 80
	op -D -p udp --zone 7
	op -L
	op -F -f ipv6
	op -L
	op -L expect
	op -F
	op -L
	op -C
}

# Connection events in the router of the differential topology: traffic, then a flush.
events() {
	ip netns exec r sysctl -qw net.netfilter.nf_conntrack_timestamp=1
	ip netns exec r conntrack -E -o ktimestamp > "$OUT/ev.raw" 2>/dev/null &
	local ev=$!
	ip netns exec r conntrack -E -e NEW,DESTROY > "$OUT/ev-filtered.raw" 2>/dev/null &
	local filtered=$!
	sleep 1
	udp_server b 53
	tcp_server b 80
	udp_ask a 10.0.2.2 53 40000 > /dev/null
	tcp_ask a 10.0.2.2 80 41000 > /dev/null
	ip netns exec a ping -c 1 -W 1 10.0.2.2 > /dev/null
	sleep 1
	ip netns exec r conntrack -U -p udp -m 3 > /dev/null 2>&1
	ip netns exec r conntrack -F > /dev/null 2>&1
	sleep 1
	kill "$ev" "$filtered"
	wait "$ev" "$filtered" 2>/dev/null
	ip netns exec r sysctl -qw net.netfilter.nf_conntrack_events=0
	ip netns exec a ping -c 1 -W 1 10.0.2.2 > /dev/null
	ip netns exec r conntrack -E > "$OUT/ev-off.raw" 2>/dev/null &
	ev=$!
	sleep 1
	ip netns exec r conntrack -F > /dev/null 2>&1
	sleep 1
	kill "$ev"
	wait "$ev" 2>/dev/null
}

run() { # TRACKER
	local tracker=$1
	ns_add t
	(
		export -f op normalize operations
		ip netns exec t bash -c operations
	) > "$OUT/ops.$tracker" 2>&1
	# NAT is not in the module yet: its ranges are not read (see nat below).
	ip netns exec t $CTNL malformed 2>&1 | grep -v '^nat_' > "$OUT/malformed.$tracker"
	ip netns exec t $CTNL malformed 2>&1 | grep '^nat_' > "$OUT/nat.$tracker"
	cleanup
	topology "$tracker"
	events
	for f in ev ev-filtered ev-off; do
		normalize < "$OUT/$f.raw" | sort > "$OUT/$f.$tracker"
	done
	for n in "${DIFF_NS[@]}"; do ip netns exec "$n" nft flush ruleset; done
	cleanup
}

same() { # WHAT FILE
	if [ ! -s "$OUT/$2.nf_conntrack" ]; then
		fail "$1" "nf_conntrack gave nothing"
	elif cmp -s "$OUT/$2.nf_conntrack" "$OUT/$2.rust_conntrack"; then
		pass "$1: $(wc -l < "$OUT/$2.nf_conntrack") lines as nf_conntrack's"
	else
		fail "$1" "$(diff "$OUT/$2.nf_conntrack" "$OUT/$2.rust_conntrack" | grep '^[<>]' | head -n 4 | tr '\n' '|')"
		diff "$OUT/$2.nf_conntrack" "$OUT/$2.rust_conntrack" | sed 's/^/    /'
	fi
}


unload
modprobe nft_ct && modprobe nf_conntrack_netlink
check "nf_conntrack and its ctnetlink load" module_loaded nf_conntrack_netlink
run nf_conntrack
# Namespaces and their rules go asynchronously.
check "nf_conntrack unloads" wait_for 60 unload_nf

load
run rust_conntrack
same "conntrack -I -L -G -U -D -F -C -z and their filters" ops
same "malformed requests get nf_conntrack's errors" malformed
check_eq "NAT bindings are refused as nf_conntrack refuses them without NAT" \
	"nat_range_truncated ENOTSUP" "$(cat "$OUT/nat.rust_conntrack")"
same "conntrack -E: NEW, UPDATE and DESTROY events with times" ev
same "conntrack -E -e NEW,DESTROY" ev-filtered
check_eq "nf_conntrack_events=0: no events" 0 "$(wc -l < "$OUT/ev-off.rust_conntrack")"
grep -q 'stop=' "$OUT/ev.rust_conntrack" && pass "DESTROY events carry the stop time" ||
	fail "DESTROY events carry the stop time" "$(head -n 3 "$OUT/ev.rust_conntrack")"

# Dumps of many parts, while the table changes.
ns_add t
ip netns exec t $CTNL insert 3000 > "$OUT/insert.out" 2>&1
check_eq "3000 connections created by request" "" "$(cat "$OUT/insert.out")"
check_eq "conntrack -C counts them" 3000 "$(ip netns exec t conntrack -C)"
check_eq "a dump of many parts lists each once" 3000 \
	"$(ip netns exec t conntrack -L 2>/dev/null | awk '{ print $4 }' | sort -u | wc -l)"
ip netns exec t conntrack -L > /dev/null 2>&1 &
dumper=$!
ip netns exec t $CTNL insert 300 > /dev/null 2>&1
wait "$dumper"
check "a dump while connections come and go" ip netns exec t conntrack -L -p udp

# A listener that overruns gets ENOBUFS; DESTROY events it missed are told again.
ip netns exec t sysctl -qw net.netfilter.nf_conntrack_events=1
ip netns exec t conntrack -F > /dev/null 2>&1
ip netns exec t $CTNL insert 400 > /dev/null 2>&1
# The listener stops reading for 8 s once it has joined the group, and says so ("ready").
ip netns exec t $CTNL flood 8 > "$OUT/flood.out" 2>&1 &
flooder=$!
check "the listener joins the destroy group" wait_for 60 grep -q '^ready' "$OUT/flood.out"
ip netns exec t conntrack -F > /dev/null 2>&1
wait "$flooder"
read -r _ events _ enobufs < <(grep '^events' "$OUT/flood.out")
[ -n "${events:-}" ] || sed 's/^/    /' "$OUT/flood.out"
check_ge "the overrun listener was told ENOBUFS" 1 "${enobufs:-0}"
wait_for 30 bash -c "ip netns exec t grep -q '^waiting 0' /proc/net/rust_conntrack_events"
check "the missed DESTROY events were told again" \
	bash -c "ip netns exec t cat /proc/net/rust_conntrack_events | grep -q '^retold [1-9]'"
check_ge "every DESTROY event reached the listener in the end" 400 "${events:-0}"
check_eq "nothing waits to be told" "waiting 0" \
	"$(ip netns exec t grep waiting /proc/net/rust_conntrack_events)"
cleanup

# Only CAP_NET_ADMIN in the user namespace owning the network namespace may use ctnetlink, as
# nfnetlink enforces. User namespaces cannot be made from a chroot: leave it first.
unchrooted() { $CTNL unchroot "$@"; }
ns_add t
ip netns exec t conntrack -I -p udp -s 10.9.0.9 -d 10.9.0.8 --sport 1 --dport 2 -t 30 > /dev/null 2>&1
if ip netns exec t $CTNL unchroot unshare -U true; then
	check_fails "a user namespace's root may not list another's table" \
		ip netns exec t $CTNL unchroot unshare -Ur conntrack -L
	check_fails "nor flush it" ip netns exec t $CTNL unchroot unshare -Ur conntrack -F
	check_eq "which is left whole" 1 "$(ip netns exec t conntrack -C)"
	check "a user namespace's root may use its own namespace's table" \
		ip netns exec t $CTNL unchroot unshare -Urn bash -c 'conntrack -I -p udp -s 1.2.3.4 \
			-d 4.3.2.1 --sport 1 --dport 2 -t 30 && [ "$(conntrack -C)" = 1 ] && conntrack -F'
else
	fail "user namespaces" "unshare -U fails even outside the chroot"
fi
cleanup
unload
