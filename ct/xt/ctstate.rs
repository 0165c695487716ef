// SPDX-License-Identifier: GPL-2.0

//! The `conntrack` and `state` matches: what a rule asks of a packet's connection, and whether
//! the connection answers it, as xt_conntrack and xt_state decide.
//!
//! A rule's data arrives in the layouts of `struct xt_conntrack_mtinfo1/2/3` and
//! `struct xt_state_info`; the kernel side reads them into a [`ConntrackRule`] or a state mask.

use crate::ct::nat::bits::{DST_NAT, SRC_NAT};
use crate::ct::status::{CtInfo, Dir};
use crate::ct::tuple::{Tuple, L3};

/// What a `conntrack` rule tests, and which tests it inverts (`XT_CONNTRACK_*`).
pub(crate) mod flags {
    /// `--ctstate`.
    pub(crate) const STATE: u16 = 1 << 0;
    /// `--ctproto`.
    pub(crate) const PROTO: u16 = 1 << 1;
    /// `--ctorigsrc`.
    pub(crate) const ORIGSRC: u16 = 1 << 2;
    /// `--ctorigdst`.
    pub(crate) const ORIGDST: u16 = 1 << 3;
    /// `--ctreplsrc`.
    pub(crate) const REPLSRC: u16 = 1 << 4;
    /// `--ctrepldst`.
    pub(crate) const REPLDST: u16 = 1 << 5;
    /// `--ctstatus`.
    pub(crate) const STATUS: u16 = 1 << 6;
    /// `--ctexpire`.
    pub(crate) const EXPIRES: u16 = 1 << 7;
    /// `--ctorigsrcport`.
    pub(crate) const ORIGSRC_PORT: u16 = 1 << 8;
    /// `--ctorigdstport`.
    pub(crate) const ORIGDST_PORT: u16 = 1 << 9;
    /// `--ctreplsrcport`.
    pub(crate) const REPLSRC_PORT: u16 = 1 << 10;
    /// `--ctrepldstport`.
    pub(crate) const REPLDST_PORT: u16 = 1 << 11;
    /// `--ctdir`.
    pub(crate) const DIRECTION: u16 = 1 << 12;
}

/// The bits of a `--ctstate` mask (`XT_CONNTRACK_STATE_*`); a `state` mask has the same low
/// bits but its own [`STATE_UNTRACKED`].
pub(crate) mod state {
    /// The packet has no connection and is not deliberately untracked.
    pub(crate) const INVALID: u16 = 1 << 0;
    /// The connection's source is translated.
    pub(crate) const SNAT: u16 = 1 << 6;
    /// The connection's destination is translated.
    pub(crate) const DNAT: u16 = 1 << 7;
    /// The packet is deliberately not tracked.
    pub(crate) const UNTRACKED: u16 = 1 << 8;
}

/// The bit of `state`'s mask for untracked packets (`XT_STATE_UNTRACKED`).
pub(crate) const STATE_UNTRACKED: u32 = 1 << 6;

/// The state bit of a packet in its connection (`XT_CONNTRACK_STATE_BIT()`): ESTABLISHED 2,
/// RELATED 4, NEW 8, whatever the direction.
fn ctinfo_bit(info: CtInfo) -> u16 {
    1 << (info as u16 % 3 + 1)
}

/// A packet's connection, as the matches see it.
pub(crate) enum Seen<'a> {
    /// Deliberately untracked (`notrack`, `CT --notrack`).
    Untracked,
    /// Without a connection.
    Invalid,
    /// With a connection (or a template).
    Tracked(&'a ConnView),
}

/// What the matches read of a connection.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConnView {
    /// The packet's state in it.
    pub(crate) info: CtInfo,
    /// Its tuples, by direction.
    pub(crate) tuples: [Tuple; 2],
    /// Its status bits (`IPS_*`).
    pub(crate) status: usize,
    /// Whole seconds until it expires.
    pub(crate) expires_secs: u32,
}

/// The value of a `state` rule's test: the packet's bit (`XT_STATE_BIT()`), or that it is
/// untracked or invalid.
pub(crate) fn state_bit(seen: &Seen<'_>) -> u32 {
    match seen {
        Seen::Tracked(c) => u32::from(ctinfo_bit(c.info)),
        Seen::Untracked => STATE_UNTRACKED,
        Seen::Invalid => u32::from(state::INVALID),
    }
}

/// An address with a mask, network order; an IPv4 address fills the first four bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Masked {
    /// The address.
    pub(crate) addr: [u8; 16],
    /// Its mask.
    pub(crate) mask: [u8; 16],
}

impl Masked {
    /// Whether `addr` equals this one under the mask, for family `l3`.
    fn covers(&self, addr: &[u8; 16], l3: L3) -> bool {
        let len = match l3 {
            L3::Ipv4 => 4,
            L3::Ipv6 => 16,
        };
        (0..len).all(|i| (addr[i] ^ self.addr[i]) & self.mask[i] == 0)
    }
}

