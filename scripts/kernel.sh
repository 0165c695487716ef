#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds a test kernel from Debian's linux-source-6.12 and prints its build directory.
#
#   scripts/kernel.sh debug|bench
#   RCT_CONFIG_ONLY=1 scripts/kernel.sh debug|bench   only make and check the .config
#
# The build is cached under $RUST_CONNTRACK_CACHE, keyed by the kernel version, the config
# fragments in qemu/config/ and the toolchain: a changed input builds afresh, an unchanged one is
# reused.
set -euo pipefail
. "$(dirname "$0")/env.sh"

flavor=${1:?usage: kernel.sh debug|bench}
fragments=("$RCT_ROOT"/qemu/config/{common,netfilter,guest}.config "$RCT_ROOT/qemu/config/$flavor.config")
[ -f "${fragments[-1]}" ] || die "no config fragment for '$flavor'"

# One kernel build at a time: concurrent callers wait for the build in progress.
mkdir -p "$RCT_CACHE"
exec 9>"$RCT_CACHE/.kernel.lock"
flock 9

[ -n "$RCT_KVERSION" ] || die "linux-source-6.12 is not installed; run scripts/setup.sh"
version=$RCT_KVERSION
src=$RCT_KSRC
if [ ! -f "$src/.unpacked" ]; then
	log "unpacking linux-source-6.12 $version"
	rm -rf "$src" && mkdir -p "$src"
	tar -xf /usr/src/linux-source-6.12.tar.xz -C "$src" --strip-components=1
	touch "$src/.unpacked"
fi

key=$( { echo "$version"; cat "${fragments[@]}"; /usr/bin/rustc --version; clang --version | head -1;
	bindgen --version; } | sha256sum | cut -c1-12)
out="$RCT_CACHE/build/$flavor-$key"
[ -z "${RCT_CONFIG_ONLY:-}" ] || out="$RCT_CACHE/build/config-$flavor"
if [ -z "${RCT_CONFIG_ONLY:-}" ] && [ -f "$out/.built" ]; then
	echo "$out"
	exit 0
fi

log "building the $flavor kernel in $out (several minutes)"
rm -rf "$out" && mkdir -p "$out"
kmake() { make -C "$src" O="$out" "${RCT_KMAKE[@]}" "$@"; }
kmake -s tinyconfig
"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${fragments[@]}" >/dev/null
kmake -s olddefconfig

# Every option a fragment asks for must have survived Kconfig's dependency resolution.
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*) want=$line ;;
	"# CONFIG_"*" is not set") want=$line ;;
	*) continue ;;
	esac
	opt=${want#\# }; opt=${opt%%[= ]*}
	got=$(grep -E "^($opt=|# $opt is not set)" "$out/.config" || echo "# $opt is not set")
	if [ "$got" != "$want" ]; then
		echo "config: wanted '$want', got '$got'" >&2
		bad=1
	fi
done < <(cat "${fragments[@]}")
[ $bad = 0 ] || die "the $flavor config does not hold what qemu/config asks for"
if [ -n "${RCT_CONFIG_ONLY:-}" ]; then
	echo "$out/.config"
	exit 0
fi

kmake -s -j"$(nproc)" bzImage modules
kmake -s INSTALL_MOD_PATH="$out/modroot" modules_install >/dev/null
touch "$out/.built"
# Older builds of this flavor are stale now.
find "$RCT_CACHE/build" -mindepth 1 -maxdepth 1 -name "$flavor-*" ! -path "$out" -exec rm -rf {} +
echo "$out"
