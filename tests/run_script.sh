#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Sourced by the guest runners, which define want NAME (whether to run a script).
#
# run_scripts DIR PREFIX [AFTER]: runs each DIR/[0-9]*.sh that is wanted with bash, within the
# time its "# timeout: N" line asks for (1200 s by default, twice the longest seen on a slow
# host), between the lines "== PREFIX<name>" and "== PREFIX<name> took N s", its output also in
# /tmp/<name>.out. A script that exits non-zero without a failed check gets one. The module and
# the namespaces it leaves behind go after it, then the command AFTER runs.
run_scripts() {
	local t name limit rc start
	for t in "$1"/[0-9]*.sh; do
		name=$(basename "$t" .sh)
		want "$name" || continue
		echo "== $2$name"
		start=$(date +%s)
		limit=$(sed -n 's/^# timeout: \([0-9]*\)$/\1/p' "$t")
		timeout "${limit:-1200}" bash "$t" 2>&1 | tee "/tmp/$name.out"
		rc=${PIPESTATUS[0]}
		if [ "$rc" -ne 0 ] && ! grep -q "^SELFTEST not ok" "/tmp/$name.out"; then
			echo "SELFTEST not ok $name: exited with $rc"
		fi
		grep -q "^rust_conntrack " /proc/modules && rmmod rust_conntrack
		ip -all netns delete 2>/dev/null
		[ -z "${3:-}" ] || $3
		echo "== $2$name took $(($(date +%s) - start)) s"
	done
}
