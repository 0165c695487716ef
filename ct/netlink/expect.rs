// SPDX-License-Identifier: GPL-2.0

//! The expectation subsystem, without expectations: with no helpers, no connection expects
//! another, so `conntrack -L expect` lists nothing and `conntrack -E expect` hears nothing, as
//! nf_conntrack answers when no helper has made an expectation.

use super::attr::Attrs;
use super::dumps::{error, EmptyDump, ExpectStatsDump};
use super::msg::{flags, Header, HDR_LEN};
use crate::ct::sys::nfnetlink::Request;
use kernel::prelude::*;

/// Operations of the expectation subsystem (`enum ctnl_exp_msg_types`).
mod op {
    /// Create or change an expectation.
    pub(super) const NEW: u8 = 0;
    /// Get one, or dump them.
    pub(super) const GET: u8 = 1;
    /// Delete one, or flush.
    pub(super) const DELETE: u8 = 2;
    /// Per-CPU statistics.
    pub(super) const GET_STATS_CPU: u8 = 3;
    /// How many there are.
    pub(super) const COUNT: u8 = 4;
}

/// Attributes of an expectation request (`enum ctattr_expect`).
mod cta {
    /// The master connection's tuple.
    pub(super) const MASTER: u16 = 1;
    /// The expected tuple.
    pub(super) const TUPLE: u16 = 2;
    /// Its mask.
    pub(super) const MASK: u16 = 3;
}

/// How many operations there are.
pub(crate) const OPS: u8 = op::COUNT;

/// Answers a request of the expectation subsystem.
pub(crate) fn answer(req: &Request<'_>) -> Result {
    let msg = req.message();
    let (header, _) = Header::parse(msg).map_err(error)?;
    let has = |kind| Attrs::new(msg.get(HDR_LEN..).unwrap_or(&[])).any(|a| a.kind() == kind);
    let dump = header.flags & flags::DUMP != 0;
    match header.msg_type.to_be_bytes()[1] {
        op::GET if dump => req.dump::<EmptyDump>(),
        op::GET if has(cta::TUPLE) || has(cta::MASTER) => Err(ENOENT),
        op::GET => Err(EINVAL),
        op::DELETE if has(cta::TUPLE) => Err(ENOENT),
        // A flush of nothing.
        op::DELETE => Ok(()),
        op::NEW if !(has(cta::TUPLE) && has(cta::MASK) && has(cta::MASTER)) => Err(EINVAL),
        // Only a helper of the master connection could take the expectation.
        op::NEW => Err(error(super::errno::Errno::EOPNOTSUPP)),
        op::GET_STATS_CPU if dump => req.dump::<ExpectStatsDump>(),
        op::GET_STATS_CPU => Ok(()),
        _ => Err(EINVAL),
    }
}
