#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Benchmarks rust_conntrack against nf_conntrack and against no tracking: `make bench`.
#
# Two boots of the bench kernel (no debug options):
#  1. under TCG with one vCPU and `-icount shift=0`: guest time counts instructions (a
#     nanosecond each), so the per-packet and per-connection costs are instruction counts,
#     the same from run to run whatever the host does. The configurations - no tracking, the
#     module's hooks alone, nf_conntrack, rust_conntrack - take turns, ROUNDS times.
#  2. with a real-time clock: memory per connection at 100k connections, lookup cost with 1k,
#     100k and 1M connections, and the time to expire 1M connections.
#
# Results, with the raw samples, go to results/<date>/ (RESULTS overrides): summary.md and a
# plot of lookup cost against table size.
#
# `bench.sh profile [tcp|expiry]` (`make profile [WHAT=expiry]`) boots once instead,
# instruction-counted, to sample with perf where a TCP round trip's instructions go under each
# tracker, or those of expiring a million connections: profile.md.
set -euo pipefail
. "$(dirname "$0")/env.sh"

ROUNDS=${ROUNDS:-3}
"$RCT_ROOT/scripts/setup.sh"
kdir=$("$RCT_ROOT/scripts/kernel.sh" bench)
out="$RCT_OUT/bench"
rm -rf "$out" && mkdir -p "$out/tools"
log "building rust_conntrack.ko for the bench kernel"
make -s -C "$RCT_ROOT" KDIR="$kdir"
cp "$RCT_ROOT/rust_conntrack.ko" "$out/"
for t in tcpconn gapmeter; do
	gcc -O2 -static -Wall -o "$out/tools/$t" "$RCT_ROOT/tests/tools/$t.c"
done

results=${RESULTS:-$RCT_ROOT/results/$(date -u +%Y-%m-%d-%H%M)}
mkdir -p "$results"
files=(-f "$out/rust_conntrack.ko" -f "$out/tools:tools" -f "$RCT_ROOT/tests:tests")
start=$(date +%s)

if [ "${1:-}" = profile ]; then
	command -v rustfilt >/dev/null || PATH=$HOME/.cargo/bin:$PATH
	command -v rustfilt >/dev/null || cargo install -q rustfilt || echo "rustfilt missing: Rust symbols stay mangled" >&2
	what=${2:-tcp}
	case $what in
	tcp) log "profiling the TCP round trip (console: $results/profile.log)" ;;
	expiry) log "profiling the expiry of a million connections (console: $results/profile.log)" ;;
	*) die "make profile: WHAT is tcp or expiry, not '$what'" ;;
	esac
	"$RCT_ROOT/qemu/run.sh" -k "$kdir" -i -m 2048 -q -t 2400 -l "$results/profile.log" "${files[@]}" \
		-- "bash tests/bench/profile.sh $what" || die "the profile boot failed; see $results/profile.log"
	python3 "$RCT_ROOT/scripts/profile_report.py" "$results"
	cat "$results/profile.md"
	echo
	echo "results: $results"
	exit
fi

log "boot 1 of 2: instruction-counted costs, $ROUNDS rounds (console: $results/icount.log)"
"$RCT_ROOT/qemu/run.sh" -k "$kdir" -i -m 2048 -q -t 1500 -l "$results/icount.log" "${files[@]}" \
	-- "ROUNDS=$ROUNDS bash tests/bench/icount.sh" || echo "boot 1 failed; see $results/icount.log" >&2

log "boot 2 of 2: memory and scale (console: $results/scale.log)"
"$RCT_ROOT/qemu/run.sh" -k "$kdir" -c 1 -m 3072 -q -t 1500 -l "$results/scale.log" "${files[@]}" \
	-- "bash tests/bench/scale.sh" || echo "boot 2 failed; see $results/scale.log" >&2

grep -ah '^BENCH [0-9]' "$results/icount.log" | sed 's/^/icount /' > "$results/raw.txt" || true
grep -ah '^BENCH [0-9]' "$results/scale.log" | sed 's/^/scale /' >> "$results/raw.txt" || true
python3 "$RCT_ROOT/scripts/bench_report.py" "$results" "$(($(date +%s) - start))"
cat "$results/summary.md"
echo
echo "results: $results"
