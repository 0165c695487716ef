// SPDX-License-Identifier: GPL-2.0

//! Connection events: what changed in a connection (`IPCT_*`), told to a listener registered
//! from above, such as ctnetlink.
//!
//! A connection has an event cache ([`EventCache`]) if its namespace wanted events as it was
//! made (`nf_conntrack_events`: 0 never, 1 always, 2 while a socket listens); for the others
//! raising an event costs one test of a status bit. Events a packet raises ([`raise`]) are told
//! together as the packet leaves ([`deliver_cached`], at the confirm hooks); those of requests
//! are told at once ([`report`]). A DESTROY event that cannot be told waits, with its
//! connection already out of the table, on the namespace's dying list, which tells it again
//! until it gets through.

use super::conn::{Conn, DyingList};
use super::state::CtNet;
use super::status::bits;
use super::sys::nfnetlink;
use super::sys::sync::StaticSlot;
use super::sys::work::{impl_has_delayed_work, DelayedWork, DelayedWorkItem};
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, Ordering::Relaxed};
use kernel::prelude::*;
use kernel::types::ARef;

/// Event bits (`1 << IPCT_*`).
pub(crate) mod ipct {
    /// The connection is new.
    pub(crate) const NEW: u32 = 1 << 0;
    /// The connection is gone.
    pub(crate) const DESTROY: u32 = 1 << 2;
    /// A reply was seen for the first time.
    pub(crate) const REPLY: u32 = 1 << 3;
    /// The connection became assured.
    pub(crate) const ASSURED: u32 = 1 << 4;
    /// The protocol state changed.
    pub(crate) const PROTOINFO: u32 = 1 << 5;
}

/// Who caused events: the port of the process whose request did, with whether it asked to hear
/// of them (`NLM_F_ECHO`), or none for the tracker itself.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Origin {
    /// The port, 0 for none.
    pub(crate) portid: u32,
    /// Whether the events go back to that port too.
    pub(crate) report: bool,
}

impl Origin {
    /// Events of the tracker's own doing.
    pub(crate) const TRACKER: Self = Self {
        portid: 0,
        report: false,
    };
}

/// Events that did not reach a listener that wanted them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Lost;

/// Who is told of events.
pub(crate) trait Listener: Sync + 'static {
    /// Tells `events` of `conn`, caused by `origin`; process or softirq context.
    fn deliver(&self, conn: &Conn, events: u32, origin: Origin) -> Result<(), Lost>;
}

/// The listener, while one is registered.
static LISTENER: StaticSlot<&'static dyn Listener> = StaticSlot::new();

/// A registered listener; unregistered on drop, once no event is being told to it.
pub(crate) struct ListenerRegistration {
    listener: &'static &'static dyn Listener,
}

impl ListenerRegistration {
    /// Makes `listener` the one told of events; `EBUSY` if there is one already.
    pub(crate) fn new(listener: &'static &'static dyn Listener) -> Result<Self> {
        if !LISTENER.set(listener) {
            return Err(EBUSY);
        }
        Ok(Self { listener })
    }
}

impl Drop for ListenerRegistration {
    fn drop(&mut self) {
        LISTENER.clear(self.listener);
    }
}

/// The event state of one connection (`struct nf_conntrack_ecache`).
#[repr(C)]
pub(crate) struct EventCache {
    /// Events raised and not told yet.
    cache: AtomicU32,
    /// Events that could not be told, told again with the next ones.
    missed: AtomicU32,
    /// The port of the process whose request destroyed the connection, while its DESTROY
    /// event waits to be told again.
    portid: AtomicU32,
}

impl EventCache {
    /// Nothing raised.
    pub(crate) const fn new() -> Self {
        Self {
            cache: AtomicU32::new(0),
            missed: AtomicU32::new(0),
            portid: AtomicU32::new(0),
        }
    }
}

/// Whether a connection made now in `ct` gets an event cache.
pub(crate) fn wanted(ct: &CtNet) -> bool {
    match ct.events.sysctl.load(Relaxed) {
        0 => false,
        1 => true,
        _ => nfnetlink::conntrack_listened() && LISTENER.get().is_some(),
    }
}

/// Raises `events` on `conn`, to be told when its packet leaves (`nf_conntrack_event_cache`).
#[inline]
pub(crate) fn raise(conn: &Conn, events: u32) {
    if let Some(e) = conn.events() {
        e.cache.fetch_or(events, Relaxed);
    }
}

/// Tells what was raised on `conn` and not told yet, as a packet of it leaves
/// (`nf_ct_deliver_cached_events`).
#[inline]
pub(crate) fn deliver_cached(conn: &Conn) {
    let Some(e) = conn.events() else {
        return;
    };
    let status = conn.status();
    if status & bits::CONFIRMED == 0 || status & bits::DYING != 0 {
        return;
    }
    let events = e.cache.swap(0, Relaxed);
    let missed = e.missed.load(Relaxed);
    if events | missed != 0 {
        let _ = tell(conn, e, events, missed, Origin::TRACKER);
    }
}

/// Tells `events` of `conn` now, caused by `origin` (`nf_conntrack_eventmask_report`).
pub(crate) fn report(conn: &Conn, events: u32, origin: Origin) -> Result<(), Lost> {
    let Some(e) = conn.events() else {
        return Ok(());
    };
    if conn.status() & bits::CONFIRMED == 0 {
        return Ok(());
    }
    let destroyer = e.portid.load(Relaxed);
    // A DESTROY event told again goes to the process that caused it, without the others.
    let (origin, missed) = if destroyer != 0 {
        (
            Origin {
                portid: destroyer,
                ..origin
            },
            0,
        )
    } else {
        (origin, e.missed.load(Relaxed))
    };
    let told = tell(conn, e, events, missed, origin);
    if told.is_err() && events & ipct::DESTROY != 0 && destroyer == 0 && origin.portid != 0 {
        e.portid.store(origin.portid, Relaxed);
    }
    told
}

