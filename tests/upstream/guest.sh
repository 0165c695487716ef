#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs in the test guest: the kernel's netfilter selftests, unmodified, under each tracker.
#
#   RCT_KSFT       the staged selftests (net/lib.sh, net/netfilter/, net/ip_defrag.sh, bin/)
#   RCT_TRACKERS   "rust_conntrack nf_conntrack" or one of them
#   RCT_UPSTREAM   the test scripts to run, by file name
#
# Each test runs in a mount namespace of its own, where /proc/sys/kernel/tainted shows the
# kernel's taint without the bits every out-of-tree module sets (4096 out-of-tree, 8192
# unsigned): tests that refuse to run on a tainted kernel run, and any other taint, which the
# runner checks itself after each test, fails it. Prints per test
#   KSELFTEST <tracker> <test> PASS|FAIL|SKIP <seconds> [reason]
# and for a failure the lines that show it, each as "KSELFTEST-DETAIL <line>", then the whole
# output.
set -u
# bin/ holds the C helpers, packetdrill and a timeout(1) whose durations are scaled for
# emulation (its header says why); the runner's own limit uses the real one.
export PATH="$RCT_KSFT/bin:$PATH"
# A debug kernel under TCG is what kselftest calls a slow machine: the tests that know it send
# fewer packets and make fewer zones and clients, under both trackers alike.
export KSFT_MACHINE_SLOW=yes
OOT_TAINT=$((4096 | 8192))
LIMIT=${RCT_UPSTREAM_TIMEOUT:-2400}
mod_dir=/lib/modules/$(uname -r)/extra
mkdir -p "$mod_dir"
cp /rct/rust_conntrack.ko "$mod_dir/"
depmod

splats='BUG:|WARNING:|KASAN:|UBSAN:|Kernel panic|Oops|general protection fault|suspicious RCU usage|possible circular locking|possible recursive locking|inconsistent lock state|rcu_.*detected stall|self-detected stall|refcount_t:|list_add corruption|list_del corruption|kernel BUG at|sleeping function called from invalid context|DEBUG_LOCKS_WARN_ON'

# What a test's output shows of a failure its exit code may not: its own FAIL and ERROR lines,
# and rulesets that did not load.
failing_lines() { # OUTPUT
	grep -aE '(^|[^A-Za-z])(FAIL|ERROR)([: !]|$)|Error: |Could not process rule|No such file or directory.*(table|chain|rule|set)|iptables.*: (Couldn.t|No chain|Extension|RULE_APPEND|Chain .* does not exist)|xtables|Unknown arg|not supported' "$1" |
		grep -avE '^\s*#' | head -n 12
}

# Taint as the tests see it.
taint_view=/run/rct-tainted
masked_taint() { echo $(($(cat /proc/sys/kernel/tainted) & ~OOT_TAINT)); }

unload_all() {
	local before after m
	for _ in $(seq 1 20); do
		before=$(wc -l < /proc/modules)
		for m in $(cut -d' ' -f1 /proc/modules); do rmmod "$m" 2>/dev/null; done
		after=$(wc -l < /proc/modules)
		[ "$after" -eq 0 ] || [ "$after" -lt "$before" ] || break
	done
}

prepare() { # TRACKER
	case $1 in
	rust_conntrack) modprobe rust_conntrack ;;
	nf_conntrack) modprobe nf_conntrack ;;
	esac
}

run_one() { # TRACKER TEST
	local tracker=$1 t=$2 dir=$RCT_KSFT/net/netfilter out=/tmp/ksft-$1-$2.out
	[ -e "$dir/$t" ] || dir=$RCT_KSFT/net
	if [ ! -e "$dir/$t" ]; then
		echo "KSELFTEST $tracker $t FAIL 0 no such test"
		return
	fi
	unload_all
	if ! prepare "$tracker" > "$out" 2>&1; then
		echo "KSELFTEST $tracker $t FAIL 0 $tracker did not load: $(tail -n1 "$out")"
		return
	fi
	dmesg -C
	local taint_before start rc
	taint_before=$(masked_taint)
	masked_taint > "$taint_view"
	( while sleep 0.2; do
		v=$(masked_taint)
		[ "$v" = "$(cat "$taint_view")" ] || echo "$v" > "$taint_view"
	done ) &
	local watcher=$!
	# Scripts run with bash; a C test (conntrack_dump_flush) in a network namespace of its own,
	# since it flushes the table of the namespace it runs in.
	local cmd="exec bash ./$t"
	[[ $t == *.sh ]] || cmd="exec unshare -n ./$t"
	start=$SECONDS
	(cd "$dir" && /usr/bin/timeout -k 10 "$LIMIT" unshare -m --propagation private bash -c \
		"mount --bind $taint_view /proc/sys/kernel/tainted && $cmd" > "$out" 2>&1 < /dev/null)
	rc=$?
	local took=$((SECONDS - start))
	kill "$watcher" 2>/dev/null
	wait "$watcher" 2>/dev/null
	# What the test left behind goes before the next one.
	ip -all netns delete 2>/dev/null
	sleep 1
	local verdict reason=""
	local fails splat
	fails=$(failing_lines "$out")
	splat=$(dmesg | grep -aE "$splats" | head -n 5)
	if [ "$(masked_taint)" != "$taint_before" ]; then
		verdict=FAIL reason="the kernel was tainted: $(cat /proc/sys/kernel/tainted)"
	elif [ -n "$splat" ]; then
		verdict=FAIL reason="kernel splat"
		fails=$splat
	elif [ $rc = 124 ] || [ $rc = 137 ]; then
		verdict=FAIL reason="timed out after $LIMIT s"
	elif [ $rc = 4 ] && [ -z "$fails" ]; then
		verdict=SKIP reason=$(grep -a -m1 'SKIP' "$out" || echo "exit code 4")
	elif [ $rc = 0 ] && [ -z "$fails" ]; then
		verdict=PASS
	else
		verdict=FAIL reason="exit code $rc"
		[ -n "$fails" ] || fails=$(tail -n 8 "$out")
	fi
	echo "KSELFTEST $tracker $t $verdict $took $reason"
	if [ $verdict = FAIL ]; then
		echo "$fails" | sed 's/^/KSELFTEST-DETAIL /'
	fi
	if [ -n "${RCT_UPSTREAM_VERBOSE:-}" ] || [ $verdict = FAIL ]; then
		echo "---- output of $t under $tracker"
		cat "$out"
		echo "----"
	fi
}

# Test by test, each under every tracker in turn: a run cut short still pairs its results.
for t in $RCT_UPSTREAM; do
	for tracker in $RCT_TRACKERS; do
		echo "== upstream $tracker $t"
		run_one "$tracker" "$t"
	done
done
unload_all
echo "== upstream done"
