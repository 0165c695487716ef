// SPDX-License-Identifier: GPL-2.0

//! A tracked connection, and its life: allocation, references, freeing after RCU readers.
//!
//! Packets carry their connection in `skb->_nfct`, where kernel code outside conntrack (IP
//! defragmentation, nfnetlink_queue, the flow dissector, socket lookup, tc classifiers) reads it
//! as a `struct nf_conn`. A connection therefore begins with a head laid out exactly as
//! `struct nf_conn` up to its protocol area, checked at build time against the kernel's own
//! definition, and keeps the fields those readers use as nf_conntrack keeps them: the reference
//! count, the zone, both tuples, the status bits, the namespace, no master, the mark and no
//! extensions. The rest of the head, which only conntrack itself reads in `struct nf_conn`, holds
//! this module's own data; after the head come TCP's window state and the counters, for the
//! connections that have them, then a tail with the timestamps and the event cache, for those
//! made while their namespace asked for them.

use super::events::EventCache;
use super::proto::{ProtoState, TcpWindow};
use super::state::CtNet;
use super::status::{bits, CtInfo, Dir};
use super::sys::bindings;
use super::sys::netfilter::HookState;
use super::sys::skb::Skb;
use super::sys::slab::KmemCache;
use super::sys::sync::{self, RcuFree, RcuHead, Refcount, SpinLockBh};
use super::timestamp::Timestamps;
use super::tuple::{ipproto, Tuple};
use super::zone::Zone;
use core::cell::UnsafeCell;
use core::mem::offset_of;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicI32, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use kernel::c_str;
use kernel::ffi::c_void;
use kernel::prelude::*;
use kernel::types::{ARef, AlwaysRefCounted};

/// One direction of a connection as a hash table holds it: `struct nf_conntrack_tuple_hash`.
#[repr(C)]
struct HashNode<A, T> {
    /// The next connection in this direction's bucket: see [`super::table`]. In place of
    /// `hnnode.next`.
    next: AtomicUsize,
    /// Per-direction data of this module, in place of `hnnode.pprev`, which only nf_conntrack
    /// reads.
    aux: A,
    tuple: T,
}

/// A tuple NAT may change while its connection is not in the table yet, kept as words read and
/// written atomically: it is the same bytes as a [`Tuple`].
#[repr(C, align(8))]
struct TupleCell([AtomicU64; 5]);

const _: () = assert!(core::mem::size_of::<TupleCell>() == core::mem::size_of::<Tuple>());

impl TupleCell {
    fn new(t: Tuple) -> Self {
        Self(t.to_raw().map(AtomicU64::new))
    }

    #[inline(always)]
    fn load(&self) -> Tuple {
        Tuple::from_raw([0, 1, 2, 3, 4].map(|i| self.0[i].load(Ordering::Relaxed)))
    }

    fn store(&self, t: Tuple) {
        for (cell, w) in self.0.iter().zip(t.to_raw()) {
            cell.store(w, Ordering::Relaxed);
        }
    }
}

/// A tracked connection.
///
/// # Invariants
///
/// - `refs` counts the references: one per skb whose `_nfct` points here, one held by the table
///   while the connection is in it, and one per [`ARef`]. The object is freed when it drops to
///   zero, after an RCU grace period if it was ever in the table.
/// - The object is the head of an [`Extended`] with a [`TcpWindow`] if the connection is TCP's
///   and with [`Counters`] if `status` has [`bits::ACCT`], followed by a tail with
///   [`Timestamps`] if `status` has [`bits::TSTAMP`] and an [`EventSlot`] if it has
///   [`bits::EVENTS`] (see [`tail`]), allocated from the cache of [`Caches`] for that kind;
///   those bits do not change.
/// - `owner` is the live state of the namespace `net`, which counts the connection in its
///   `count` (a template, with [`bits::TEMPLATE`], in its `templates`) from allocation to
///   freeing and outlives it (it waits for the counts to drop).
/// - The original tuple, its hash, `net` and `owner` do not change after creation; the reply
///   tuple and its hash change only while the connection is unconfirmed, with `lock` held (see
///   [`Conn::rebind`]).
/// - `rcu` is all zeroes until the connection is freed: where it overlaps `master`, readers of
///   `struct nf_conn` find no master.
/// - `lock` is initialised; `proto` is written at creation, then only with `lock` held.
#[repr(C)]
pub(crate) struct Conn {
    refs: Refcount,
    lock: SpinLockBh,
    /// When the connection expires, in jiffies; relative to confirmation until then.
    timeout: AtomicU32,
    #[cfg(CONFIG_NF_CONNTRACK_ZONES)]
    zone: bindings::nf_conntrack_zone,
    orig: HashNode<UnsafeCell<ProtoState>, Tuple>,
    /// The raw hashes of the original and reply tuples.
    reply: HashNode<[AtomicU32; 2], TupleCell>,
    status: AtomicUsize,
    net: *mut bindings::net,
    /// The namespace state the connection belongs to and is counted in; in place of
    /// `nat_bysource.next`, which only nf_nat reads.
    #[cfg(CONFIG_NF_NAT)]
    owner: *const CtNet,
    /// Room to queue the connection for freeing, in place of `nat_bysource.pprev` and
    /// `master`: neither is read once the last reference is gone.
    #[cfg(CONFIG_NF_NAT)]
    rcu: RcuHead,
    #[cfg(not(CONFIG_NF_NAT))]
    master: *mut c_void,
    #[cfg(CONFIG_NF_CONNTRACK_MARK)]
    mark: AtomicU32,
    #[cfg(CONFIG_NF_CONNTRACK_SECMARK)]
    secmark: u32,
    /// The device a masqueraded connection leaves by, or 0: in the padding before `ext`.
    #[cfg(all(CONFIG_NF_CONNTRACK_MARK, not(CONFIG_NF_CONNTRACK_SECMARK)))]
    masq_index: AtomicI32,
    ext: *mut c_void,
    #[cfg(not(CONFIG_NF_NAT))]
    owner: *const CtNet,
    #[cfg(not(CONFIG_NF_NAT))]
    rcu: RcuHead,
    /// As above, where there is no padding.
    #[cfg(not(all(CONFIG_NF_CONNTRACK_MARK, not(CONFIG_NF_CONNTRACK_SECMARK))))]
    masq_index: AtomicI32,
}

