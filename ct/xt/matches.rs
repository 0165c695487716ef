// SPDX-License-Identifier: GPL-2.0

//! The `conntrack`, `state` and `connmark` matches: what they read of the packet's connection.

use super::connmark::MarkRule;
use super::ctstate::{self, ConnView, ConntrackRule, Seen};
use super::data;
use crate::ct::conn::Conn;
use crate::ct::status::{CtInfo, Dir};
use crate::ct::sys::bindings;
use crate::ct::sys::time::{self, HZ};
use crate::ct::sys::xtables::{Checked, Match, MatchPacket, RuleData};
use core::marker::PhantomData;
use kernel::prelude::*;

/// Runs `f` on the packet's connection as the matches see it.
fn with_seen<R>(pkt: &MatchPacket<'_>, f: impl FnOnce(&Seen<'_>) -> R) -> R {
    let skb = pkt.skb();
    match Conn::of_skb(skb) {
        Some((conn, info)) => {
            let view = ConnView {
                info,
                tuples: [conn.tuple(Dir::Original), conn.tuple(Dir::Reply)],
                status: conn.status(),
                expires_secs: conn.expires_in(time::now()) / HZ,
            };
            f(&Seen::Tracked(&view))
        }
        None if skb.nfct() == CtInfo::Untracked as usize => f(&Seen::Untracked),
        None => f(&Seen::Invalid),
    }
}

/// The layouts of the `conntrack` match's revisions.
pub(crate) trait ConntrackData: RuleData {
    /// The rule.
    fn rule(&self) -> ConntrackRule;
}

impl ConntrackData for bindings::xt_conntrack_mtinfo1 {
    fn rule(&self) -> ConntrackRule {
        data::conntrack_v1(self)
    }
}

impl ConntrackData for bindings::xt_conntrack_mtinfo2 {
    fn rule(&self) -> ConntrackRule {
        data::conntrack_v2(self)
    }
}

impl ConntrackData for bindings::xt_conntrack_mtinfo3 {
    fn rule(&self) -> ConntrackRule {
        data::conntrack_v3(self)
    }
}

/// The `conntrack` match, of the revision whose layout is `D`.
pub(crate) struct Conntrack<D>(PhantomData<D>);

impl<D: ConntrackData> Match for Conntrack<D> {
    type Data = D;
    type State = ();

    fn check(_par: &Checked, _data: &D) -> Result {
        // Every namespace is tracked already.
        Ok(())
    }

    fn matches(data: &D, _state: &(), pkt: &mut MatchPacket<'_>) -> bool {
        let l3 = pkt.state().l3();
        with_seen(pkt, |seen| data.rule().matches(seen, l3))
    }
}

/// The `state` match.
pub(crate) struct State;

impl Match for State {
    type Data = bindings::xt_state_info;
    type State = ();

    fn check(_par: &Checked, _data: &Self::Data) -> Result {
        Ok(())
    }

    fn matches(data: &Self::Data, _state: &(), pkt: &mut MatchPacket<'_>) -> bool {
        with_seen(pkt, |seen| data.statemask & ctstate::state_bit(seen) != 0)
    }
}

/// The `connmark` match.
pub(crate) struct Connmark;

impl Match for Connmark {
    type Data = bindings::xt_connmark_mtinfo1;
    type State = ();

    fn check(_par: &Checked, _data: &Self::Data) -> Result {
        Ok(())
    }

    fn matches(data: &Self::Data, _state: &(), pkt: &mut MatchPacket<'_>) -> bool {
        let rule: MarkRule = data::connmark_match(data);
        Conn::of_skb(pkt.skb()).is_some_and(|(conn, _)| rule.matches(conn.mark()))
    }
}
