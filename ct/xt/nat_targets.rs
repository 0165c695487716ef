// SPDX-License-Identifier: GPL-2.0

//! The NAT targets: `SNAT` and `DNAT` bind the connection to the rule's range, `MASQUERADE` to
//! the output device's address, `REDIRECT` to this host, as the nftables NAT statements do.

use super::nat_range::{check_no_addresses, flags_and_ports};
use super::{data, error};
use crate::ct::nat::range::NatRange;
use crate::ct::nat::ManipType;
use crate::ct::nft::nat::{bind, masquerade, redirect};
use crate::ct::sys::bindings;
use crate::ct::sys::netfilter::{HookState, Verdict};
use crate::ct::sys::skb::Skb;
use crate::ct::sys::xtables::{Checked, RuleData, Target, TargetPacket, TargetVerdict};
use core::marker::PhantomData;
use core::ops::RangeInclusive;
use kernel::prelude::*;

/// The layouts of NAT ranges.
pub(crate) trait RangeData: RuleData {
    /// Checks the layout, in a table of family `family`; an error number refuses it.
    fn check(&self, family: u8) -> Result<(), i32>;

    /// The range.
    fn range(&self) -> NatRange;
}

impl RangeData for bindings::nf_nat_ipv4_multi_range_compat {
    fn check(&self, _family: u8) -> Result<(), i32> {
        data::compat_range(self).check_single()
    }

    fn range(&self) -> NatRange {
        data::compat_range(self).to_range()
    }
}

/// The families whose tables may translate with revisions 1 and 2 (`xt_nat_checkentry()`).
fn check_family(family: u8) -> Result<(), i32> {
    match u32::from(family) {
        bindings::NFPROTO_IPV4 | bindings::NFPROTO_IPV6 | bindings::NFPROTO_INET => Ok(()),
        _ => Err(super::errno::EINVAL),
    }
}

impl RangeData for bindings::nf_nat_range {
    fn check(&self, family: u8) -> Result<(), i32> {
        check_family(family)
    }

    fn range(&self) -> NatRange {
        data::range_v1(self)
    }
}

impl RangeData for bindings::nf_nat_range2 {
    fn check(&self, family: u8) -> Result<(), i32> {
        check_family(family)
    }

    fn range(&self) -> NatRange {
        data::range_v2(self)
    }
}

/// Which end a target translates.
pub(crate) trait End: 'static {
    /// The end.
    const MANIP: ManipType;
}

/// `SNAT`.
pub(crate) struct Source;

impl End for Source {
    const MANIP: ManipType = ManipType::Source;
}

/// `DNAT`.
pub(crate) struct Destination;

impl End for Destination {
    const MANIP: ManipType = ManipType::Destination;
}

/// `SNAT` or `DNAT`, of the revision whose layout is `D`.
pub(crate) struct Nat<D, E>(PhantomData<(D, E)>);

impl<D: RangeData, E: End> Target for Nat<D, E> {
    type Data = D;
    type State = ();

    fn check(par: &Checked, data: &D) -> Result {
        data.check(par.family()).map_err(error)
    }

    fn target(data: &D, _state: &(), pkt: &mut TargetPacket<'_>) -> TargetVerdict {
        let (skb, _) = pkt.skb_state();
        TargetVerdict::Verdict(bind(skb, &data.range(), E::MANIP))
    }
}

/// How the NAT statements bind a connection to an address the stack picks, with a range's
/// flags and ports.
type Binder = fn(&mut Skb, &HookState, u32, Option<RangeInclusive<u16>>) -> Verdict;

/// How a target whose address the stack picks binds the connection.
pub(crate) trait HostBinding: 'static {
    /// The binding.
    const BIND: Binder;
}

/// `MASQUERADE`: to the output device's address.
pub(crate) struct Masquerade;

impl HostBinding for Masquerade {
    const BIND: Binder = masquerade;
}

/// `REDIRECT`: to this host.
pub(crate) struct Redirect;

impl HostBinding for Redirect {
    const BIND: Binder = redirect;
}

/// `MASQUERADE` or `REDIRECT` (`H`), for the family whose layout is `D`.
pub(crate) struct HostNat<D, H>(PhantomData<(D, H)>);

impl<D: RangeData, H: HostBinding> Target for HostNat<D, H> {
    type Data = D;
    type State = ();

    fn check(par: &Checked, data: &D) -> Result {
        data.check(par.family()).map_err(error)?;
        check_no_addresses(data.range().flags).map_err(error)
    }

    fn target(data: &D, _state: &(), pkt: &mut TargetPacket<'_>) -> TargetVerdict {
        let (flags, ports) = flags_and_ports(&data.range());
        let (skb, state) = pkt.skb_state();
        TargetVerdict::Verdict((H::BIND)(skb, state, flags, ports))
    }
}
