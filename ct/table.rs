// SPDX-License-Identifier: GPL-2.0

//! The connection table, shared by every namespace as nf_conntrack's is.
//!
//! One bucket array serves all namespaces: an idle namespace costs no buckets, and a busy one
//! uses as many as it needs. Each connection's hashes mix in its namespace (see
//! [`CtNet::hash`]), so that the same tuples in many namespaces spread over the buckets, and
//! every lookup and walk on behalf of a namespace passes over the others' connections: a
//! namespace sees its table through a [`NetTable`].
//!
//! Each connection is linked into two buckets: by the hash of its original tuple and by the
//! hash of its reply tuple. Lookups walk a bucket under the RCU read lock, without locking;
//! inserting and unlinking take the locks of both buckets, from a striped set. An unlinked
//! connection stays readable until RCU readers are done with it (see [`Conn::destroy`]), and is
//! never linked again, so a reader standing on it still finds the rest of its chain.
//!
//! A link is the address of the next connection with the direction of its node in bit 0, or
//! zero at the end of a chain.

use super::conn::Conn;
use super::events::{self, Origin};
use super::state::CtNet;
use super::status::{bits, Dir};
use super::sys::sync::{Rcu, RcuGuard, SpinLockBh, SpinLockBhGuard};
use super::tuple::Tuple;
use super::zone::Zone;
use core::marker::PhantomData;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicUsize, Ordering};
use kernel::c_str;
use kernel::prelude::*;
use kernel::types::ARef;

/// Most bucket locks a table has; buckets share them by index modulo the count, a power of two.
const MAX_LOCKS: usize = 1024;
/// An insert fails when a bucket holds more than this many nodes...
const MIN_CHAIN: usize = 50;
/// ...plus up to this many more, varying per insert so that the limit cannot be aimed at.
const CHAIN_SPREAD: usize = 30;
/// How many buckets from a new connection's own early drop looks at.
const EVICTION_RANGE: usize = 8;

/// Why a connection could not go into the table.
pub(crate) enum InsertError {
    /// A live connection with the same tuple is there already.
    Clash(ARef<Conn>),
    /// The connection is in the table already: a clone of its packet put it there.
    Confirmed,
    /// A bucket is too full.
    ChainTooLong,
    /// The connection is being removed.
    Dying,
    /// The connection belongs to another namespace.
    Foreign,
}

/// The hash table of every namespace's connections.
///
/// # Invariants
///
/// Every link in `buckets` and in the nodes of linked connections is zero or points to a
/// confirmed connection on which the table holds a reference, in the chain of the bucket its
/// node's tuple hashes to. Links change only with that bucket's lock held. Each lock of `locks`
/// is initialised.
pub(crate) struct Table {
    buckets: KVVec<AtomicUsize>,
    locks: KVVec<SpinLockBh>,
}

fn link(conn: &Conn, dir: Dir) -> usize {
    conn.as_nfct() | dir.index()
}

/// What follows a connection's leaving the table, whose reference `table_ref` is: its stop
/// time, then its DESTROY event, which may keep the reference a while.
fn left(table_ref: ARef<Conn>, origin: Origin) {
    if let Some(ts) = table_ref.timestamps() {
        let now = super::sys::time::now();
        let late = now.wrapping_sub(table_ref.timeout()) as i32;
        let late_ns = super::sys::time::jiffies_to_ns(late.max(0) as u32);
        ts.stopped(super::sys::time::real_ns(), late_ns);
    }
    events::destroyed(table_ref, origin);
}

/// Expired connections an insert took out of the table, one per direction searched, which
/// leave once the insert's locks are released.
struct Reaped([Option<ARef<Conn>>; 2]);

impl Drop for Reaped {
    fn drop(&mut self) {
        for conn in self.0.iter_mut().filter_map(Option::take) {
            left(conn, Origin::TRACKER);
        }
    }
}

/// The connections of one bucket, in chain order.
pub(crate) struct Chain<'a> {
    link: usize,
    _rcu: PhantomData<&'a Rcu>,
}

