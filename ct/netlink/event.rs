// SPDX-License-Identifier: GPL-2.0

//! Connection events, as `ctnetlink_conntrack_event` sends them to the multicast groups.

use super::encode;
use super::msg::{self, flags, Group, Op};
use super::snapshot::Snapshot;
use super::write::{NoRoom, Sink};

/// Event bits (`1 << IPCT_*`), all of them.
#[allow(dead_code)]
pub(crate) mod bits {
    /// A new connection.
    pub(crate) const NEW: u32 = 1 << 0;
    /// A new expected connection.
    pub(crate) const RELATED: u32 = 1 << 1;
    /// The connection is destroyed.
    pub(crate) const DESTROY: u32 = 1 << 2;
    /// A reply was seen.
    pub(crate) const REPLY: u32 = 1 << 3;
    /// The connection became assured.
    pub(crate) const ASSURED: u32 = 1 << 4;
    /// The protocol state changed.
    pub(crate) const PROTOINFO: u32 = 1 << 5;
    /// A helper was set.
    pub(crate) const HELPER: u32 = 1 << 6;
    /// The mark was set.
    pub(crate) const MARK: u32 = 1 << 7;
    /// The sequence adjustment changed.
    pub(crate) const SEQADJ: u32 = 1 << 8;
    /// The security mark was set.
    pub(crate) const SECMARK: u32 = 1 << 9;
    /// Labels were set.
    pub(crate) const LABEL: u32 = 1 << 10;
    /// The SYN proxy state was set.
    pub(crate) const SYNPROXY: u32 = 1 << 11;
}

/// Events of a connection a request created, besides [`bits::NEW`] (or [`bits::RELATED`] for
/// an expected one) and [`bits::LABEL`] when labels were set.
pub(crate) const CREATED: u32 = bits::REPLY
    | bits::ASSURED
    | bits::HELPER
    | bits::PROTOINFO
    | bits::SEQADJ
    | bits::MARK
    | bits::SYNPROXY;

/// Events of a connection a request changed.
pub(crate) const CHANGED: u32 = CREATED | bits::LABEL;

/// The group events `events` go to, or `None` if there are none.
pub(crate) fn group(events: u32) -> Option<Group> {
    if events & bits::DESTROY != 0 {
        Some(Group::Destroy)
    } else if events & (bits::NEW | bits::RELATED) != 0 {
        Some(Group::New)
    } else if events != 0 {
        Some(Group::Update)
    } else {
        None
    }
}

/// Writes the message telling `events` of `conn`; `portid` is the port of the request that
/// caused them, or 0. Returns the group to send it to; with no events, writes nothing.
///
/// If the message does not fit, nothing of it stays in the sink.
pub(crate) fn write<S: Sink + ?Sized>(
    sink: &mut S,
    conn: &Snapshot,
    events: u32,
    portid: u32,
) -> Result<Option<Group>, NoRoom> {
    let Some(group) = group(events) else {
        return Ok(None);
    };
    let (op, msg_flags) = match group {
        Group::Destroy => (Op::Delete, 0),
        Group::New => (Op::New, flags::CREATE | flags::EXCL),
        Group::Update => (Op::New, 0),
    };
    let header = encode::header(conn, op, msg_flags, 0, portid);
    msg::write(sink, &header, |w| {
        encode::tuples(w, conn)?;
        encode::id(w, conn)?;
        encode::status(w, conn)?;
        if group == Group::Destroy {
            encode::timeout(w, conn, true)?;
            encode::counters(w, conn)?;
            encode::timestamp(w, conn)?;
            encode::protoinfo(w, conn, true)?;
        } else {
            encode::timeout(w, conn, false)?;
            if events & bits::PROTOINFO != 0 {
                encode::protoinfo(w, conn, false)?;
            }
            if events & bits::RELATED != 0 {
                encode::master(w, conn)?;
            }
            if events & bits::SEQADJ != 0 {
                encode::seq_adj(w, conn)?;
            }
            if events & bits::SYNPROXY != 0 {
                encode::synproxy(w, conn)?;
            }
        }
        encode::mark(w, conn, events & bits::MARK != 0)
    })?;
    Ok(Some(group))
}
