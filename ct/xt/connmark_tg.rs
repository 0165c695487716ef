// SPDX-License-Identifier: GPL-2.0

//! The `CONNMARK` target: the connection's mark set, or saved from or restored to the packet's.

use super::connmark::ConnmarkRule;
use super::{data, error};
use crate::ct::conn::Conn;
use crate::ct::sys::bindings;
use crate::ct::sys::xtables::{Checked, RuleData, Target, TargetPacket, TargetVerdict};
use core::marker::PhantomData;
use kernel::prelude::*;

/// The layouts of the target's revisions.
pub(crate) trait ConnmarkData: RuleData {
    /// The rule, `None` for a mode that does nothing; an error number for a rule the kernel
    /// refuses.
    fn rule(&self) -> Result<Option<ConnmarkRule>, i32>;
}

impl ConnmarkData for bindings::xt_connmark_tginfo1 {
    fn rule(&self) -> Result<Option<ConnmarkRule>, i32> {
        Ok(data::connmark_v1(self))
    }
}

impl ConnmarkData for bindings::xt_connmark_tginfo2 {
    fn rule(&self) -> Result<Option<ConnmarkRule>, i32> {
        data::connmark_v2(self)
    }
}

/// `CONNMARK`, of the revision whose layout is `D`.
pub(crate) struct Connmark<D>(PhantomData<D>);

impl<D: ConnmarkData> Target for Connmark<D> {
    type Data = D;
    type State = ();

    fn check(_par: &Checked, data: &D) -> Result {
        data.rule().map(|_| ()).map_err(error)
    }

    fn target(data: &D, _state: &(), pkt: &mut TargetPacket<'_>) -> TargetVerdict {
        let Ok(Some(rule)) = data.rule() else {
            return TargetVerdict::Continue;
        };
        let (skb, _) = pkt.skb_state();
        let marks = {
            let Some((conn, _)) = Conn::of_skb(skb) else {
                return TargetVerdict::Continue;
            };
            let marks = rule.apply(conn.mark(), skb.mark());
            if let Some(mark) = marks.conn {
                conn.set_mark(mark);
            }
            marks
        };
        if let Some(mark) = marks.packet {
            skb.set_mark(mark);
        }
        TargetVerdict::Continue
    }
}
