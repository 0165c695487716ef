// SPDX-License-Identifier: GPL-2.0

//! nftables expressions over connections, as nft_ct, nft_connlimit, nft_nat, nft_masq and
//! nft_redir provide them: `ct` to load and set what a connection holds, `notrack`,
//! `ct count`, and the NAT statements.
//!
//! What the keys mean and how many register bytes they take, and the ranges NAT statements
//! give, are plain Rust (`ct_key`, `nat_stmt`); the expressions themselves are the kernel side,
//! on `sys::nftables`.

pub(crate) mod conncount;
pub(crate) mod ct_key;
pub(crate) mod nat_stmt;

#[cfg(MODULE)]
pub(crate) mod connlimit;
#[cfg(MODULE)]
pub(crate) mod counting;
#[cfg(MODULE)]
pub(crate) mod expr_ct;
#[cfg(MODULE)]
pub(crate) mod nat;
#[cfg(MODULE)]
pub(crate) mod notrack;

#[cfg(MODULE)]
use super::sys::bindings;
#[cfg(MODULE)]
use super::sys::nftables::{self, ExprDesc, ExprRegistration};
#[cfg(MODULE)]
use kernel::prelude::*;

/// The expression types of this module, registered with nf_tables while it is loaded.
#[cfg(MODULE)]
pub(crate) struct Expressions {
    _types: KVec<ExprRegistration>,
}

#[cfg(MODULE)]
impl Expressions {
    /// Registers `ct`, `notrack` and `connlimit` for every family, `nat` for every family and
    /// for `inet` (whose rules carry the family they translate), and `masq` and `redir` for
    /// `ip`, `ip6` and `inet`.
    pub(crate) fn register(module: &'static ThisModule) -> Result<Self> {
        use kernel::c_str;
        let desc = |name, policy, family: u32| ExprDesc {
            name,
            policy,
            family: family as u8,
        };
        let families = [
            bindings::NFPROTO_IPV4,
            bindings::NFPROTO_IPV6,
            bindings::NFPROTO_INET,
        ];
        let mut types = KVec::with_capacity(10, GFP_KERNEL)?;
        let ct = desc(c_str!("ct"), nftables::ct_policy(), 0);
        types.push(
            ExprRegistration::new::<expr_ct::CtExpr>(module, &ct)?,
            GFP_KERNEL,
        )?;
        let notrack = desc(c_str!("notrack"), &[], 0);
        types.push(
            ExprRegistration::new::<notrack::Notrack>(module, &notrack)?,
            GFP_KERNEL,
        )?;
        let connlimit = desc(c_str!("connlimit"), nftables::connlimit_policy(), 0);
        types.push(
            ExprRegistration::new_stateful::<connlimit::Connlimit>(module, &connlimit)?,
            GFP_KERNEL,
        )?;
        for family in [0, bindings::NFPROTO_INET] {
            let d = desc(c_str!("nat"), nftables::nat_policy(), family);
            types.push(
                ExprRegistration::new::<nat::NatExpr>(module, &d)?,
                GFP_KERNEL,
            )?;
        }
        for family in families {
            let d = desc(c_str!("masq"), nftables::masq_policy(), family);
            types.push(
                ExprRegistration::new::<nat::MasqExpr>(module, &d)?,
                GFP_KERNEL,
            )?;
            let d = desc(c_str!("redir"), nftables::redir_policy(), family);
            types.push(
                ExprRegistration::new::<nat::RedirExpr>(module, &d)?,
                GFP_KERNEL,
            )?;
        }
        Ok(Self { _types: types })
    }
}
