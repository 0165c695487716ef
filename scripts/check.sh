#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs every test of rust_conntrack: `make check`. The last line printed is
# "N passed, N failed"; the exit code is non-zero if anything failed.
#
#   T="..."   run only some: "userspace", "lint", "kunit", "upstream", selftest names
#             (03_tracking, ...)
#
# Steps: install what is missing, build the debug test kernel (cached), run the userspace tests
# of ct/, check formatting and clippy, build the module and its KUnit build, boot the kernel in
# QEMU to run the KUnit suites and the selftests, fail on any kernel splat in the guest logs, and
# run the kernel's own netfilter selftests that tests/upstream/expected says pass. The boots run
# two at a time, one for each host core.
set -uo pipefail
. "$(dirname "$0")/env.sh"

passed=0 failed=0
result() { # ok|fail NAME [DETAILS]
	if [ "$1" = ok ]; then
		passed=$((passed + 1))
		echo "PASS $2"
	else
		failed=$((failed + 1))
		echo "FAIL $2${3:+: $3}"
	fi
}
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}
want() { [ -z "${T:-}" ] || [[ " $T " == *" $1 "* ]]; }
guest_tests=()
for t in ${T:-}; do
	case $t in userspace | lint | upstream) ;; *) guest_tests+=("$t") ;; esac
done

out="$RCT_OUT"
mkdir -p "$out"
if ! "$RCT_ROOT/scripts/setup.sh"; then
	result fail setup
	finish
fi
# Again, now that the kernel source package is surely installed.
. "$RCT_ROOT/scripts/env.sh"
if ! kdir=$("$RCT_ROOT/scripts/kernel.sh" debug); then
	result fail "debug kernel build"
	finish
fi

if want userspace; then
	log "userspace tests (cargo test in ct/)"
	cargo_log="$out/cargo-test.log"
	(cd "$RCT_ROOT/ct" && cargo test 2>&1) > "$cargo_log"
	while read -r name verdict; do
		if [ "$verdict" = ok ]; then result ok "userspace $name"; else result fail "userspace $name" "see $cargo_log"; fi
	done < <(sed -n 's/^test \(.*\) \.\.\. \(ok\|FAILED\)$/\1 \2/p' "$cargo_log")
	grep -q "^test result: ok" "$cargo_log" || result fail "userspace build" "see $cargo_log"
fi

if want lint; then
	log "lint"
	if rustfmt --check --config-path "$RCT_ROOT/.rustfmt.toml" "$RCT_ROOT/rust_conntrack.rs" "$RCT_ROOT/ct/lib.rs" >/dev/null 2>&1; then
		result ok "rustfmt"
	else
		result fail "rustfmt" "run make fmt"
	fi
	make -s -C "$RCT_ROOT" clean KDIR="$kdir" >/dev/null 2>&1
	clippy=$(make -s -C "$RCT_ROOT" KDIR="$kdir" KUNIT=1 CLIPPY=1 2>&1)
	if echo "$clippy" | grep -qE "^(warning|error)"; then
		result fail "clippy" "$(echo "$clippy" | grep -E "^(warning|error)" | head -3 | tr '\n' ' ')"
	else
		result ok "clippy"
	fi
fi

# The upstream selftests expected to pass, in a boot of their own: upstream_run boots it,
# upstream_report gives the results, each of which must pass.
upstream_listed() { grep -qE '^[^#]*\s+pass(\s|$)' "$RCT_ROOT/tests/upstream/expected"; }
upstream_run() {
	upstream_listed || return 0
	CHECK=1 T= TRACKER= "$RCT_ROOT/scripts/kselftest.sh" > "$out/kselftest.txt" 2>&1
}
upstream_report() {
	upstream_listed || return 0
	log "the kernel's netfilter selftests expected to pass (console: $out/kselftest.log)"
	local line
	while read -r line; do
		case $line in
		"PASS "*) result ok "upstream ${line#PASS }" ;;
		"FAIL "* | "SKIP "*) result fail "upstream ${line#* }" ;;
		esac
	done < <(sed -n 's/^rust_conntrack \([^ ]*\) \(PASS\|FAIL\|SKIP\) .*/\2 \1/p' "$out/kselftest.txt")
	# What a failing test showed, for a run whose files are gone once it ends (CI).
	sed -n '/^rust_conntrack [^ ]* FAIL /,/^[^ ]/{/^rust_conntrack [^ ]* FAIL \|^        /p}' \
		"$out/kselftest.txt" | head -n 40
	# Tests that gave no result at all (the guest died) count only in the runner's last line.
	grep -q '^[0-9]* passed, 0 failed' "$out/kselftest.txt" ||
		result fail "upstream run" "$(tail -n 1 "$out/kselftest.txt"), see $out/kselftest.txt"
}

