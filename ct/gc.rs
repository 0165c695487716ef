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
/// A run that removes more entries than this yields at once, to let others run.
const EXPIRED_MAX: u32 = 64000 / HZ;

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
    let first = pacer.start(now, HZ);
    for b in first..table.size() {
        let rcu = RcuGuard::new();
        for (conn, dir) in table.walk(b, &rcu) {
            if dir != Dir::Original || conn.status() & bits::DYING != 0 {
                continue;
            }
            if conn.expired(now) {
                if table.kill(conn, Origin::TRACKER) {
                    expired += 1;
                }
            } else {
                pacer.live(conn.expires_in(now), HZ);
            }
        }
        drop(rcu);
        work::cond_resched();
        let stop = if expired > EXPIRED_MAX {
            Some(true)
        } else if (time::now().wrapping_sub(deadline) as i32) > 0 {
            Some(false)
        } else {
            None
        };
        if let Some(burst) = stop {
            if b + 1 < table.size() {
                shared.gc_work.queue(pacer.pause(b + 1, burst));
                return;
            }
        }
    }
    shared.gc_work.queue(pacer.finish(time::now(), HZ));
}
