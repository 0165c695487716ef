// SPDX-License-Identifier: GPL-2.0

//! A tracked connection, and its life: allocation, references, freeing after RCU readers.
//!
//! Packets carry their connection in `skb->_nfct`, where kernel code outside conntrack (IP
//! defragmentation, nfnetlink_queue, the flow dissector, socket lookup, tc classifiers) reads it
//! as a `struct nf_conn`. A connection therefore begins with a head laid out exactly as
//! `struct nf_conn` up to its protocol area, checked at build time against the kernel's own
//! definition, and keeps the fields those readers use as nf_conntrack keeps them: the reference
//! count, the zone, both tuples, the status bits, the namespace, no master, a mark of zero and no
//! extensions. The rest of the head, which only conntrack itself reads in `struct nf_conn`, holds
//! this module's own data.

use super::proto::ProtoState;
use super::status::{bits, CtInfo, Dir};
use super::sys::bindings;
use super::sys::net::Net;
use super::sys::skb::Skb;
use super::sys::slab::KmemCache;
use super::sys::sync::{LockClass, RcuHead, Refcount, SpinLockBh};
use super::tuple::{ipproto, Tuple};
use core::cell::UnsafeCell;
use core::mem::offset_of;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use kernel::c_str;
use kernel::ffi::c_void;
use kernel::prelude::*;
use kernel::types::{ARef, AlwaysRefCounted};

/// One direction of a connection as a hash table holds it: `struct nf_conntrack_tuple_hash`.
#[repr(C)]
struct HashNode<A> {
    /// The next connection in this direction's bucket: see [`Link`]. In place of
    /// `hnnode.next`.
    next: AtomicUsize,
    /// Per-direction data of this module, in place of `hnnode.pprev`, which only nf_conntrack
    /// reads.
    aux: A,
    tuple: Tuple,
}

/// A tracked connection.
///
/// # Invariants
///
/// - `refs` counts the references: one per skb whose `_nfct` points here, one held by the table
///   while the connection is in it, and one per [`ARef`]. The object is freed when it drops to
///   zero, after an RCU grace period if it was ever in the table.
/// - The object was allocated from [`Caches::acct`] if `status` has [`bits::ACCT`], from
///   [`Caches::plain`] otherwise, and in the first case is the head of a [`ConnAcct`].
/// - The tuples, `hashes` and `net` do not change after creation.
/// - `lock` is initialised if the connection is TCP's, the only protocol that changes its
///   `proto` state after creation; `proto` is written at creation, then only with `lock` held.
#[repr(C)]
pub(crate) struct Conn {
    refs: Refcount,
    lock: SpinLockBh,
    /// When the connection expires, in jiffies; relative to confirmation until then.
    timeout: AtomicU32,
    #[cfg(CONFIG_NF_CONNTRACK_ZONES)]
    zone: bindings::nf_conntrack_zone,
    orig: HashNode<UnsafeCell<ProtoState>>,
    /// The raw hashes of the original and reply tuples.
    reply: HashNode<[u32; 2]>,
    status: AtomicUsize,
    net: *mut bindings::net,
    #[cfg(CONFIG_NF_NAT)]
    nat_bysource: [usize; 2],
    master: *mut c_void,
    #[cfg(CONFIG_NF_CONNTRACK_MARK)]
    mark: u32,
    #[cfg(CONFIG_NF_CONNTRACK_SECMARK)]
    secmark: u32,
    ext: *mut c_void,
    rcu: RcuHead,
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
    assert!(offset_of!(Conn, rcu) == offset_of!(bindings::nf_conn, proto));
};

/// A connection with packet and byte counters.
#[repr(C)]
pub(crate) struct ConnAcct {
    conn: Conn,
    /// Packets and bytes, per direction.
    counters: [[AtomicU64; 2]; 2],
}

// SAFETY: Connections are shared between CPUs by design; all shared mutable state is atomic or
// guarded by `lock`.
unsafe impl Send for Conn {}
// SAFETY: As above.
unsafe impl Sync for Conn {}

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

/// The slab caches connections come from.
pub(crate) struct Caches {
    /// Connections without counters.
    plain: KmemCache,
    /// Connections with counters.
    acct: KmemCache,
}

/// Connections freed so far, for tests of when freeing happens.
#[cfg(kunit)]
pub(crate) static FREED: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

