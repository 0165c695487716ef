// SPDX-License-Identifier: GPL-2.0

//! Connection status bits and the per-packet connection state, numbered as nf_conntrack's.

/// Status bits of a connection (`IPS_*`).
pub(crate) mod bits {
    /// A reply has been seen.
    pub(crate) const SEEN_REPLY: usize = 1 << 1;
    /// The connection is worth keeping when the table fills up.
    pub(crate) const ASSURED: usize = 1 << 2;
    /// The connection is in the table.
    pub(crate) const CONFIRMED: usize = 1 << 3;
    /// The connection is being removed.
    pub(crate) const DYING: usize = 1 << 9;
    /// The connection's timeout is fixed: trackers do not shorten it.
    pub(crate) const FIXED_TIMEOUT: usize = 1 << 10;
    /// Not a connection but a template that new connections take settings from, such as their
    /// zone.
    pub(crate) const TEMPLATE: usize = 1 << 11;
    /// The connection counts packets and bytes. Private to this module: nf_conntrack's bits end
    /// at 15, and no reader outside conntrack tests bits above them.
    pub(crate) const ACCT: usize = 1 << 31;
    /// The connection records when it started and stopped; private, as [`ACCT`].
    pub(crate) const TSTAMP: usize = 1 << 30;
    /// The connection has an event cache: its events reach listeners. Private, as [`ACCT`].
    pub(crate) const EVENTS: usize = 1 << 29;
    /// The connection waits on its namespace's dying list. Private, as [`ACCT`].
    pub(crate) const ON_DYING_LIST: usize = 1 << 28;
    /// The bits private to this module, which no reader outside it is shown.
    pub(crate) const PRIVATE: usize = ACCT | TSTAMP | EVENTS | ON_DYING_LIST;
}

/// Direction of a packet within its connection.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Dir {
    /// From the side that opened the connection.
    Original = 0,
    /// From the other side.
    Reply = 1,
}

impl Dir {
    /// The direction as an index into per-direction arrays.
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The opposite direction.
    pub(crate) fn other(self) -> Self {
        match self {
            Dir::Original => Dir::Reply,
            Dir::Reply => Dir::Original,
        }
    }
}

/// What a packet is to its connection (`enum ip_conntrack_info`), stored in the low bits of
/// `skb->_nfct`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub(crate) enum CtInfo {
    /// Part of a connection that has seen packets both ways, original direction.
    Established = 0,
    /// Related to a connection (an ICMP error about it), original direction.
    Related = 1,
    /// Opening a connection, or part of one that has not seen a reply.
    New = 2,
    /// Part of an established connection, reply direction.
    EstablishedReply = 3,
    /// Related to a connection, reply direction.
    RelatedReply = 4,
    /// Deliberately not tracked.
    Untracked = 7,
}

impl CtInfo {
    /// Mask of the bits of `skb->_nfct` that hold the state.
    pub(crate) const MASK: usize = 7;

    /// The state of a packet of an existing connection seen in direction `dir`.
    pub(crate) fn of_packet(dir: Dir, status: usize) -> Self {
        match dir {
            Dir::Reply => CtInfo::EstablishedReply,
            Dir::Original if status & bits::SEEN_REPLY != 0 => CtInfo::Established,
            Dir::Original => CtInfo::New,
        }
    }

    /// The state of an error about a packet seen in direction `dir`.
    pub(crate) fn related(dir: Dir) -> Self {
        match dir {
            Dir::Original => CtInfo::Related,
            Dir::Reply => CtInfo::RelatedReply,
        }
    }

    /// Decodes the low bits of `skb->_nfct`.
    pub(crate) fn from_bits(v: usize) -> Option<Self> {
        Some(match v & Self::MASK {
            0 => CtInfo::Established,
            1 => CtInfo::Related,
            2 => CtInfo::New,
            3 => CtInfo::EstablishedReply,
            4 => CtInfo::RelatedReply,
            7 => CtInfo::Untracked,
            _ => return None,
        })
    }

    /// The direction of the packet.
    pub(crate) fn dir(self) -> Dir {
        if self as u8 >= CtInfo::EstablishedReply as u8 && self != CtInfo::Untracked {
            Dir::Reply
        } else {
            Dir::Original
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctinfo_round_trips_and_knows_its_direction() {
        for c in [
            CtInfo::Established,
            CtInfo::Related,
            CtInfo::New,
            CtInfo::EstablishedReply,
            CtInfo::RelatedReply,
            CtInfo::Untracked,
        ] {
            assert_eq!(CtInfo::from_bits(c as usize | 0x1000), Some(c));
        }
        assert_eq!(CtInfo::from_bits(5), None);
        assert_eq!(CtInfo::EstablishedReply.dir(), Dir::Reply);
        assert_eq!(CtInfo::RelatedReply.dir(), Dir::Reply);
        assert_eq!(CtInfo::New.dir(), Dir::Original);
        assert_eq!(CtInfo::of_packet(Dir::Original, 0), CtInfo::New);
        assert_eq!(
            CtInfo::of_packet(Dir::Original, bits::SEEN_REPLY),
            CtInfo::Established
        );
        assert_eq!(CtInfo::of_packet(Dir::Reply, 0), CtInfo::EstablishedReply);
        assert_eq!(CtInfo::related(Dir::Reply), CtInfo::RelatedReply);
    }
}
