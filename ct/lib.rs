// SPDX-License-Identifier: GPL-2.0

//! rust_conntrack's protocol logic as a userspace crate.
//!
//! The kernel module compiles `ct/mod.rs` as its `ct` module; here the same file is the `ct`
//! module of a plain `no_std` library, so that tests and fuzzers exercise the code the kernel
//! runs. Only the parts that need no kernel are built.

#![no_std]
// Whether an item is used is judged by the kernel module's build, which compiles all of them
// and fails on warnings; this crate builds only what tests and fuzzers reach.
#![allow(dead_code)]

#[cfg(test)]
extern crate std;

#[path = "mod.rs"]
pub mod ct;

#[path = "fuzzing/mod.rs"]
pub mod fuzzing;
