// SPDX-License-Identifier: GPL-2.0

//! Per-CPU counters.
//!
//! C header: [`include/linux/percpu.h`](srctree/include/linux/percpu.h)

use super::bindings;
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::error::code::ENOMEM;
use kernel::ffi::c_int;
use kernel::prelude::*;

/// One `T` per possible CPU, each a set of `u32` counters.
///
/// # Invariants
///
/// `ptr` is a per-CPU allocation of a zeroed `T` for every possible CPU.
pub(crate) struct PerCpu<T: Copy + Default> {
    ptr: NonNull<T>,
    _t: PhantomData<T>,
}

// SAFETY: The counters are only updated with per-CPU operations and read racily, as statistics.
unsafe impl<T: Copy + Default> Send for PerCpu<T> {}
// SAFETY: As above.
unsafe impl<T: Copy + Default> Sync for PerCpu<T> {}

impl<T: Copy + Default> PerCpu<T> {
    /// Allocates zeroed counters.
    ///
    /// `T` must consist of `u32` fields only, for which all-zero is the default.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: Allocating has no preconditions.
        let ptr = unsafe {
            bindings::rct_alloc_percpu(core::mem::size_of::<T>(), core::mem::align_of::<T>())
        };
        // INVARIANT: The allocation is zeroed, for every possible CPU.
        Ok(Self {
            ptr: NonNull::new(ptr.cast()).ok_or(ENOMEM)?,
            _t: PhantomData,
        })
    }

    /// Adds one to the counter at byte offset `offset` of this CPU's `T` (`this_cpu_inc()`).
    #[inline]
    pub(crate) fn inc(&self, offset: usize) {
        // Constant for constant offsets: the check costs nothing there.
        if offset % 4 != 0 || offset + 4 > core::mem::size_of::<T>() {
            return;
        }
        let counter = self.ptr.as_ptr().cast::<u8>().wrapping_add(offset);
        // SAFETY: `counter` is the per-CPU address of a `u32` inside `T`. On x86-64 with SMP a
        // per-CPU address is an offset from the `%gs` base of the running CPU, and a single
        // `incl` on it cannot be split by preemption or interrupts: what `this_cpu_inc()` emits.
        #[cfg(all(target_arch = "x86_64", CONFIG_SMP))]
        unsafe {
            core::arch::asm!("incl %gs:({0})", in(reg) counter, options(att_syntax, nostack))
        };
        // SAFETY: As above; the helper is `this_cpu_inc()`.
        #[cfg(not(all(target_arch = "x86_64", CONFIG_SMP)))]
        unsafe {
            bindings::rct_this_cpu_inc(counter.cast())
        };
    }

    /// The counters of each possible CPU, read without synchronisation.
    pub(crate) fn each(&self) -> impl Iterator<Item = T> + '_ {
        possible_cpus().map(|cpu| {
            // SAFETY: `cpu` is possible, so its copy of the allocation exists.
            let p = unsafe { bindings::rct_per_cpu_ptr(self.ptr.as_ptr().cast(), cpu) };
            // SAFETY: `p` points to that CPU's `T`; counters are read racily, as statistics.
            unsafe { core::ptr::read_volatile(p.cast::<T>()) }
        })
    }

    /// The sum of a counter over all CPUs.
    pub(crate) fn sum(&self, field: impl Fn(&T) -> u32) -> u32 {
        self.each().fold(0u32, |acc, t| acc.wrapping_add(field(&t)))
    }
}

impl<T: Copy + Default> Drop for PerCpu<T> {
    fn drop(&mut self) {
        // SAFETY: The allocation is live and no longer used.
        unsafe { bindings::free_percpu(self.ptr.as_ptr().cast()) };
    }
}

/// The possible CPUs, in order.
pub(crate) fn possible_cpus() -> impl Iterator<Item = c_int> {
    // SAFETY: The possible mask is fixed after boot.
    let next = |cpu: c_int| unsafe { bindings::rct_next_possible_cpu(cpu) };
    // SAFETY: `nr_cpu_ids` is fixed after boot.
    let end = unsafe { bindings::nr_cpu_ids } as c_int;
    core::iter::successors(Some(next(-1)), move |&c| Some(next(c))).take_while(move |&c| c < end)
}