/// Tells `events` and the `missed` ones to the listener, and keeps track of what was lost.
fn tell(conn: &Conn, e: &EventCache, events: u32, missed: u32, origin: Origin) -> Result<(), Lost> {
    let Some(listener) = LISTENER.get() else {
        return Ok(());
    };
    let told = listener.deliver(conn, events | missed, origin);
    match told {
        Err(Lost) => {
            e.missed.fetch_or(events, Relaxed);
            conn.owner().events.lost.fetch_add(1, Relaxed);
        }
        Ok(()) if missed != 0 => {
            e.missed.fetch_and(!missed, Relaxed);
        }
        Ok(()) => {}
    }
    told
}

/// `conn`, whose table's reference `table_ref` is, has just left its table: tells its DESTROY
/// event, caused by `origin`. If that fails, the connection waits on its namespace's dying
/// list, holding the reference, until the event is told; otherwise the reference goes.
pub(crate) fn destroyed(table_ref: ARef<Conn>, origin: Origin) {
    // A reference of this call's own keeps the connection, and so its namespace's state, alive
    // while the list may already have let the table's go.
    let conn = table_ref.clone();
    let ev = &conn.owner().events;
    if !ev.live.load(Relaxed) || report(&conn, ipct::DESTROY, origin).is_ok() {
        return;
    }
    ev.waiting.fetch_add(1, Relaxed);
    if let Err(table_ref) = ev.dying.push(table_ref) {
        ev.waiting.fetch_sub(1, Relaxed);
        drop(table_ref);
        return;
    }
    ev.work.queue(super::sys::time::HZ);
}

/// The event state of one namespace: its sysctl, the connections whose DESTROY event waits to
/// be told again, and how many events were lost.
#[pin_data]
pub(crate) struct NetEvents {
    /// Tells the waiting DESTROY events again; first, so that dropping the state cancels it.
    #[pin]
    work: DelayedWork<NetEvents>,
    /// `nf_conntrack_events`: 0, 1 or 2 (the default).
    pub(crate) sysctl: AtomicU8,
    /// Whether events are told: not once the namespace is being torn down.
    live: AtomicBool,
    /// Connections whose DESTROY event waits.
    dying: DyingList,
    /// Connections on the dying list.
    pub(crate) waiting: AtomicU32,
    /// Events that did not reach a listener that wanted them.
    pub(crate) lost: AtomicU32,
    /// DESTROY events told on a later try.
    pub(crate) retold: AtomicU32,
}

impl_has_delayed_work!(NetEvents, work);

/// How long the dying list waits after a listener was too busy, in milliseconds.
const RETRY_MS: u32 = 10;

impl NetEvents {
    /// The state of a new namespace.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            work <- DelayedWork::new(),
            sysctl: AtomicU8::new(2),
            live: AtomicBool::new(true),
            dying: DyingList::new(),
            waiting: AtomicU32::new(0),
            lost: AtomicU32::new(0),
            retold: AtomicU32::new(0),
        })
    }

    /// Stops telling events, as the namespace is torn down, and lets the waiting connections
    /// go; process context.
    pub(crate) fn stop(&self) {
        self.live.store(false, Relaxed);
        self.work.cancel_sync();
        self.release();
    }

    /// Lets the connections on the dying list go, their events untold.
    pub(crate) fn release(&self) {
        for conn in self.dying.take() {
            self.waiting.fetch_sub(1, Relaxed);
            drop(conn);
        }
    }

    /// The connections whose DESTROY event waits, for a dump; `f` sees each, in the order
    /// they were put there. Without memory to hold them all, `f` sees only some.
    pub(crate) fn each_dying(&self, mut f: impl FnMut(&Conn)) -> Result {
        let (held, err) = self.collect();
        for conn in held.iter().rev() {
            f(conn);
        }
        // Put back the last taken first, then turn the list around again: its order stays.
        self.put_back(held);
        let (again, _) = self.collect();
        self.put_back(again);
        err
    }

    /// Takes the connections off the dying list, the last put on first; those there is no
    /// room for stay on it.
    fn collect(&self) -> (KVec<ARef<Conn>>, Result) {
        let mut held = KVec::new();
        let mut err = Ok(());
        for conn in self.dying.take() {
            if held.reserve(1, GFP_ATOMIC).is_err() {
                err = Err(ENOMEM);
                if let Err(conn) = self.dying.push(conn) {
                    self.waiting.fetch_sub(1, Relaxed);
                    drop(conn);
                }
                continue;
            }
            // Room was reserved: the push cannot fail.
            let _ = held.push(conn, GFP_ATOMIC);
        }
        (held, err)
    }

    fn put_back(&self, conns: KVec<ARef<Conn>>) {
        for conn in conns {
            if let Err(conn) = self.dying.push(conn) {
                self.waiting.fetch_sub(1, Relaxed);
                drop(conn);
            }
        }
    }
}

impl DelayedWorkItem for NetEvents {
    /// Tells the waiting DESTROY events again; those that still fail wait a little longer.
    fn run(this: &Self) {
        let mut congested = false;
        for conn in this.dying.take() {
            if congested || report(&conn, ipct::DESTROY, Origin::TRACKER).is_err() {
                congested = true;
                if let Err(conn) = this.dying.push(conn) {
                    this.waiting.fetch_sub(1, Relaxed);
                    drop(conn);
                }
                continue;
            }
            this.retold.fetch_add(1, Relaxed);
            this.waiting.fetch_sub(1, Relaxed);
        }
        if congested {
            this.work.queue(super::sys::time::ms_to_jiffies(RETRY_MS));
        }
    }
}
