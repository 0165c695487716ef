// SPDX-License-Identifier: GPL-2.0

//! Netlink message framing for ctnetlink: the `nlmsghdr` and `nfgenmsg` headers, message
//! types, flags and multicast groups.

use super::errno::Errno;
use super::write::{NoRoom, Sink, Writer};

/// Layout of a netlink message header (`struct nlmsghdr`), fields in host byte order.
mod field {
    use core::ops::Range;

    /// Length of the whole message.
    pub(super) const LEN: Range<usize> = 0..4;
    /// Message type: subsystem and operation.
    pub(super) const TYPE: Range<usize> = 4..6;
    /// `NLM_F_*` flags.
    pub(super) const FLAGS: Range<usize> = 6..8;
    /// Sequence number.
    pub(super) const SEQ: Range<usize> = 8..12;
    /// Port of the sender.
    pub(super) const PORTID: Range<usize> = 12..16;
    /// Address family of the `nfgenmsg` that follows.
    pub(super) const FAMILY: usize = 16;
    /// nfnetlink version.
    pub(super) const VERSION: usize = 17;
    /// Resource identifier, big-endian.
    pub(super) const RES_ID: Range<usize> = 18..20;
}

/// Length of the netlink header (`NLMSG_HDRLEN`).
pub(crate) const NLMSG_HDR_LEN: usize = 16;
/// Length of both headers: where the attributes start.
pub(crate) const HDR_LEN: usize = NLMSG_HDR_LEN + 4;

/// nfnetlink subsystem of connections (`NFNL_SUBSYS_CTNETLINK`).
pub(crate) const SUBSYS_CTNETLINK: u8 = 1;
/// nfnetlink's version 0 (`NFNETLINK_V0`).
pub(crate) const NFNETLINK_V0: u8 = 0;
/// Address family of messages about every family (`AF_UNSPEC`).
pub(crate) const AF_UNSPEC: u8 = 0;

/// Operations of the connection subsystem (`enum cntl_msg_types`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub(crate) enum Op {
    /// Create or update a connection; also every record and event but destroy.
    New = 0,
    /// Get one connection, or dump the table.
    Get = 1,
    /// Delete one connection, or flush; also destroy events.
    Delete = 2,
    /// As [`Op::Get`], zeroing the counters read.
    GetCtrZero = 3,
    /// Per-CPU statistics.
    GetStatsCpu = 4,
    /// Table-wide statistics.
    GetStats = 5,
    /// Dump the connections being destroyed.
    GetDying = 6,
    /// Dump the unconfirmed connections.
    GetUnconfirmed = 7,
}

impl Op {
    /// The operation numbered `n`.
    pub(crate) fn from_u8(n: u8) -> Option<Self> {
        Some(match n {
            0 => Op::New,
            1 => Op::Get,
            2 => Op::Delete,
            3 => Op::GetCtrZero,
            4 => Op::GetStatsCpu,
            5 => Op::GetStats,
            6 => Op::GetDying,
            7 => Op::GetUnconfirmed,
            _ => return None,
        })
    }

    /// The netlink message type: subsystem in the high byte, operation in the low.
    pub(crate) fn msg_type(self) -> u16 {
        u16::from(SUBSYS_CTNETLINK) << 8 | self as u16
    }
}

/// Netlink message flags (`NLM_F_*`), those of requests and answers.
#[allow(dead_code)]
pub(crate) mod flags {
    /// A request.
    pub(crate) const REQUEST: u16 = 0x01;
    /// Part of a multipart answer.
    pub(crate) const MULTI: u16 = 0x02;
    /// Acknowledge.
    pub(crate) const ACK: u16 = 0x04;
    /// Report changes back to the requester (`nlmsg_report`).
    pub(crate) const ECHO: u16 = 0x08;
    /// The dump was filtered.
    pub(crate) const DUMP_FILTERED: u16 = 0x20;
    /// Dump every entry (`NLM_F_ROOT | NLM_F_MATCH`).
    pub(crate) const DUMP: u16 = 0x300;
    /// Fail if the entry exists.
    pub(crate) const EXCL: u16 = 0x200;
    /// Create the entry if it does not exist.
    pub(crate) const CREATE: u16 = 0x400;
}