macro_rules! same_offset {
    ($($ours:tt).+, $($theirs:tt).+) => {
        const _: () = assert!(offset_of!(Conn, $($ours).+) == offset_of!(bindings::nf_conn, $($theirs).+));
    };
}
same_offset!(refs, ct_general);
same_offset!(lock, lock);
same_offset!(timeout, timeout);
#[cfg(CONFIG_NF_CONNTRACK_ZONES)]
same_offset!(zone, zone);
same_offset!(orig, tuplehash);
same_offset!(status, status);
same_offset!(net, ct_net);
#[cfg(CONFIG_NF_NAT)]
same_offset!(owner, nat_bysource);
#[cfg(not(CONFIG_NF_NAT))]
same_offset!(master, master);
#[cfg(CONFIG_NF_CONNTRACK_MARK)]
same_offset!(mark, mark);
#[cfg(CONFIG_NF_CONNTRACK_SECMARK)]
same_offset!(secmark, secmark);
same_offset!(ext, ext);
const _: () = {
    let tuple = offset_of!(bindings::nf_conntrack_tuple_hash, tuple);
    let size = core::mem::size_of::<bindings::nf_conntrack_tuple_hash>();
    assert!(offset_of!(Conn, orig.tuple) == offset_of!(bindings::nf_conn, tuplehash) + tuple);
    assert!(
        offset_of!(Conn, reply.tuple) == offset_of!(bindings::nf_conn, tuplehash) + size + tuple
    );
    #[cfg(CONFIG_NF_NAT)]
    {
        let pprev = offset_of!(bindings::nf_conn, nat_bysource) + core::mem::size_of::<usize>();
        assert!(offset_of!(Conn, rcu) == pprev);
        assert!(
            pprev + core::mem::size_of::<RcuHead>() == offset_of!(bindings::nf_conn, master) + 8
        );
        #[cfg(all(CONFIG_NF_CONNTRACK_MARK, not(CONFIG_NF_CONNTRACK_SECMARK)))]
        assert!(core::mem::size_of::<Conn>() == offset_of!(bindings::nf_conn, proto));
    }
};

/// Packets and bytes, per direction: `[dir][0]` packets, `[dir][1]` bytes.
pub(crate) type Counters = [[AtomicU64; 2]; 2];

/// A connection with what only some connections have: `W` is TCP's window state or nothing,
/// `A` the counters or nothing.
#[repr(C)]
struct Extended<W, A> {
    conn: Conn,
    window: W,
    counters: A,
}

/// The event state of a connection, and its link in its namespace's [`DyingList`].
#[repr(C)]
struct EventSlot {
    cache: EventCache,
    /// The next connection on the list, as [`DyingList`] links them.
    link: AtomicUsize,
}

/// The tail of a connection: [`Timestamps`] first, then an [`EventSlot`], each when the
/// connection has it. A tail kind is the set of parts, and the index of its cache.
mod tail {
    use super::{EventSlot, Timestamps};
    use core::mem::size_of;

    /// The tail has timestamps.
    pub(super) const TSTAMP: usize = 1 << 0;
    /// The tail has an event slot.
    pub(super) const EVENTS: usize = 1 << 1;
    /// Number of kinds.
    pub(super) const KINDS: usize = 4;

    /// Bytes of a tail of kind `kind`.
    pub(super) const fn bytes(kind: usize) -> usize {
        let ts = if kind & TSTAMP != 0 {
            size_of::<Timestamps>()
        } else {
            0
        };
        let ev = if kind & EVENTS != 0 {
            size_of::<EventSlot>()
        } else {
            0
        };
        ts + ev
    }

    /// Where the event slot is in a tail of kind `kind`.
    pub(super) const fn events(kind: usize) -> usize {
        if kind & TSTAMP != 0 {
            size_of::<Timestamps>()
        } else {
            0
        }
    }

    const _: () = assert!(size_of::<Timestamps>() % 8 == 0 && size_of::<EventSlot>() % 8 == 0);
}

/// Where the extensions are, from the start of a connection.
const WINDOW: usize = offset_of!(Extended<UnsafeCell<TcpWindow>, ()>, window);
const TCP_COUNTERS: usize = offset_of!(Extended<UnsafeCell<TcpWindow>, Counters>, counters);
const COUNTERS: usize = offset_of!(Extended<(), Counters>, counters);