if [ -n "${T:-}" ] && [ ${#guest_tests[@]} -eq 0 ]; then
	if want upstream; then
		log "the kernel's netfilter selftests expected to pass"
		upstream_run
		upstream_report
	fi
	finish
fi

log "building the module and its KUnit build"
rm -rf "$out/guest" && mkdir -p "$out/guest/kunit"
if ! make -s -C "$RCT_ROOT" KDIR="$kdir" KUNIT=1 >"$out/build.log" 2>&1 ||
	! cp "$RCT_ROOT/rust_conntrack.ko" "$out/guest/kunit/" ||
	! make -s -C "$RCT_ROOT" KDIR="$kdir" >>"$out/build.log" 2>&1 ||
	! cp "$RCT_ROOT/rust_conntrack.ko" "$out/guest/"; then
	result fail "module build" "see $out/build.log"
	finish
fi
result ok "module build"
grep -E "^(warning|error)" "$out/build.log" && result fail "module build warnings" "see $out/build.log"

# The guest's work runs in two lanes side by side, each emulated on a host core of its own.
# Lane 1: a boot with every debug check for the KUnit suites and the lifecycle selftest (modules
# and namespaces coming and going under traffic, then a kmemleak scan), then a boot for the other
# selftests. Lane 2: a boot for the differential test, then the upstream selftests' boot. Each
# process the tests start costs about 0.35 s on the full debug kernel under TCG: the later boots
# leave out the checks that cost most and find least in them, by kernel command line (KASAN,
# lockdep's lock tracking, PROVE_RCU and the rest stay on). RCT_FULL_DEBUG=1 keeps every check
# in every boot.
light_debug="kmemleak=off no_debug_objects"
lighter_debug="$light_debug lockdep.prove_locking=0"
if [ -n "${RCT_FULL_DEBUG:-}" ]; then
	light_debug= lighter_debug=
fi
full_debug_tests=" kunit 02_lifecycle "
if [ ${#guest_tests[@]} -eq 0 ]; then
	guest_tests=(kunit)
	for f in "$RCT_ROOT"/tests/selftests/[0-9]*.sh; do
		f=${f##*/}
		guest_tests+=("${f%.sh}")
	done
fi
full=() light=() side=()
for t in "${guest_tests[@]}"; do
	if [ "$t" = 10_differential ]; then
		side+=("$t")
	elif [[ $full_debug_tests == *" $t "* ]]; then
		full+=("$t")
	else
		light+=("$t")
	fi
done
guest_logs=()
[ ${#full[@]} -eq 0 ] || guest_logs+=("$out/guest.log")
[ ${#light[@]} -eq 0 ] || guest_logs+=("$out/guest-selftests.log")
[ ${#side[@]} -eq 0 ] || guest_logs+=("$out/guest-differential.log")
boot() { # CONSOLE TEST...: boots the test kernel for the tests named
	local console=$1
	shift
	rm -f "$console"
	"$RCT_ROOT/qemu/run.sh" -k "$kdir" -q -t 4200 -l "$console" \
		-f "$out/guest/rust_conntrack.ko" -f "$out/guest/kunit:kunit" -f "$RCT_ROOT/tests:tests" \
		-f "$RCT_ROOT/scripts/modprobe.d:modprobe.d" \
		-- "RCT_TESTS='$*' bash tests/guest.sh"
	local rc=$?
	[ $rc -eq 0 ] || echo "FAIL guest run: exit code $rc, see $console" >> "$out/guest-runs.txt"
}
log "booting the test kernel: KUnit suites and selftests (consoles: ${guest_logs[*]})"
rm -f "$out/guest-runs.txt" "$out/kselftest.txt" "$out"/guest*.log
(
	export RCT_GUEST_LANE=2 RCT_KERNEL_ARGS=$lighter_debug
	[ ${#side[@]} -eq 0 ] || boot "$out/guest-differential.log" "${side[@]}"
	! want upstream || upstream_run
) &
side_pid=$!
[ ${#full[@]} -eq 0 ] || boot "$out/guest.log" "${full[@]}"
[ ${#light[@]} -eq 0 ] || RCT_KERNEL_ARGS=$light_debug boot "$out/guest-selftests.log" "${light[@]}"
wait "$side_pid"
touch "$out/guest-runs.txt"
while read -r line; do
	result fail "${line#FAIL }"
done < "$out/guest-runs.txt"
guest_log="$out/guest.log"

if [[ " ${full[*]} " == *" kunit "* ]]; then
	if [ -f "$RCT_KSRC/tools/testing/kunit/kunit.py" ]; then
		python3 "$RCT_KSRC/tools/testing/kunit/kunit.py" parse "$guest_log" 2>&1 | tail -n 12
	fi
	cases=0
	while read -r verdict name; do
		cases=$((cases + 1))
		if [ "$verdict" = ok ]; then result ok "kunit $name"; else result fail "kunit $name" "see $guest_log"; fi
	done < <(sed -n 's/^    \(ok\|not ok\) [0-9]* \([a-z0-9_]*\).*/\1 \2/p' "$guest_log" | sed 's/^not ok/fail/')
	[ $cases -gt 0 ] || result fail "kunit" "no KUnit results in $guest_log"
fi

# Any splat fails the run: bugs, warnings, KASAN, lockdep, RCU, leaks.
splats='BUG:|WARNING:|KASAN:|UBSAN:|Kernel panic|Oops|general protection fault|suspicious RCU usage|possible circular locking|possible recursive locking|inconsistent lock state|lock held when returning|rcu_.*detected stall|self-detected stall|unreferenced object|refcount_t:|list_add corruption|list_del corruption|kernel BUG at|sleeping function called from invalid context|DEBUG_LOCKS_WARN_ON'
for console in "${guest_logs[@]}"; do
	while read -r line; do
		case $line in
		"SELFTEST ok "*) result ok "${line#SELFTEST ok }" ;;
		"SELFTEST not ok "*) result fail "${line#SELFTEST not ok }" ;;
		esac
	done < <(grep -a "^SELFTEST " "$console")
	grep -q "^== done" "$console" || result fail "guest" "the test run did not finish, see $console"
	mapfile -t found < <(grep -aE "$splats" "$console" | sort -u | head -n 20)
	if [ ${#found[@]} -gt 0 ]; then
		for s in "${found[@]}"; do result fail "kernel splat" "$s"; done
	else
		result ok "no kernel splats (BUG, WARNING, KASAN, lockdep, RCU, kmemleak) in ${console##*/}"
	fi
	grep -q "RCU lockdep checking is enabled" "$console" ||
		result fail "debug kernel" "${console##*/} does not show RCU lockdep checking"
done
want upstream && upstream_report
finish
