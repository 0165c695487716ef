// SPDX-License-Identifier: GPL-2.0

//! Random numbers from the kernel's generator.

use super::bindings;

/// A random 128-bit key.
pub(crate) fn key() -> [u64; 2] {
    let mut v = [0u64; 2];
    // SAFETY: `v` is valid for writes of its size, and any bytes are valid `u64`s.
    unsafe { bindings::get_random_bytes((&raw mut v).cast(), core::mem::size_of_val(&v)) };
    v
}

/// A random 16-bit number.
pub(crate) fn u16() -> u16 {
    // SAFETY: `get_random_u16` has no preconditions.
    unsafe { bindings::get_random_u16() }
}
