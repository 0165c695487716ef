// SPDX-License-Identifier: GPL-2.0

//! Random numbers from the kernel's generator.

use super::bindings;

/// Random bytes, as many as `T` holds.
pub(crate) fn random<T: Copy + Default>() -> T {
    let mut v = T::default();
    // SAFETY: `v` is valid for writes of its size, and any bytes are a valid `T` for the integer
    // types this is used with.
    unsafe { bindings::get_random_bytes((&raw mut v).cast(), core::mem::size_of::<T>()) };
    v
}
