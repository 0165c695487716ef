// SPDX-License-Identifier: GPL-2.0

//! Connection tracking.
//!
//! The modules in the first group are plain Rust that depends only on `core`: the same files
//! build in the kernel and as a userspace crate (`ct/lib.rs`) for tests and fuzzing. The second
//! group is the kernel side: the table, the packet path and the files, built on the thin layer
//! in `sys`, which alone calls C.

pub(crate) mod format;
pub(crate) mod hash;
pub(crate) mod limits;
pub(crate) mod nat;
pub(crate) mod netlink;
pub(crate) mod nft;
pub(crate) mod pacer;
pub(crate) mod packet;
pub(crate) mod proto;
pub(crate) mod status;
pub(crate) mod timestamp;
pub(crate) mod tuple;
pub(crate) mod xt;
pub(crate) mod zone;

#[cfg(MODULE)]
pub(crate) mod conn;
#[cfg(MODULE)]
pub(crate) mod events;
#[cfg(MODULE)]
pub(crate) mod gc;
#[cfg(MODULE)]
pub(crate) mod netns;
#[cfg(MODULE)]
pub(crate) mod nf_ct_hook;
#[cfg(MODULE)]
pub(crate) mod pipeline;
#[cfg(MODULE)]
pub(crate) mod procfs;
#[cfg(MODULE)]
pub(crate) mod shared;
#[cfg(MODULE)]
pub(crate) mod state;
#[cfg(MODULE)]
pub(crate) mod sys;
#[cfg(MODULE)]
pub(crate) mod sysctl;
#[cfg(MODULE)]
pub(crate) mod table;