impl<'a> Iterator for Chain<'a> {
    type Item = (&'a Conn, Dir);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.link == 0 {
            return None;
        }
        let dir = if self.link & 1 != 0 {
            Dir::Reply
        } else {
            Dir::Original
        };
        // SAFETY: Links point to connections in the table (type invariants); an unlinked one
        // is freed only after the RCU read section the iterator borrows has ended.
        let conn = unsafe { Conn::from_nfct(self.link & !1) };
        self.link = conn.next(dir).load(Ordering::Acquire);
        Some((conn, dir))
    }
}

impl Table {
    /// A table of `size` empty buckets.
    pub(crate) fn new(size: usize) -> Result<Self> {
        let mut buckets = KVVec::with_capacity(size, GFP_KERNEL)?;
        for _ in 0..size {
            buckets.push(AtomicUsize::new(0), GFP_KERNEL)?;
        }
        let nlocks = size.clamp(1, MAX_LOCKS).next_power_of_two().min(MAX_LOCKS);
        let mut locks = KVVec::with_capacity(nlocks, GFP_KERNEL)?;
        for _ in 0..nlocks {
            // SAFETY: Initialised just below, before any use.
            locks.push(unsafe { SpinLockBh::uninit() }, GFP_KERNEL)?;
        }
        // One lockdep class for all bucket locks, taken two at a time with the nested variant.
        let class = kernel::static_lock_class!();
        for lock in locks.iter() {
            // SAFETY: Each lock is initialised once, here, and the vector's storage never moves
            // again: it is neither grown nor shrunk.
            unsafe { lock.init(c_str!("rust_conntrack bucket"), class) };
        }
        // INVARIANT: All buckets are empty; all locks are initialised.
        Ok(Self { buckets, locks })
    }

    /// Number of buckets.
    pub(crate) fn size(&self) -> usize {
        self.buckets.len()
    }

    /// The bucket of a raw hash.
    #[inline]
    pub(crate) fn bucket(&self, hash: u32) -> usize {
        (u64::from(hash).wrapping_mul(self.buckets.len() as u64) >> 32) as usize
    }

    /// The connections of bucket `b`.
    #[inline]
    pub(crate) fn walk<'a>(&'a self, b: usize, _rcu: &'a Rcu) -> Chain<'a> {
        Chain {
            link: self.buckets[b].load(Ordering::Acquire),
            _rcu: PhantomData,
        }
    }

    /// Locks the buckets `a` and `b`.
    fn lock_pair(&self, a: usize, b: usize) -> (SpinLockBhGuard<'_>, Option<SpinLockBhGuard<'_>>) {
        let mask = self.locks.len() - 1;
        let (a, b) = (a & mask, b & mask);
        match a.cmp(&b) {
            core::cmp::Ordering::Equal => (self.locks[a].lock(), None),
            core::cmp::Ordering::Less => (self.locks[a].lock(), Some(self.locks[b].lock_nested())),
            core::cmp::Ordering::Greater => {
                (self.locks[b].lock(), Some(self.locks[a].lock_nested()))
            }
        }
    }

    /// Links an unconfirmed connection into the table and marks it confirmed, its timeout
    /// counted from `now`.
    fn insert(&self, conn: &Conn, now: u32) -> Result<(), InsertError> {
        // NAT changes an unconfirmed connection's reply tuple: not while it goes in.
        conn.with_tuples_frozen(|| self.insert_frozen(conn, now))
    }

