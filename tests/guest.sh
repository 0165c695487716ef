#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs in the test guest: the KUnit suites (by loading the KUnit build of the module), then the
# selftests, then a kmemleak scan. RCT_TESTS selects which: "kunit", selftest names (such as
# "03_tracking"), or nothing for all.
set -u
cd /rct
want() { [ -z "${RCT_TESTS:-}" ] || [[ " $RCT_TESTS " == *" $1 "* ]]; }
dir=/lib/modules/$(uname -r)/extra
mkdir -p "$dir"

if want kunit; then
	echo "== kunit"
	cp kunit/rust_conntrack.ko "$dir/"
	depmod
	modprobe rust_conntrack && rmmod rust_conntrack
	rm "$dir/rust_conntrack.ko"
fi

cp rust_conntrack.ko "$dir/"
depmod
. tests/run_script.sh
run_scripts tests/selftests ""

if grep -qw kmemleak=off /proc/cmdline; then
	echo "== kmemleak: off in this boot (kmemleak=off), no scan"
elif [ -w /sys/kernel/debug/kmemleak ]; then
	echo "== kmemleak"
	echo scan > /sys/kernel/debug/kmemleak
	sleep 5
	echo scan > /sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak
fi
echo "== done"
