// SPDX-License-Identifier: GPL-2.0

//! Delayed work: a method of an object run later in process context, on the power-efficient
//! workqueue.
//!
//! C header: [`include/linux/workqueue.h`](srctree/include/linux/workqueue.h)

use super::bindings;
use core::marker::PhantomData;
use kernel::ffi::c_ulong;
use kernel::init::PinInit;
use kernel::types::Opaque;

/// An object with work to run later: [`DelayedWorkItem::run`] runs on it each time its
/// [`DelayedWork`] comes due.
pub(crate) trait DelayedWorkItem: Sync + Sized {
    /// The work.
    fn run(this: &Self);
}

/// Where an object keeps its [`DelayedWork`]; implemented with [`impl_has_delayed_work!`].
///
/// # Safety
///
/// `OFFSET` must be the offset of a `DelayedWork<Self>` field of `Self`, and `Self` must drop
/// that field before any other field [`DelayedWorkItem::run`] uses: declared first.
pub(crate) unsafe trait HasDelayedWork: DelayedWorkItem {
    /// Offset of the work item.
    const OFFSET: usize;
}

/// Makes field `$field` of `$t` the delayed work of `$t`; the field must be declared first.
macro_rules! impl_has_delayed_work {
    ($t:ty, $field:ident) => {
        // SAFETY: The offset is that of `$field`, a `DelayedWork<$t>` (checked just below),
        // which the caller declares first.
        unsafe impl $crate::ct::sys::work::HasDelayedWork for $t {
            const OFFSET: usize = {
                let _: fn(&$t) -> &$crate::ct::sys::work::DelayedWork<$t> = |t| &t.$field;
                core::mem::offset_of!($t, $field)
            };
        }
    };
}
pub(crate) use impl_has_delayed_work;

/// A `struct delayed_work` inside a `T`, running `T`'s [`DelayedWorkItem::run`]. Cancelled,
/// waiting for a run in progress, when dropped.
///
/// # Invariants
///
/// The work item is initialised, with [`run_entry::<T>`] as its function, and lives inside a
/// `T` at `T::OFFSET`.
#[repr(transparent)]
pub(crate) struct DelayedWork<T> {
    work: Opaque<bindings::delayed_work>,
    _t: PhantomData<T>,
}

// SAFETY: Work items are queued and cancelled from any thread; the work runs `T::run` on a
// shared reference, and `T` is `Sync`.
unsafe impl<T: DelayedWorkItem> Sync for DelayedWork<T> {}
// SAFETY: As above.
unsafe impl<T: DelayedWorkItem> Send for DelayedWork<T> {}

impl<T: HasDelayedWork> DelayedWork<T> {
    /// A work item for the `T` it is initialised in.
    pub(crate) fn new() -> impl PinInit<Self> {
        // INVARIANT: Initialised in place with `run_entry::<T>`; `HasDelayedWork` places it in
        // a `T`.
        // SAFETY: The closure initialises the whole item and never fails.
        unsafe {
            kernel::init::pin_init_from_closure(|slot: *mut Self| {
                // CAST: `Self` is a transparent wrapper of `struct delayed_work`.
                bindings::rct_init_delayed_work(slot.cast(), Some(run_entry::<T>));
                Ok(())
            })
        }
    }

    /// Queues the work to run after `delay` jiffies, unless it is already queued.
    pub(crate) fn queue(&self, delay: u32) {
        // SAFETY: The item is initialised (type invariants).
        unsafe { bindings::rct_queue_delayed_work(self.work.get(), delay as c_ulong) };
    }

    /// Makes the work run after `delay` jiffies, whether it was queued or not; any context.
    pub(crate) fn reschedule(&self, delay: u32) {
        // SAFETY: The item is initialised (type invariants).
        unsafe { bindings::rct_mod_delayed_work(self.work.get(), delay as c_ulong) };
    }

    /// Cancels the work and waits for a running instance to finish; work that queues itself
    /// again is cancelled too. Process context only.
    pub(crate) fn cancel_sync(&self) {
        // SAFETY: The item is initialised (type invariants).
        unsafe { bindings::cancel_delayed_work_sync(self.work.get()) };
    }
}

impl<T> Drop for DelayedWork<T> {
    fn drop(&mut self) {
        // SAFETY: The item is initialised (type invariants); dropping happens in process
        // context, and the `T` around it is still whole (`HasDelayedWork`).
        unsafe { bindings::cancel_delayed_work_sync(self.work.get()) };
    }
}

/// Runs the work of the `T` whose item `work` is.
///
/// # Safety
///
/// `work` must be the `work_struct` of a `DelayedWork<T>` inside a live `T`.
unsafe extern "C" fn run_entry<T: HasDelayedWork>(work: *mut bindings::work_struct) {
    // CAST: A `struct delayed_work` starts with its `work_struct`, and `DelayedWork<T>` is a
    // transparent wrapper of it, at `T::OFFSET` in a `T`.
    // SAFETY: By the function's safety requirements the item is `T::OFFSET` bytes into a `T`.
    let this = unsafe { work.cast::<u8>().sub(T::OFFSET) }.cast::<T>();
    // SAFETY: The `T` is live: dropping it cancels the work and waits for this run first.
    T::run(unsafe { &*this });
}

/// Whether another task is runnable on this CPU (`!single_task_running()`).
pub(crate) fn others_waiting() -> bool {
    // SAFETY: Reads the current CPU's run queue length; any context.
    !unsafe { bindings::single_task_running() }
}

/// Lets other tasks run if one is waiting; process context only, outside RCU read-side sections
/// and locks.
pub(crate) fn cond_resched() {
    // SAFETY: Callers run in process context without locks or RCU held.
    unsafe { bindings::rct_cond_resched() };
}
