#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds the base initramfs of the test guest and prints its path.
#
#   qemu/initramfs.sh
#
# The image holds busybox and qemu/init only: the guest's root is the host's filesystem over
# virtio 9p (see qemu/init). It is cached, keyed by its inputs.
set -euo pipefail
. "$(dirname "$0")/../scripts/env.sh"

key=$( { cat "$RCT_ROOT/qemu/init"; ls -l /bin/busybox; } | sha256sum | cut -c1-12)
out="$RCT_CACHE/initramfs-$key.cpio.gz"
if [ -f "$out" ]; then
	echo "$out"
	exit 0
fi

root=$(mktemp -d)
tmp=
trap 'rm -rf "$root" ${tmp:+"$tmp"}' EXIT
mkdir -p "$root"/{bin,sbin,proc,sys,dev,rct}
cp /bin/busybox "$root/bin/"
for applet in $(/bin/busybox --list); do
	[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
cp "$RCT_ROOT/qemu/init" "$root/init"
chmod +x "$root/init"
mkdir -p "$RCT_CACHE"
# Guests booting side by side may build it at once: each writes a file of its own, and the
# last rename wins with the same contents.
tmp=$(mktemp "$out.XXXXXX")
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$tmp"
chmod 644 "$tmp"
mv -f "$tmp" "$out"
echo "$out"