    fn insert_frozen(&self, conn: &Conn, now: u32) -> Result<(), InsertError> {
        let hashes = [conn.hash(Dir::Original), conn.hash(Dir::Reply)];
        let buckets = hashes.map(|h| self.bucket(h));
        let max_chain = MIN_CHAIN + (hashes[0] ^ now) as usize % CHAIN_SPREAD;
        // Declared before the locks, so that what it holds leaves once they are released.
        let mut reaped = Reaped([None, None]);
        let locks = self.lock_pair(buckets[0], buckets[1]);
        let rcu = locks.0.rcu();
        let status = conn.status();
        if status & bits::CONFIRMED != 0 {
            return Err(InsertError::Confirmed);
        }
        if status & bits::DYING != 0 {
            return Err(InsertError::Dying);
        }
        let owner = conn.owner();
        for dir in [Dir::Original, Dir::Reply] {
            let mut len = 0;
            for (other, odir) in self.walk(buckets[dir.index()], rcu) {
                len += 1;
                if other.tuple(odir) != conn.tuple(dir)
                    || !other.owned_by(owner)
                    || other.zone().id_of(odir) != conn.zone().id_of(dir)
                    || other.status() & bits::DYING != 0
                {
                    if len > max_chain {
                        return Err(InsertError::ChainTooLong);
                    }
                    continue;
                }
                if !other.expired(now) {
                    return other
                        .try_get()
                        .map_or(Err(InsertError::Dying), |o| Err(InsertError::Clash(o)));
                }
                // An expired connection with the same tuples: its other node hashes like our
                // other tuple, so both its buckets are locked. Take it out.
                if other.set_status(bits::DYING) & bits::DYING == 0 {
                    self.unlink_locked(other);
                    // SAFETY: The table's reference, given up now that `other` is unlinked.
                    reaped.0[dir.index()] = Some(unsafe { ARef::from_raw(NonNull::from(other)) });
                }
                break;
            }
        }
        conn.set_timeout(conn.timeout().wrapping_add(now));
        conn.set_status(bits::CONFIRMED);
        // The table's reference.
        core::mem::forget(conn.try_get());
        for dir in [Dir::Original, Dir::Reply] {
            let head = &self.buckets[buckets[dir.index()]];
            conn.next(dir)
                .store(head.load(Ordering::Relaxed), Ordering::Relaxed);
            // Publishes the connection with its timeout and status to lockless readers.
            head.store(link(conn, dir), Ordering::Release);
        }
        Ok(())
    }

    /// Unlinks `conn` from both its buckets, whose locks the caller holds.
    fn unlink_locked(&self, conn: &Conn) {
        for dir in [Dir::Original, Dir::Reply] {
            let mut prev = &self.buckets[self.bucket(conn.hash(dir))];
            let target = link(conn, dir);
            loop {
                let l = prev.load(Ordering::Relaxed);
                if l == 0 {
                    break;
                }
                if l == target {
                    prev.store(conn.next(dir).load(Ordering::Relaxed), Ordering::Release);
                    break;
                }
                // SAFETY: A link in a locked bucket points to a connection in the table.
                let c = unsafe { Conn::from_nfct(l & !1) };
                prev = c.next(if l & 1 != 0 {
                    Dir::Reply
                } else {
                    Dir::Original
                });
            }
        }
    }

    /// Removes a confirmed connection from the table on behalf of `origin`, which its DESTROY
    /// event names, unless someone else is doing so; returns whether this call did.
    pub(crate) fn kill(&self, conn: &Conn, origin: Origin) -> bool {
        // Only a confirmed connection is in the table and holds the table's reference.
        if conn.status() & bits::CONFIRMED == 0 || conn.set_status(bits::DYING) & bits::DYING != 0 {
            return false;
        }
        {
            let _locks = self.lock_pair(
                self.bucket(conn.hash(Dir::Original)),
                self.bucket(conn.hash(Dir::Reply)),
            );
            self.unlink_locked(conn);
        }
        // SAFETY: The table's reference: `conn` was confirmed, so in the table until now.
        left(unsafe { ARef::from_raw(NonNull::from(conn)) }, origin);
        true
    }
}

/// The table as one namespace sees it: its own connections only.
#[derive(Clone, Copy)]
pub(crate) struct NetTable<'a> {
    table: &'a Table,
    owner: &'a CtNet,
}

impl<'a> NetTable<'a> {
    /// The connections of `owner` in `table`.
    pub(crate) fn new(table: &'a Table, owner: &'a CtNet) -> Self {
        Self { table, owner }
    }

    /// Number of buckets.
    pub(crate) fn size(&self) -> usize {
        self.table.size()
    }

    /// The bucket of a raw hash.
    #[inline]
    pub(crate) fn bucket(&self, hash: u32) -> usize {
        self.table.bucket(hash)
    }

