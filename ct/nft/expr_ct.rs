// SPDX-License-Identifier: GPL-2.0

//! The `ct` expression: loads what the packet's connection holds into registers
//! (`ct state`, `ct mark`, `ct original saddr`, ...), or sets its mark, or the zone of the
//! connection a packet will open (`ct zone set`, before conntrack's hook, as nft_ct does).

use super::ct_key::{self, CtKey, View};
use crate::ct::conn::Conn;
use crate::ct::state::CtNet;
use crate::ct::status::{bits, CtInfo, Dir};
use crate::ct::sys::bindings;
use crate::ct::sys::nftables::{self, Attrs, Ctx, Dump, Expr, PktInfo, Regs, BREAK};
use crate::ct::sys::sync::RcuGuard;
use crate::ct::sys::time::{self, HZ};
use crate::ct::zone::Zone;
use core::sync::atomic::Ordering::Relaxed;
use kernel::error::Error;
use kernel::prelude::*;

/// The attributes (`enum nft_ct_attributes`).
mod attr {
    pub(super) const DREG: u32 = 1;
    pub(super) const KEY: u32 = 2;
    pub(super) const DIRECTION: u32 = 3;
    pub(super) const SREG: u32 = 4;
}

/// What a `ct` expression does with its key.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    /// Loads it into a register.
    Get,
    /// Sets the connection's mark from a register.
    SetMark,
    /// Gives the packet a template with the zone from a register.
    SetZone,
}

/// A `ct` expression of a rule.
pub(crate) struct CtExpr {
    op: Op,
    key: CtKey,
    dir: Option<Dir>,
    /// Register bytes the value takes.
    len: u32,
    /// The register: destination of a load, source of a set.
    reg: u8,
}

fn errno(e: i32) -> Error {
    Error::from_errno(-e)
}

impl Expr for CtExpr {
    fn init(ctx: &Ctx, attrs: &Attrs<'_>) -> Result<Self> {
        let key = attrs.get(attr::KEY).ok_or(EINVAL)?.be32()?;
        let (dreg, sreg) = (attrs.get(attr::DREG), attrs.get(attr::SREG));
        let dir = match attrs.get(attr::DIRECTION).map(|a| a.u8()).transpose()? {
            None => None,
            Some(0) => Some(Dir::Original),
            Some(1) => Some(Dir::Reply),
            Some(_) => return Err(EINVAL),
        };
        let key = CtKey::from_u32(key).ok_or_else(nftables::not_supported)?;
        match (dreg, sreg) {
            (Some(dreg), None) => {
                let len = ct_key::get_len(key, dir.is_some(), ctx.family()).map_err(errno)?;
                let reg = ctx.store_register(dreg, len)?;
                if matches!(key, CtKey::Pkts | CtKey::Bytes | CtKey::Avgpkt) {
                    // As nft_ct: counting rules turn accounting on in their namespace.
                    let rcu = RcuGuard::new();
                    if let Some(ct) = ctx.net().state::<CtNet>(&rcu) {
                        ct.acct.store(1, Relaxed);
                    }
                }
                Ok(Self {
                    op: Op::Get,
                    key,
                    dir,
                    len,
                    reg,
                })
            }
            (None, Some(sreg)) => {
                let len = ct_key::set_len(key, dir.is_some()).map_err(errno)?;
                let reg = ctx.load_register(sreg, len)?;
                let op = match key {
                    CtKey::Zone => Op::SetZone,
                    _ => Op::SetMark,
                };
                Ok(Self {
                    op,
                    key,
                    dir,
                    len,
                    reg,
                })
            }
            _ => Err(EINVAL),
        }
    }

    fn eval(&self, regs: &mut Regs, pkt: &mut PktInfo) {
        match self.op {
            Op::Get => self.get(regs, pkt),
            Op::SetMark => self.set_mark(regs, pkt),
            Op::SetZone => self.set_zone(regs, pkt),
        }
    }

    fn dump(&self, out: &mut Dump) -> Result {
        let reg = if self.op == Op::Get {
            attr::DREG
        } else {
            attr::SREG
        };
        out.put_register(reg as u16, self.reg)?;
        out.put_be32(attr::KEY as u16, self.key as u32)?;
        use CtKey::*;
        let always = self.op == Op::Get
            && matches!(
                self.key,
                Src | Dst | SrcIp | DstIp | SrcIp6 | DstIp6 | ProtoSrc | ProtoDst
            );
        let when_given = matches!(self.key, Pkts | Bytes | Avgpkt | Zone)
            && (self.op == Op::Get || self.key == Zone);
        if let Some(dir) = self.dir.filter(|_| always || when_given) {
            out.put_u8(attr::DIRECTION as u16, dir.index() as u8)?;
        }
        Ok(())
    }
}

impl CtExpr {
    fn get(&self, regs: &mut Regs, pkt: &mut PktInfo) {
        let skb = pkt.skb();
        let untracked = skb.nfct() == CtInfo::Untracked as usize;
        let found = Conn::of_skb(skb);
        let data = regs.data();
        let Some(dest) = data.get_mut(usize::from(self.reg)..) else {
            return;
        };
        if self.key == CtKey::State {
            dest[0] = ct_key::state_bits(found.map(|(_, info)| info), untracked);
            return;
        }
        let Some((conn, info)) = found.filter(|(c, _)| !c.is_template()) else {
            return regs.set_verdict(BREAK);
        };
        let now = time::now();
        let expires = if conn.status() & bits::CONFIRMED != 0 {
            conn.expires_in(now)
        } else {
            conn.timeout()
        };
        let counters = conn.counters().map(|c| {
            let get = |d: usize, w: usize| c[d][w].load(Relaxed);
            [[get(0, 0), get(0, 1)], [get(1, 0), get(1, 1)]]
        });
        let tuples = [conn.tuple(Dir::Original), conn.tuple(Dir::Reply)];
        let view = View {
            tuples: [&tuples[0], &tuples[1]],
            dir: info.dir(),
            status: (conn.status() & !bits::ACCT) as u32,
            mark: conn.mark(),
            zone: conn.zone(),
            expires_ms: (u64::from(expires) * 1000 / u64::from(HZ)) as u32,
            counters,
            id: conn.id(),
        };
        if !ct_key::load(self.key, self.dir, self.len, &view, dest) {
            regs.set_verdict(BREAK);
        }
    }

    fn set_mark(&self, regs: &mut Regs, pkt: &mut PktInfo) {
        let Some(&value) = regs.data().get(usize::from(self.reg)) else {
            return;
        };
        if let Some((conn, _)) = Conn::of_skb(pkt.skb()).filter(|(c, _)| !c.is_template()) {
            conn.set_mark(value);
        }
    }

    fn set_zone(&self, regs: &mut Regs, pkt: &mut PktInfo) {
        let Some(&word) = regs.data().get(usize::from(self.reg)) else {
            return;
        };
        let [a, b, _, _] = word.to_ne_bytes();
        let id = u16::from_ne_bytes([a, b]);
        // A packet with a connection (or a template already) keeps it.
        if Conn::of_skb(pkt.skb()).is_some() {
            return;
        }
        let dirs = match self.dir {
            None => Zone::BOTH,
            Some(Dir::Original) => Zone::ORIGINAL,
            Some(Dir::Reply) => Zone::REPLY,
        };
        let (skb, state) = pkt.skb_state();
        if !Conn::attach_template(skb, state, Zone { id, dirs }) {
            regs.set_verdict(bindings::NF_DROP as u32);
        }
    }
}
