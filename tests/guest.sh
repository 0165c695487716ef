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
for t in tests/selftests/[0-9]*.sh; do
	name=$(basename "$t" .sh)
	want "$name" || continue
	echo "== $name"
	start=$(date +%s)
	# A test may ask for more than 600 s with a "# timeout: N" line.
	limit=$(sed -n 's/^# timeout: \([0-9]*\)$/\1/p' "$t")
	timeout "${limit:-600}" bash "$t" 2>&1 | tee "/tmp/$name.out"
	rc=${PIPESTATUS[0]}
	if [ $rc -ne 0 ] && ! grep -q "^SELFTEST not ok" "/tmp/$name.out"; then
		echo "SELFTEST not ok $name: exited with $rc"
	fi
	echo "== $name took $(($(date +%s) - start)) s"
	grep -q "^rust_conntrack " /proc/modules && rmmod rust_conntrack
	ip -all netns delete 2>/dev/null
done

if [ -w /sys/kernel/debug/kmemleak ]; then
	echo "== kmemleak"
	echo scan > /sys/kernel/debug/kmemleak
	sleep 5
	echo scan > /sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak
fi
echo "== done"
