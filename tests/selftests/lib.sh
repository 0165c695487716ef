#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Shared helpers of the guest selftests. Each test script sources this file and calls `check`
# (or `pass`/`fail`) for each of its assertions; results go to the console as
#   SELFTEST ok <script>: <what>
#   SELFTEST not ok <script>: <what>: <details>
# which the host counts.

set -u
RCT=${RCT:-/rct}
SCRIPT=$(basename "${BASH_SOURCE[1]:-$0}" .sh)

pass() { echo "SELFTEST ok $SCRIPT: $1"; }
fail() { echo "SELFTEST not ok $SCRIPT: $1: ${2:-}"; }

# check WHAT COMMAND...: passes if COMMAND succeeds.
check() {
	local what=$1
	shift
	local out
	if out=$("$@" 2>&1); then pass "$what"; else fail "$what" "$(echo "$out" | tail -n 3 | tr '\n' ' ')"; fi
}

# check_fails WHAT COMMAND...: passes if COMMAND fails.
check_fails() {
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then fail "$what" "succeeded"; else pass "$what"; fi
}

# check_eq WHAT EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected '$2', got '$3'"; fi
}

# check_ge WHAT MIN ACTUAL
check_ge() {
	if [ "$3" -ge "$2" ] 2>/dev/null; then pass "$1"; else fail "$1" "expected at least $2, got '$3'"; fi
}

module_loaded() { grep -q "^$1 " /proc/modules; }

# Loads rust_conntrack (with nf_defrag_ipv4/6 from the kernel's modules) with PARAMS.
load() {
	local dir=/lib/modules/$(uname -r)/extra
	if [ ! -e "$dir/rust_conntrack.ko" ]; then
		mkdir -p "$dir"
		cp "$RCT/rust_conntrack.ko" "$dir/"
		depmod
	fi
	modprobe rust_conntrack "$@"
}

# Unloads rust_conntrack if it is loaded; fails if it stays loaded.
unload() {
	if module_loaded rust_conntrack; then
		rmmod rust_conntrack
	fi
	! module_loaded rust_conntrack
}

# Unloads module M and, first, every module that uses it.
unload_tree() {
	local user
	for user in $(awk -v m="$1" '$1 == m && $4 != "-" { gsub(",", " ", $4); print $4 }' /proc/modules); do
		unload_tree "$user"
	done
	rmmod "$1" 2>/dev/null
}

# Unloads nf_conntrack and whatever rules and tools pulled in with it (nft_ct, nf_nat,
# ctnetlink, xtables matches...); whether it is gone. Rules of namespaces that were just
# deleted hold their modules a while: call it under wait_for.
unload_nf() {
	! module_loaded nf_conntrack || unload_tree nf_conntrack
	! module_loaded nf_conntrack
}

# Namespaces: NAME... each gets loopback up.
ns_add() {
	local n
	for n in "$@"; do
		ip netns add "$n"
		ip -n "$n" link set lo up
	done
}

# Deletes every namespace, ending the processes still running in it first.
ns_del_all() {
	local n
	for n in $(ip netns list | cut -d' ' -f1); do
		ip netns pids "$n" | xargs -r kill 2>/dev/null
		ip netns del "$n"
	done
}

