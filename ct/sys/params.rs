// SPDX-License-Identifier: GPL-2.0

//! Module parameters (declared in `helpers.c`: the module macro of this kernel has none).

use super::bindings;

/// `hashsize`: buckets per namespace table; zero to size from memory.
pub(crate) fn hashsize() -> u32 {
    // SAFETY: Reads a parameter fixed at load time.
    unsafe { bindings::rct_param_hashsize() }
}

/// `acct`: the initial `nf_conntrack_acct` of each namespace.
pub(crate) fn acct() -> bool {
    // SAFETY: As above.
    unsafe { bindings::rct_param_acct() }
}

/// `hooks_only`: register the hooks, which return at once, tracking and counting nothing: the
/// floor that benchmarks measure against.
pub(crate) fn hooks_only() -> bool {
    // SAFETY: As above.
    unsafe { bindings::rct_param_hooks_only() }
}

/// Total RAM, in pages.
pub(crate) fn totalram_pages() -> usize {
    // SAFETY: Always allowed.
    unsafe { bindings::rct_totalram_pages() as usize }
}
