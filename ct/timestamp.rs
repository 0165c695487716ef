// SPDX-License-Identifier: GPL-2.0

//! When a connection started and stopped (`nf_conntrack_timestamp`), in nanoseconds of
//! wall-clock time: recorded for connections made while their namespace's sysctl is on.

use core::sync::atomic::{AtomicU64, Ordering};

/// Start and stop times of a connection; zero until they happen.
#[repr(C)]
#[derive(Default)]
pub(crate) struct Timestamps {
    start: AtomicU64,
    stop: AtomicU64,
}

impl Timestamps {
    /// Times not yet recorded.
    pub(crate) const fn new() -> Self {
        Self {
            start: AtomicU64::new(0),
            stop: AtomicU64::new(0),
        }
    }

    /// Records the start, at `now`.
    pub(crate) fn started(&self, now: u64) {
        self.start.store(now, Ordering::Relaxed);
    }

    /// Records the stop, at `now`, unless recorded already. A connection removed `late_ns`
    /// after it expired stopped that much earlier, as nf_conntrack counts it.
    pub(crate) fn stopped(&self, now: u64, late_ns: u64) {
        let _ = self.stop.compare_exchange(
            0,
            now.saturating_sub(late_ns),
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }

    /// The start and the stop.
    pub(crate) fn get(&self) -> (u64, u64) {
        (
            self.start.load(Ordering::Relaxed),
            self.stop.load(Ordering::Relaxed),
        )
    }

    /// Whole seconds since the start, as `/proc/net/nf_conntrack` shows them (`delta-time=`).
    pub(crate) fn age_secs(&self, now: u64) -> u64 {
        const NSEC_PER_SEC: u64 = 1_000_000_000;
        (now as i64)
            .wrapping_sub(self.start.load(Ordering::Relaxed) as i64)
            .max(0) as u64
            / NSEC_PER_SEC
    }
}
