# SPDX-License-Identifier: GPL-2.0
# Shared settings for rust_conntrack's scripts. Source it; do not run it.

RCT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Kernel source, kernel builds and initramfs live here, outside the checkout.
RCT_CACHE=${RUST_CONNTRACK_CACHE:-$HOME/.cache/rust-conntrack}
# Debian's rustc-web is the compiler that ships the library source the kernel needs.
RCT_KMAKE=(LLVM=1 RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc)
export PATH="$HOME/.cargo/bin:$PATH"

die() { echo "error: $*" >&2; exit 1; }
log() { echo "==> $*" >&2; }
