// SPDX-License-Identifier: GPL-2.0

//! The `notrack` expression: the packet stays untracked (`ct state untracked`).

use crate::ct::status::CtInfo;
use crate::ct::sys::nftables::{Attrs, Ctx, Dump, Expr, PktInfo, Regs};
use kernel::prelude::*;

/// A `notrack` statement of a rule.
pub(crate) struct Notrack;

impl Expr for Notrack {
    fn init(_ctx: &Ctx, _attrs: &Attrs<'_>) -> Result<Self> {
        Ok(Self)
    }

    fn eval(&self, _regs: &mut Regs, pkt: &mut PktInfo) {
        let skb = pkt.skb();
        // A packet seen before (looped back, or marked already) keeps what it has.
        if skb.nfct() == 0 {
            skb.set_nfct(CtInfo::Untracked as usize);
        }
    }

    fn dump(&self, _out: &mut Dump) -> Result {
        Ok(())
    }
}
