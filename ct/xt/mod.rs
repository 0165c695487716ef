// SPDX-License-Identifier: GPL-2.0

//! xtables matches and targets over connections, as iptables (iptables-nft through nft_compat,
//! and iptables-legacy's filter, mangle and raw tables) uses them: the matches of xt_conntrack,
//! xt_state, xt_connmark and xt_connlimit, and the targets of xt_nat, xt_MASQUERADE,
//! xt_REDIRECT, xt_connmark and xt_CT.
//!
//! What the rules mean (state bits, tuple and port tests, marks, counting keys, NAT ranges, the
//! CT target's checks) is plain Rust; the matches and targets themselves are the kernel side,
//! on `sys::xtables`.

pub(crate) mod connlimit;
pub(crate) mod connmark;
pub(crate) mod ct_target;
pub(crate) mod ctstate;
pub(crate) mod nat_range;

#[cfg(MODULE)]
mod connlimit_mt;
#[cfg(MODULE)]
mod connmark_tg;
#[cfg(MODULE)]
mod ct_targets;
#[cfg(MODULE)]
mod data;
#[cfg(MODULE)]
mod matches;
#[cfg(MODULE)]
mod nat_targets;

/// Error numbers checkentry refuses a rule with.
pub(crate) mod errno {
    /// No such helper.
    pub(crate) const ENOENT: i32 = 2;
    /// A malformed rule.
    pub(crate) const EINVAL: i32 = 22;
    /// A name as long as its field.
    pub(crate) const ENAMETOOLONG: i32 = 36;
    /// What this tracker does not provide.
    pub(crate) const EOPNOTSUPP: i32 = 95;
}

/// The kernel error of error number `errno`.
#[cfg(MODULE)]
fn error(errno: i32) -> kernel::error::Error {
    kernel::error::Error::from_errno(-errno)
}

#[cfg(MODULE)]
use super::sys::bindings::{self, NFPROTO_IPV4 as IPV4, NFPROTO_IPV6 as IPV6};
#[cfg(MODULE)]
use super::sys::xtables::{ExtDesc, MatchRegistration, TargetRegistration};
#[cfg(MODULE)]
use kernel::{c_str, prelude::*, str::CStr};

/// Hooks as the bits of a rule's hook mask.
#[cfg(MODULE)]
mod hooks {
    use crate::ct::sys::bindings;
    pub(super) const PRE_ROUTING: u32 = 1 << bindings::nf_inet_hooks_NF_INET_PRE_ROUTING;
    pub(super) const LOCAL_IN: u32 = 1 << bindings::nf_inet_hooks_NF_INET_LOCAL_IN;
    pub(super) const LOCAL_OUT: u32 = 1 << bindings::nf_inet_hooks_NF_INET_LOCAL_OUT;
    pub(super) const POST_ROUTING: u32 = 1 << bindings::nf_inet_hooks_NF_INET_POST_ROUTING;
}

/// The matches and targets of this module, registered with x_tables while it is loaded.
#[cfg(MODULE)]
pub(crate) struct Extensions {
    _matches: KVec<MatchRegistration>,
    _targets: KVec<TargetRegistration>,
}

/// An extension of any family, or of `family`, usable in any table.
#[cfg(MODULE)]
fn desc(name: &'static CStr, revision: u8, family: u32) -> ExtDesc {
    ExtDesc {
        name,
        revision,
        family: family as u8,
        table: None,
        hooks: 0,
    }
}

/// A target only the table `table` may use, from the hooks `hooks` (0 for all).
#[cfg(MODULE)]
fn in_table(d: ExtDesc, table: &'static CStr, hooks: u32) -> ExtDesc {
    ExtDesc {
        table: Some(table),
        hooks,
        ..d
    }
}

