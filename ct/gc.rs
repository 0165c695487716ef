// SPDX-License-Identifier: GPL-2.0

//! The garbage collector: a work item that removes expired connections of every namespace.

use super::events::Origin;
use super::shared::Shared;
use super::status::{bits, Dir};
use super::sys::sync::RcuGuard;
use super::sys::time::{self, HZ};
use super::sys::work::{self, DelayedWorkItem};

/// Longest a run goes on before yielding, in jiffies (10 ms, at least one jiffy).
const BUDGET: u32 = if HZ >= 100 { HZ / 100 } else { 1 };
/// A run that removes more entries than this pauses for a jiffy, to let others run: the
/// events listeners hear, and the frees after each grace period, stay at 64,000 a second.
const EXPIRED_MAX: u32 = 64000 / HZ;
/// While another task waits for the CPU, a run that has gone on for this long pauses for a
/// jiffy too, in nanoseconds: rescheduling waits for the tick, which may be 10 ms away.
const SHARE_NS: u64 = 750_000;
/// Buckets walked between two looks at the clock, unless a removal, which costs far more than
/// a look, comes first.
const CLOCK_EVERY: usize = 64;

impl DelayedWorkItem for Shared {
    /// One run of the collector.
    fn run(shared: &Shared) {
        run(shared, &mut shared.gc.lock());
    }
}

fn run(shared: &Shared, pacer: &mut super::pacer::GcPacer) {
    let table = shared.table();
    let now = time::now();
    let deadline = now.wrapping_add(BUDGET);
    let mut expired = 0;
    let began = time::mono_ns();
    let first = pacer.start(now, HZ);
    if first == 0 {
        shared.gc_cycle_begins(now);
    }
    for b in first..table.size() {
        let rcu = RcuGuard::new();
        let mut removed = false;
        for (conn, dir) in table.walk(b, &rcu) {
            if dir != Dir::Original || conn.status() & bits::DYING != 0 {
                continue;
            }
            if conn.expired(now) {
                if table.kill(conn, Origin::TRACKER) {
                    expired += 1;
                    removed = true;
                }
            } else {
                pacer.live(conn.expires_in(now), HZ);
            }
        }
        drop(rcu);
        work::cond_resched();
        let stop = if expired > EXPIRED_MAX
            || ((removed || b % CLOCK_EVERY == CLOCK_EVERY - 1)
                && time::mono_ns().wrapping_sub(began) >= SHARE_NS
                && work::others_waiting())
        {
            Some(true)
        } else if time::after(time::now(), deadline) {
            Some(false)
        } else {
            None
        };
        if let Some(burst) = stop {
            if b + 1 < table.size() {
                shared
                    .gc_work
                    .queue(pacer.pause(b + 1, burst, time::now(), HZ));
                return;
            }
        }
    }
    let now = time::now();
    shared.gc_cycle_ends(now, pacer.finish(now, HZ));
}
