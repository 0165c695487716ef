// SPDX-License-Identifier: GPL-2.0

//! What a `CT_NEW` request changes in a connection, created or existing
//! (`ctnetlink_change_conntrack`, the set-up steps of `ctnetlink_create_conntrack`).
//!
//! The kernel side copies the changeable state of the connection into a [`ConnState`], lets a
//! step change it, and copies it back whatever the outcome: as in nf_conntrack, changes made
//! before a failing attribute stay.

use super::attr::{Attr, Mode, Table};
use super::cta;
use super::errno::Errno;
use super::ips;
use super::policy;
use super::snapshot::{tcp_flags, SeqAdj, Synproxy, TcpInfo};
use crate::ct::proto::TcpState;

/// Longest timeout in jiffies (`INT_MAX`, as `__nf_ct_set_timeout` caps it).
const TIMEOUT_MAX: u64 = i32::MAX as u64;

/// The parts of a connection a request may change.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) struct ConnState {
    /// Status bits ([`ips`]).
    pub(crate) status: u32,
    /// Set when the request gives a new timeout: jiffies from now until the connection
    /// expires.
    pub(crate) timeout: Option<u32>,
    /// Mark.
    pub(crate) mark: u32,
    /// TCP state, for a TCP connection.
    pub(crate) tcp: Option<TcpInfo>,
    /// Sequence adjustment, when the connection has room for it.
    pub(crate) seq_adj: Option<[SeqAdj; 2]>,
    /// SYN proxy state, when the connection has room for it.
    pub(crate) synproxy: Option<Synproxy>,
    /// Whether the connection has a master, which forbids changing its helper.
    pub(crate) has_master: bool,
}

/// The top-level attributes of a request.
pub(crate) type CtTable<'a> = Table<'a, { cta::MAX as usize + 1 }>;

/// Changes an existing connection as the request's attributes say
/// (`ctnetlink_change_conntrack`).
pub(crate) fn update(tb: &CtTable<'_>, s: &mut ConnState, hz: u32) -> Result<(), Errno> {
    if tb.has(cta::NAT_SRC) || tb.has(cta::NAT_DST) || tb.has(cta::TUPLE_MASTER) {
        return Err(Errno::EOPNOTSUPP);
    }
    if let Some(help) = tb.get(cta::HELP) {
        let name = helper_name(&help)?;
        if s.has_master {
            return Err(Errno::EBUSY);
        }
        // No helper is attached to any connection, and none can be: removing one is all
        // that succeeds.
        if name.first() != Some(&0) {
            return Err(Errno::EOPNOTSUPP);
        }
    }
    if let Some(t) = tb.get(cta::TIMEOUT) {
        if s.status & ips::FIXED_TIMEOUT != 0 {
            return Err(Errno::EPERM);
        }
        s.timeout = Some(timeout_jiffies(t.be32(), hz));
        if s.status & ips::DYING != 0 {
            return Err(Errno::ETIME);
        }
    }
    if let Some(status) = tb.get(cta::STATUS) {
        s.status = change_status(s.status, status.be32())?;
    }
    if let Some(info) = tb.get(cta::PROTOINFO) {
        change_protoinfo(&info, s)?;
    }
    change_mark(tb, s);
    change_seq_adj(tb, s)?;
    if let Some(sp) = tb.get(cta::SYNPROXY) {
        change_synproxy(&sp, s)?;
    }
    if let Some(labels) = tb.get(cta::LABELS) {
        check_labels(tb, &labels)?;
        // Connections have no room for labels.
        return Err(Errno::ENOSPC);
    }
    Ok(())
}

/// Checks what must hold before a connection is created, ahead of its NAT set-up: a timeout,
/// and no helper, since there are none to attach.
pub(crate) fn check_create(tb: &CtTable<'_>) -> Result<(), Errno> {
    if !tb.has(cta::TIMEOUT) {
        return Err(Errno::EINVAL);
    }
    if let Some(help) = tb.get(cta::HELP) {
        helper_name(&help)?;
        return Err(Errno::EOPNOTSUPP);
    }
    Ok(())
}

