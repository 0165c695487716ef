// SPDX-License-Identifier: GPL-2.0

//! The connection tracking state of one network namespace: its counters and settings, and its
//! view of the shared table.
//!
//! The packet path, the garbage collector, the files and the sysctls all work on this state;
//! `netns` sets it up and tears it down with its namespace.

use super::conn::Conn;
use super::events::NetEvents;
use super::format::Stats;
use super::hash::HashKey;
use super::limits::{self, Adaptive};
use super::proto::Timeouts;
use super::shared::Shared;
use super::status::Dir;
use super::sys::bindings;
use super::sys::net::Net;
use super::sys::netfilter::Hook;
use super::sys::percpu::PerCpu;
use super::sys::sync::Rcu;
use super::table::NetTable;
use super::tuple::{Tuple, L3};
use super::zone::Zone;
use core::sync::atomic::{AtomicI32, AtomicU64, AtomicU8, Ordering};
use kernel::prelude::*;
use kernel::types::ARef;

/// The most connections a namespace may hold, zero for no limit (`nf_conntrack_max`); set from
/// the init namespace.
pub(crate) static MAX: AtomicI32 = AtomicI32::new(0);
/// Buckets in the table (`nf_conntrack_buckets`).
pub(crate) static BUCKETS: AtomicI32 = AtomicI32::new(0);

/// The key of the table's hash and of connection identifiers, drawn when the module loads.
static HASH_KEY: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];

/// Sets the key; before any namespace has state.
pub(crate) fn set_hash_key(key: [u64; 2]) {
    HASH_KEY[0].store(key[0], Ordering::Relaxed);
    HASH_KEY[1].store(key[1], Ordering::Relaxed);
}

#[inline(always)]
fn key() -> HashKey {
    HashKey([
        HASH_KEY[0].load(Ordering::Relaxed),
        HASH_KEY[1].load(Ordering::Relaxed),
    ])
}

/// The identifier of the connection at `addr`, as ctnetlink and `ct id` show it.
pub(crate) fn conn_id(addr: usize) -> u32 {
    key().id(addr as u64)
}

/// Packets seen at each hook, per network protocol: `[l3][hook]`.
#[derive(Clone, Copy, Default)]
#[repr(C)]
pub(crate) struct HookCounts([[u32; 5]; 2]);

impl HookCounts {
    /// The counter of `hook` for `l3`.
    #[inline]
    pub(crate) fn at(&self, l3: L3, hook: Hook) -> &u32 {
        let row = match l3 {
            L3::Ipv4 => 0,
            L3::Ipv6 => 1,
        };
        &self.0[row][hook as usize]
    }
}

/// Connection tracking state of one network namespace.
///
/// # Invariants
///
/// `net` is the namespace the state belongs to, alive as long as the state.
#[pin_data]
pub(crate) struct CtNet {
    /// The namespace.
    net: *mut bindings::net,
    /// What the namespace changes in its tuples' hashes.
    mix: u32,
    /// Connections allocated and not yet freed (`nf_conntrack_count`).
    pub(crate) count: AtomicI32,
    /// Templates allocated and not yet freed; they are not connections, and not in `count`.
    pub(crate) templates: AtomicI32,
    /// The namespace's own limit on connections, below the shared `nf_conntrack_max`; zero for
    /// none ([`limits`]).
    ///
    /// [`limits`]: super::limits
    pub(crate) limit: AtomicI32,
    /// Adaptive timeouts' start and end, in percent of the limit; start 0 for off.
    pub(crate) adaptive: [AtomicU8; 2],
    /// Per-CPU statistics.
    pub(crate) stats: PerCpu<Stats>,
    /// Per-CPU packets seen at each hook.
    pub(crate) hooks_seen: PerCpu<HookCounts>,
    /// Protocol timeouts, in seconds.
    pub(crate) timeouts: Timeouts,
    /// Whether new connections count packets and bytes (`nf_conntrack_acct`).
    pub(crate) acct: AtomicU8,
    /// Whether checksums are verified on input (`nf_conntrack_checksum`).
    pub(crate) checksum: AtomicU8,
    /// The protocol whose invalid packets are logged, 255 for all, 0 for none
    /// (`nf_conntrack_log_invalid`).
    pub(crate) log_invalid: AtomicU8,
    /// Whether new connections record when they start and stop (`nf_conntrack_timestamp`).
    pub(crate) tstamp: AtomicU8,
    /// The events of the namespace's connections.
    #[pin]
    pub(crate) events: NetEvents,
}

