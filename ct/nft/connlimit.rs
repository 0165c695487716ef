// SPDX-License-Identifier: GPL-2.0

//! The `connlimit` expression: `ct count [over] N`, the number of connections a rule, or each
//! element of a set, has seen and that are still open.

use super::counting::{packet_of, List, Table};
use crate::ct::state::CtNet;
use crate::ct::sys::bindings;
use crate::ct::sys::net::Net;
use crate::ct::sys::nftables::{self, Attrs, Ctx, Dump, Expr, PktInfo, Regs, StatefulExpr, BREAK};
use crate::ct::sys::sync::{BhLock, RcuGuard};
use kernel::c_str;
use kernel::prelude::*;

/// The attributes (`enum nft_connlimit_attributes`).
mod attr {
    pub(super) const COUNT: u32 = 1;
    pub(super) const FLAGS: u32 = 2;
}

/// `ct count over N`: the rule matches above the limit, not up to it (`NFT_CONNLIMIT_F_INV`).
const INVERT: u32 = 1;

/// A `ct count` expression of a rule or a set element.
pub(crate) struct Connlimit {
    limit: u32,
    invert: bool,
    list: Pin<KBox<BhLock<List>>>,
}

impl Connlimit {
    /// A list for `limit`, allocated with `flags`.
    fn with_limit(limit: u32, invert: bool, flags: kernel::alloc::Flags) -> Result<Self> {
        let list = KBox::pin_init(
            BhLock::new(
                List::new(),
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
        let (skb, state) = pkt.skb_state();
        let Some(packet) = packet_of(skb, state) else {
            return regs.set_verdict(drop);
        };
        let rcu = state.rcu();
        let Some(ct) = state.net().state::<CtNet>(rcu) else {
            return regs.set_verdict(drop);
        };
        let mut table = Table::new(ct, rcu);
        let Some(count) = self.list.lock().count(&mut table, &packet) else {
            return regs.set_verdict(drop);
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
        let mut table = Table::new(ct, &rcu);
        self.list.lock().gc(&mut table)
    }
}