// SAFETY: Connections are shared between CPUs by design; all shared mutable state is atomic or
// guarded by `lock`, and the pointers are to objects that outlive the connection.
unsafe impl Send for Conn {}
// SAFETY: As above.
unsafe impl Sync for Conn {}

// SAFETY: nf_conntrack, the only other module that makes connections, cannot be loaded while
// this one holds the kernel's conntrack hook, so every `struct nf_conntrack` is one of ours, at
// the start of a `Conn`.
unsafe impl super::sys::ct_hook::NfConn for Conn {}

// SAFETY: `inc_ref` takes a reference and `dec_ref` drops one, freeing the connection on the
// last, as the type invariants require.
unsafe impl AlwaysRefCounted for Conn {
    fn inc_ref(&self) {
        self.refs.inc();
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller gives up a reference it holds, so the object is alive.
        if unsafe { obj.as_ref() }.refs.dec_and_test() {
            // SAFETY: That was the last reference.
            unsafe { Conn::destroy(obj) };
        }
    }
}

/// The slab caches connections come from: for each kind of [`Extended`], one per kind of
/// tail.
pub(crate) struct Caches {
    plain: [KmemCache<Extended<(), ()>>; tail::KINDS],
    acct: [KmemCache<Extended<(), Counters>>; tail::KINDS],
    tcp: [KmemCache<Extended<UnsafeCell<TcpWindow>, ()>>; tail::KINDS],
    tcp_acct: [KmemCache<Extended<UnsafeCell<TcpWindow>, Counters>>; tail::KINDS],
}

/// The caches of one kind of [`Extended`], named `names` by tail kind.
fn caches<T>(
    names: [&'static kernel::str::CStr; tail::KINDS],
) -> Result<[KmemCache<T>; tail::KINDS]> {
    Ok([
        KmemCache::with_tail(names[0], tail::bytes(0))?,
        KmemCache::with_tail(names[1], tail::bytes(1))?,
        KmemCache::with_tail(names[2], tail::bytes(2))?,
        KmemCache::with_tail(names[3], tail::bytes(3))?,
    ])
}

/// Connections freed so far, for tests of when freeing happens.
#[cfg(kunit)]
pub(crate) static FREED: AtomicUsize = AtomicUsize::new(0);

/// The caches, while the module is loaded.
static CACHES: AtomicPtr<Caches> = AtomicPtr::new(core::ptr::null_mut());

impl Caches {
    /// Creates the caches and makes them the ones connections use.
    ///
    /// # Safety
    ///
    /// No other `Caches` may be installed, and no connection may exist yet: the namespaces'
    /// state is registered after this. The returned box must be passed to
    /// [`Caches::uninstall`] once every connection is freed, before it is dropped.
    pub(crate) unsafe fn install() -> Result<KBox<Self>> {
        let caches = KBox::new(
            Self {
                plain: caches([
                    c_str!("rust_conntrack"),
                    c_str!("rust_conntrack_ts"),
                    c_str!("rust_conntrack_ev"),
                    c_str!("rust_conntrack_ts_ev"),
                ])?,
                acct: caches([
                    c_str!("rust_conntrack_acct"),
                    c_str!("rust_conntrack_acct_ts"),
                    c_str!("rust_conntrack_acct_ev"),
                    c_str!("rust_conntrack_acct_ts_ev"),
                ])?,
                tcp: caches([
                    c_str!("rust_conntrack_tcp"),
                    c_str!("rust_conntrack_tcp_ts"),
                    c_str!("rust_conntrack_tcp_ev"),
                    c_str!("rust_conntrack_tcp_ts_ev"),
                ])?,
                tcp_acct: caches([
                    c_str!("rust_conntrack_tcp_acct"),
                    c_str!("rust_conntrack_tcp_acct_ts"),
                    c_str!("rust_conntrack_tcp_acct_ev"),
                    c_str!("rust_conntrack_tcp_acct_ts_ev"),
                ])?,
            },
            GFP_KERNEL,
        )?;
        CACHES.store((&*caches as *const Self).cast_mut(), Ordering::Release);
        Ok(caches)
    }

    /// Stops using `caches`.
    pub(crate) fn uninstall(caches: &Self) {
        let _ = CACHES.compare_exchange(
            (caches as *const Self).cast_mut(),
            core::ptr::null_mut(),
            Ordering::AcqRel,
            Ordering::Relaxed,
        );
    }

    /// The installed caches; only connections' allocation and freeing call this.
    fn get() -> &'static Self {
        let caches = CACHES.load(Ordering::Acquire);
        // SAFETY: A connection is only allocated by a namespace's state, and freed before that
        // state goes. The caches are installed before the namespaces' state is registered and
        // uninstalled only after it is unregistered and every connection freed (`install`'s
        // safety requirements), so here they are installed and alive.
        unsafe { &*caches }
    }
}

/// What a new connection starts with.
pub(crate) struct NewConn {
    /// Tuple of the original direction.
    pub(crate) orig: Tuple,
    /// Tuple of the reply direction.
    pub(crate) reply: Tuple,
    /// Raw hashes of `orig` and `reply`.
    pub(crate) hashes: [u32; 2],
    /// Protocol state after the first packet.
    pub(crate) proto: ProtoState,
    /// TCP's window state after the first packet; ignored for other protocols.
    pub(crate) window: TcpWindow,
    /// The zone.
    pub(crate) zone: Zone,
    /// Jiffies from confirmation to expiry.
    pub(crate) timeout: u32,
    /// Initial status bits.
    pub(crate) status: usize,
    /// Whether to count packets and bytes.
    pub(crate) acct: bool,
}

