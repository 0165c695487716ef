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

/// Marks a type as a set of `u32` counters that may live in per-CPU memory.
///
/// # Safety
///
/// The type must consist of `u32` fields (or arrays of them) only, with no padding, so that
/// all-zero bytes are its starting value and any bytes a valid one.
pub(crate) unsafe trait Counters: Copy + Default + 'static {}

/// One `T` per possible CPU.
///
/// # Invariants
///
/// `ptr` is a per-CPU allocation of a zeroed `T` for every possible CPU; `first` is the address
/// of the copy of the first possible CPU.
pub(crate) struct PerCpu<T: Counters> {
    ptr: NonNull<T>,
    first: NonNull<T>,
    _t: PhantomData<T>,
}

// SAFETY: The counters are only updated with per-CPU operations and read racily, as statistics.
unsafe impl<T: Counters> Send for PerCpu<T> {}
// SAFETY: As above.
unsafe impl<T: Counters> Sync for PerCpu<T> {}

impl<T: Counters> PerCpu<T> {
    /// Allocates zeroed counters.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: Allocating has no preconditions.
        let ptr = unsafe {
            bindings::rct_alloc_percpu(core::mem::size_of::<T>(), core::mem::align_of::<T>())
        };
        let ptr = NonNull::new(ptr.cast::<T>()).ok_or(ENOMEM)?;
        let cpu = possible_cpus().next().unwrap_or(0);
        // SAFETY: `ptr` is a live per-CPU allocation and `cpu` a possible CPU.
        let first = unsafe { bindings::rct_per_cpu_ptr(ptr.as_ptr().cast(), cpu) };
        // INVARIANT: The allocation is zeroed, for every possible CPU.
        Ok(Self {
            ptr,
            first: NonNull::new(first.cast::<T>()).ok_or(ENOMEM)?,
            _t: PhantomData,
        })
    }

    /// Adds one to the counter `field` picks out of a `T`, on this CPU (`this_cpu_inc()`).
    ///
    /// `field` must return a field of the `T` it is given, as in `|s| &s.invalid`: that it does
    /// is checked when the module is built.
    #[inline(always)]
    pub(crate) fn inc(&self, field: impl FnOnce(&T) -> &u32) {
        // SAFETY: `first` is the first CPU's copy (type invariants), valid while `self` lives;
        // its counters are only read here.
        let base = unsafe { self.first.as_ref() };
        let offset = (field(base) as *const u32 as usize).wrapping_sub(base as *const T as usize);
        kernel::build_assert!(
            offset % 4 == 0 && offset + 4 <= core::mem::size_of::<T>(),
            "a per-CPU counter must be a field of its set"
        );
        // SAFETY: `offset` is that of a `u32` inside `T`, so the per-CPU address is that of the
        // counter on every CPU, in an allocation that lives as long as `self`.
        unsafe { this_cpu_inc(self.ptr.as_ptr().cast::<u8>().wrapping_add(offset)) };
    }

    /// The counters of each possible CPU, read without synchronisation.
    pub(crate) fn each(&self) -> impl Iterator<Item = T> + '_ {
        possible_cpus().map(|cpu| {
            // SAFETY: `cpu` is possible, so its copy of the allocation exists.
            let p = unsafe { bindings::rct_per_cpu_ptr(self.ptr.as_ptr().cast(), cpu) };
            // SAFETY: `p` points to that CPU's `T`; counters are read racily, as statistics, and
            // any bytes are a valid `T` (`Counters`).
            unsafe { core::ptr::read_volatile(p.cast::<T>()) }
        })
    }

    /// The sum of a counter over all CPUs.
    pub(crate) fn sum(&self, field: impl Fn(&T) -> u32) -> u32 {
        self.each().fold(0u32, |acc, t| acc.wrapping_add(field(&t)))
    }
}

impl<T: Counters> Drop for PerCpu<T> {
    fn drop(&mut self) {
        // SAFETY: The allocation is live and no longer used.
        unsafe { bindings::free_percpu(self.ptr.as_ptr().cast()) };
    }
}

// SAFETY: `u32` fields only, without padding.
unsafe impl Counters for crate::ct::format::Stats {}
// SAFETY: An array of `u32`s.
unsafe impl Counters for crate::ct::state::HookCounts {}

/// Adds one to this CPU's copy of the `u32` at per-CPU address `counter` (`this_cpu_inc()`).
///
/// # Safety
///
/// `counter` must be the per-CPU address of a `u32` in a live per-CPU allocation, changed only
/// by per-CPU operations.
#[inline(always)]
unsafe fn this_cpu_inc(counter: *mut u8) {
    #[cfg(all(target_arch = "x86_64", CONFIG_SMP))]
    // SAFETY: On x86-64 the GS base of every CPU is the start of its per-CPU area, and a per-CPU
    // address is an offset into that area: one `inc` with the GS prefix adds to this CPU's
    // copy, as C's `this_cpu_inc()` does, and no preemption or interrupt can split it. The
    // caller guarantees the address.
    unsafe {
        core::arch::asm!("incl %gs:({0})", in(reg) counter, options(att_syntax, nostack))
    };
    #[cfg(not(all(target_arch = "x86_64", CONFIG_SMP)))]
    // SAFETY: As above, by the C function.
    unsafe {
        bindings::rct_this_cpu_inc_at(counter.cast(), 0)
    };
}

/// The number of the CPU the caller runs on; it may run elsewhere by the time it looks.
pub(crate) fn this_cpu() -> u32 {
    // SAFETY: Always allowed.
    unsafe { bindings::rct_smp_processor_id() as u32 }
}

/// The possible CPUs, in order.
pub(crate) fn possible_cpus() -> impl Iterator<Item = c_int> {
    // SAFETY: The possible mask is fixed after boot.
    let next = |cpu: c_int| unsafe { bindings::rct_next_possible_cpu(cpu) };
    // SAFETY: `nr_cpu_ids` is fixed after boot.
    let end = unsafe { bindings::nr_cpu_ids } as c_int;
    core::iter::successors(Some(next(-1)), move |&c| Some(next(c))).take_while(move |&c| c < end)
}