/// The caches, while the module is loaded.
static CACHES: AtomicPtr<Caches> = AtomicPtr::new(core::ptr::null_mut());

impl Caches {
    /// Creates the caches and makes them the ones connections use.
    ///
    /// # Safety
    ///
    /// No other `Caches` may be installed; the returned box must be passed to
    /// [`Caches::uninstall`] before it is dropped, once every connection is freed.
    pub(crate) unsafe fn install() -> Result<KBox<Self>> {
        let caches = KBox::new(
            Self {
                plain: KmemCache::new(c_str!("rust_conntrack"), core::mem::size_of::<Conn>())?,
                acct: KmemCache::new(
                    c_str!("rust_conntrack_acct"),
                    core::mem::size_of::<ConnAcct>(),
                )?,
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

    fn get() -> &'static Self {
        // SAFETY: Connections exist only while the caches are installed (`install`'s safety
        // requirements), and only they call this.
        unsafe { &*CACHES.load(Ordering::Acquire) }
    }
}

/// What a new connection starts with.
pub(crate) struct NewConn<'a> {
    /// The namespace it belongs to.
    pub(crate) net: &'a Net,
    /// Tuple of the original direction.
    pub(crate) orig: Tuple,
    /// Tuple of the reply direction.
    pub(crate) reply: Tuple,
    /// Raw hashes of `orig` and `reply`.
    pub(crate) hashes: [u32; 2],
    /// Protocol state after the first packet.
    pub(crate) proto: ProtoState,
    /// Jiffies from confirmation to expiry.
    pub(crate) timeout: u32,
    /// Initial status bits.
    pub(crate) status: usize,
    /// Whether to count packets and bytes.
    pub(crate) acct: bool,
}

impl Conn {
    /// Allocates an unconfirmed connection holding one reference, without sleeping.
    pub(crate) fn new(n: NewConn<'_>) -> Option<ARef<Self>> {
        let caches = Caches::get();
        let (cache, status) = match n.acct {
            true => (&caches.acct, n.status | bits::ACCT),
            false => (&caches.plain, n.status & !bits::ACCT),
        };
        let ptr = cache.alloc_atomic()?.cast::<Conn>();
        // SAFETY: `ptr` is a fresh allocation of the size of a `Conn`, or of a `ConnAcct` when
        // accounting; nothing else can see it yet. The lock is initialised for TCP, the only
        // protocol that takes it (`with_proto`).
        unsafe {
            ptr.as_ptr().write(Conn {
                refs: core::mem::zeroed(),
                lock: SpinLockBh::uninit(),
                timeout: AtomicU32::new(n.timeout),
                #[cfg(CONFIG_NF_CONNTRACK_ZONES)]
                zone: bindings::nf_conntrack_zone {
                    id: 0,
                    flags: 0,
                    dir: bindings::NF_CT_DEFAULT_ZONE_DIR,
                },
                orig: HashNode {
                    next: AtomicUsize::new(0),
                    aux: UnsafeCell::new(n.proto),
                    tuple: n.orig.with_dir(0),
                },
                reply: HashNode {
                    next: AtomicUsize::new(0),
                    aux: n.hashes,
                    tuple: n.reply.with_dir(1),
                },
                status: AtomicUsize::new(status),
                net: n.net.as_ptr(),
                #[cfg(CONFIG_NF_NAT)]
                nat_bysource: [0; 2],
                master: core::ptr::null_mut(),
                #[cfg(CONFIG_NF_CONNTRACK_MARK)]
                mark: 0,
                #[cfg(CONFIG_NF_CONNTRACK_SECMARK)]
                secmark: 0,
                ext: core::ptr::null_mut(),
                rcu: core::mem::zeroed(),
            });
            let conn = ptr.as_ref();
            if conn.is_tcp() {
                conn.lock.init(LockClass::Conn);
            }
            if n.acct {
                let acct = ptr.cast::<ConnAcct>().as_ptr();
                (&raw mut (*acct).counters).write(core::mem::zeroed());
            }
            conn.refs.set(1);
        }
        // INVARIANT: One reference, the one returned; allocated from the cache `status` names.
        // SAFETY: The object is initialised and the reference is handed over.
        Some(unsafe { ARef::from_raw(ptr) })
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
        let conn = unsafe { obj.as_ref() };
        if conn.status() & bits::CONFIRMED != 0 {
            // SAFETY: The head is unused; RCU readers that found the connection in the table
            // may still read it until `free_rcu` runs.
            unsafe { conn.rcu.call(free_rcu) };
        } else {
            // SAFETY: Never in the table: no reader but the last reference holder saw it.
            unsafe { Self::free(obj) };
        }
    }