/// A connection's place in its namespace's count (`nf_conntrack_count`): taken before the
/// connection is made, held by it until it is freed, given back if it is not made.
pub(crate) struct Counted<'a> {
    ct: &'a CtNet,
}

impl<'a> Counted<'a> {
    /// Takes a place in `ct`. When the namespace is full, connections that are not assured near
    /// `hash`'s bucket make room; `None` if none can.
    pub(crate) fn take(ct: &'a CtNet, hash: u32) -> Option<Self> {
        let count = ct.count.fetch_add(1, Ordering::Relaxed) + 1;
        let place = Self { ct };
        let max = ct.max();
        if max > 0 && count > max {
            let dropped = ct.table().early_drop(hash);
            if dropped == 0 {
                if super::sys::ratelimit::net() {
                    pr_warn!("nf_conntrack: table full, dropping packet\n");
                }
                return None;
            }
            for _ in 0..dropped {
                ct.stats.inc(|s| &s.early_drop);
            }
        }
        Some(place)
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.ct.count.fetch_sub(1, Ordering::Release);
    }
}

impl Conn {
    /// Allocates an unconfirmed connection of the namespace `place` counts it in, holding one
    /// reference, without sleeping.
    pub(crate) fn new(place: Counted<'_>, n: NewConn) -> Option<ARef<Self>> {
        let ct = place.ct;
        let caches = Caches::get();
        // What the namespace asks of connections made now: their tail.
        let mut kind = 0;
        let mut status = if n.acct {
            n.status | bits::ACCT
        } else {
            n.status & !bits::ACCT
        } & !(bits::TSTAMP | bits::EVENTS);
        if ct.tstamp.load(Ordering::Relaxed) != 0 {
            kind |= tail::TSTAMP;
            status |= bits::TSTAMP;
        }
        if super::events::wanted(ct) {
            kind |= tail::EVENTS;
            status |= bits::EVENTS;
        }
        let conn = Conn {
            refs: Refcount::new(1),
            // SAFETY: Initialised below, before the connection is shared.
            lock: unsafe { SpinLockBh::uninit() },
            timeout: AtomicU32::new(n.timeout),
            #[cfg(CONFIG_NF_CONNTRACK_ZONES)]
            zone: bindings::nf_conntrack_zone {
                id: n.zone.id,
                flags: 0,
                dir: n.zone.dirs,
            },
            orig: HashNode {
                next: AtomicUsize::new(0),
                aux: UnsafeCell::new(n.proto),
                tuple: n.orig.with_dir(0),
            },
            reply: HashNode {
                next: AtomicUsize::new(0),
                aux: n.hashes.map(AtomicU32::new),
                tuple: TupleCell::new(n.reply.with_dir(1)),
            },
            status: AtomicUsize::new(status),
            net: ct.net().as_ptr(),
            owner: ct,
            #[cfg(not(CONFIG_NF_NAT))]
            master: core::ptr::null_mut(),
            #[cfg(CONFIG_NF_CONNTRACK_MARK)]
            mark: AtomicU32::new(0),
            #[cfg(CONFIG_NF_CONNTRACK_SECMARK)]
            secmark: 0,
            masq_index: AtomicI32::new(0),
            ext: core::ptr::null_mut(),
            rcu: RcuHead::new(),
        };
        let window = || UnsafeCell::new(n.window);
        let counters = Counters::default;
        // CAST: Each kind of `Extended` starts with its `Conn`.
        let ptr: NonNull<Conn> = match (n.orig.proto() == ipproto::TCP, n.acct) {
            (false, false) => caches.plain[kind]
                .alloc_atomic(Extended {
                    conn,
                    window: (),
                    counters: (),
                })?
                .cast(),
            (false, true) => caches.acct[kind]
                .alloc_atomic(Extended {
                    conn,
                    window: (),
                    counters: counters(),
                })?
                .cast(),
            (true, false) => caches.tcp[kind]
                .alloc_atomic(Extended {
                    conn,
                    window: window(),
                    counters: (),
                })?
                .cast(),
            (true, true) => caches.tcp_acct[kind]
                .alloc_atomic(Extended {
                    conn,
                    window: window(),
                    counters: counters(),
                })?
                .cast(),
        };
        // INVARIANT: The connection holds the place in its namespace's count from now on.
        core::mem::forget(place);
        let at = Self::tail_at(n.orig.proto() == ipproto::TCP, n.acct);
        let base = ptr.as_ptr().cast::<u8>();
        if kind & tail::TSTAMP != 0 {
            // CAST: The tail starts with the timestamps when it has them.
            // SAFETY: The object was allocated with a tail of this kind at `at`, 8-aligned.
            unsafe { base.add(at).cast::<Timestamps>().write(Timestamps::new()) };
        }
        if kind & tail::EVENTS != 0 {
            let slot = EventSlot {
                cache: EventCache::new(),
                link: AtomicUsize::new(0),
            };
            // CAST: The event slot is where `tail::events` puts it.
            // SAFETY: As above.
            unsafe {
                base.add(at + tail::events(kind))
                    .cast::<EventSlot>()
                    .write(slot)
            };
        }
        // SAFETY: The object is initialised and no other thread can see it yet.
        let conn = unsafe { ptr.as_ref() };
        // SAFETY: Once, before any use; the connection does not move.
        unsafe {
            conn.lock
                .init(c_str!("rust_conntrack conn"), kernel::static_lock_class!())
        };
        // INVARIANT: One reference, the one returned; allocated from the cache `status` names.
        // SAFETY: The object is initialised and the reference is handed over.
        Some(unsafe { ARef::from_raw(ptr) })
    }

