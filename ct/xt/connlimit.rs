// SPDX-License-Identifier: GPL-2.0

//! The `connlimit` match: how many open connections share the packet's masked source (or
//! destination) address and zone, against a limit, as xt_connlimit counts them with
//! nf_conncount: one list of connections per key, counted as `ct count` counts one.

use crate::ct::nft::conncount::{self, Entries, Entry, Lookup, Pace, Packet};
use crate::ct::tuple::L3;

/// The rule's flags (`XT_CONNLIMIT_*`).
pub(crate) mod flags {
    /// `--connlimit-upto`: the rule matches up to the limit rather than above it.
    pub(crate) const INVERT: u32 = 1 << 0;
    /// `--connlimit-daddr`: count by destination address.
    pub(crate) const DADDR: u32 = 1 << 1;
}

/// Lists pruned at most when a new key arrives (`CONNCOUNT_GC_MAX_NODES`).
const GC_MAX_NODES: usize = 8;

/// A `connlimit` rule (`struct xt_connlimit_info`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConnlimitRule {
    /// `--connlimit-mask`, network order.
    pub(crate) mask: [u8; 16],
    /// `--connlimit-above` or `--connlimit-upto`.
    pub(crate) limit: u32,
    /// [`flags`].
    pub(crate) flags: u32,
}

/// What connections are counted together: an address under the rule's mask, and a zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Key {
    addr: [u8; 16],
    zone: u16,
}

impl Key {
    /// The key as words, for hashing.
    pub(crate) fn words(&self) -> [u64; 3] {
        let mut w = [0u8; 24];
        w[..16].copy_from_slice(&self.addr);
        w[16..18].copy_from_slice(&self.zone.to_ne_bytes());
        let word = |i: usize| {
            let mut b = [0; 8];
            b.copy_from_slice(&w[i * 8..i * 8 + 8]);
            u64::from_ne_bytes(b)
        };
        [word(0), word(1), word(2)]
    }
}

/// What the match answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The rule matches.
    Match,
    /// It does not.
    NoMatch,
    /// The packet could not be counted (no memory, or unreadable): it is dropped.
    Drop,
}

impl ConnlimitRule {
    /// Whether the rule counts by destination rather than source.
    pub(crate) fn by_destination(&self) -> bool {
        self.flags & flags::DADDR != 0
    }

    /// The key of a packet from `src` to `dst`, of family `l3`, in zone `zone`.
    pub(crate) fn key(&self, l3: L3, src: &[u8; 16], dst: &[u8; 16], zone: u16) -> Key {
        let addr = if self.by_destination() { dst } else { src };
        let len = match l3 {
            L3::Ipv4 => 4,
            L3::Ipv6 => 16,
        };
        let mut masked = [0; 16];
        for i in 0..len {
            masked[i] = addr[i] & self.mask[i];
        }
        Key { addr: masked, zone }
    }

    /// The answer for `count` connections with the packet's key, `None` if it was not counted.
    pub(crate) fn outcome(&self, count: Option<usize>) -> Outcome {
        match count {
            None | Some(0) => Outcome::Drop,
            Some(n) if (n > self.limit as usize) != (self.flags & flags::INVERT != 0) => {
                Outcome::Match
            }
            Some(_) => Outcome::NoMatch,
        }
    }
}

/// Where a rule keeps its lists, one per key.
pub(crate) trait KeyedLists {
    /// One key's list.
    type List: Entries;

    /// The list of `key`, and its pace.
    fn find(&mut self, key: &Key) -> Option<(&mut Self::List, &mut Pace)>;

    /// Calls `prune` on at most `max` lists kept near `key` (as a tree's path to it), and
    /// removes those it says are empty.
    fn prune_near(
        &mut self,
        key: &Key,
        max: usize,
        prune: &mut dyn FnMut(&mut Self::List, &mut Pace) -> bool,
    );

    /// Adds a list for `key`, holding `first`; fails without memory.
    fn insert(&mut self, key: Key, first: Entry) -> Result<(), ()>;
}

/// Counts the packet's connection under `key` and returns how many connections the key has
/// then (`count_tree()`); `None` without memory. A new key starts a list, after pruning a few
/// of the lists near it.
pub(crate) fn count(
    lists: &mut impl KeyedLists,
    key: Key,
    lookup: &mut impl Lookup,
    pkt: &Packet,
    now: u32,
    cpu: u32,
) -> Option<usize> {
    if let Some((list, pace)) = lists.find(&key) {
        return conncount::count(list, pace, lookup, pkt, now, cpu);
    }
    lists.prune_near(&key, GC_MAX_NODES, &mut |list, pace| {
        conncount::gc(list, pace, lookup, now, cpu)
    });
    lists.insert(key, conncount::entry(pkt, now, cpu)).ok()?;
    Some(1)
}

#[cfg(test)]
#[path = "connlimit/tests.rs"]
mod tests;
