// SPDX-License-Identifier: GPL-2.0

//! Delayed work: a function run later in process context, on the power-efficient workqueue.
//!
//! C header: [`include/linux/workqueue.h`](srctree/include/linux/workqueue.h)

use super::bindings;
use kernel::ffi::c_ulong;
use kernel::types::Opaque;

/// A `struct delayed_work` inside an object.
#[repr(transparent)]
pub(crate) struct DelayedWork(Opaque<bindings::delayed_work>);

// SAFETY: Work items are queued and cancelled from any thread.
unsafe impl Sync for DelayedWork {}
// SAFETY: As above.
unsafe impl Send for DelayedWork {}

impl DelayedWork {
    /// An uninitialised work item.
    ///
    /// # Safety
    ///
    /// [`DelayedWork::init`] must be called before any other method.
    pub(crate) const unsafe fn uninit() -> Self {
        Self(Opaque::uninit())
    }

    /// Initialises the work item where it is, to run `func`.
    ///
    /// # Safety
    ///
    /// Must be called once before any other method; the item must not move afterwards. `func`
    /// is called with the address of the item's `work_struct`, which is the address of `self`.
    pub(crate) unsafe fn init(&self, func: unsafe extern "C" fn(*mut bindings::work_struct)) {
        // SAFETY: By the function's safety requirements.
        unsafe { bindings::rct_init_delayed_work(self.0.get(), Some(func)) };
    }

    /// Queues the work to run after `delay` jiffies, unless it is already queued.
    pub(crate) fn queue(&self, delay: u32) {
        // SAFETY: The item is initialised (`init`'s safety requirements).
        unsafe { bindings::rct_queue_delayed_work(self.0.get(), delay as c_ulong) };
    }

    /// Cancels the work and waits for a running instance to finish.
    ///
    /// Work that queues itself again is cancelled too.
    pub(crate) fn cancel_sync(&self) {
        // SAFETY: The item is initialised; called from process context.
        unsafe { bindings::cancel_delayed_work_sync(self.0.get()) };
    }

    /// The work item whose `work_struct` is at `work`.
    ///
    /// # Safety
    ///
    /// `work` must be the `work_struct` of a live `DelayedWork`.
    pub(crate) unsafe fn from_work<'a>(work: *mut bindings::work_struct) -> &'a Self {
        // CAST: `struct delayed_work` starts with its `work_struct`, and `Self` is transparent.
        // SAFETY: By the function's safety requirements.
        unsafe { &*work.cast::<Self>() }
    }
}

/// Lets other tasks run if one is waiting; process context only, outside RCU read-side sections
/// and locks.
pub(crate) fn cond_resched() {
    // SAFETY: Callers run in process context without locks or RCU held.
    unsafe { bindings::rct_cond_resched() };
}