    /// Allocates a template of `owner`'s namespace, for connections of zone `zone`, holding one
    /// reference, without sleeping.
    pub(crate) fn new_template(owner: &CtNet, zone: Zone) -> Option<ARef<Self>> {
        let none = Tuple::new(super::tuple::L3::Ipv4, 0, [0; 16], [0; 16], 0, 0);
        owner.templates.fetch_add(1, Ordering::Relaxed);
        let conn = Conn {
            refs: Refcount::new(1),
            // SAFETY: Initialised below.
            lock: unsafe { SpinLockBh::uninit() },
            timeout: AtomicU32::new(0),
            #[cfg(CONFIG_NF_CONNTRACK_ZONES)]
            zone: bindings::nf_conntrack_zone {
                id: zone.id,
                flags: 0,
                dir: zone.dirs,
            },
            orig: HashNode {
                next: AtomicUsize::new(0),
                aux: UnsafeCell::new(ProtoState::default()),
                tuple: none,
            },
            reply: HashNode {
                next: AtomicUsize::new(0),
                aux: [AtomicU32::new(0), AtomicU32::new(0)],
                tuple: TupleCell::new(none.with_dir(1)),
            },
            // Confirmed, as nft_ct's templates are, so that nothing tries to insert it.
            status: AtomicUsize::new(bits::TEMPLATE | bits::CONFIRMED),
            net: owner.net().as_ptr(),
            owner,
            #[cfg(not(CONFIG_NF_NAT))]
            master: core::ptr::null_mut(),
            #[cfg(CONFIG_NF_CONNTRACK_MARK)]
            mark: AtomicU32::new(0),
            #[cfg(CONFIG_NF_CONNTRACK_SECMARK)]
            secmark: 0,
            masq_index: AtomicI32::new(0),
            ext: core::ptr::null_mut(),
            rcu: RcuHead::new(),
        };
        let Some(ptr) = Caches::get().plain[0].alloc_atomic(Extended {
            conn,
            window: (),
            counters: (),
        }) else {
            owner.templates.fetch_sub(1, Ordering::Relaxed);
            return None;
        };
        let ptr: NonNull<Conn> = ptr.cast();
        // SAFETY: Once, before any use, on an object no other thread can see yet; the
        // connection does not move.
        unsafe {
            ptr.as_ref().lock.init(
                c_str!("rust_conntrack template"),
                kernel::static_lock_class!(),
            )
        };
        // INVARIANT: One reference; a template from the plain cache without a tail, counted in `templates`,
        // its lock initialised.
        // CAST: An `Extended` starts with its `Conn`.
        // SAFETY: The object is initialised and the reference is handed over.
        Some(unsafe { ARef::from_raw(ptr) })
    }

    /// Whether this is a template (see [`Conn::new_template`]).
    #[inline]
    pub(crate) fn is_template(&self) -> bool {
        self.status() & bits::TEMPLATE != 0
    }

    /// The connection at `skb->_nfct`'s pointer bits.
    ///
    /// # Safety
    ///
    /// `nfct` must point to a live `Conn`, and the caller must hold a reference for `'a`.
    pub(crate) unsafe fn from_nfct<'a>(nfct: usize) -> &'a Self {
        // SAFETY: By the function's safety requirements.
        unsafe { &*(nfct as *const Self) }
    }

    /// Frees a connection whose last reference is gone.
    ///
    /// # Safety
    ///
    /// `obj` must be a connection whose reference count has dropped to zero.
    pub(crate) unsafe fn destroy(obj: NonNull<Self>) {
        // SAFETY: No references are left, but the memory is still valid.
        let status = unsafe { obj.as_ref() }.status();
        if status & (bits::CONFIRMED | bits::TEMPLATE) == bits::CONFIRMED {
            // SAFETY: Unlinked from the table with its last reference: only RCU readers that
            // found it before may still read it, and the head was never queued.
            unsafe { sync::defer_free(obj) };
        } else {
            // SAFETY: Never in a table: no reader but the last reference holder saw it.
            unsafe { Self::free(obj) };
        }
    }

    /// Frees the memory, then gives its place in the namespace's count back: the namespace's
    /// teardown waits for the count, so that must come last.
    ///
    /// # Safety
    ///
    /// `obj` must be unreferenced and unreachable.
    unsafe fn free(obj: NonNull<Self>) {
        // SAFETY: The memory is still valid.
        let (owner, tcp, status, kind) = unsafe {
            let conn = obj.as_ref();
            (conn.owner, conn.is_tcp(), conn.status(), conn.tail_kind())
        };
        let acct = status & bits::ACCT != 0;
        let caches = Caches::get();
        // SAFETY: The object is the `Extended` of its kind with a tail of its kind, from that
        // kind's cache (type invariants); nothing uses it any more.
        unsafe {
            match (tcp, acct) {
                (false, false) => caches.plain[kind].free(obj.cast()),
                (false, true) => caches.acct[kind].free(obj.cast()),
                (true, false) => caches.tcp[kind].free(obj.cast()),
                (true, true) => caches.tcp_acct[kind].free(obj.cast()),
            }
        }
        #[cfg(kunit)]
        FREED.fetch_add(1, Ordering::Relaxed);
        // SAFETY: The owner counted the connection and waits for its count to drop before it
        // goes (type invariants).
        let owner = unsafe { &*owner };
        if status & bits::TEMPLATE != 0 {
            owner.templates.fetch_sub(1, Ordering::Release);
        } else {
            owner.count.fetch_sub(1, Ordering::Release);
        }
    }

