#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs in the test guest: the stress scenarios (RCT_STRESS: names, or nothing for all), each
# followed by a kmemleak scan whose findings print as "unreferenced object" lines, which the
# host counts as a splat of that scenario.
set -u
cd /rct
want() { [ -z "${RCT_STRESS:-}" ] || [[ " $RCT_STRESS " == *" $1 "* ]]; }
dir=/lib/modules/$(uname -r)/extra
mkdir -p "$dir"
cp rust_conntrack.ko "$dir/"
depmod
mount -t debugfs none /sys/kernel/debug 2>/dev/null
leaks() {
	[ -w /sys/kernel/debug/kmemleak ] || return 0
	echo scan > /sys/kernel/debug/kmemleak
	sleep 5
	echo scan > /sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak
	echo clear > /sys/kernel/debug/kmemleak
}
leaks > /dev/null
. tests/run_script.sh
run_scripts tests/stress "stress " leaks
echo "== stress done"