/// Which end of which tuple a test reads.
#[derive(Clone, Copy)]
enum End {
    OrigSrc,
    OrigDst,
    ReplSrc,
    ReplDst,
}

impl End {
    const ALL: [End; 4] = [End::OrigSrc, End::OrigDst, End::ReplSrc, End::ReplDst];

    fn addr_flag(self) -> u16 {
        [
            flags::ORIGSRC,
            flags::ORIGDST,
            flags::REPLSRC,
            flags::REPLDST,
        ][self as usize]
    }

    fn port_flag(self) -> u16 {
        [
            flags::ORIGSRC_PORT,
            flags::ORIGDST_PORT,
            flags::REPLSRC_PORT,
            flags::REPLDST_PORT,
        ][self as usize]
    }

    fn addr(self, c: &ConnView) -> &[u8; 16] {
        match self {
            End::OrigSrc => c.tuples[0].src(),
            End::OrigDst => c.tuples[0].dst(),
            End::ReplSrc => c.tuples[1].src(),
            End::ReplDst => c.tuples[1].dst(),
        }
    }

    /// The port, or ICMP identifier, or ICMP type and code (`u.all`), host order.
    fn port(self, c: &ConnView) -> u16 {
        match self {
            End::OrigSrc => c.tuples[0].src_id(),
            End::OrigDst => c.tuples[0].dst_id(),
            End::ReplSrc => c.tuples[1].src_id(),
            End::ReplDst => c.tuples[1].dst_id(),
        }
    }
}

/// What a `conntrack` rule asks, of any revision: revisions 1 and 2 name single ports, which
/// are ranges of one here; revision 1's masks are the low bytes of revision 2's.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ConntrackRule {
    /// The tests made ([`flags`]).
    pub(crate) match_flags: u16,
    /// The tests inverted (`!`).
    pub(crate) invert_flags: u16,
    /// `--ctstate`: [`state`] bits and the packet bits.
    pub(crate) state_mask: u16,
    /// `--ctstatus`: `IPS_*` bits.
    pub(crate) status_mask: u16,
    /// `--ctproto`.
    pub(crate) l4proto: u16,
    /// `--ctorigsrc`, `--ctorigdst`, `--ctreplsrc`, `--ctrepldst`.
    pub(crate) addrs: [Masked; 4],
    /// The port ranges of the same ends, host order, low and high.
    pub(crate) ports: [(u16, u16); 4],
    /// `--ctexpire`: seconds, low and high.
    pub(crate) expires: (u32, u32),
}

impl ConntrackRule {
    fn tests(&self, flag: u16) -> bool {
        self.match_flags & flag != 0
    }

    /// Whether a test that gave `result` passes, given its inversion.
    fn passes(&self, flag: u16, result: bool) -> bool {
        result != (self.invert_flags & flag != 0)
    }

    /// Whether a test the rule makes fails.
    fn fails(&self, flag: u16, result: impl FnOnce() -> bool) -> bool {
        self.tests(flag) && !self.passes(flag, result())
    }

    /// Whether the packet matches the rule, in a table of family `l3`.
    pub(crate) fn matches(&self, seen: &Seen<'_>, l3: L3) -> bool {
        let conn = match seen {
            Seen::Tracked(c) => Some(*c),
            _ => None,
        };
        if self.tests(flags::STATE) {
            let mut bits = match seen {
                Seen::Tracked(c) => ctinfo_bit(c.info),
                Seen::Untracked => state::UNTRACKED,
                Seen::Invalid => state::INVALID,
            };
            if let Some(c) = conn {
                if c.status & SRC_NAT != 0 {
                    bits |= state::SNAT;
                }
                if c.status & DST_NAT != 0 {
                    bits |= state::DNAT;
                }
            }
            if !self.passes(flags::STATE, self.state_mask & bits != 0) {
                return false;
            }
        }
        let Some(c) = conn else {
            // Without a connection only the state can be tested.
            return self.tests(flags::STATE);
        };
        if self.fails(flags::DIRECTION, || c.info.dir() == Dir::Original) {
            return false;
        }
        for (end, masked) in End::ALL.iter().zip(&self.addrs) {
            if self.fails(end.addr_flag(), || masked.covers(end.addr(c), l3)) {
                return false;
            }
        }
        if self.fails(flags::PROTO, || {
            u16::from(c.tuples[0].proto()) == self.l4proto
        }) {
            return false;
        }
        for (end, &(low, high)) in End::ALL.iter().zip(&self.ports) {
            if self.fails(end.port_flag(), || (low..=high).contains(&end.port(c))) {
                return false;
            }
        }
        if self.fails(flags::STATUS, || {
            usize::from(self.status_mask) & c.status != 0
        }) {
            return false;
        }
        !self.fails(flags::EXPIRES, || {
            (self.expires.0..=self.expires.1).contains(&c.expires_secs)
        })
    }
}

#[cfg(test)]
#[path = "ctstate/tests.rs"]
mod tests;