    /// The namespace's connections in bucket `b`.
    #[inline]
    pub(crate) fn walk<'r>(
        &self,
        b: usize,
        rcu: &'r Rcu,
    ) -> impl Iterator<Item = (&'r Conn, Dir)> + use<'r, 'a>
    where
        'a: 'r,
    {
        let owner = self.owner;
        self.table
            .walk(b, rcu)
            .filter(move |(c, _)| c.owned_by(owner))
    }

    /// Finds the namespace's live connection with tuple `t` in either direction, in `zone` as
    /// that direction sees it, with a reference; `hash` is the raw hash of `t` in the zone's
    /// original direction. Expired connections found on the way are removed.
    #[inline(always)]
    pub(crate) fn find(
        &self,
        t: &Tuple,
        zone: Zone,
        hash: u32,
        now: u32,
        rcu: &Rcu,
    ) -> Option<(ARef<Conn>, Dir)> {
        for (conn, dir) in self.table.walk(self.bucket(hash), rcu) {
            if conn.tuple(dir) != *t
                || !conn.owned_by(self.owner)
                || conn.zone().id_of(dir) != zone.id_of(dir)
                || conn.status() & bits::DYING != 0
            {
                continue;
            }
            if conn.expired(now) {
                self.table.kill(conn, Origin::TRACKER);
                continue;
            }
            if let Some(conn) = conn.try_get() {
                return Some((conn, dir));
            }
        }
        None
    }

    /// Links an unconfirmed connection of the namespace into the table and marks it
    /// confirmed, its timeout counted from `now`.
    pub(crate) fn insert(&self, conn: &Conn, now: u32) -> Result<(), InsertError> {
        if !conn.owned_by(self.owner) {
            return Err(InsertError::Foreign);
        }
        self.table.insert(conn, now)
    }

    /// Removes a confirmed connection of the namespace from the table, unless someone else is
    /// doing so; returns whether this call did. Another namespace's connection is left alone.
    pub(crate) fn kill(&self, conn: &Conn) -> bool {
        self.kill_by(conn, Origin::TRACKER)
    }

    /// As [`NetTable::kill`], on behalf of `origin`, which its DESTROY event names.
    pub(crate) fn kill_by(&self, conn: &Conn, origin: Origin) -> bool {
        conn.owned_by(self.owner) && self.table.kill(conn, origin)
    }

    /// Evicts every connection of the namespace that is not assured from the first bucket, of
    /// those near `hash`'s, that has any; returns how many.
    pub(crate) fn early_drop(&self, hash: u32) -> u32 {
        let rcu = RcuGuard::new();
        let size = self.size();
        let first = self.bucket(hash);
        for i in 0..EVICTION_RANGE.min(size) {
            let b = if first + i < size {
                first + i
            } else {
                first + i - size
            };
            let mut dropped = 0;
            for (conn, _) in self.walk(b, &rcu) {
                if conn.status() & (bits::ASSURED | bits::DYING) == 0 && self.kill(conn) {
                    dropped += 1;
                }
            }
            if dropped > 0 {
                return dropped;
            }
        }
        0
    }

    /// Removes every connection of the namespace; process context only.
    pub(crate) fn flush(&self) {
        self.kill_where(true, |_| true);
    }

    /// Removes every connection of the namespace that `pred` picks; `may_sleep` in process
    /// context, where the walk yields the CPU now and then.
    pub(crate) fn kill_where(&self, may_sleep: bool, mut pred: impl FnMut(&Conn) -> bool) {
        // Nothing of an idle namespace's is in the table: spare it the walk.
        if self.owner.count.load(Ordering::Acquire) == 0 {
            return;
        }
        for b in 0..self.size() {
            let rcu = RcuGuard::new();
            for (conn, dir) in self.walk(b, &rcu) {
                if dir == Dir::Original && pred(conn) {
                    self.kill(conn);
                }
            }
            drop(rcu);
            if may_sleep && b % 1024 == 1023 {
                super::sys::work::cond_resched();
            }
        }
    }
}