/// Multicast groups of connection events (`enum nfnetlink_groups`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u32)]
pub(crate) enum Group {
    /// New connections.
    New = 1,
    /// Changed connections.
    Update = 2,
    /// Destroyed connections.
    Destroy = 3,
}

/// What heads a message: the netlink header's fields but its length, and the `nfgenmsg`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Header {
    /// Message type.
    pub(crate) msg_type: u16,
    /// `NLM_F_*` flags.
    pub(crate) flags: u16,
    /// Sequence number.
    pub(crate) seq: u32,
    /// Port the message is from or for.
    pub(crate) portid: u32,
    /// Address family (`AF_*`, numbered as `NFPROTO_*`).
    pub(crate) family: u8,
    /// nfnetlink version.
    pub(crate) version: u8,
    /// Resource identifier.
    pub(crate) res_id: u16,
}

impl Header {
    /// Reads the headers of a message, which must hold its whole length.
    ///
    /// A message too short for both headers is one nfnetlink ignores; it is `EINVAL` here.
    pub(crate) fn parse(msg: &[u8]) -> Result<(Self, &[u8]), Errno> {
        let head: [u8; HDR_LEN] = msg
            .get(..HDR_LEN)
            .and_then(|h| h.try_into().ok())
            .ok_or(Errno::EINVAL)?;
        let bytes = |r: core::ops::Range<usize>| head.get(r).unwrap_or(&[]);
        let u16_at = |r| bytes(r).try_into().map_or(0, u16::from_ne_bytes);
        let u32_at = |r| bytes(r).try_into().map_or(0, u32::from_ne_bytes);
        let len = usize::try_from(u32_at(field::LEN)).map_err(|_| Errno::EINVAL)?;
        if len < HDR_LEN {
            return Err(Errno::EINVAL);
        }
        let attrs = msg.get(HDR_LEN..len).ok_or(Errno::EINVAL)?;
        let header = Self {
            msg_type: u16_at(field::TYPE),
            flags: u16_at(field::FLAGS),
            seq: u32_at(field::SEQ),
            portid: u32_at(field::PORTID),
            family: head[field::FAMILY],
            version: head[field::VERSION],
            res_id: bytes(field::RES_ID)
                .try_into()
                .map_or(0, u16::from_be_bytes),
        };
        Ok((header, attrs))
    }
}

/// An open message, to be closed with [`end`].
#[must_use]
pub(crate) struct Msg(usize);

/// Starts a message (`nfnl_msg_put`).
pub(crate) fn begin<S: Sink + ?Sized>(w: &mut Writer<'_, S>, h: &Header) -> Result<Msg, NoRoom> {
    let start = w.len();
    let mut head = [0u8; HDR_LEN];
    head[field::TYPE].copy_from_slice(&h.msg_type.to_ne_bytes());
    head[field::FLAGS].copy_from_slice(&h.flags.to_ne_bytes());
    head[field::SEQ].copy_from_slice(&h.seq.to_ne_bytes());
    head[field::PORTID].copy_from_slice(&h.portid.to_ne_bytes());
    head[field::FAMILY] = h.family;
    head[field::VERSION] = h.version;
    head[field::RES_ID].copy_from_slice(&h.res_id.to_be_bytes());
    w.raw(&head)?;
    Ok(Msg(start))
}

/// Gives a message its length (`nlmsg_end`).
pub(crate) fn end<S: Sink + ?Sized>(w: &mut Writer<'_, S>, msg: Msg) -> Result<(), NoRoom> {
    let len = u32::try_from(w.len().saturating_sub(msg.0)).map_err(|_| NoRoom)?;
    w.patch(msg.0.saturating_add(field::LEN.start), &len.to_ne_bytes());
    Ok(())
}

/// Writes a whole message: headers, then what `body` writes. If anything does not fit, the
/// message is removed from the sink, as `nlmsg_cancel` removes it.
pub(crate) fn write<S: Sink + ?Sized>(
    sink: &mut S,
    h: &Header,
    body: impl FnOnce(&mut Writer<'_, S>) -> Result<(), NoRoom>,
) -> Result<(), NoRoom> {
    let mut w = Writer::new(sink);
    let start = w.len();
    let result = begin(&mut w, h).and_then(|msg| {
        body(&mut w)?;
        end(&mut w, msg)
    });
    if result.is_err() {
        w.truncate(start);
    }
    result
}
