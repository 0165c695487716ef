#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds the base initramfs for a kernel build directory and prints its path.
#
#   qemu/initramfs.sh KERNEL_BUILD_DIR
#
# The image holds busybox, the real tools the tests use with their libraries, the kernel's
# modules and qemu/init. It is cached next to the kernel, keyed by its inputs.
set -euo pipefail
. "$(dirname "$0")/../scripts/env.sh"

kdir=${1:?usage: initramfs.sh KERNEL_BUILD_DIR}
tools=(/bin/bash /bin/kmod /usr/bin/ip /usr/sbin/nft /usr/bin/socat /usr/bin/ping)
key=$( { cat "$RCT_ROOT/qemu/init"; ls -l "${tools[@]}" /bin/busybox; echo "${tools[*]}"; } | sha256sum | cut -c1-12)
out="$kdir/initramfs-$key.cpio.gz"
if [ -f "$out" ]; then
	echo "$out"
	exit 0
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,proc,sys,dev,tmp,run,etc,rct,var/run}
cp /bin/busybox "$root/bin/"
for applet in $(/bin/busybox --list); do
	[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
# Real tools, and every library they load, at the same paths as on the host.
for t in "${tools[@]}"; do
	rm -f "$root/bin/$(basename "$t")"
	cp "$t" "$root/bin/"
	for lib in $(ldd "$t" | grep -o '/[^ ]*'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
done
# kmod's module tools, in place of busybox's, where the kernel looks for modprobe too.
for t in modprobe insmod rmmod lsmod depmod modinfo; do
	ln -sf kmod "$root/bin/$t"
	ln -sf ../bin/kmod "$root/sbin/$t"
done
cp -a "$kdir/modroot/lib/modules" "$root/lib/"
cp "$RCT_ROOT/qemu/init" "$root/init"
chmod +x "$root/init"
echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
echo 'root:x:0:' > "$root/etc/group"
printf '127.0.0.1 localhost\n::1 localhost\n' > "$root/etc/hosts"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
