// SPDX-License-Identifier: GPL-2.0

//! Counting connections in kernel memory, for `ct count` and `connlimit`: the lists, the table
//! they look their connections up in, and the connection of the packet being counted.

use super::conncount::{self, Closed, Entries, Entry, Lookup, Pace, Packet};
use crate::ct::conn::Conn;
use crate::ct::packet::{parse, Parsed};
use crate::ct::proto::TcpState;
use crate::ct::state::CtNet;
use crate::ct::status::{bits, Dir};
use crate::ct::sys::netfilter::HookState;
use crate::ct::sys::percpu::this_cpu;
use crate::ct::sys::skb::Skb;
use crate::ct::sys::sync::Rcu;
use crate::ct::sys::time;
use crate::ct::tuple::Tuple;
use crate::ct::zone::Zone;
use kernel::prelude::*;

/// The connections counted, and the pace of their pruning.
pub(crate) struct List {
    entries: Counted,
    pace: Pace,
}

impl List {
    /// An empty list, pruned last now.
    pub(crate) fn new() -> Self {
        Self {
            entries: Counted {
                slots: KVec::new(),
                len: 0,
            },
            pace: Pace {
                last_gc: time::now(),
                last_gc_count: 0,
            },
        }
    }

    /// A list holding `first`, or `None` without memory.
    pub(crate) fn with_first(first: Entry) -> Option<Self> {
        let mut list = Self::new();
        list.entries.push(first).ok()?;
        Some(list)
    }

    /// The entries and the pace, as the counting functions take them.
    pub(crate) fn parts(&mut self) -> (&mut Counted, &mut Pace) {
        (&mut self.entries, &mut self.pace)
    }

    /// Counts `packet`'s connection in `table`'s namespace (see [`conncount::count`]).
    pub(crate) fn count(&mut self, table: &mut Table<'_>, packet: &Packet) -> Option<usize> {
        table.tick();
        let (entries, pace) = self.parts();
        conncount::count(entries, pace, table, packet, table.now, this_cpu())
    }

    /// Prunes the list (see [`conncount::gc`]); returns whether it is empty.
    pub(crate) fn gc(&mut self, table: &mut Table<'_>) -> bool {
        table.tick();
        let (entries, pace) = self.parts();
        conncount::gc(entries, pace, table, table.now, this_cpu())
    }
}

/// The entries of a list: the first `len` of `slots`; slots past them are reused.
pub(crate) struct Counted {
    slots: KVec<Entry>,
    len: usize,
}

impl Entries for Counted {
    fn len(&self) -> usize {
        self.len
    }

    fn get(&self, i: usize) -> Option<&Entry> {
        self.slots.as_slice()[..self.len].get(i)
    }

    fn swap_remove(&mut self, i: usize) {
        if i < self.len {
            self.len -= 1;
            self.slots.as_mut_slice().swap(i, self.len);
        }
    }

    fn push(&mut self, e: Entry) -> Result<(), ()> {
        match self.slots.as_mut_slice().get_mut(self.len) {
            Some(slot) => *slot = e,
            None => self.slots.push(e, GFP_ATOMIC).map_err(|_| ())?,
        }
        self.len += 1;
        Ok(())
    }
}

/// The table of a namespace, as lists look their connections up in it, now.
pub(crate) struct Table<'a> {
    ct: &'a CtNet,
    rcu: &'a Rcu,
    /// The time, in jiffies.
    pub(crate) now: u32,
}

impl<'a> Table<'a> {
    /// The table of `ct`, read under `rcu`.
    pub(crate) fn new(ct: &'a CtNet, rcu: &'a Rcu) -> Self {
        Self {
            ct,
            rcu,
            now: time::now(),
        }
    }

    /// Reads the time again, returning it. A list is counted at a time read under its lock, so
    /// that no entry it holds is newer: one added by another CPU a jiffy later would otherwise
    /// seem ages old, and be dropped before its connection is confirmed.
    pub(crate) fn tick(&mut self) -> u32 {
        self.now = time::now();
        self.now
    }
}

impl Lookup for Table<'_> {
    fn find(&mut self, tuple: &Tuple, zone: Zone) -> Option<Closed> {
        let (conn, _) = self.ct.find(tuple, zone, self.now, self.rcu)?;
        let state = conn.with_proto(|s, _| s.tcp);
        Some(matches!(state, TcpState::TimeWait | TcpState::Close))
    }
}

/// The connection of the packet `skb` at `state`, as counting sees it; `None` for a packet
/// without one that cannot be read either.
pub(crate) fn packet_of(skb: &Skb, state: &HookState) -> Option<Packet> {
    match Conn::of_skb(skb) {
        Some((conn, _)) if !conn.is_template() => {
            let status = conn.status();
            Some(Packet {
                tuple: conn.tuple(Dir::Original),
                zone: conn.zone(),
                confirmed: status & bits::CONFIRMED != 0,
                assured: status & bits::ASSURED != 0,
            })
        }
        found => {
            let zone = found.map_or(Zone::DEFAULT, |(t, _)| t.zone());
            let (hook, l3) = (state.hook(), state.l3());
            let Ok(Parsed::Flow { tuple, .. }) = parse(&skb.network(hook, l3), l3, false) else {
                return None;
            };
            Some(Packet {
                tuple,
                zone,
                confirmed: false,
                assured: false,
            })
        }
    }
}