// SAFETY: The namespace pointer is valid from any thread; everything else is atomic or
// synchronised.
unsafe impl Send for CtNet {}
// SAFETY: As above.
unsafe impl Sync for CtNet {}

impl CtNet {
    /// The state of `net`.
    pub(crate) fn new(net: &Net) -> Result<impl PinInit<Self, Error> + use<>> {
        let net = net.as_ptr();
        // Random, as the kernel's own per-namespace hash mix.
        let mix = super::sys::random::key()[0] as u32;
        let (stats, hooks_seen) = (PerCpu::new()?, PerCpu::new()?);
        // INVARIANT: The state is made for `net`.
        Ok(try_pin_init!(Self {
            net,
            mix,
            count: AtomicI32::new(0),
            templates: AtomicI32::new(0),
            limit: AtomicI32::new(0),
            adaptive: [AtomicU8::new(0), AtomicU8::new(0)],
            stats,
            hooks_seen,
            timeouts: Timeouts::new(),
            acct: AtomicU8::new(u8::from(super::sys::params::acct())),
            checksum: AtomicU8::new(1),
            log_invalid: AtomicU8::new(0),
            tstamp: AtomicU8::new(0),
            events <- NetEvents::new(),
        }? Error))
    }

    /// The namespace.
    pub(crate) fn net(&self) -> &Net {
        // SAFETY: The namespace outlives its state (type invariants).
        unsafe { Net::from_raw(self.net) }
    }

    /// The namespace's connections in the table.
    #[inline]
    pub(crate) fn table(&self) -> NetTable<'_> {
        NetTable::new(Shared::get().table(), self)
    }

    /// A connection of the namespace expires at `deadline`; `now` is the current time.
    #[inline]
    pub(crate) fn expires_at(&self, now: u32, deadline: u32) {
        Shared::get().expires_at(now, deadline);
    }

    /// The raw hash of tuple `t` in the namespace, in the zone of identifier `zone`: the zone
    /// the tuple's direction is in.
    #[inline(always)]
    pub(crate) fn hash(&self, t: &Tuple, zone: u16) -> u32 {
        let key = key();
        key.hash(t) ^ key.zone(zone) ^ self.mix
    }

    /// Finds the live connection with tuple `t` in either direction, in `zone`, with a
    /// reference: hashed with the zone of the original direction, then, if the reply
    /// direction's differs, with that one (`nf_conntrack_find_get()`).
    pub(crate) fn find(
        &self,
        t: &Tuple,
        zone: Zone,
        now: u32,
        rcu: &Rcu,
    ) -> Option<(ARef<Conn>, Dir)> {
        self.find_hashed(t, zone, self.hash(t, zone.id_of(Dir::Original)), now, rcu)
    }

    /// [`CtNet::find`], with `hash` the raw hash of `t` in the original direction's zone.
    #[inline(always)]
    pub(crate) fn find_hashed(
        &self,
        t: &Tuple,
        zone: Zone,
        hash: u32,
        now: u32,
        rcu: &Rcu,
    ) -> Option<(ARef<Conn>, Dir)> {
        let (orig, reply) = (zone.id_of(Dir::Original), zone.id_of(Dir::Reply));
        let table = self.table();
        match table.find(t, zone, hash, now, rcu) {
            None if reply != orig => table.find(t, zone, self.hash(t, reply), now, rcu),
            found => found,
        }
    }

    /// The most connections the namespace may hold; zero for no limit.
    pub(crate) fn max(&self) -> i32 {
        limits::effective_max(
            MAX.load(Ordering::Relaxed),
            self.limit.load(Ordering::Relaxed),
        )
    }

    /// The timeout, in jiffies, of a connection not assured yet that was given `timeout`:
    /// shorter when the namespace nears its limit and adaptive timeouts are on.
    #[inline]
    pub(crate) fn unassured_timeout(&self, timeout: u32) -> u32 {
        let start = self.adaptive[0].load(Ordering::Relaxed);
        if start == 0 {
            return timeout;
        }
        let adaptive = Adaptive {
            start: u32::from(start),
            end: u32::from(self.adaptive[1].load(Ordering::Relaxed)),
        };
        adaptive.scale(timeout, self.count.load(Ordering::Relaxed), self.max())
    }
}
