// SPDX-License-Identifier: GPL-2.0

//! The connection table: insertion, lookup from both directions, expiry, early drop, clashes,
//! concurrent use and RCU-deferred freeing.
//!
//! The cases use the initial namespace's live table, with addresses from 198.51.100.0/24
//! (TEST-NET-2) that no test traffic uses, and leave it as they found it.

use crate::ct::conn::{Conn, NewConn, FREED};
use crate::ct::netns::{CtNet, MAX};
use crate::ct::pipeline::hash;
use crate::ct::proto::ProtoState;
use crate::ct::status::{bits, Dir};
use crate::ct::sys::kunit::{check, check_eq, kunit_suite};
use crate::ct::sys::net::Net;
use crate::ct::sys::sync::{rcu_barrier, RcuGuard};
use crate::ct::sys::time::{self, sleep_ms, HZ};
use crate::ct::table::InsertError;
use crate::ct::tuple::{ipproto, Tuple, L3};
use core::sync::atomic::{AtomicUsize, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::types::ARef;

fn ct() -> &'static CtNet {
    // SAFETY: The module is loaded: its state is set up in every namespace.
    unsafe { Net::init().state::<CtNet>() }.expect("the initial namespace is tracked")
}

fn tuple(host: u8, sport: u16) -> Tuple {
    let addr = |h: u8| {
        let mut a = [0; 16];
        a[..4].copy_from_slice(&[198, 51, 100, h]);
        a
    };
    Tuple::new(L3::Ipv4, ipproto::UDP, addr(host), addr(200), sport, 53)
}

/// A new unconfirmed connection for `t`, living `secs` seconds once confirmed.
fn conn(t: &Tuple, secs: u32, status: usize) -> Option<ARef<Conn>> {
    let reply = t.invert()?;
    ct().create(NewConn {
        net: Net::init(),
        orig: *t,
        reply,
        hashes: [hash(t), hash(&reply)],
        proto: ProtoState::default(),
        timeout: secs * HZ,
        status,
        acct: false,
    })
}

fn find(t: &Tuple) -> Option<(ARef<Conn>, Dir)> {
    let rcu = RcuGuard::new();
    ct().table.find(t, hash(t), time::now(), &rcu)
}

