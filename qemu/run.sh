#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boots a test kernel in QEMU, runs one command in the guest and exits with its exit code.
#
#   qemu/run.sh [options] -- COMMAND...
#
#   -k DIR      kernel build directory (default: the debug kernel, built if needed)
#   -f SRC[:DST]  copy SRC (file or directory) into the guest as /rct/DST (default: its name)
#   -l FILE     serial console log (default: $RUST_CONNTRACK_CACHE/logs/last.log)
#   -t SECS     hard time limit; a guest still running then is killed and the run fails (600)
#   -c N        virtual CPUs (2)
#   -m MB       memory (1536)
#   -i          deterministic time: one vCPU, guest time counts instructions (-icount shift=0)
#   -q          quiet: keep the console in the log only
#
# RCT_KERNEL_ARGS adds to the kernel command line (such as "kmemleak=off no_debug_objects").
# The guest runs COMMAND with bash in /rct, with the console as its output; its root is the
# host's filesystem, read-only under a tmpfs overlay (qemu/init). TCG is the accelerator unless
# a short probe shows that a KVM guest boots on this host. One guest runs at a time in each
# lane (RCT_GUEST_LANE, default 1): a second caller waits for the first.
set -euo pipefail
. "$(dirname "$0")/../scripts/env.sh"

kdir= log="$RCT_CACHE/logs/last.log" limit=600 cpus=2 mem=1536 icount= quiet=
files=()
while getopts "k:f:l:t:c:m:iq" opt; do
	case $opt in
	k) kdir=$OPTARG ;;
	f) files+=("$OPTARG") ;;
	l) log=$OPTARG ;;
	t) limit=$OPTARG ;;
	c) cpus=$OPTARG ;;
	m) mem=$OPTARG ;;
	i) icount=1 ;;
	q) quiet=1 ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || die "no command to run; see the header of $0"
[ -n "$kdir" ] || kdir=$("$RCT_ROOT/scripts/kernel.sh" debug)
[ -f "$kdir/arch/x86/boot/bzImage" ] || die "no kernel in $kdir"
[ -d "$kdir/modroot/lib/modules" ] || die "no modules in $kdir"
base=$("$RCT_ROOT/qemu/initramfs.sh")

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/rct"
for f in "${files[@]}"; do
	src=${f%%:*}
	dst=$(basename "$src")
	[ "$src" = "$f" ] || dst=${f#*:}
	[ -e "$src" ] || die "no such file: $src"
	mkdir -p "$(dirname "$stage/rct/$dst")"
	cp -a "$src" "$stage/rct/$dst"
done
printf '%s\n' "$*" > "$stage/rct/cmd"
(cat "$base"; cd "$stage" && find rct | cpio -o -H newc --quiet | gzip -1) > "$stage/initrd"

# KVM only where a guest is seen to boot with it: on some hosts a KVM guest hangs. The probe
# runs once per host boot.
kvm_boots() {
	[ -w /dev/kvm ] || return 1
	local probe="$RCT_CACHE/kvm-$(cat /proc/sys/kernel/random/boot_id)"
	if [ ! -f "$probe" ]; then
		mkdir -p "$RCT_CACHE"
		if RCT_KVM_PROBE=1 "$0" -k "$kdir" -q -t 30 -l "$stage/probe.log" -- true >/dev/null 2>&1; then
			echo yes
		else
			echo no
		fi > "$probe"
	fi
	[ "$(cat "$probe")" = yes ]
}
if [ -n "$icount" ]; then
	cpus=1
	accel=(-accel tcg -cpu max,la57=off -icount shift=0,sleep=off)
elif [ -n "${RCT_KVM_PROBE:-}" ] || kvm_boots; then
	accel=(-accel kvm -cpu host)
else
	accel=(-accel tcg -cpu max,la57=off)
fi

mkdir -p "$(dirname "$log")"
qemu=(qemu-system-x86_64 -nodefaults -no-user-config -nographic -no-reboot
	"${accel[@]}" -smp "$cpus" -m "$mem"
	-kernel "$kdir/arch/x86/boot/bzImage" -initrd "$stage/initrd"
	-append "console=ttyS0 panic=-1 rdinit=/init${RCT_KERNEL_ARGS:+ $RCT_KERNEL_ARGS}"
	-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=$(echo "$kdir"/modroot/lib/modules/*),mount_tag=modules,security_model=none,readonly=on"
	-serial stdio)
set +e
lock="$RCT_CACHE/.guest.lock"
[ "${RCT_GUEST_LANE:-1}" = 1 ] || lock+=".$RCT_GUEST_LANE"
if [ -n "$quiet" ]; then
	flock "$lock" timeout -k 5 "$limit" "${qemu[@]}" < /dev/null > "$log" 2>&1
else
	flock "$lock" timeout -k 5 "$limit" "${qemu[@]}" < /dev/null 2>&1 | tee "$log"
fi
set -e
rc=$(sed -n 's/^RCT-EXIT: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
if [ -z "$rc" ]; then
	echo "qemu/run.sh: the guest did not finish within ${limit}s or crashed; console log: $log" >&2
	exit 124
fi
exit "$rc"
