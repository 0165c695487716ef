#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Captures ctnetlink messages from nf_conntrack in the test guest (tests/tools/capture_fixtures.sh)
# and files them as the codec's fixtures, tests/fixtures/ctnetlink/captured/<name>.hex: one
# message per line, each read back and written again byte for byte by `cargo test`.
set -euo pipefail
. "$(dirname "$0")/env.sh"
kdir=$("$RCT_ROOT/scripts/kernel.sh" debug)
log="$RCT_OUT/capture.log"
mkdir -p "$RCT_OUT"
"$RCT_ROOT/qemu/run.sh" -k "$kdir" -q -t 600 -l "$log" -f "$RCT_ROOT/tests:tests" \
	-- "bash tests/tools/capture_fixtures.sh"
grep -aq '^FIXTURES done' "$log" || die "the capture did not finish; see $log"
dir="$RCT_ROOT/tests/fixtures/ctnetlink/captured"
for name in $(grep -a '^FIXTURE ' "$log" | cut -d' ' -f2 | sort -u); do
	{
		echo "# Captured from nf_conntrack (linux-source-6.12 $RCT_KVERSION) by"
		echo "# tests/tools/capture_fixtures.sh: $name, identifiers, timeouts, use counts,"
		echo "# times, sequence numbers and ports fixed."
		grep -a "^FIXTURE $name " "$log" | cut -d' ' -f3 | tr -d '\r'
	} > "$dir/$name.hex"
	log "wrote $dir/$name.hex"
done