#[cfg(MODULE)]
impl Extensions {
    /// Registers, as the kernel's modules do: the matches `conntrack` (revisions 1 to 3),
    /// `state` and `connmark` for every family, `connlimit` for IPv4 and IPv6; the targets
    /// `SNAT` and `DNAT` (revision 0 for IPv4, 1 and 2 for every family), `MASQUERADE` and
    /// `REDIRECT` (nat table), `CONNMARK` (revisions 1 and 2), and `CT` (revisions 0 to 2) and
    /// `NOTRACK` (raw table) for IPv4 and IPv6.
    pub(crate) fn register(module: &'static ThisModule) -> Result<Self> {
        use bindings::{
            nf_nat_ipv4_multi_range_compat as Compat, nf_nat_range as Range1,
            nf_nat_range2 as Range2, xt_connmark_tginfo1 as Mark1, xt_connmark_tginfo2 as Mark2,
            xt_conntrack_mtinfo1 as Ct1, xt_conntrack_mtinfo2 as Ct2, xt_conntrack_mtinfo3 as Ct3,
            xt_ct_target_info as CtInfo0, xt_ct_target_info_v1 as CtInfo1,
        };
        use hooks::*;
        use nat_targets::{Destination, HostNat, Masquerade, Nat, Redirect, Source};
        let mut matches = KVec::with_capacity(7, GFP_KERNEL)?;
        let mut add_match = |r: Result<MatchRegistration>| -> Result {
            matches.push(r?, GFP_KERNEL)?;
            Ok(())
        };
        let conntrack = c_str!("conntrack");
        add_match(MatchRegistration::new::<matches::Conntrack<Ct1>>(
            module,
            &desc(conntrack, 1, 0),
        ))?;
        add_match(MatchRegistration::new::<matches::Conntrack<Ct2>>(
            module,
            &desc(conntrack, 2, 0),
        ))?;
        add_match(MatchRegistration::new::<matches::Conntrack<Ct3>>(
            module,
            &desc(conntrack, 3, 0),
        ))?;
        add_match(MatchRegistration::new::<matches::State>(
            module,
            &desc(c_str!("state"), 0, 0),
        ))?;
        add_match(MatchRegistration::new::<matches::Connmark>(
            module,
            &desc(c_str!("connmark"), 1, 0),
        ))?;
        for family in [IPV4, IPV6] {
            let d = desc(c_str!("connlimit"), 1, family);
            add_match(MatchRegistration::new::<connlimit_mt::Connlimit>(
                module, &d,
            ))?;
        }

        let mut targets = KVec::with_capacity(24, GFP_KERNEL)?;
        let mut add = |r: Result<TargetRegistration>| -> Result {
            targets.push(r?, GFP_KERNEL)?;
            Ok(())
        };
        let nat = c_str!("nat");
        let (snat, dnat) = (c_str!("SNAT"), c_str!("DNAT"));
        let (src_hooks, dst_hooks) = (POST_ROUTING | LOCAL_IN, PRE_ROUTING | LOCAL_OUT);
        let s0 = in_table(desc(snat, 0, IPV4), nat, src_hooks);
        let d0 = in_table(desc(dnat, 0, IPV4), nat, dst_hooks);
        add(TargetRegistration::new::<Nat<Compat, Source>>(module, &s0))?;
        add(TargetRegistration::new::<Nat<Compat, Destination>>(
            module, &d0,
        ))?;
        let s1 = in_table(desc(snat, 1, 0), nat, src_hooks);
        let d1 = in_table(desc(dnat, 1, 0), nat, dst_hooks);
        add(TargetRegistration::new::<Nat<Range1, Source>>(module, &s1))?;
        add(TargetRegistration::new::<Nat<Range1, Destination>>(
            module, &d1,
        ))?;
        let s2 = in_table(desc(snat, 2, 0), nat, src_hooks);
        let d2 = in_table(desc(dnat, 2, 0), nat, dst_hooks);
        add(TargetRegistration::new::<Nat<Range2, Source>>(module, &s2))?;
        add(TargetRegistration::new::<Nat<Range2, Destination>>(
            module, &d2,
        ))?;
        let masq = c_str!("MASQUERADE");
        let m4 = in_table(desc(masq, 0, IPV4), nat, POST_ROUTING);
        let m6 = in_table(desc(masq, 0, IPV6), nat, POST_ROUTING);
        add(TargetRegistration::new::<HostNat<Compat, Masquerade>>(
            module, &m4,
        ))?;
        add(TargetRegistration::new::<HostNat<Range1, Masquerade>>(
            module, &m6,
        ))?;
        let redir = c_str!("REDIRECT");
        let r4 = in_table(desc(redir, 0, IPV4), nat, dst_hooks);
        let r6 = in_table(desc(redir, 0, IPV6), nat, dst_hooks);
        add(TargetRegistration::new::<HostNat<Compat, Redirect>>(
            module, &r4,
        ))?;
        add(TargetRegistration::new::<HostNat<Range1, Redirect>>(
            module, &r6,
        ))?;
        let (connmark, ct, notrack, raw) = (
            c_str!("CONNMARK"),
            c_str!("CT"),
            c_str!("NOTRACK"),
            c_str!("raw"),
        );
        for family in [IPV4, IPV6] {
            let m1 = desc(connmark, 1, family);
            let m2 = desc(connmark, 2, family);
            add(TargetRegistration::new::<connmark_tg::Connmark<Mark1>>(
                module, &m1,
            ))?;
            add(TargetRegistration::new::<connmark_tg::Connmark<Mark2>>(
                module, &m2,
            ))?;
            let c0 = in_table(desc(ct, 0, family), raw, 0);
            let c1 = in_table(desc(ct, 1, family), raw, 0);
            let c2 = in_table(desc(ct, 2, family), raw, 0);
            add(TargetRegistration::new::<ct_targets::Ct<CtInfo0, 0>>(
                module, &c0,
            ))?;
            add(TargetRegistration::new::<ct_targets::Ct<CtInfo1, 1>>(
                module, &c1,
            ))?;
            add(TargetRegistration::new::<ct_targets::Ct<CtInfo1, 2>>(
                module, &c2,
            ))?;
            let n = in_table(desc(notrack, 0, family), raw, 0);
            add(TargetRegistration::new::<ct_targets::Notrack>(module, &n))?;
        }
        Ok(Self {
            _matches: matches,
            _targets: targets,
        })
    }
}
