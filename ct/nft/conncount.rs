// SPDX-License-Identifier: GPL-2.0

//! Counting connections, as nf_conncount does for `ct count`: a list of the connections a rule
//! has seen, pruned of those that have gone or closed as packets come.

use crate::ct::status::Dir;
use crate::ct::tuple::Tuple;
use crate::ct::zone::Zone;

/// How many gone entries one pass removes at most (`CONNCOUNT_GC_MAX_COLLECT`).
const GC_MAX_COLLECT: usize = 64;

/// A connection in a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    /// Its original tuple.
    pub(crate) tuple: Tuple,
    /// Its zone.
    pub(crate) zone: Zone,
    /// The CPU that added it.
    pub(crate) cpu: u32,
    /// When it was added, in jiffies.
    pub(crate) added: u32,
}

/// Where a list's entries are kept.
pub(crate) trait Entries {
    /// How many there are.
    fn len(&self) -> usize;
    /// Entry `i`.
    fn get(&self, i: usize) -> Option<&Entry>;
    /// Removes entry `i`, putting the last in its place.
    fn swap_remove(&mut self, i: usize);
    /// Adds an entry; fails without memory.
    fn push(&mut self, e: Entry) -> Result<(), ()>;
}

/// What a list needs to know of the table.
pub(crate) trait Lookup {
    /// Whether a connection with `tuple` in `zone` is in the table, and then whether it has
    /// closed (TCP in TIME_WAIT or CLOSE).
    fn find(&mut self, tuple: &Tuple, zone: Zone) -> Option<Closed>;
}

/// Whether a connection found has closed.
pub(crate) type Closed = bool;

/// A list's pacing of its pruning.
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct Pace {
    /// When it was last pruned, in jiffies.
    pub(crate) last_gc: u32,
    /// How many entries it had then.
    pub(crate) last_gc_count: usize,
}

/// The connection of the packet being counted.
pub(crate) struct Packet {
    /// Its original tuple.
    pub(crate) tuple: Tuple,
    /// Its zone.
    pub(crate) zone: Zone,
    /// Whether it is in the table already.
    pub(crate) confirmed: bool,
    /// Whether it is assured: set up, so counted before.
    pub(crate) assured: bool,
}

/// Why a packet's connection was not added.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NotAdded {
    /// It is set up, and was counted while it was being set up: the list may have gone stale
    /// meanwhile, and wants pruning (`-EEXIST`).
    Assured,
    /// There was no memory for it.
    NoMemory,
}

/// What an entry is to the table now.
enum Seen {
    /// There, and open; `same` if it is the packet's.
    Open { same: bool },
    /// There but closed, or gone: drop it.
    Stale,
    /// Not found, but possibly added by another CPU just now and not confirmed yet.
    Maybe { same: bool },
}

fn same(e: &Entry, tuple: &Tuple, zone: Zone) -> bool {
    e.tuple == *tuple && e.zone.id_of(Dir::Original) == zone.id_of(Dir::Original)
}

fn look(e: &Entry, lookup: &mut impl Lookup, pkt: Option<&Packet>, now: u32, cpu: u32) -> Seen {
    let same = pkt.is_some_and(|p| same(e, &p.tuple, p.zone));
    match lookup.find(&e.tuple, e.zone) {
        Some(false) => Seen::Open { same },
        Some(true) => Seen::Stale,
        // Only this CPU's entries, or ones older than two jiffies, are surely gone.
        None if e.cpu == cpu || now.wrapping_sub(e.added) >= 2 => Seen::Stale,
        None => Seen::Maybe { same },
    }
}

/// Counts the packet's connection in the list unless it is there already (then nothing
/// changes), pruning gone and closed connections on the way (`nf_conncount_add_skb()`). `now`
/// is in jiffies, `cpu` the current CPU's number.
pub(crate) fn add(
    list: &mut impl Entries,
    pace: &mut Pace,
    lookup: &mut impl Lookup,
    pkt: &Packet,
    now: u32,
    cpu: u32,
) -> Result<(), NotAdded> {
    if pkt.confirmed {
        // Set up already: counted when it was. Until then retransmissions must not count twice.
        if pkt.assured {
            return Err(NotAdded::Assured);
        }
    } else if now == pace.last_gc
        && list.len() - pace.last_gc_count.min(list.len()) < GC_MAX_COLLECT
    {
        return list
            .push(entry(pkt, now, cpu))
            .map_err(|()| NotAdded::NoMemory);
    }
    let (mut i, mut collected) = (0, 0);
    while let Some(e) = list.get(i) {
        if collected > GC_MAX_COLLECT {
            break;
        }
        match look(e, lookup, Some(pkt), now, cpu) {
            Seen::Open { same: true } | Seen::Maybe { same: true } => return Ok(()),
            Seen::Open { same: false } | Seen::Maybe { same: false } => i += 1,
            Seen::Stale => {
                list.swap_remove(i);
                collected += 1;
            }
        }
    }
    *pace = Pace {
        last_gc: now,
        last_gc_count: list.len(),
    };
    list.push(entry(pkt, now, cpu))
        .map_err(|()| NotAdded::NoMemory)
}

/// Counts the packet's connection as [`add`] does and returns how many connections the list
/// holds then, after a pass over it if the connection was counted before (`-EEXIST`), as
/// `ct count` and `connlimit` read it; `None` without memory.
pub(crate) fn count(
    list: &mut impl Entries,
    pace: &mut Pace,
    lookup: &mut impl Lookup,
    pkt: &Packet,
    now: u32,
    cpu: u32,
) -> Option<usize> {
    match add(list, pace, lookup, pkt, now, cpu) {
        Ok(()) => {}
        // Counted while it was set up: the list may have gone stale since.
        Err(NotAdded::Assured) => {
            gc(list, pace, lookup, now, cpu);
        }
        Err(NotAdded::NoMemory) => return None,
    }
    Some(list.len())
}

/// The entry of the packet's connection, first of a new list.
pub(crate) fn entry(pkt: &Packet, now: u32, cpu: u32) -> Entry {
    Entry {
        tuple: pkt.tuple,
        zone: pkt.zone,
        cpu,
        added: now,
    }
}

/// Prunes gone and closed connections (`nf_conncount_gc_list()`); returns whether the list is
/// empty.
pub(crate) fn gc(
    list: &mut impl Entries,
    pace: &mut Pace,
    lookup: &mut impl Lookup,
    now: u32,
    cpu: u32,
) -> bool {
    if now == pace.last_gc {
        return false;
    }
    let (mut i, mut collected) = (0, 0);
    while let Some(e) = list.get(i) {
        match look(e, lookup, None, now, cpu) {
            Seen::Stale => {
                list.swap_remove(i);
                collected += 1;
                continue;
            }
            Seen::Open { .. } | Seen::Maybe { .. } => i += 1,
        }
        if collected > GC_MAX_COLLECT {
            break;
        }
    }
    *pace = Pace {
        last_gc: now,
        last_gc_count: list.len(),
    };
    list.len() == 0
}

#[cfg(test)]
#[path = "conncount/tests.rs"]
pub(crate) mod tests;
