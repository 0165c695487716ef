// SPDX-License-Identifier: GPL-2.0

//! The connection table: insertion, lookup from both directions, expiry, early drop, clashes,
//! concurrent use and RCU-deferred freeing.
//!
//! Each case has a state of its own (see [`TestState`]).

use super::TestState;
use crate::ct::conn::{Conn, NewConn, FREED};
use crate::ct::pipeline::create;
use crate::ct::proto::{ProtoState, TcpWindow};
use crate::ct::state::CtNet;
use crate::ct::status::{bits, Dir};
use crate::ct::sys::kunit::{check, check_eq, kunit_suite};
use crate::ct::sys::sync::{rcu_barrier, RcuGuard};
use crate::ct::sys::time::{self, sleep_ms, HZ};
use crate::ct::table::InsertError;
use crate::ct::tuple::{ipproto, Tuple, L3};
use crate::ct::zone::Zone;
use core::sync::atomic::{AtomicUsize, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::types::ARef;

fn tuple(host: u8, sport: u16) -> Tuple {
    let addr = |h: u8| {
        let mut a = [0; 16];
        a[..4].copy_from_slice(&[198, 51, 100, h]);
        a
    };
    Tuple::new(L3::Ipv4, ipproto::UDP, addr(host), addr(200), sport, 53)
}

/// A new unconfirmed connection of `ct` for `t`, living `secs` seconds once confirmed.
fn conn(ct: &CtNet, t: &Tuple, secs: u32, status: usize) -> Option<ARef<Conn>> {
    let reply = t.invert()?;
    create(
        ct,
        NewConn {
            orig: *t,
            reply,
            hashes: [ct.hash(t, 0), ct.hash(&reply, 0)],
            proto: ProtoState::default(),
            window: TcpWindow::default(),
            zone: Zone::DEFAULT,
            timeout: secs * HZ,
            status,
            acct: false,
        },
    )
}

fn find(ct: &CtNet, t: &Tuple) -> Option<(ARef<Conn>, Dir)> {
    let rcu = RcuGuard::new();
    ct.table()
        .find(t, Zone::DEFAULT, ct.hash(t, 0), time::now(), &rcu)
}

/// Starts a case: its state, or a failure.
macro_rules! state {
    ($t:ident) => {
        match TestState::new() {
            Some(s) => s,
            None => return check!($t, false),
        }
    };
}

kunit_suite!("rust_conntrack_table", t => {
    fn finds_a_connection_from_both_directions() {
        let st = state!(t);
        let ct = st.ct();
        let orig = tuple(1, 1000);
        let Some(c) = conn(ct, &orig, 30, 0) else { return check!(t, false) };
        check!(t, find(ct, &orig).is_none());
        check!(t, ct.table().insert(&c, time::now()).is_ok());
        check!(t, c.status() & bits::CONFIRMED != 0);
        match find(ct, &orig) {
            Some((found, dir)) => {
                check!(t, core::ptr::eq(&*found, &*c));
                check_eq!(t, dir, Dir::Original);
            }
            None => check!(t, false),
        }
        match find(ct, &orig.invert().unwrap()) {
            Some((found, dir)) => {
                check!(t, core::ptr::eq(&*found, &*c));
                check_eq!(t, dir, Dir::Reply);
            }
            None => check!(t, false),
        }
        // Ours and the table's.
        check_eq!(t, c.refs(), 2);
        check!(t, ct.table().kill(&c));
        check!(t, !ct.table().kill(&c));
        check!(t, find(ct, &orig).is_none());
        check_eq!(t, c.refs(), 1);
    }

    fn expired_connections_are_not_found() {
        let st = state!(t);
        let ct = st.ct();
        let orig = tuple(2, 1000);
        let Some(c) = conn(ct, &orig, 1, 0) else { return check!(t, false) };
        check!(t, ct.table().insert(&c, time::now()).is_ok());
        check!(t, find(ct, &orig).is_some());
        sleep_ms(1000 + 2000 / HZ);
        check!(t, find(ct, &orig).is_none());
        // The lookup that met it removed it.
        check!(t, c.status() & bits::DYING != 0);
        check_eq!(t, c.refs(), 1);
    }

    fn the_second_of_two_racing_connections_clashes() {
        let st = state!(t);
        let ct = st.ct();
        let orig = tuple(3, 1000);
        let (Some(a), Some(b)) = (conn(ct, &orig, 30, 0), conn(ct, &orig, 30, 0)) else { return check!(t, false) };
        check!(t, ct.table().insert(&a, time::now()).is_ok());
        match ct.table().insert(&b, time::now()) {
            Err(InsertError::Clash(winner)) => check!(t, core::ptr::eq(&*winner, &*a)),
            _ => check!(t, false),
        }
        check!(t, b.status() & bits::CONFIRMED == 0);
        // A connection opened from the other side clashes too.
        let Some(r) = conn(ct, &orig.invert().unwrap(), 30, 0) else { return check!(t, false) };
        check!(t, matches!(ct.table().insert(&r, time::now()), Err(InsertError::Clash(_))));
        ct.table().kill(&a);
    }

    fn a_full_namespace_evicts_unassured_connections() {
        let st = state!(t);
        let ct = st.ct();
        let (assured, plain) = (tuple(4, 1000), tuple(5, 1000));
        let (Some(a), Some(p)) = (conn(ct, &assured, 30, bits::ASSURED), conn(ct, &plain, 30, 0)) else {
            return check!(t, false);
        };
        check!(t, ct.table().insert(&a, time::now()).is_ok());
        check!(t, ct.table().insert(&p, time::now()).is_ok());
        let evicted = ct.stats.sum(|s| s.early_drop);
        // Full: a new connection needs room, which an unassured one near it gives up.
        ct.limit.store(ct.count.load(Ordering::Relaxed), Ordering::Relaxed);
        let again = conn(ct, &plain, 30, 0);
        check!(t, again.is_some());
        check!(t, p.status() & bits::DYING != 0);
        check_eq!(t, ct.stats.sum(|s| s.early_drop), evicted + 1);
        // An assured one does not: with nothing else near, the new connection is refused.
        ct.limit.store(ct.count.load(Ordering::Relaxed), Ordering::Relaxed);
        let refused = conn(ct, &assured, 30, 0);
        check!(t, refused.is_none());
        check!(t, a.status() & bits::DYING == 0);
        drop((again, refused));
        ct.table().kill(&a);
    }

    fn connections_are_freed_only_after_readers_are_done() {
        let st = state!(t);
        let ct = st.ct();
        let orig = tuple(6, 1000);
        let Some(c) = conn(ct, &orig, 30, 0) else { return check!(t, false) };
        check!(t, ct.table().insert(&c, time::now()).is_ok());
        let raw: *const Conn = &*c;
        drop(c);
        rcu_barrier();
        let freed = FREED.load(Ordering::Relaxed);
        {
            let rcu = RcuGuard::new();
            let seen = ct.table().walk(ct.table().bucket(ct.hash(&orig, 0)), &rcu).find(|(c, _)| core::ptr::eq(*c, raw));
            check!(t, seen.is_some());
            if let Some((c, _)) = seen {
                // The last reference goes while this reader still holds the connection...
                ct.table().kill(c);
                // ...which stays readable until the read section ends.
                check!(t, c.tuple(Dir::Original) == orig);
                check_eq!(t, FREED.load(Ordering::Relaxed), freed);
            }
        }
        rcu_barrier();
        check_eq!(t, FREED.load(Ordering::Relaxed), freed + 1);
    }

    fn threads_insert_and_look_up_at_once() {
        let st = match TestState::new().map(|s| Arc::new(s, GFP_KERNEL)) {
            Some(Ok(s)) => s,
            _ => return check!(t, false),
        };
        const THREADS: u16 = 4;
        const EACH: u16 = 250;
        let done = match Arc::new(AtomicUsize::new(0), GFP_KERNEL) {
            Ok(d) => d,
            Err(_) => return check!(t, false),
        };
        let missed = match Arc::new(AtomicUsize::new(0), GFP_KERNEL) {
            Ok(m) => m,
            Err(_) => return check!(t, false),
        };
        for thread in 0..THREADS {
            let (done, missed, st) = (done.clone(), missed.clone(), st.clone());
            let spawned = kernel::workqueue::system_unbound().try_spawn(GFP_KERNEL, move || {
                let ct = st.ct();
                let mut conns = KVec::new();
                for i in 0..EACH {
                    let orig = tuple(10 + thread as u8, 2000 + i);
                    let Some(c) = conn(ct, &orig, 30, 0) else { continue };
                    if ct.table().insert(&c, time::now()).is_err() {
                        missed.fetch_add(1, Ordering::Relaxed);
                    }
                    let _ = conns.push(c, GFP_KERNEL);
                    // Look up this thread's and the others' connections as they come.
                    for other in 0..THREADS {
                        let _ = find(ct, &tuple(10 + other as u8, 2000 + i / 2));
                    }
                }
                for i in 0..EACH {
                    match find(ct, &tuple(10 + thread as u8, 2000 + i).invert().unwrap()) {
                        Some((c, _)) => {
                            ct.table().kill(&c);
                        }
                        None => {
                            missed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                drop(conns);
                done.fetch_add(1, Ordering::Release);
            });
            check!(t, spawned.is_ok());
        }
        let mut waited = 0;
        while done.load(Ordering::Acquire) < THREADS as usize && waited < 60_000 {
            sleep_ms(10);
            waited += 10;
        }
        check_eq!(t, done.load(Ordering::Acquire), THREADS as usize);
        check_eq!(t, missed.load(Ordering::Relaxed), 0);
        rcu_barrier();
        check_eq!(t, st.ct().count.load(Ordering::Relaxed), 0);
    }

    fn a_table_leaves_other_tables_connections_alone() {
        let (a, b) = (state!(t), state!(t));
        let orig = tuple(7, 1000);
        let Some(c) = conn(a.ct(), &orig, 30, 0) else { return check!(t, false) };
        check!(t, matches!(b.ct().table().insert(&c, time::now()), Err(InsertError::Foreign)));
        check!(t, c.status() & bits::CONFIRMED == 0);
        check!(t, a.ct().table().insert(&c, time::now()).is_ok());
        check!(t, !b.ct().table().kill(&c));
        check_eq!(t, c.refs(), 2);
        check!(t, a.ct().table().kill(&c));
        check_eq!(t, c.refs(), 1);
    }

    fn namespaces_with_the_same_tuples_keep_their_own() {
        let (a, b) = (state!(t), state!(t));
        let orig = tuple(9, 1000);
        let (Some(x), Some(y)) = (conn(a.ct(), &orig, 30, 0), conn(b.ct(), &orig, 30, 0)) else {
            return check!(t, false);
        };
        check!(t, a.ct().table().insert(&x, time::now()).is_ok());
        // The same tuples in another namespace: no clash, and a bucket of their own.
        check!(t, b.ct().table().insert(&y, time::now()).is_ok());
        check!(t, a.ct().hash(&orig, 0) != b.ct().hash(&orig, 0));
        check!(t, matches!(find(a.ct(), &orig), Some((c, _)) if core::ptr::eq(&*c, &*x)));
        check!(t, matches!(find(b.ct(), &orig), Some((c, _)) if core::ptr::eq(&*c, &*y)));
        // A namespace's flush takes its own connections only.
        a.ct().table().flush();
        check!(t, x.status() & bits::DYING != 0);
        check!(t, y.status() & bits::DYING == 0);
        check!(t, find(a.ct(), &orig).is_none());
        check!(t, find(b.ct(), &orig).is_some());
        b.ct().table().flush();
        check!(t, y.status() & bits::DYING != 0);
    }

    fn the_count_follows_allocation_and_freeing() {
        let st = state!(t);
        let ct = st.ct();
        let count = || ct.count.load(Ordering::Acquire);
        let Some(c) = conn(ct, &tuple(8, 1000), 30, 0) else { return check!(t, false) };
        check_eq!(t, count(), 1);
        // Never confirmed: freed at once.
        drop(c);
        check_eq!(t, count(), 0);
        let Some(c) = conn(ct, &tuple(8, 1001), 30, bits::ASSURED) else { return check!(t, false) };
        check!(t, ct.table().insert(&c, time::now()).is_ok());
        // At the limit, with nothing to evict, a new one is refused and not counted.
        ct.limit.store(1, Ordering::Relaxed);
        check!(t, conn(ct, &tuple(8, 1002), 30, 0).is_none());
        check_eq!(t, count(), 1);
        ct.limit.store(0, Ordering::Relaxed);
        let Some(other) = conn(ct, &tuple(8, 1002), 30, 0) else { return check!(t, false) };
        check_eq!(t, count(), 2);
        drop(other);
        check_eq!(t, count(), 1);
        ct.table().kill(&c);
        drop(c);
        // Confirmed: freed after a grace period.
        rcu_barrier();
        check_eq!(t, count(), 0);
    }
});
