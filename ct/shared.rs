// SPDX-License-Identifier: GPL-2.0

//! What every namespace shares: the table and its garbage collector.

use super::pacer::{GcPacer, INTERVAL_MAX};
use super::sys::time::{self, after, HZ};
use super::sys::work::{impl_has_delayed_work, DelayedWork};
use super::table::Table;
use core::ptr;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, Ordering};
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
    /// When the collector's next cycle is due, in jiffies; while a cycle goes on, the soonest
    /// a connection seen since it began expires, if that is sooner than a minute away.
    gc_due: AtomicU32,
    /// Whether a cycle goes on.
    gc_cycling: AtomicBool,
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
                gc_due: AtomicU32::new(time::now().wrapping_add(HZ)),
                gc_cycling: AtomicBool::new(false),
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

    /// The collector begins a cycle at `now`.
    pub(crate) fn gc_cycle_begins(&self, now: u32) {
        self.gc_cycling.store(true, Ordering::Relaxed);
        let never = now.wrapping_add(INTERVAL_MAX * HZ);
        self.gc_due.store(never, Ordering::Relaxed);
    }

    /// The collector ended a cycle at `now`, and the pacer would have the next begin `delay`
    /// jiffies later; it begins sooner if a connection seen meanwhile expires sooner.
    pub(crate) fn gc_cycle_ends(&self, now: u32, delay: u32) {
        self.gc_cycling.store(false, Ordering::SeqCst);
        let soonest = self.gc_due.load(Ordering::SeqCst);
        let paced = now.wrapping_add(delay);
        // One that has expired already, the cycle having passed its bucket before, brings
        // the next cycle on at once.
        let at = if !after(paced, soonest) {
            paced
        } else if after(soonest, now) {
            soonest
        } else {
            now.wrapping_add(1)
        };
        // A connection seen from now on moves the cycle itself; if one did already, it stays.
        let _ = self
            .gc_due
            .compare_exchange(soonest, at, Ordering::SeqCst, Ordering::Relaxed);
        self.gc_work.queue(at.wrapping_sub(now));
    }

    /// A connection expires at `deadline` (jiffies; `now` is the current time). If that is over
    /// a second before the collector's next cycle, the cycle comes forward to it, though not to
    /// less than a second from now: a table of long-lived connections is walked once a minute,
    /// and short-lived ones that join it are not left there that long after they expire.
    #[inline]
    pub(crate) fn expires_at(&self, now: u32, deadline: u32) {
        let due = self.gc_due.load(Ordering::Relaxed);
        if after(due, deadline.wrapping_add(HZ)) {
            self.hasten_gc(now, deadline, due);
        }
    }

    #[cold]
    fn hasten_gc(&self, now: u32, deadline: u32, due: u32) {
        let at = if after(now.wrapping_add(HZ), deadline) {
            now.wrapping_add(HZ)
        } else {
            deadline
        };
        // Of the packets that see the cycle due too late, one moves it. While a cycle goes
        // on, the time is only noted for its end. (A cycle that begins between the two steps
        // gets a run a second later, in the middle: harmless.)
        if after(due, at.wrapping_add(HZ))
            && self
                .gc_due
                .compare_exchange(due, at, Ordering::SeqCst, Ordering::Relaxed)
                .is_ok()
            && !self.gc_cycling.load(Ordering::SeqCst)
        {
            self.gc_work.reschedule(at.wrapping_sub(now));
        }
    }
}
