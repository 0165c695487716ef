#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The kernel's own netfilter selftests, run unmodified against rust_conntrack and, for
# reference, against nf_conntrack in the same boot: `make kselftest`.
#
#   T="nft_nat.sh ..."       tests to run (default: every test of tests/upstream/expected)
#   TRACKER=rust_conntrack   or nf_conntrack: run under that tracker only (default: both)
#   CHECK=1                  make check's mode: the tests expected to pass, under rust_conntrack;
#                            any other result fails
#   RCT_KSELFTEST_LANES=1    both trackers in one boot, one after the other; by default, on a
#                            host of two cores or more, each tracker boots a guest of its own and
#                            the two run side by side
#   RCT_FULL_DEBUG=1         every debug check of the kernel; by default the guest boots without
#                            kmemleak and debugobjects, the checks that cost a shell script's
#                            processes most (RCT_KERNEL_ARGS, if set, says instead)
#
# Prints one line per test and tracker (PASS, FAIL with the failing lines of its output, or
# SKIP with the test's own reason), the side-by-side table, and last "N passed, N failed,
# N skipped" (rust_conntrack's results; a test that fails under nf_conntrack too is not
# counted: its environment is wrong). The exit code is non-zero if any counted test failed.
set -euo pipefail
. "$(dirname "$0")/env.sh"

expected="$RCT_ROOT/tests/upstream/expected"
"$RCT_ROOT/scripts/setup.sh"
. "$RCT_ROOT/scripts/env.sh"
kdir=$("$RCT_ROOT/scripts/kernel.sh" debug)

# name status [feature]: the tests of the list, and which are expected to pass.
mapfile -t listed < <(sed -e 's/#.*//' -e '/^\s*$/d' "$expected")
expect() { # TEST: "pass" or what the test waits for
	local l t=$1
	for l in "${listed[@]}"; do
		set -- $l
		[ "$1" = "$t" ] && { shift; echo "$*"; return; }
	done
	echo "(not listed)"
}
tests=${T:-}
if [ -z "$tests" ]; then
	for l in "${listed[@]}"; do
		set -- $l
		if [ -z "${CHECK:-}" ] || [ "$2" = pass ]; then tests+=" $1"; fi
	done
fi
trackers=${TRACKER:-rust_conntrack nf_conntrack}
[ -z "${CHECK:-}" ] || trackers=rust_conntrack

# The selftests and their helpers, built from the kernel tree the test kernel comes from.
ksrc=$RCT_KSRC/tools/testing/selftests
stage="$RCT_OUT/kselftest"
log "building the upstream selftests' helpers in $stage"
rm -rf "$stage" && mkdir -p "$stage/net" "$stage/bin"
cp -a "$ksrc/net/lib.sh" "$ksrc/net/ip_defrag.sh" "$ksrc/net/netfilter" "$stage/net/"
cp -a "$ksrc/kselftest_harness.h" "$ksrc/kselftest.h" "$stage/"
make -s -C "$RCT_KSRC" O="$kdir" headers >/dev/null
cflags=(-O2 -Wall -isystem "$kdir/usr/include" -I"$stage")
nf="$stage/net/netfilter"
for p in connect_close conntrack_reverse_clash sctp_collision; do
	gcc "${cflags[@]}" -o "$nf/$p" "$nf/$p.c"
done
for p in conntrack_dump_flush nf_queue; do
	gcc "${cflags[@]}" $(pkg-config --cflags libmnl) -o "$nf/$p" "$nf/$p.c" $(pkg-config --libs libmnl)
