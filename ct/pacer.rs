// SPDX-License-Identifier: GPL-2.0

//! Pacing of the garbage collector, as nf_conntrack paces its own.
//!
//! A cycle visits every bucket, in runs that each stop after a time budget or after removing
//! many entries, resuming where the last one stopped. While it goes, the collector averages how
//! long the live connections have left; the next cycle starts about that much later, between
//! one second and one minute after the last began, so that short-lived connections are removed
//! soon after they expire and an idle table costs little.

/// Longest interval between cycles, in seconds.
pub(crate) const INTERVAL_MAX: u32 = 60;
/// Shortest interval between cycles, in seconds.
const INTERVAL_MIN: u32 = 1;
/// Remaining lifetimes count towards the average up to this many seconds.
const LIFETIME_CLAMP: u32 = 300;
/// Weight of the initial guess in the average, in connections.
const INITIAL_COUNT: i64 = 100;

/// Entries a run may free after one grace period. They are freed together, when it ends, in a
/// softirq that no task can preempt: a thousand take about 0.3 ms of a CPU.
pub(crate) const FREES_PER_GP: u32 = 1000;

/// The frees the collector queued for after the current grace period.
#[derive(Debug)]
pub(crate) struct GpFrees {
    queued: u32,
    /// Once [`FREES_PER_GP`] are queued, the grace period they wait for: a cookie for the
    /// kernel's `poll_state_synchronize_rcu()`.
    full_at: Option<usize>,
}

impl GpFrees {
    const fn new() -> Self {
        Self {
            queued: 0,
            full_at: None,
        }
    }

    /// Whether another free may be queued; `elapsed` tells whether the grace period of a cookie
    /// has ended.
    pub(crate) fn may_queue(&mut self, elapsed: impl FnOnce(usize) -> bool) -> bool {
        match self.full_at {
            None => true,
            Some(cookie) if elapsed(cookie) => {
                *self = Self::new();
                true
            }
            Some(_) => false,
        }
    }

    /// A free was queued; `cookie` gives a cookie for the next grace period, seeing that it
    /// starts.
    pub(crate) fn queued(&mut self, cookie: impl FnOnce() -> usize) {
        self.queued += 1;
        if self.queued >= FREES_PER_GP {
            self.full_at = Some(cookie());
        }
    }
}

/// Where the collector is in its cycle.
#[derive(Debug)]
pub(crate) struct GcPacer {
    /// The frees of the entries removed, by grace period.
    pub(crate) frees: GpFrees,
    next_bucket: usize,
    /// Sum of the remaining lifetimes seen this cycle, in jiffies, and how many: their average,
    /// with an initial guess of the longest interval weighing in, sets the next interval.
    sum: i64,
    count: i64,
    cycle_start: u32,
}

impl GcPacer {
    /// At the start of a cycle.
    pub(crate) const fn new() -> Self {
        Self {
            frees: GpFrees::new(),
            next_bucket: 0,
            sum: 0,
            count: 0,
            cycle_start: 0,
        }
    }

    /// Begins a run at `now`; returns the bucket to start at.
    pub(crate) fn start(&mut self, now: u32, hz: u32) -> usize {
        if self.next_bucket == 0 {
            self.sum = i64::from(INTERVAL_MAX * hz) * INITIAL_COUNT;
            self.count = INITIAL_COUNT;
            self.cycle_start = now;
        }
        self.next_bucket
    }

    /// The run saw a live connection with `left` jiffies to live.
    pub(crate) fn live(&mut self, left: u32, hz: u32) {
        self.sum += i64::from(left.clamp(hz, LIFETIME_CLAMP * hz));
        self.count += 1;
    }

    /// The run stops at `now` before bucket `bucket`; returns the delay before the next run,
    /// which resumes there: none after using up its time, a jiffy after removing many entries,
    /// unless the cycle has gone on for longer than the longest interval already.
    pub(crate) fn pause(&mut self, bucket: usize, burst: bool, now: u32, hz: u32) -> u32 {
        self.next_bucket = bucket;
        let late = now.wrapping_sub(self.cycle_start) >= INTERVAL_MAX * hz;
        u32::from(burst && !late)
    }

    /// The run reached the end of the table at `now`; returns the delay before the next cycle.
    pub(crate) fn finish(&mut self, now: u32, hz: u32) -> u32 {
        self.next_bucket = 0;
        let avg = self.sum / self.count.max(1);
        let next = avg.clamp(i64::from(INTERVAL_MIN * hz), i64::from(INTERVAL_MAX * hz)) as u32;
        let elapsed = now.wrapping_sub(self.cycle_start).max(1);
        next.checked_sub(elapsed).filter(|&d| d > 0).unwrap_or(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HZ: u32 = 250;

    #[test]
    fn idle_table_is_scanned_every_minute() {
        let mut p = GcPacer::new();
        assert_eq!(p.start(1000, HZ), 0);
        assert_eq!(p.finish(1001, HZ), 60 * HZ - 1);
    }

    #[test]
    fn short_lived_connections_bring_the_next_cycle_closer() {
        let mut p = GcPacer::new();
        p.start(0, HZ);
        for _ in 0..10_000 {
            p.live(2 * HZ, HZ);
        }
        let d = p.finish(10, HZ);
        assert!(d > HZ && d < 3 * HZ, "{d}");
        // Never sooner than a second after the cycle began.
        let mut p = GcPacer::new();
        p.start(0, HZ);
        for _ in 0..1_000_000 {
            p.live(0, HZ);
        }
        let d = p.finish(100, HZ);
        assert!((HZ - 100..HZ - 98).contains(&d), "{d}");
    }

    #[test]
    fn runs_resume_where_they_stopped() {
        let mut p = GcPacer::new();
        assert_eq!(p.start(0, HZ), 0);
        assert_eq!(p.pause(17, false, 5, HZ), 0);
        assert_eq!(p.start(5, HZ), 17);
        assert_eq!(p.pause(40, true, 6, HZ), 1);
        assert_eq!(p.start(6, HZ), 40);
        p.finish(7, HZ);
        assert_eq!(p.start(8, HZ), 0);
    }

    #[test]
    fn a_cycle_late_by_a_whole_interval_no_longer_pauses_after_bursts() {
        let mut p = GcPacer::new();
        p.start(1000, HZ);
        assert_eq!(p.pause(10, true, 1000 + 60 * HZ - 1, HZ), 1);
        assert_eq!(p.pause(20, true, 1000 + 60 * HZ, HZ), 0);
        // Jiffies wrap around.
        let mut p = GcPacer::new();
        p.start(u32::MAX - 10, HZ);
        assert_eq!(p.pause(10, true, 5, HZ), 1);
        assert_eq!(p.pause(20, true, 60 * HZ, HZ), 0);
    }

    #[test]
    fn frees_wait_for_the_grace_period_once_a_batch_is_full() {
        let mut f = GpFrees::new();
        for _ in 0..FREES_PER_GP - 1 {
            assert!(f.may_queue(|_| unreachable!()));
            f.queued(|| unreachable!());
        }
        assert!(f.may_queue(|_| unreachable!()));
        f.queued(|| 7);
        assert!(!f.may_queue(|c| c != 7));
        assert!(!f.may_queue(|c| c != 7));
        // The period ended: a new batch begins.
        assert!(f.may_queue(|c| c == 7));
        f.queued(|| unreachable!());
        assert!(f.may_queue(|_| unreachable!()));
    }

    #[test]
    fn a_long_cycle_is_followed_at_once() {
        let mut p = GcPacer::new();
        p.start(0, HZ);
        assert_eq!(p.finish(100 * HZ, HZ), 1);
    }
}