kunit_suite!("rust_conntrack_table", t => {
    fn finds_a_connection_from_both_directions() {
        let orig = tuple(1, 1000);
        let Some(c) = conn(&orig, 30, 0) else { return check!(t, false) };
        check!(t, find(&orig).is_none());
        check!(t, ct().table.insert(&c, time::now()).is_ok());
        check!(t, c.status() & bits::CONFIRMED != 0);
        match find(&orig) {
            Some((found, dir)) => {
                check!(t, core::ptr::eq(&*found, &*c));
                check_eq!(t, dir, Dir::Original);
            }
            None => check!(t, false),
        }
        match find(&orig.invert().unwrap()) {
            Some((found, dir)) => {
                check!(t, core::ptr::eq(&*found, &*c));
                check_eq!(t, dir, Dir::Reply);
            }
            None => check!(t, false),
        }
        // Ours and the table's.
        check_eq!(t, c.refs(), 2);
        check!(t, ct().table.kill(&c));
        check!(t, !ct().table.kill(&c));
        check!(t, find(&orig).is_none());
        check_eq!(t, c.refs(), 1);
    }

    fn expired_connections_are_not_found() {
        let orig = tuple(2, 1000);
        let Some(c) = conn(&orig, 1, 0) else { return check!(t, false) };
        check!(t, ct().table.insert(&c, time::now()).is_ok());
        check!(t, find(&orig).is_some());
        sleep_ms(1000 + 2000 / HZ);
        check!(t, find(&orig).is_none());
        // The lookup that met it removed it.
        check!(t, c.status() & bits::DYING != 0);
        check_eq!(t, c.refs(), 1);
    }

    fn the_second_of_two_racing_connections_clashes() {
        let orig = tuple(3, 1000);
        let (Some(a), Some(b)) = (conn(&orig, 30, 0), conn(&orig, 30, 0)) else { return check!(t, false) };
        check!(t, ct().table.insert(&a, time::now()).is_ok());
        match ct().table.insert(&b, time::now()) {
            Err(InsertError::Clash(winner)) => check!(t, core::ptr::eq(&*winner, &*a)),
            _ => check!(t, false),
        }
        check!(t, b.status() & bits::CONFIRMED == 0);
        // A connection opened from the other side clashes too.
        let Some(r) = conn(&orig.invert().unwrap(), 30, 0) else { return check!(t, false) };
        check!(t, matches!(ct().table.insert(&r, time::now()), Err(InsertError::Clash(_))));
        ct().table.kill(&a);
    }

    fn a_full_namespace_evicts_unassured_connections() {
        let saved = MAX.load(Ordering::Relaxed);
        let (assured, plain) = (tuple(4, 1000), tuple(5, 1000));
        let (Some(a), Some(p)) = (conn(&assured, 30, bits::ASSURED), conn(&plain, 30, 0)) else {
            return check!(t, false);
        };
        check!(t, ct().table.insert(&a, time::now()).is_ok());
        check!(t, ct().table.insert(&p, time::now()).is_ok());
        let evicted = ct().stats.sum(|s| s.early_drop);
        // Full: a new connection needs room, which an unassured one near it gives up.
        MAX.store(ct().count.load(Ordering::Relaxed), Ordering::Relaxed);
        let again = conn(&plain, 30, 0);
        check!(t, again.is_some());
        check!(t, p.status() & bits::DYING != 0);
        check_eq!(t, ct().stats.sum(|s| s.early_drop), evicted + 1);
        // An assured one does not: with nothing else near, the new connection is refused.
        MAX.store(ct().count.load(Ordering::Relaxed), Ordering::Relaxed);
        let refused = conn(&assured, 30, 0);
        check!(t, refused.is_none());
        check!(t, a.status() & bits::DYING == 0);
        MAX.store(saved, Ordering::Relaxed);
        drop((again, refused));
        ct().table.kill(&a);
    }

    fn connections_are_freed_only_after_readers_are_done() {
        let orig = tuple(6, 1000);
        let Some(c) = conn(&orig, 30, 0) else { return check!(t, false) };
        check!(t, ct().table.insert(&c, time::now()).is_ok());
        let raw: *const Conn = &*c;
        drop(c);
        rcu_barrier();
        let freed = FREED.load(Ordering::Relaxed);
        {
            let rcu = RcuGuard::new();
            let seen = ct().table.walk(ct().table.bucket(hash(&orig)), &rcu).find(|(c, _)| core::ptr::eq(*c, raw));
            check!(t, seen.is_some());
            if let Some((c, _)) = seen {
                // The last reference goes while this reader still holds the connection...
                ct().table.kill(c);
                // ...which stays readable until the read section ends.
                check!(t, *c.tuple(Dir::Original) == orig);
                check_eq!(t, FREED.load(Ordering::Relaxed), freed);
            }
        }
        rcu_barrier();
        check_eq!(t, FREED.load(Ordering::Relaxed), freed + 1);
    }

    fn threads_insert_and_look_up_at_once() {
        const THREADS: u16 = 4;
        const EACH: u16 = 250;
        let before = ct().count.load(Ordering::Relaxed);
        let done = match Arc::new(AtomicUsize::new(0), GFP_KERNEL) {
            Ok(d) => d,
            Err(_) => return check!(t, false),
        };
        let missed = match Arc::new(AtomicUsize::new(0), GFP_KERNEL) {
            Ok(m) => m,
            Err(_) => return check!(t, false),
        };
        for thread in 0..THREADS {
            let (done, missed) = (done.clone(), missed.clone());
            let spawned = kernel::workqueue::system_unbound().try_spawn(GFP_KERNEL, move || {
                let mut conns = KVec::new();
                for i in 0..EACH {
                    let orig = tuple(10 + thread as u8, 2000 + i);
                    let Some(c) = conn(&orig, 30, 0) else { continue };
                    if ct().table.insert(&c, time::now()).is_err() {
                        missed.fetch_add(1, Ordering::Relaxed);
                    }
                    let _ = conns.push(c, GFP_KERNEL);
                    // Look up this thread's and the others' connections as they come.
                    for other in 0..THREADS {
                        let _ = find(&tuple(10 + other as u8, 2000 + i / 2));
                    }
                }
                for i in 0..EACH {
                    match find(&tuple(10 + thread as u8, 2000 + i).invert().unwrap()) {
                        Some((c, _)) => {
                            ct().table.kill(&c);
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
        check_eq!(t, ct().count.load(Ordering::Relaxed), before);
    }
});
