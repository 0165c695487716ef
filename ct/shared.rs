// SPDX-License-Identifier: GPL-2.0

//! What every namespace shares: the table and its garbage collector.

use super::pacer::GcPacer;
use super::sys::time::HZ;
use super::sys::work::{impl_has_delayed_work, DelayedWork};
use super::table::Table;
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::Mutex;

/// The installed [`Shared`], null when none is.
static SHARED: AtomicPtr<Shared> = AtomicPtr::new(ptr::null_mut());

/// The table of all namespaces' connections, and the collector that walks it.
#[pin_data]
pub(crate) struct Shared {
    /// The garbage collector's work item; first, so that dropping cancels it before the table
    /// it walks goes.
    #[pin]
    pub(crate) gc_work: DelayedWork<Shared>,
    /// The connections.
    table: Table,
    /// Where the garbage collector is; only its work function takes it.
    #[pin]
    pub(crate) gc: Mutex<GcPacer>,
}

impl_has_delayed_work!(Shared, gc_work);

impl Shared {
    /// Creates a table of `buckets` buckets, makes it the one namespaces use and starts its
    /// collector.
    ///
    /// # Safety
    ///
    /// No other `Shared` may be installed, and no namespace state may exist yet: it is
    /// registered after this. The returned box must be passed to [`Shared::uninstall`] once
    /// every namespace state is gone, before it is dropped.
    pub(crate) unsafe fn install(buckets: usize) -> Result<Pin<KBox<Self>>> {
        let table = Table::new(buckets)?;
        let shared = KBox::pin_init(
            pin_init!(Self {
                gc_work <- DelayedWork::new(),
                table,
                gc <- new_mutex!(GcPacer::new()),
            }),
            GFP_KERNEL,
        )?;
        SHARED.store(ptr::from_ref(&*shared).cast_mut(), Ordering::Release);
        shared.gc_work.queue(HZ);
        Ok(shared)
    }

    /// Stops the collector and makes `shared` installed no more.
    pub(crate) fn uninstall(shared: &Self) {
        shared.gc_work.cancel_sync();
        let _ = SHARED.compare_exchange(
            ptr::from_ref(shared).cast_mut(),
            ptr::null_mut(),
            Ordering::AcqRel,
            Ordering::Relaxed,
        );
    }

    /// The installed one: for a namespace state, which exists only while it is.
    pub(super) fn get() -> &'static Self {
        let shared = SHARED.load(Ordering::Acquire);
        // SAFETY: Only namespace states call this (see `CtNet::table`), and through the
        // collector's work, which `uninstall` stops. A state is made after `install` and gone
        // before `uninstall` (its safety requirements), so the box is installed and alive.
        unsafe { &*shared }
    }

    /// The table.
    pub(crate) fn table(&self) -> &Table {
        &self.table
    }
}