done
gcc "${cflags[@]}" -o "$stage/net/ip_defrag" "$ksrc/net/ip_defrag.c"
# The guest's tools for them, first in their PATH, with durations for emulation: timeout(1),
# sysctl(8), and nf_queue in place of the helper.
cp "$RCT_ROOT"/tests/upstream/bin/* "$stage/bin/"
mv "$nf/nf_queue" "$stage/bin/nf_queue.bin"
mv "$stage/bin/nf_queue" "$nf/nf_queue"

# packetdrill is not packaged: built from its source when the source is here.
pd_src=${PACKETDRILL_SRC:-$RCT_ROOT/../shared/vendor/packetdrill}
pd_note="packetdrill: not built (no source at $pd_src)"
if [ -d "$pd_src/gtests/net/packetdrill" ]; then
	pd="$RCT_CACHE/packetdrill"
	if [ ! -x "$pd/packetdrill" ] || [ "$(cat "$pd/.version" 2>/dev/null)" != "$(cat "$pd_src/VERSION" 2>/dev/null)" ]; then
		log "building packetdrill from $pd_src"
		rm -rf "$pd" && cp -r "$pd_src/gtests/net/packetdrill" "$pd" && chmod -R u+w "$pd"
		(cd "$pd" && ./configure >/dev/null && make -s packetdrill >/dev/null 2>&1)
		cat "$pd_src/VERSION" > "$pd/.version" 2>/dev/null || true
	fi
	cp "$pd/packetdrill" "$stage/bin/packetdrill.bin"
	pd_note="packetdrill: built from $pd_src"
fi
log "$pd_note"

log "building rust_conntrack.ko"
make -s -C "$RCT_ROOT" KDIR="$kdir"
out="$RCT_OUT"
mkdir -p "$out"
if [ -z "${RCT_FULL_DEBUG:-}" ]; then
	export RCT_KERNEL_ARGS=${RCT_KERNEL_ARGS-kmemleak=off no_debug_objects}
fi
boot() { # CONSOLE TRACKERS
	log "booting the test kernel; trackers: $2; tests:$tests (console: $1)"
	"$RCT_ROOT/qemu/run.sh" -k "$kdir" -q -t "${RCT_KSELFTEST_LIMIT:-10800}" -l "$1" \
		-f "$RCT_ROOT/rust_conntrack.ko" -f "$RCT_ROOT/tests:tests" -f "$stage:ksft" \
		-- "RCT_KSFT=/rct/ksft RCT_TRACKERS='$2' RCT_UPSTREAM='$tests' RCT_UPSTREAM_TIMEOUT=${RCT_UPSTREAM_TIMEOUT:-2400} bash tests/upstream/guest.sh" ||
		true
}
set -- $trackers
start=$SECONDS
if [ $# -gt 1 ] && [ "${RCT_KSELFTEST_LANES:-$(nproc)}" -gt 1 ]; then
	# A guest per tracker, each in a lane of its own: emulated on a host core of its own.
	guest_logs=()
	for tracker; do
		guest_logs+=("$out/kselftest-$tracker.log")
		RCT_GUEST_LANE=${#guest_logs[@]} boot "$out/kselftest-$tracker.log" "$tracker" &
	done
	wait
else
	guest_logs=("$out/kselftest.log")
	boot "${guest_logs[0]}" "$trackers"
fi
took=$((SECONDS - start))

# KSELFTEST <tracker> <test> <PASS|FAIL|SKIP> <seconds> [reason], then KSELFTEST-DETAIL lines
# with what failed.
declare -A verdict secs
while read -r _ tracker t v s _; do
	verdict[$tracker/$t]=$v
	secs[$tracker/$t]=$s
done < <(cat "${guest_logs[@]}" 2>/dev/null | grep -a '^KSELFTEST ')
cat "${guest_logs[@]}" 2>/dev/null | grep -a -E '^KSELFTEST(-DETAIL)? ' |
	sed -e 's/^KSELFTEST-DETAIL /        /' -e 's/^KSELFTEST //' || true

printf '\n%-30s %-16s %-16s %s\n' test rust_conntrack nf_conntrack expected
passed=0 failed=0 skipped=0 uncounted=0
cell() { if [ -n "$1" ]; then echo "$1 ($2 s)"; else echo "-"; fi; }
for t in $tests; do
	r=${verdict[rust_conntrack/$t]:-} n=${verdict[nf_conntrack/$t]:-}
	printf '%-30s %-16s %-16s %s\n' "$t" "$(cell "$r" "${secs[rust_conntrack/$t]:-}")" \
		"$(cell "$n" "${secs[nf_conntrack/$t]:-}")" "$(expect "$t")"
	[[ " $trackers " == *" rust_conntrack "* ]] || continue
	if [ -n "${CHECK:-}" ]; then
		# Expected to pass: anything else is a regression.
		if [ "$r" = PASS ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
		continue
	fi
	case $r in
	PASS) passed=$((passed + 1)) ;;
	SKIP) skipped=$((skipped + 1)) ;;
	FAIL) if [ "$n" = FAIL ]; then uncounted=$((uncounted + 1)); else failed=$((failed + 1)); fi ;;
	*) failed=$((failed + 1)) ;;
	esac
done
for l in "${guest_logs[@]}"; do
	grep -aqs '^== upstream done' "$l" || { echo "the guest did not finish; see $l"; failed=$((failed + 1)); }
done
echo "wall time of the boots: $((took / 60)) min $((took % 60)) s"
[ $uncounted = 0 ] || echo "$uncounted failed under nf_conntrack too: not counted (the environment is wrong)"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