# link NS1 NS2 N: a veth pair between two namespaces, with 10.0.N.1/24 and fd00:N::1/64 on
# NS1's end and .2 / ::2 on NS2's; IPv6 duplicate address detection off.
link() {
	local a=$1 b=$2 n=$3
	ip link add "v$a$n" netns "$a" type veth peer name "v$b$n" netns "$b"
	local ns i
	for ns in "$a:1" "$b:2"; do
		i=${ns#*:}
		ns=${ns%:*}
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
		ip -n "$ns" addr add "10.0.$n.$i/24" dev "v$ns$n"
		ip -n "$ns" addr add "fd00:$n::$i/64" dev "v$ns$n" nodad
		ip -n "$ns" link set "v$ns$n" up
	done
}

# The two-host topology most tests use: a (10.0.1.1, fd00:1::1) -- b (10.0.1.2, fd00:1::2).
pair() {
	ns_add a b
	link a b 1
}

# conntrack lines of namespace NS.
ct_list() { ip netns exec "$1" cat /proc/net/nf_conntrack; }
ct_count() { ip netns exec "$1" cat /proc/sys/net/netfilter/nf_conntrack_count; }

# hook_count NS FAMILY HOOK: packets rust_conntrack saw at that hook in NS.
hook_count() {
	ip netns exec "$1" cat /proc/net/rust_conntrack_hooks | awk -v f="$2" -v h="$3" '$1 == f && $2 == h { print $3 }'
}

# stat NS COLUMN: the sum over CPUs of a /proc/net/stat/nf_conntrack column.
stat() {
	local header line col i sum=0
	{
		read -r -a header
		for i in "${!header[@]}"; do [ "${header[$i]}" = "$2" ] && col=$i; done
		while read -r -a line; do sum=$((sum + 16#${line[$col]})); done
	} < <(ip netns exec "$1" cat /proc/net/stat/nf_conntrack)
	echo "$sum"
}

# Servers answer each datagram or connection from a shell that socat forks, which can take more
# than a second on the debug kernel under TCG. Once one side of a transfer has ended, socat waits
# half a second for the other by default: the servers' socat and the clients wait up to
# $ANSWER_WAIT seconds instead (-t), or the answer is lost.
ANSWER_WAIT=3

# UDP request and answer: the server answers each datagram with "pong".
udp_server() { # NS PORT [family 4|6]
	ip netns exec "$1" socat -t $ANSWER_WAIT "UDP${3:-4}-RECVFROM:$2,reuseaddr,fork" SYSTEM:'echo pong' &
	wait_listen "$1" udp "$2"
}
udp_send() { # NS DST PORT SPORT [family]
	echo ping | ip netns exec "$1" socat -T 1 - "UDP${5:-4}-SENDTO:$2:$3,sourceport=$4,reuseaddr" >/dev/null 2>&1
}
# udp_burst NS DST FIRST LAST SPORT: one datagram to each port FIRST..LAST of IPv4 DST, from
# one socket: a connection each, without a process each.
udp_burst() {
	ip netns exec "$1" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", int(sys.argv[4])))
for port in range(int(sys.argv[2]), int(sys.argv[3]) + 1):
    try:
        s.sendto(b"ping", (sys.argv[1], port))
    except OSError:
        pass
' "$2" "$3" "$4" "$5"
}
# UDP has no end of transfer: the client waits the whole $ANSWER_WAIT seconds.
udp_ask() { # NS DST PORT SPORT [family]: prints the answer
	echo ping | ip netns exec "$1" socat -T $ANSWER_WAIT -t $ANSWER_WAIT - "UDP${5:-4}:$2:$3,sourceport=$4,reuseaddr" 2>/dev/null
}
tcp_server() { # NS PORT [family]
	ip netns exec "$1" socat -t $ANSWER_WAIT "TCP${3:-4}-LISTEN:$2,reuseaddr,fork" SYSTEM:'echo hello' &
	wait_listen "$1" tcp "$2"
}
tcp_ask() { # NS DST PORT SPORT [family]
	echo hi | ip netns exec "$1" socat -T $ANSWER_WAIT -t $ANSWER_WAIT - "TCP${5:-4}:$2:$3,sourceport=$4,reuseaddr,connect-timeout=3" 2>/dev/null
}

# Waits until NS listens on PORT (udp or tcp).
wait_listen() { # NS PROTO PORT
	local flag=-t
	[ "$2" = udp ] && flag=-u
	wait_for 5 bash -c "ip netns exec $1 ss -Hln $flag | grep -q ':$3 '"
}

# Waits until NS has an established TCP connection from its port SPORT.
wait_established() { # NS SPORT
	wait_for 10 bash -c "ip netns exec $1 ss -Htn state established | grep -q ':$2 '"
}

# Waits up to SECS for COMMAND to succeed.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.1
	done
}

# Background jobs of a test end with it.
cleanup() {
	local j
	for j in $(jobs -p); do kill "$j" 2>/dev/null; done
	wait 2>/dev/null
	ns_del_all
}
trap cleanup EXIT