/// Sets up a connection being created, after its NAT set-up, as the request's attributes say.
///
/// `s` starts as the new connection is: status bits of its NAT set-up, a zeroed TCP state for
/// a TCP connection, zeroed sequence adjustment and SYN proxy areas where nf_conntrack would
/// give them (it gives both to every connection it creates by request).
pub(crate) fn init(tb: &CtTable<'_>, s: &mut ConnState, hz: u32) -> Result<(), Errno> {
    let timeout = tb.get(cta::TIMEOUT).ok_or(Errno::EINVAL)?;
    s.status |= ips::CONFIRMED;
    s.timeout = Some(timeout_jiffies(timeout.be32(), hz));
    if let Some(status) = tb.get(cta::STATUS) {
        s.status = change_status(s.status, status.be32())?;
    }
    change_seq_adj(tb, s)?;
    if let Some(info) = tb.get(cta::PROTOINFO) {
        change_protoinfo(&info, s)?;
    }
    if let Some(sp) = tb.get(cta::SYNPROXY) {
        change_synproxy(&sp, s)?;
    }
    change_mark(tb, s);
    Ok(())
}

/// `secs` seconds in jiffies, capped as the kernel caps timeouts.
pub(crate) fn timeout_jiffies(secs: u32, hz: u32) -> u32 {
    let j = u64::from(secs)
        .saturating_mul(u64::from(hz))
        .min(TIMEOUT_MAX);
    u32::try_from(j).unwrap_or(u32::MAX)
}

/// The status after a request asks for `requested` (`nf_ct_change_status_common`): bits may
/// only be set, and only the changeable ones; asking to change another is `EBUSY`.
pub(crate) fn change_status(current: u32, requested: u32) -> Result<u32, Errno> {
    let d = current ^ requested;
    if d & (ips::EXPECTED | ips::CONFIRMED | ips::DYING) != 0 {
        return Err(Errno::EBUSY);
    }
    for bit in [ips::SEEN_REPLY, ips::ASSURED] {
        if d & bit != 0 && requested & bit == 0 {
            return Err(Errno::EBUSY);
        }
    }
    Ok(current | (requested & ips::ALL & !ips::UNCHANGEABLE_MASK))
}

/// The helper name of a `CTA_HELP` attribute (`ctnetlink_parse_help`).
fn helper_name<'a>(help: &Attr<'a>) -> Result<&'a [u8], Errno> {
    let tb = help.parse(&policy::HELP, Mode::Liberal)?;
    Ok(tb.get(cta::help::NAME).ok_or(Errno::EINVAL)?.payload())
}

/// Applies `CTA_MARK`, under `CTA_MARK_MASK` if given (`ctnetlink_change_mark`).
fn change_mark(tb: &CtTable<'_>, s: &mut ConnState) {
    let Some(mark) = tb.get(cta::MARK) else {
        return;
    };
    let keep = tb.get(cta::MARK_MASK).map_or(0, |m| !m.be32());
    s.mark = (s.mark & keep) ^ mark.be32();
}

