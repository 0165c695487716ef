// SPDX-License-Identifier: GPL-2.0

//! rust_conntrack's protocol logic as a userspace crate.
//!
//! The kernel module compiles `ct/mod.rs` as its `ct` module; here the same file is the `ct`
//! module of a plain `no_std` library, so that tests and fuzzers exercise the code the kernel
//! runs. Only the parts that need no kernel are built.

#![no_std]
// The kernel module, not this crate, is the user of most items.
#![allow(dead_code)]

#[cfg(test)]
extern crate std;

#[path = "mod.rs"]
pub mod ct;

/// The entry points of the ctnetlink fuzz target.
pub mod netlink_fuzz {
    /// Decodes `data` as a ctnetlink request and runs every step it asks for.
    pub fn request(data: &[u8]) {
        crate::ct::netlink::fuzz::request(data);
    }

    /// Reads `data` as a connection record and checks that it writes back stably.
    pub fn record(data: &[u8]) {
        crate::ct::netlink::fuzz::record(data);
    }
}
