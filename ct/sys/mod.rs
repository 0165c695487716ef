// SPDX-License-Identifier: GPL-2.0

//! The kernel interfaces rust_conntrack uses, wrapped for safe use.
//!
//! This is the only code that calls C: its own bindings (`bindings`), over the kernel crate's,
//! and the helpers in `helpers.c` for what C has only as inline functions and macros.

pub(crate) mod addr_events;
pub(crate) mod bindings;
pub(crate) mod ct_hook;
pub(crate) mod defrag;
pub(crate) mod hook_list;
#[cfg(kunit)]
pub(crate) mod kunit;
pub(crate) mod modules;
pub(crate) mod net;
pub(crate) mod netfilter;
pub(crate) mod nfnetlink;
pub(crate) mod nftables;
pub(crate) mod params;
pub(crate) mod percpu;
pub(crate) mod proc;
pub(crate) mod random;
pub(crate) mod ratelimit;
pub(crate) mod route;
pub(crate) mod skb;
pub(crate) mod slab;
pub(crate) mod sync;
pub(crate) mod sysctl;
pub(crate) mod time;
pub(crate) mod work;
pub(crate) mod xtables;
