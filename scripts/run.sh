#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The main job, `make run`: sets up what is missing, builds the debug test kernel (cached) and the
# module, boots the kernel in QEMU and runs qemu/demo.sh there: load the module, drive traffic
# between namespaces, show the hook counters and connection tables.
set -euo pipefail
. "$(dirname "$0")/env.sh"

"$RCT_ROOT/scripts/setup.sh"
kdir=$("$RCT_ROOT/scripts/kernel.sh" debug)
log "building rust_conntrack.ko"
make -s -C "$RCT_ROOT" KDIR="$kdir"
log "booting the test kernel (about a minute under emulation)"
out="$RCT_OUT"
mkdir -p "$out"
"$RCT_ROOT/qemu/run.sh" -k "$kdir" -q -t 600 -l "$out/run.log" \
	-f "$RCT_ROOT/rust_conntrack.ko" -f "$RCT_ROOT/tests:tests" -f "$RCT_ROOT/qemu/demo.sh:demo.sh" \
	-- "bash demo.sh" || { echo "the guest failed; console log: $out/run.log" >&2; exit 1; }
# The demo's output, without the kernel's boot messages.
sed -n '/^### loading/,/^RCT-EXIT/p' "$out/run.log" | grep -v '^RCT-EXIT'
echo
echo "console log: $out/run.log"
