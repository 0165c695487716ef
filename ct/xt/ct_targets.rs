// SPDX-License-Identifier: GPL-2.0

//! The `CT` and `NOTRACK` targets of the raw table: a packet seen first leaves untracked, or
//! with a template that gives the connection it opens its zone.

use super::ct_target::{self, CtAction, CtRule};
use super::{data, error};
use crate::ct::conn::Conn;
use crate::ct::status::CtInfo;
use crate::ct::sys::bindings;
use crate::ct::sys::netfilter::Verdict;
use crate::ct::sys::ratelimit;
use crate::ct::sys::xtables::{Checked, RuleData, Target, TargetPacket, TargetVerdict};
use core::marker::PhantomData;
use core::mem::offset_of;
use kernel::prelude::*;

/// The layouts of the target's revisions.
pub(crate) trait CtData: RuleData {
    /// The byte at which the layout keeps a pointer for the kernel.
    const KERNEL_FIELD: usize;

    /// The rule.
    fn rule(&self) -> CtRule;
}

impl CtData for bindings::xt_ct_target_info {
    const KERNEL_FIELD: usize = offset_of!(bindings::xt_ct_target_info, ct);

    fn rule(&self) -> CtRule {
        data::ct_v0(self)
    }
}

impl CtData for bindings::xt_ct_target_info_v1 {
    const KERNEL_FIELD: usize = offset_of!(bindings::xt_ct_target_info_v1, ct);

    fn rule(&self) -> CtRule {
        data::ct_v1(self)
    }
}

/// Leaves a packet seen for the first time untracked.
fn notrack(pkt: &mut TargetPacket<'_>) {
    let (skb, _) = pkt.skb_state();
    // A packet seen before (looped back) keeps what it has.
    if skb.nfct() == 0 {
        skb.set_nfct(CtInfo::Untracked as usize);
    }
}

/// `CT` of revision `REV`, whose layout is `D`. The rule keeps what it does.
pub(crate) struct Ct<D, const REV: u8>(PhantomData<D>);

impl<D: CtData, const REV: u8> Target for Ct<D, REV> {
    type Data = D;
    type State = CtAction;
    const STATE_FIELD: Option<usize> = Some(D::KERNEL_FIELD);

    fn check(_par: &Checked, data: &D) -> Result<CtAction> {
        ct_target::check(REV, &data.rule()).map_err(|refused| {
            if let Some(why) = refused.why {
                if ratelimit::net() {
                    pr_info!("CT: {}\n", why);
                }
            }
            error(refused.errno)
        })
    }

    fn target(_data: &D, action: &CtAction, pkt: &mut TargetPacket<'_>) -> TargetVerdict {
        let (skb, state) = pkt.skb_state();
        if skb.nfct() != 0 {
            return TargetVerdict::Continue;
        }
        match action.zone_for(skb.mark()) {
            None => notrack(pkt),
            Some(zone) => {
                if !Conn::attach_template(skb, state, zone) {
                    return TargetVerdict::Verdict(Verdict::Drop);
                }
            }
        }
        TargetVerdict::Continue
    }
}

/// `NOTRACK`.
pub(crate) struct Notrack;

impl Target for Notrack {
    type Data = ();
    type State = ();

    fn check(_par: &Checked, _data: &()) -> Result {
        Ok(())
    }

    fn target(_data: &(), _state: &(), pkt: &mut TargetPacket<'_>) -> TargetVerdict {
        notrack(pkt);
        TargetVerdict::Continue
    }
}
