// SPDX-License-Identifier: GPL-2.0

//! The jiffies clock, as conntrack's timeouts count it.

use super::bindings;

/// Jiffies per second.
pub(crate) const HZ: u32 = bindings::HZ as u32;

/// The current time in jiffies, truncated to 32 bits (`nfct_time_stamp`).
#[inline]
pub(crate) fn now() -> u32 {
    // SAFETY: `jiffies` is always valid to read; it is updated atomically by the timer code.
    unsafe { core::ptr::read_volatile(&raw const bindings::jiffies) as u32 }
}

/// Whether jiffies `a` come after `b`, across wrap-arounds (`time_after()`).
#[inline]
pub(crate) fn after(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

/// Sleeps for at least `ms` milliseconds; process context only.
pub(crate) fn sleep_ms(ms: u32) {
    // SAFETY: Callers run in process context, where sleeping is allowed.
    unsafe { bindings::msleep(ms) };
}

/// Wall-clock time in nanoseconds (`ktime_get_real_ns()`).
pub(crate) fn real_ns() -> u64 {
    // SAFETY: Reading the clock has no preconditions, in any context.
    unsafe { bindings::rct_ktime_get_real_ns() }
}

/// Monotonic time in nanoseconds (`ktime_get_mono_fast_ns()`).
pub(crate) fn mono_ns() -> u64 {
    // SAFETY: Reading the clock has no preconditions, in any context.
    unsafe { bindings::ktime_get_mono_fast_ns() }
}

/// `j` jiffies in nanoseconds.
pub(crate) fn jiffies_to_ns(j: u32) -> u64 {
    u64::from(j) * (1_000_000_000 / u64::from(HZ))
}

/// `ms` milliseconds in jiffies, rounded up.
pub(crate) const fn ms_to_jiffies(ms: u32) -> u32 {
    (ms * HZ).div_ceil(1000)
}
