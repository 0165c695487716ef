// SPDX-License-Identifier: GPL-2.0

//! Network address translation, as nf_nat does it.
//!
//! A connection is bound to its translation once, when its first packet meets a NAT hook:
//! [`choose::bind`] chooses, from a [`range::NatRange`], the tuple the packet will carry
//! afterwards, one no other connection answers to. From then on every packet of the connection
//! is rewritten towards that tuple by [`network::nat_packet`], and ICMP errors about it get
//! their quoted packet rewritten the opposite way by [`icmp::translate_icmp_error`]. The
//! connection table, random numbers and the packet buffer belong to the kernel side, which
//! lends them through [`env::NatEnv`] and [`packet::PacketMut`]; the packet's checksum state
//! travels with it as a [`checksum::Summed`].
//!
//! Everything here is plain Rust on `core`, built both into the kernel module and into the
//! userspace crate that tests it.

mod address;
pub(crate) mod checksum;
pub(crate) mod choose;
mod crc32c;
pub(crate) mod env;
mod header;
#[cfg(MODULE)]
mod hook;
pub(crate) mod icmp;
#[cfg(MODULE)]
mod masquerade;
#[cfg(MODULE)]
pub(crate) mod netns;
pub(crate) mod network;
pub(crate) mod packet;
mod port;
pub(crate) mod range;
#[cfg(MODULE)]
pub(crate) mod setup;
mod transport;

use super::status::{CtInfo, Dir};

/// Connection status bits NAT sets and reads, with the values of `IPS_*`, beyond those in
/// [`crate::ct::status::bits`].
pub(crate) mod bits {
    /// The source is translated (`IPS_SRC_NAT`).
    pub(crate) const SRC_NAT: usize = 1 << 4;
    /// The destination is translated (`IPS_DST_NAT`).
    pub(crate) const DST_NAT: usize = 1 << 5;
    /// Either translation (`IPS_NAT_MASK`).
    pub(crate) const NAT_MASK: usize = SRC_NAT | DST_NAT;
    /// TCP sequence numbers are adjusted (`IPS_SEQ_ADJUST`).
    pub(crate) const SEQ_ADJUST: usize = 1 << 6;
    /// The source translation is decided (`IPS_SRC_NAT_DONE`).
    pub(crate) const SRC_NAT_DONE: usize = 1 << 7;
    /// The destination translation is decided (`IPS_DST_NAT_DONE`).
    pub(crate) const DST_NAT_DONE: usize = 1 << 8;
    /// Both translations are decided (`IPS_NAT_DONE_MASK`).
    pub(crate) const NAT_DONE_MASK: usize = SRC_NAT_DONE | DST_NAT_DONE;
    /// The connection's timeout is fixed (`IPS_FIXED_TIMEOUT`).
    pub(crate) const FIXED_TIMEOUT: usize = 1 << 10;
    /// The connection is offloaded to a flow table (`IPS_OFFLOAD`).
    pub(crate) const OFFLOAD: usize = 1 << 14;
    /// The connection is offloaded to hardware (`IPS_HW_OFFLOAD`).
    pub(crate) const HW_OFFLOAD: usize = 1 << 15;
}

/// Which end of a packet a translation changes (`enum nf_nat_manip_type`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ManipType {
    /// Source NAT: the source address and port.
    Source,
    /// Destination NAT: the destination address and port.
    Destination,
}

impl ManipType {
    /// The other end.
    pub(crate) fn other(self) -> Self {
        match self {
            ManipType::Source => ManipType::Destination,
            ManipType::Destination => ManipType::Source,
        }
    }

    /// The status bit of a connection translated this way.
    pub(crate) fn nat_bit(self) -> usize {
        match self {
            ManipType::Source => bits::SRC_NAT,
            ManipType::Destination => bits::DST_NAT,
        }
    }

    /// The status bit of a connection whose translation of this end is decided.
    pub(crate) fn done_bit(self) -> usize {
        match self {
            ManipType::Source => bits::SRC_NAT_DONE,
            ManipType::Destination => bits::DST_NAT_DONE,
        }
    }

    /// The status bit that says packets in direction `dir` have this end rewritten: a reply's
    /// source is rewritten when the connection's destination is translated, and the other way
    /// round.
    pub(crate) fn rewrite_bit(self, dir: Dir) -> usize {
        match dir {
            Dir::Original => self.nat_bit(),
            Dir::Reply => self.other().nat_bit(),
        }
    }
}

/// The hooks NAT runs at, each with the end it translates.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum NatHook {
    /// Packets arriving, before routing: destination NAT.
    PreRouting,
    /// Packets for this host: source NAT.
    LocalIn,
    /// Packets this host sends, before routing: destination NAT.
    LocalOut,
    /// Packets leaving, after routing: source NAT.
    PostRouting,
}

impl NatHook {
    /// The end this hook translates (`HOOK2MANIP`).
    pub(crate) fn manip(self) -> ManipType {
        match self {
            NatHook::PostRouting | NatHook::LocalIn => ManipType::Source,
            NatHook::PreRouting | NatHook::LocalOut => ManipType::Destination,
        }
    }

    /// Whether packets here come from a device, whose `CHECKSUM_COMPLETE` sum is checked
    /// before NAT trusts an ICMP error.
    pub(crate) fn is_input(self) -> bool {
        matches!(self, NatHook::PreRouting | NatHook::LocalIn)
    }
}

/// Whether a packet must look for a translation to bind its connection to at a hook that
/// translates `manip`: the first packet of a connection, or an error related to one, whose
/// translation of that end is not yet decided.
pub(crate) fn needs_binding(info: CtInfo, status: usize, manip: ManipType) -> bool {
    matches!(info, CtInfo::New | CtInfo::Related | CtInfo::RelatedReply)
        && status & manip.done_bit() == 0
}

/// Why a packet cannot be translated; it is dropped.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum RewriteError {
    /// The packet ends inside a header NAT must rewrite, or cannot be made writable.
    Unwritable,
    /// An ICMP error whose checksum is wrong.
    BadChecksum,
    /// An ICMP redirect about a connection that is translated or not fully bound.
    Redirect,
}

#[cfg(test)]
mod tests;