    /// The pointer stored in `skb->_nfct`.
    pub(crate) fn as_nfct(&self) -> usize {
        self as *const Self as usize
    }

    /// The tuple of direction `dir`.
    #[inline(always)]
    pub(crate) fn tuple(&self, dir: Dir) -> Tuple {
        match dir {
            Dir::Original => self.orig.tuple,
            Dir::Reply => self.reply.tuple.load(),
        }
    }

    /// Gives an unconfirmed connection a new reply tuple, of raw hash `hash`, and sets status
    /// `bits`, as NAT binds it; `false`, and nothing changes, once it is confirmed: its tuples
    /// are then in a table.
    pub(crate) fn rebind(&self, reply: &Tuple, hash: u32, status: usize) -> bool {
        let _guard = self.lock.lock();
        if self.status() & bits::CONFIRMED != 0 {
            return false;
        }
        self.reply.tuple.store(reply.with_dir(1));
        self.reply.aux[1].store(hash, Ordering::Relaxed);
        self.set_status(status);
        true
    }

    /// Runs `f` with the connection's tuples frozen: the table confirms a connection this way,
    /// so that NAT cannot change it meanwhile.
    pub(crate) fn with_tuples_frozen<R>(&self, f: impl FnOnce() -> R) -> R {
        let _guard = self.lock.lock();
        f()
    }

    /// The link to the next connection in direction `dir`'s bucket.
    #[inline]
    pub(crate) fn next(&self, dir: Dir) -> &AtomicUsize {
        match dir {
            Dir::Original => &self.orig.next,
            Dir::Reply => &self.reply.next,
        }
    }

    /// The zone.
    #[inline]
    pub(crate) fn zone(&self) -> Zone {
        #[cfg(CONFIG_NF_CONNTRACK_ZONES)]
        return Zone {
            id: self.zone.id,
            dirs: self.zone.dir,
        };
        #[cfg(not(CONFIG_NF_CONNTRACK_ZONES))]
        Zone::DEFAULT
    }

    /// The mark (`ct mark`).
    pub(crate) fn mark(&self) -> u32 {
        #[cfg(CONFIG_NF_CONNTRACK_MARK)]
        return self.mark.load(Ordering::Relaxed);
        #[cfg(not(CONFIG_NF_CONNTRACK_MARK))]
        0
    }

    /// Sets the mark; returns whether it changed.
    pub(crate) fn set_mark(&self, mark: u32) -> bool {
        #[cfg(CONFIG_NF_CONNTRACK_MARK)]
        return self.mark.swap(mark, Ordering::Relaxed) != mark;
        #[cfg(not(CONFIG_NF_CONNTRACK_MARK))]
        false
    }

    /// The device a masqueraded connection leaves by, or 0 for others.
    pub(crate) fn masq_index(&self) -> i32 {
        self.masq_index.load(Ordering::Relaxed)
    }

    /// Records the device a masqueraded connection leaves by.
    pub(crate) fn set_masq_index(&self, ifindex: i32) {
        self.masq_index.store(ifindex, Ordering::Relaxed);
    }

    /// The identifier ctnetlink and `ct id` show.
    pub(crate) fn id(&self) -> u32 {
        super::state::conn_id(self.as_nfct())
    }

    /// The raw hash of the tuple of direction `dir`.
    pub(crate) fn hash(&self, dir: Dir) -> u32 {
        self.reply.aux[dir.index()].load(Ordering::Relaxed)
    }

    /// The namespace state the connection belongs to.
    #[inline]
    pub(crate) fn owner(&self) -> &CtNet {
        // SAFETY: The owner outlives its connections (type invariants).
        unsafe { &*self.owner }
    }

    /// Whether the connection belongs to `ct`'s namespace.
    #[inline]
    pub(crate) fn owned_by(&self, ct: &CtNet) -> bool {
        core::ptr::eq(self.owner, ct)
    }

    /// The status bits.
    #[inline]
    pub(crate) fn status(&self) -> usize {
        self.status.load(Ordering::Acquire)
    }

    /// Sets status bits; returns the bits as they were.
    pub(crate) fn set_status(&self, bits: usize) -> usize {
        self.status.fetch_or(bits, Ordering::AcqRel)
    }

    /// The stored timeout: an absolute jiffies deadline once confirmed.
    pub(crate) fn timeout(&self) -> u32 {
        self.timeout.load(Ordering::Relaxed)
    }

    /// Sets the timeout.
    pub(crate) fn set_timeout(&self, t: u32) {
        if self.timeout() != t {
            self.timeout.store(t, Ordering::Relaxed);
        }
    }

    /// Jiffies left before a confirmed connection expires, zero once it has.
    pub(crate) fn expires_in(&self, now: u32) -> u32 {
        (self.timeout().wrapping_sub(now) as i32).max(0) as u32
    }

