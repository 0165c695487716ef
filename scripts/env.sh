# SPDX-License-Identifier: GPL-2.0
# Shared settings for rust_conntrack's scripts. Source it; do not run it.

RCT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Kernel source, kernel builds and initramfs live here, outside the checkout.
RCT_CACHE=${RUST_CONNTRACK_CACHE:-$HOME/.cache/rust-conntrack}
# Logs, staged tests and results of the runs of this checkout.
RCT_OUT=${RUST_CONNTRACK_OUT:-$RCT_CACHE/out}
# Debian's rustc-web is the compiler that ships the library source the kernel needs.
RCT_KMAKE=(LLVM=1 RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc CLIPPY_DRIVER=/usr/bin/clippy-driver)
export PATH="$HOME/.cargo/bin:$PATH"
# The kernel source: Debian's linux-source-6.12, unpacked into the cache by scripts/kernel.sh.
RCT_KVERSION=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
RCT_KSRC="$RCT_CACHE/src/linux-$RCT_KVERSION"

die() { echo "error: $*" >&2; exit 1; }
log() { echo "==> $*" >&2; }
