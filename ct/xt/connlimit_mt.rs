// SPDX-License-Identifier: GPL-2.0

//! The `connlimit` match: each rule keeps one list of connections per key (masked address and
//! zone), in buckets chosen by a keyed hash, under one lock.

use super::connlimit::{self, Key, KeyedLists, Outcome};
use super::data;
use crate::ct::conn::Conn;
use crate::ct::hash::HashKey;
use crate::ct::nft::conncount::{Entry, Pace};
use crate::ct::nft::counting::{packet_of, Counted, List, Table};
use crate::ct::packet::Packet;
use crate::ct::state::CtNet;
use crate::ct::sys::bindings;
use crate::ct::sys::percpu::this_cpu;
use crate::ct::sys::random;
use crate::ct::sys::sync::BhLock;
use crate::ct::sys::xtables::{Checked, Match, MatchPacket};
use crate::ct::tuple::L3;
use core::mem::offset_of;
use kernel::c_str;
use kernel::prelude::*;

/// Buckets of keys per rule.
const BUCKETS: usize = 256;

/// A key's list.
struct Keyed {
    key: Key,
    list: List,
}

/// The keys of one bucket: the first `len` of `slots`; slots past them are reused.
#[derive(Default)]
struct Bucket {
    slots: KVec<Keyed>,
    len: usize,
}

impl KeyedLists for Bucket {
    type List = Counted;

    fn find(&mut self, key: &Key) -> Option<(&mut Counted, &mut Pace)> {
        self.slots.as_mut_slice()[..self.len]
            .iter_mut()
            .find(|k| k.key == *key)
            .map(|k| k.list.parts())
    }

    fn prune_near(
        &mut self,
        _key: &Key,
        max: usize,
        prune: &mut dyn FnMut(&mut Counted, &mut Pace) -> bool,
    ) {
        let (mut i, mut seen) = (0, 0);
        while i < self.len && seen < max {
            seen += 1;
            let (entries, pace) = self.slots.as_mut_slice()[i].list.parts();
            if prune(entries, pace) {
                self.len -= 1;
                self.slots.as_mut_slice().swap(i, self.len);
            } else {
                i += 1;
            }
        }
    }

    fn insert(&mut self, key: Key, first: Entry) -> Result<(), ()> {
        let keyed = Keyed {
            key,
            list: List::with_first(first).ok_or(())?,
        };
        match self.slots.as_mut_slice().get_mut(self.len) {
            Some(slot) => *slot = keyed,
            None => self.slots.push(keyed, GFP_ATOMIC).map_err(|_| ())?,
        }
        self.len += 1;
        Ok(())
    }
}

/// What a `connlimit` rule keeps: its buckets and the key that spreads keys over them.
pub(crate) struct Counts {
    hash: HashKey,
    buckets: Pin<KBox<BhLock<KVec<Bucket>>>>,
}

/// Where the addresses lie in the network headers.
mod field {
    /// IPv4's source address.
    pub(super) const IPV4_SRC: usize = 12;
    /// IPv4's destination address.
    pub(super) const IPV4_DST: usize = 16;
    /// IPv6's source address.
    pub(super) const IPV6_SRC: usize = 8;
    /// IPv6's destination address.
    pub(super) const IPV6_DST: usize = 24;
}

/// The addresses of the packet's network header, source and destination.
fn addresses(pkt: &MatchPacket<'_>, l3: L3) -> Option<([u8; 16], [u8; 16])> {
    let net = pkt.skb().network(pkt.state().hook(), l3);
    let (mut src, mut dst) = ([0; 16], [0; 16]);
    match l3 {
        L3::Ipv4 => {
            src[..4].copy_from_slice(&net.read::<4>(field::IPV4_SRC)?);
            dst[..4].copy_from_slice(&net.read::<4>(field::IPV4_DST)?);
        }
        L3::Ipv6 => {
            src = net.read::<16>(field::IPV6_SRC)?;
            dst = net.read::<16>(field::IPV6_DST)?;
        }
    }
    Some((src, dst))
}

/// The `connlimit` match (revision 1).
pub(crate) struct Connlimit;

impl Match for Connlimit {
    type Data = bindings::xt_connlimit_info;
    type State = Counts;
    const STATE_FIELD: Option<usize> = Some(offset_of!(bindings::xt_connlimit_info, data));

    fn check(_par: &Checked, _data: &Self::Data) -> Result<Counts> {
        let mut buckets = KVec::with_capacity(BUCKETS, GFP_KERNEL)?;
        for _ in 0..BUCKETS {
            buckets.push(Bucket::default(), GFP_KERNEL)?;
        }
        let buckets = KBox::pin_init(
            BhLock::new(
                buckets,
                c_str!("rust_conntrack xt_connlimit"),
                kernel::static_lock_class!(),
            ),
            GFP_KERNEL,
        )?;
        Ok(Counts {
            hash: HashKey(random::key()),
            buckets,
        })
    }

    fn matches(data: &Self::Data, counts: &Counts, pkt: &mut MatchPacket<'_>) -> bool {
        let rule = data::connlimit(data);
        let l3 = pkt.state().l3();
        let n = (|| {
            let (src, dst) = addresses(pkt, l3)?;
            let zone = Conn::of_skb(pkt.skb()).map_or(0, |(c, _)| c.zone().id);
            let key = rule.key(l3, &src, &dst, zone);
            let packet = packet_of(pkt.skb(), pkt.state())?;
            let rcu = pkt.state().rcu();
            let ct = pkt.state().net().state::<CtNet>(rcu)?;
            let mut table = Table::new(ct, rcu);
            let at = counts.hash.words(&key.words()) as usize % BUCKETS;
            let mut buckets = counts.buckets.lock();
            let now = table.tick();
            let bucket = buckets.as_mut_slice().get_mut(at)?;
            connlimit::count(bucket, key, &mut table, &packet, now, this_cpu())
        })();
        match rule.outcome(n) {
            Outcome::Match => true,
            Outcome::NoMatch => false,
            Outcome::Drop => {
                pkt.hotdrop();
                false
            }
        }
    }
}
