// SPDX-License-Identifier: GPL-2.0

//! The `connlimit` expression: `ct count [over] N`, the number of connections a rule, or each
//! element of a set, has seen and that are still open.

use super::conncount::{self, Closed, Entries, Entry, Lookup, NotAdded, Pace, Packet};
use crate::ct::conn::Conn;
use crate::ct::packet::{parse, Parsed};
use crate::ct::proto::TcpState;
use crate::ct::state::{hash, CtNet};
use crate::ct::status::{bits, Dir};
use crate::ct::sys::bindings;
use crate::ct::sys::net::Net;
use crate::ct::sys::nftables::{self, Attrs, Ctx, Dump, Expr, PktInfo, Regs, StatefulExpr, BREAK};
use crate::ct::sys::percpu::this_cpu;
use crate::ct::sys::sync::{BhLock, Rcu, RcuGuard};
use crate::ct::sys::time;
use crate::ct::tuple::Tuple;
use crate::ct::zone::Zone;
use kernel::c_str;
use kernel::prelude::*;

/// The attributes (`enum nft_connlimit_attributes`).
mod attr {
    pub(super) const COUNT: u32 = 1;
    pub(super) const FLAGS: u32 = 2;
}

/// `ct count over N`: the rule matches above the limit, not up to it (`NFT_CONNLIMIT_F_INV`).
const INVERT: u32 = 1;

/// The connections counted, and the pace of their pruning.
struct List {
    entries: Counted,
    pace: Pace,
}

/// The entries of a list: the first `len` of `slots`; slots past them are reused.
struct Counted {
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

/// The table of a namespace, as lists look their connections up in it.
struct Table<'a> {
    ct: &'a CtNet,
    rcu: &'a Rcu,
    now: u32,
}

impl Lookup for Table<'_> {
    fn find(&mut self, tuple: &Tuple, zone: Zone) -> Option<Closed> {
        let h = hash(tuple, zone.id_of(Dir::Original));
        let (conn, _) = self.ct.table.find(tuple, zone, h, self.now, self.rcu)?;
        let state = conn.with_proto(|s, _| s.tcp);
        Some(matches!(state, TcpState::TimeWait | TcpState::Close))
    }
}

/// A `ct count` expression of a rule or a set element.
pub(crate) struct Connlimit {
    limit: u32,
    invert: bool,
    list: Pin<KBox<BhLock<List>>>,
}

impl Connlimit {
    /// A list for `limit`, allocated with `flags`.
    fn with_limit(limit: u32, invert: bool, flags: kernel::alloc::Flags) -> Result<Self> {
        let list = List {
            entries: Counted {
                slots: KVec::new(),
                len: 0,
            },
            pace: Pace {
                last_gc: time::now(),
                last_gc_count: 0,
            },
        };
        let list = KBox::pin_init(
            BhLock::new(
                list,
                c_str!("rust_conntrack connlimit"),
                kernel::static_lock_class!(),
            ),
            flags,
        )?;
        Ok(Self {
            limit,
            invert,
            list,
        })
    }
}

/// The connection of the packet at `pkt`, as counting sees it; `None` for a packet without
/// one that cannot be read either.
fn packet_of(pkt: &mut PktInfo) -> Option<Packet> {
    let skb = pkt.skb();
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
            let state = pkt.state();
            let (hook, l3) = (state.hook(), state.l3());
            let Ok(Parsed::Flow { tuple, .. }) = parse(&pkt.skb().network(hook, l3), l3, false)
            else {
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

impl Expr for Connlimit {
    fn init(_ctx: &Ctx, attrs: &Attrs<'_>) -> Result<Self> {
        let limit = attrs.get(attr::COUNT).ok_or(EINVAL)?.be32()?;
        let flags = attrs
            .get(attr::FLAGS)
            .map(|a| a.be32())
            .transpose()?
            .unwrap_or(0);
        if flags & !INVERT != 0 {
            return Err(nftables::not_supported());
        }
        Self::with_limit(limit, flags & INVERT != 0, GFP_KERNEL)
    }

    fn eval(&self, regs: &mut Regs, pkt: &mut PktInfo) {
        let drop = bindings::NF_DROP as u32;
        let Some(packet) = packet_of(pkt) else {
            return regs.set_verdict(drop);
        };
        let rcu = pkt.state().rcu();
        let Some(ct) = pkt.state().net().state::<CtNet>(rcu) else {
            return regs.set_verdict(drop);
        };
        let now = time::now();
        let mut table = Table { ct, rcu, now };
        let count = {
            let mut list = self.list.lock();
            let List { entries, pace } = &mut *list;
            match conncount::add(entries, pace, &mut table, &packet, now, this_cpu()) {
                Ok(()) => {}
                // Counted while it was set up: the list may have gone stale since.
                Err(NotAdded::Assured) => {
                    conncount::gc(entries, pace, &mut table, now, this_cpu());
                }
                Err(NotAdded::NoMemory) => return regs.set_verdict(drop),
            }
            entries.len()
        };
        if (count > self.limit as usize) ^ self.invert {
            regs.set_verdict(BREAK);
        }
    }

    fn dump(&self, out: &mut Dump) -> Result {
        out.put_be32(attr::COUNT as u16, self.limit)?;
        if self.invert {
            out.put_be32(attr::FLAGS as u16, INVERT)?;
        }
        Ok(())
    }
}

impl StatefulExpr for Connlimit {
    fn fresh(&self) -> Result<Self> {
        // Set elements are made as packets come.
        Self::with_limit(self.limit, self.invert, GFP_ATOMIC)
    }

    fn gc(&self, net: &Net) -> bool {
        let rcu = RcuGuard::new();
        let Some(ct) = net.state::<CtNet>(&rcu) else {
            return true;
        };
        let now = time::now();
        let mut table = Table { ct, rcu: &rcu, now };
        let mut list = self.list.lock();
        let List { entries, pace } = &mut *list;
        conncount::gc(entries, pace, &mut table, now, this_cpu())
    }
}