/// Applies `CTA_PROTOINFO` (`ctnetlink_change_protoinfo`, then `nlattr_to_tcp`).
fn change_protoinfo(info: &Attr<'_>, s: &mut ConnState) -> Result<(), Errno> {
    let tb = info.parse(&policy::PROTOINFO, Mode::Liberal)?;
    let (Some(tcp), Some(attr)) = (s.tcp.as_mut(), tb.get(cta::protoinfo::TCP)) else {
        return Ok(());
    };
    let tb = attr.parse(&policy::TCP, Mode::Liberal)?;
    if let Some(state) = tb.get(cta::tcp::STATE).and_then(|a| tcp_state(a.u8())) {
        tcp.state = state;
    }
    for (kind, flags) in [cta::tcp::FLAGS_ORIGINAL, cta::tcp::FLAGS_REPLY]
        .into_iter()
        .zip(tcp.flags.iter_mut())
    {
        if let Some(a) = tb.get(kind) {
            let [value, mask] = a.bytes::<{ policy::TCP_FLAGS_LEN }>();
            *flags = (*flags & !mask) | (value & mask);
        }
    }
    if let (Some(orig), Some(reply)) = (
        tb.get(cta::tcp::WSCALE_ORIGINAL),
        tb.get(cta::tcp::WSCALE_REPLY),
    ) {
        if tcp.flags.iter().all(|f| f & tcp_flags::WINDOW_SCALE != 0) {
            tcp.wscale = [orig.u8(), reply.u8()];
        }
    }
    Ok(())
}

/// The TCP state numbered `n` (`TCP_CONNTRACK_*`).
pub(crate) fn tcp_state(n: u8) -> Option<TcpState> {
    Some(match n {
        0 => TcpState::None,
        1 => TcpState::SynSent,
        2 => TcpState::SynRecv,
        3 => TcpState::Established,
        4 => TcpState::FinWait,
        5 => TcpState::CloseWait,
        6 => TcpState::LastAck,
        7 => TcpState::TimeWait,
        8 => TcpState::Close,
        9 => TcpState::SynSent2,
        _ => return None,
    })
}

/// Applies `CTA_SEQ_ADJ_ORIG` and `CTA_SEQ_ADJ_REPLY` (`ctnetlink_change_seq_adj`); each
/// one given turns sequence adjustment on.
fn change_seq_adj(tb: &CtTable<'_>, s: &mut ConnState) -> Result<(), Errno> {
    let Some(adj) = s.seq_adj.as_mut() else {
        return Ok(());
    };
    for (kind, seq) in [cta::SEQ_ADJ_ORIG, cta::SEQ_ADJ_REPLY]
        .into_iter()
        .zip(adj.iter_mut())
    {
        if let Some(attr) = tb.get(kind) {
            let t = attr.parse(&policy::SEQADJ, Mode::Liberal)?;
            let get = |k| t.get(k).map(|a| a.be32()).ok_or(Errno::EINVAL);
            seq.correction_pos = get(cta::seqadj::CORRECTION_POS)?;
            seq.offset_before = get(cta::seqadj::OFFSET_BEFORE)? as i32;
            seq.offset_after = get(cta::seqadj::OFFSET_AFTER)? as i32;
            s.status |= ips::SEQ_ADJUST;
        }
    }
    Ok(())
}

/// Applies `CTA_SYNPROXY` (`ctnetlink_change_synproxy`).
fn change_synproxy(attr: &Attr<'_>, s: &mut ConnState) -> Result<(), Errno> {
    let Some(sp) = s.synproxy.as_mut() else {
        return Ok(());
    };
    let tb = attr.parse(&policy::SYNPROXY, Mode::Liberal)?;
    let get = |k| tb.get(k).map(|a| a.be32()).ok_or(Errno::EINVAL);
    let new = Synproxy {
        isn: get(cta::synproxy::ISN)?,
        its: get(cta::synproxy::ITS)?,
        tsoff: get(cta::synproxy::TSOFF)?,
    };
    *sp = new;
    Ok(())
}

/// Checks the lengths of `CTA_LABELS` and `CTA_LABELS_MASK` (`ctnetlink_attach_labels`).
fn check_labels(tb: &CtTable<'_>, labels: &Attr<'_>) -> Result<(), Errno> {
    let len = labels.payload().len();
    if len % 4 != 0 {
        return Err(Errno::EINVAL);
    }
    if let Some(mask) = tb.get(cta::LABELS_MASK) {
        let mask_len = mask.payload().len();
        if mask_len == 0 || mask_len != len {
            return Err(Errno::EINVAL);
        }
    }
    Ok(())
}
