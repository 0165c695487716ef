// SPDX-License-Identifier: GPL-2.0

//! The garbage collector: a work item that removes expired connections of every namespace.

use super::events::Origin;
use super::pacer::GcPacer;
use super::shared::Shared;
use super::status::{bits, Dir};
use super::sys::sync::{self, RcuGuard};
use super::sys::time::{self, HZ};
use super::sys::work::{self, DelayedWorkItem};
use super::table::Table;

/// Longest a run goes on before yielding, in jiffies (10 ms, at least one jiffy).
const BUDGET: u32 = if HZ >= 100 { HZ / 100 } else { 1 };
/// A run that removes more entries than this pauses for a jiffy, to let others run: the
/// events listeners hear stay at 64,000 a second. The frees after each grace period are
/// bounded too ([`FREES_PER_GP`](super::pacer::FREES_PER_GP)).
const EXPIRED_MAX: u32 = 64000 / HZ;
/// While another task waits for the CPU, a run that has gone on for this long pauses for a
/// jiffy too, in nanoseconds: rescheduling waits for the tick, which may be 10 ms away.
const SHARE_NS: u64 = 500_000;
/// Buckets walked in one RCU read-side section, between two looks at the clock and chances to
/// reschedule, unless a removal, which costs far more than a look, comes first.
const CLOCK_EVERY: usize = 64;

impl DelayedWorkItem for Shared {
    /// One run of the collector.
    fn run(shared: &Shared) {
        run(shared, &mut shared.gc.lock());
    }
}

fn run(shared: &Shared, pacer: &mut GcPacer) {
    let table = shared.table();
    let size = table.size();
    let now = time::now();
    let deadline = now.wrapping_add(BUDGET);
    let mut expired = 0;
    let began = time::mono_ns();
    let mut b = pacer.start(now, HZ);
    if b == 0 {
        shared.gc_cycle_begins(now);
    }
    while b < size {
        match walk_group(table, pacer, b, now) {
            Group::Walked { next, removed } => {
                b = next;
                expired += removed;
            }
            Group::Held(at) => {
                // The grace period's batch of frees is full: this bucket is walked again once
                // it has ended.
                let delay = pacer.pause(at, true, time::now(), HZ).max(1);
                shared.gc_work.queue(delay);
                return;
            }
        }
        work::cond_resched();
        if b < size {
            if let Some(burst) = stop(expired, began, deadline) {
                shared.gc_work.queue(pacer.pause(b, burst, time::now(), HZ));
                return;
            }
        }
    }
    let now = time::now();
    shared.gc_cycle_ends(now, pacer.finish(now, HZ));
}

/// How a walk of a group of buckets ended.
enum Group {
    /// The buckets before `next` were walked, `removed` entries removed.
    Walked { next: usize, removed: u32 },
    /// The grace period's batch of frees is full at this bucket, which is not walked to its end.
    Held(usize),
}

/// Walks buckets from `b` on in one RCU read-side section: up to [`CLOCK_EVERY`] of them, or to
/// the end of the first with a removal. Removes the entries expired at `now`.
fn walk_group(table: &Table, pacer: &mut GcPacer, mut b: usize, now: u32) -> Group {
    let rcu = RcuGuard::new();
    let end = table.size().min(b + CLOCK_EVERY);
    while b < end {
        let mut removed = 0;
        for (conn, dir) in table.walk(b, &rcu) {
            if dir != Dir::Original || conn.status() & bits::DYING != 0 {
                continue;
            }
            if !conn.expired(now) {
                pacer.live(conn.expires_in(now), HZ);
            } else if !pacer.frees.may_queue(sync::gp_elapsed) {
                return Group::Held(b);
            } else if table.kill(conn, Origin::TRACKER) {
                removed += 1;
                pacer.frees.queued(sync::gp_start);
            }
        }
        b += 1;
        if removed > 0 {
            return Group::Walked { next: b, removed };
        }
    }
    Group::Walked {
        next: b,
        removed: 0,
    }
}

/// Whether a run that removed `expired` entries, began at `began` (nanoseconds) and may go on
/// until `deadline` (jiffies) stops now: `Some(true)` to give others their turn, `Some(false)`
/// when its time is up.
fn stop(expired: u32, began: u64, deadline: u32) -> Option<bool> {
    if expired > EXPIRED_MAX
        || (time::mono_ns().wrapping_sub(began) >= SHARE_NS && work::others_waiting())
    {
        Some(true)
    } else if time::after(time::now(), deadline) {
        Some(false)
    } else {
        None
    }
}