    /// Frees the memory, then tells the namespace, whose teardown waits until its connections
    /// are gone: that must come last.
    ///
    /// # Safety
    ///
    /// `obj` must be unreferenced and unreachable.
    unsafe fn free(obj: NonNull<Self>) {
        // SAFETY: The memory is still valid.
        let net = unsafe { obj.as_ref() }.net;
        // SAFETY: As the function's safety requirements; the cache is the one `status` names
        // (type invariants).
        unsafe {
            let caches = Caches::get();
            let cache = if obj.as_ref().status() & bits::ACCT != 0 {
                &caches.acct
            } else {
                &caches.plain
            };
            cache.free(obj.cast());
        }
        #[cfg(kunit)]
        FREED.fetch_add(1, Ordering::Relaxed);
        // SAFETY: The connection just freed was of `net` and counted there; the namespace is
        // alive until that count drops.
        unsafe { super::netns::released(Net::from_raw(net)) };
    }

    /// The pointer stored in `skb->_nfct`.
    pub(crate) fn as_nfct(&self) -> usize {
        self as *const Self as usize
    }

    /// The tuple of direction `dir`.
    #[inline]
    pub(crate) fn tuple(&self, dir: Dir) -> &Tuple {
        match dir {
            Dir::Original => &self.orig.tuple,
            Dir::Reply => &self.reply.tuple,
        }
    }

    /// The link to the next connection in direction `dir`'s bucket.
    #[inline]
    pub(crate) fn next(&self, dir: Dir) -> &AtomicUsize {
        match dir {
            Dir::Original => &self.orig.next,
            Dir::Reply => &self.reply.next,
        }
    }

    /// The raw hash of the tuple of direction `dir`.
    pub(crate) fn hash(&self, dir: Dir) -> u32 {
        self.reply.aux[dir.index()]
    }

    /// The namespace of the connection.
    pub(crate) fn net(&self) -> &Net {
        // SAFETY: The namespace outlives its connections.
        unsafe { Net::from_raw(self.net) }
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

    /// Runs `f` on the protocol state. A TCP connection's is locked for the call; other
    /// protocols do not change their state after the first packet, and `f` gets a copy.
    pub(crate) fn with_proto<R>(&self, f: impl FnOnce(&mut ProtoState) -> R) -> R {
        if !self.is_tcp() {
            // SAFETY: Only written at creation for these protocols (type invariants).
            return f(&mut unsafe { *self.orig.aux.get() });
        }
        // The lock is initialised for TCP connections (type invariants).
        let _guard = self.lock.lock();
        // SAFETY: `lock` is held until `f` returns, and writers of `proto` hold it.
        f(unsafe { &mut *self.orig.aux.get() })
    }

    /// The counters of both directions, if the connection counts.
    pub(crate) fn counters(&self) -> Option<&[[AtomicU64; 2]; 2]> {
        if self.status() & bits::ACCT == 0 {
            return None;
        }
        // SAFETY: With `ACCT` the object is a `ConnAcct` (type invariants).
        Some(unsafe { &(*(self as *const Self).cast::<ConnAcct>()).counters })
    }

    /// Counts one packet of `bytes` bytes in direction `dir`, if the connection counts.
    pub(crate) fn account(&self, dir: Dir, bytes: u32) {
        if let Some(c) = self.counters() {
            c[dir.index()][0].fetch_add(1, Ordering::Relaxed);
            c[dir.index()][1].fetch_add(u64::from(bytes), Ordering::Relaxed);
        }
    }
}

/// Frees a connection once RCU readers are done with it.
///
/// # Safety
///
/// `head` must be the `rcu` field of a connection queued by [`Conn::destroy`].
unsafe extern "C" fn free_rcu(head: *mut bindings::callback_head) {
    // SAFETY: `head` is the `rcu` field of a connection queued by `destroy`, now unreachable.
    unsafe {
        let conn = head.cast::<u8>().sub(offset_of!(Conn, rcu)).cast::<Conn>();
        Conn::free(NonNull::new_unchecked(conn));
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