    /// Whether a confirmed connection has expired.
    #[inline]
    pub(crate) fn expired(&self, now: u32) -> bool {
        self.timeout().wrapping_sub(now) as i32 <= 0
    }

    /// References held.
    pub(crate) fn refs(&self) -> u32 {
        self.refs.read()
    }

    /// Takes a reference unless the connection is being freed.
    pub(crate) fn try_get(&self) -> Option<ARef<Self>> {
        if !self.refs.inc_not_zero() {
            return None;
        }
        // SAFETY: A reference was just taken, and is handed over.
        Some(unsafe { ARef::from_raw(NonNull::from(self)) })
    }

    fn is_tcp(&self) -> bool {
        self.orig.tuple.proto() == ipproto::TCP
    }

    /// Runs `f` on the protocol state and, for TCP, the window state. A TCP connection's are
    /// locked for the call; other protocols do not change their state after the first packet,
    /// and `f` gets copies.
    pub(crate) fn with_proto<R>(&self, f: impl FnOnce(&mut ProtoState, &mut TcpWindow) -> R) -> R {
        if !self.is_tcp() {
            // SAFETY: Only written at creation for these protocols (type invariants).
            let mut state = unsafe { *self.orig.aux.get() };
            return f(&mut state, &mut TcpWindow::default());
        }
        // The lock is initialised for connections (type invariants).
        let _guard = self.lock.lock();
        // CAST: A TCP connection is the head of an `Extended` with a window (type invariants).
        let window = (self as *const Self)
            .cast::<u8>()
            .wrapping_add(WINDOW)
            .cast::<UnsafeCell<TcpWindow>>();
        // SAFETY: `lock` is held until `f` returns, and writers of `proto` and the window hold it.
        f(unsafe { &mut *self.orig.aux.get() }, unsafe {
            &mut *(*window).get()
        })
    }

    /// The counters of both directions, if the connection counts.
    pub(crate) fn counters(&self) -> Option<&Counters> {
        if self.status() & bits::ACCT == 0 {
            return None;
        }
        let at = if self.is_tcp() {
            TCP_COUNTERS
        } else {
            COUNTERS
        };
        // CAST: With `ACCT` the connection is the head of an `Extended` with counters, at `at`
        // (type invariants).
        let counters = (self as *const Self)
            .cast::<u8>()
            .wrapping_add(at)
            .cast::<Counters>();
        // SAFETY: As above; the counters live as long as the connection.
        Some(unsafe { &*counters })
    }

    /// Where the tail starts in a connection of this kind.
    fn tail_at(tcp: bool, acct: bool) -> usize {
        match (tcp, acct) {
            (false, false) => KmemCache::<Extended<(), ()>>::TAIL,
            (false, true) => KmemCache::<Extended<(), Counters>>::TAIL,
            (true, false) => KmemCache::<Extended<UnsafeCell<TcpWindow>, ()>>::TAIL,
            (true, true) => KmemCache::<Extended<UnsafeCell<TcpWindow>, Counters>>::TAIL,
        }
    }

    /// The kind of the connection's tail.
    fn tail_kind(&self) -> usize {
        let status = self.status();
        let mut kind = 0;
        if status & bits::TSTAMP != 0 {
            kind |= tail::TSTAMP;
        }
        if status & bits::EVENTS != 0 {
            kind |= tail::EVENTS;
        }
        kind
    }

    /// The start of the tail, `offset` bytes in.
    fn tail_ptr(&self, offset: usize) -> *const u8 {
        let at = Self::tail_at(self.is_tcp(), self.status() & bits::ACCT != 0);
        (self as *const Self).cast::<u8>().wrapping_add(at + offset)
    }

    /// When the connection started and stopped, if it records that.
    pub(crate) fn timestamps(&self) -> Option<&Timestamps> {
        if self.status() & bits::TSTAMP == 0 {
            return None;
        }
        // CAST: With `TSTAMP` the tail starts with the timestamps (type invariants).
        let ts = self.tail_ptr(0).cast::<Timestamps>();
        // SAFETY: As above; they live as long as the connection.
        Some(unsafe { &*ts })
    }

    fn event_slot(&self) -> Option<&EventSlot> {
        let kind = self.tail_kind();
        if kind & tail::EVENTS == 0 {
            return None;
        }
        // CAST: With `EVENTS` the tail has the event slot where `tail::events` says (type
        // invariants).
        let slot = self.tail_ptr(tail::events(kind)).cast::<EventSlot>();
        // SAFETY: As above; it lives as long as the connection.
        Some(unsafe { &*slot })
    }

    /// The connection's event state, if its events reach listeners.
    #[inline]
    pub(crate) fn events(&self) -> Option<&EventCache> {
        if self.status() & bits::EVENTS == 0 {
            return None;
        }
        self.event_slot().map(|s| &s.cache)
    }

    /// Counts one packet of `bytes` bytes in direction `dir`, if the connection counts.
    pub(crate) fn account(&self, dir: Dir, bytes: u32) {
        if let Some(c) = self.counters() {
            c[dir.index()][0].fetch_add(1, Ordering::Relaxed);
            c[dir.index()][1].fetch_add(u64::from(bytes), Ordering::Relaxed);
        }
    }
}

// SAFETY: `rcu` is the connection's head.
unsafe impl RcuFree for Conn {
    const RCU_HEAD: usize = offset_of!(Conn, rcu);

