#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The stress scenarios of tests/stress/ on the debug kernel (KASAN, lockdep, PROVE_RCU,
# kmemleak, failslab) with 4 vCPUs: `make stress [T="01_flood ..."]`. Prints per scenario its
# checks, figures, time and any kernel splat or leak, then one table and, last,
# "N passed, N failed"; the exit code is non-zero if anything failed.
set -uo pipefail
. "$(dirname "$0")/env.sh"

"$RCT_ROOT/scripts/setup.sh" || die "setup failed"
. "$RCT_ROOT/scripts/env.sh"
kdir=$("$RCT_ROOT/scripts/kernel.sh" debug) || die "debug kernel build failed"
log "building rust_conntrack.ko"
make -s -C "$RCT_ROOT" KDIR="$kdir" || die "module build failed"
out="$RCT_OUT"
mkdir -p "$out/stress-tools"
gcc -O2 -static -Wall -o "$out/stress-tools/hashcraft" "$RCT_ROOT/tests/tools/hashcraft.c" ||
	die "building tests/tools/hashcraft.c failed"
guest_log="$out/stress.log"
rm -f "$guest_log"
log "booting the debug kernel with 4 vCPUs (console: $guest_log)"
"$RCT_ROOT/qemu/run.sh" -k "$kdir" -q -c 4 -m 2048 -t "${RCT_STRESS_LIMIT:-14400}" -l "$guest_log" \
	-f "$RCT_ROOT/rust_conntrack.ko" -f "$RCT_ROOT/tests:tests" -f "$out/stress-tools:tools" \
	-f "$RCT_ROOT/scripts/modprobe.d:modprobe.d" \
	-- "RCT_STRESS='${T:-}' CHURN_NAMESPACES=${CHURN_NAMESPACES:-1000} bash tests/stress/guest.sh" || true

splats='BUG:|WARNING:|KASAN:|UBSAN:|Kernel panic|Oops|general protection fault|suspicious RCU usage|possible circular locking|possible recursive locking|inconsistent lock state|lock held when returning|rcu_.*detected stall|self-detected stall|unreferenced object|refcount_t:|list_add corruption|list_del corruption|kernel BUG at|sleeping function called from invalid context|DEBUG_LOCKS_WARN_ON'
# One pass over the console: each scenario's checks, figures, splats and time.
awk -v splats="$splats" '
	{ sub(/\r$/, "") }
	/^== stress [0-9]/ && !/ took / { s = $3; order[++n] = s; next }
	/^== stress [0-9].* took / { secs[$3] = $5; s = ""; next }
	/^SELFTEST ok / { ok[s]++; next }
	/^SELFTEST not ok / { bad[s]++; sub(/^SELFTEST not ok /, ""); print "FAIL " $0; next }
	/^STRESS-FIGURE / { sub(/^STRESS-FIGURE [^ ]* /, ""); fig[s] = fig[s] (fig[s] ? "; " : "") $0; next }
	s != "" && $0 ~ splats { splat[s]++; if (splat[s] <= 3) print "SPLAT " s ": " $0 }
	/^== stress done/ { done = 1 }
	END {
		printf "\n| scenario | checks | splats and leaks | seconds | figures |\n|---|---|---|---|---|\n"
		for (i = 1; i <= n; i++) {
			x = order[i]
			printf "| %s | %d passed, %d failed | %d | %s | %s |\n", x, ok[x], bad[x], splat[x], secs[x] ? secs[x] : "-", fig[x]
			passed += ok[x]; failed += bad[x] + (splat[x] > 0) + (secs[x] == "")
		}
		if (!done) { print "the guest did not finish"; failed++ }
		printf "%d passed, %d failed\n", passed, failed
		exit failed > 0
	}' "$guest_log"