    unsafe fn rcu_free(this: NonNull<Self>) {
        // SAFETY: Queued by `destroy` with no reference left; now no reader sees it either.
        unsafe { Conn::free(this) };
    }
}

impl Conn {
    /// The connection a packet carries, and the packet's state in it; borrowed with the packet.
    pub(crate) fn of_skb(skb: &Skb) -> Option<(&Conn, CtInfo)> {
        let nfct = skb.nfct();
        let ptr = nfct & !CtInfo::MASK;
        if ptr == 0 {
            return None;
        }
        let ctinfo = CtInfo::from_bits(nfct)?;
        // SAFETY: A connection pointer in `_nfct` is one of this module's: nf_conntrack, the only
        // other writer, cannot be loaded alongside it. The skb holds a reference while borrowed.
        Some((unsafe { Conn::from_nfct(ptr) }, ctinfo))
    }

    /// Takes the packet's connection off it, with the reference the skb held.
    pub(crate) fn detach(skb: &mut Skb) -> Option<ARef<Conn>> {
        let ptr = skb.nfct() & !CtInfo::MASK;
        skb.set_nfct(0);
        // SAFETY: The skb held a reference on its connection, which is handed over.
        NonNull::new(ptr as *mut Conn).map(|c| unsafe { ARef::from_raw(c) })
    }

    /// Makes `conn` the packet's connection, the skb taking over the reference, and releases the
    /// connection the packet carried before, if any.
    pub(crate) fn attach(skb: &mut Skb, conn: ARef<Conn>, ctinfo: CtInfo) {
        let old = skb.nfct() & !CtInfo::MASK;
        skb.set_nfct(ARef::into_raw(conn).as_ptr() as usize | ctinfo as usize);
        if let Some(old) = NonNull::new(old as *mut Conn) {
            // SAFETY: The skb held a reference on its previous connection, now given up.
            drop(unsafe { ARef::from_raw(old) });
        }
    }
}

/// Connections out of their table, each held by a reference the list owns: those whose
/// DESTROY event waits to be told again. Only connections with an event slot go on it, linked
/// through the slot; they are taken off all at once.
///
/// # Invariants
///
/// `head` and the links of the connections on the list are zero or the address of a connection
/// with an event slot, on which the list holds a reference, and which is on no other list.
pub(crate) struct DyingList {
    head: AtomicUsize,
}

impl DyingList {
    /// An empty list.
    pub(crate) const fn new() -> Self {
        // INVARIANT: Empty.
        Self {
            head: AtomicUsize::new(0),
        }
    }

    /// Puts `conn` on the list, which takes the reference; gives it back if the connection has
    /// no event slot, or is on a list already.
    pub(crate) fn push(&self, conn: ARef<Conn>) -> Result<(), ARef<Conn>> {
        let Some(slot) = conn.event_slot() else {
            return Err(conn);
        };
        // A connection leaves its table once, and only its table's reference goes on a list;
        // the mark keeps it off a second one all the same.
        if conn.set_status(bits::ON_DYING_LIST) & bits::ON_DYING_LIST != 0 {
            return Err(conn);
        }
        let addr = conn.as_nfct();
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            slot.link.store(head, Ordering::Relaxed);
            match self
                .head
                .compare_exchange(head, addr, Ordering::Release, Ordering::Relaxed)
            {
                Ok(_) => break,
                Err(h) => head = h,
            }
        }
        // INVARIANT: The list holds the reference from now on.
        core::mem::forget(conn);
        Ok(())
    }

    /// Takes every connection off the list, the last put on first.
    pub(crate) fn take(&self) -> DyingConns {
        DyingConns {
            link: self.head.swap(0, Ordering::Acquire),
        }
    }
}

impl Drop for DyingList {
    fn drop(&mut self) {
        drop(self.take());
    }
}

/// Connections taken off a [`DyingList`], with the references it held; those not taken from
/// the iterator are released when it drops.
///
/// # Invariants
///
/// `link` is zero or the first of a chain of connections as [`DyingList`] links them, whose
/// references the iterator owns.
pub(crate) struct DyingConns {
    link: usize,
}

impl Iterator for DyingConns {
    type Item = ARef<Conn>;

    fn next(&mut self) -> Option<ARef<Conn>> {
        let conn = NonNull::new(self.link as *mut Conn)?;
        // SAFETY: A link is a connection the iterator holds a reference on (type invariants).
        let c = unsafe { conn.as_ref() };
        // INVARIANT: The rest of the chain, linked through the slots of its connections.
        self.link = c.event_slot().map_or(0, |s| s.link.load(Ordering::Acquire));
        c.status.fetch_and(!bits::ON_DYING_LIST, Ordering::AcqRel);
        // SAFETY: The iterator's reference, handed over.
        Some(unsafe { ARef::from_raw(conn) })
    }
}

impl Drop for DyingConns {
    fn drop(&mut self) {
        for conn in self.by_ref() {
            drop(conn);
        }
    }
}

impl Conn {
    /// Gives a packet without a connection a template of zone `zone` of its namespace, for the
    /// connection it opens; `false` without memory.
    pub(crate) fn attach_template(skb: &mut Skb, state: &HookState, zone: Zone) -> bool {
        let template = state
            .net()
            .state::<CtNet>(state.rcu())
            .and_then(|ct| Conn::new_template(ct, zone));
        match template {
            Some(t) => {
                Conn::attach(skb, t, CtInfo::New);
                true
            }
            None => false,
        }
    }
}
