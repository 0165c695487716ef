// SPDX-License-Identifier: GPL-2.0

//! What a NAT statement (`snat`, `dnat`, `masquerade`, `redirect`) asks for, and the range it
//! gives a packet from the registers earlier expressions of its rule filled, as nft_nat,
//! nft_masq and nft_redir read them.

use crate::ct::nat::range::{flags, NatRange};
use crate::ct::tuple::L3;
use core::ops::RangeInclusive;

/// The registers of one rule evaluation, as 32-bit words in memory order.
pub(crate) type Words = [u32; 20];

/// A pair of source registers holding the low and high ends of a range.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct RegPair {
    /// Register of the low end.
    pub(crate) min: u8,
    /// Register of the high end.
    pub(crate) max: u8,
}

impl RegPair {
    /// The pair `min`..`max`, or `min` twice without a high end (a single value).
    pub(crate) fn new(min: u8, max: Option<u8>) -> Self {
        Self {
            min,
            max: max.unwrap_or(min),
        }
    }
}

/// The bytes of `n` registers from `reg` on, in memory order; zeroes past the last register.
fn bytes<const N: usize>(regs: &Words, reg: u8) -> [u8; N] {
    let mut out = [0; N];
    for (i, chunk) in out.chunks_mut(4).enumerate() {
        let word = regs.get(usize::from(reg) + i).copied().unwrap_or(0);
        chunk.copy_from_slice(&word.to_ne_bytes()[..chunk.len()]);
    }
    out
}

/// A port or ICMP identifier in a register, network order in its first two bytes
/// (`nft_reg_load16`); host order.
pub(crate) fn port(regs: &Words, reg: u8) -> u16 {
    u16::from_be_bytes(bytes::<2>(regs, reg))
}

/// An address in registers, laid out as [`NatRange`] holds one.
pub(crate) fn address(regs: &Words, reg: u8, l3: L3) -> [u8; 16] {
    let mut addr = [0; 16];
    match l3 {
        L3::Ipv4 => addr[..4].copy_from_slice(&bytes::<4>(regs, reg)),
        L3::Ipv6 => addr = bytes::<16>(regs, reg),
    }
    addr
}

/// The port range of registers `pair`.
pub(crate) fn ports(regs: &Words, pair: RegPair) -> RangeInclusive<u16> {
    port(regs, pair.min)..=port(regs, pair.max)
}

/// An `snat` or `dnat` statement: which registers hold its addresses and ports, of which
/// family, and its flags, [`flags::MAP_IPS`] and [`flags::PROTO_SPECIFIED`] included when it
/// has addresses or ports.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct NatStmt {
    /// The family of its addresses.
    pub(crate) l3: Option<L3>,
    /// The registers of its addresses.
    pub(crate) addr: Option<RegPair>,
    /// The registers of its ports.
    pub(crate) proto: Option<RegPair>,
    /// [`flags`] bits.
    pub(crate) flags: u32,
}

impl NatStmt {
    /// The range a packet is translated into; `current` is the packet's address at the end
    /// translated, which a `netmap` statement keeps the host part of.
    pub(crate) fn range(&self, regs: &Words, current: &[u8; 16]) -> NatRange {
        let mut range = NatRange {
            flags: self.flags,
            ..NatRange::default()
        };
        if let (Some(pair), Some(l3)) = (self.addr, self.l3) {
            range.min_addr = address(regs, pair.min, l3);
            range.max_addr = address(regs, pair.max, l3);
            if self.flags & flags::NETMAP != 0 {
                range = range.netmap(l3, current);
            }
        }
        if let Some(pair) = self.proto {
            range.min_proto = port(regs, pair.min);
            range.max_proto = port(regs, pair.max);
        }
        range
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regs_with(at: usize, bytes: &[u8]) -> Words {
        let mut regs = [0; 20];
        for (i, chunk) in bytes.chunks(4).enumerate() {
            let mut w = [0; 4];
            w[..chunk.len()].copy_from_slice(chunk);
            regs[at + i] = u32::from_ne_bytes(w);
        }
        regs
    }

    #[test]
    fn ports_are_network_order_in_the_first_bytes() {
        let regs = regs_with(8, &[0x1f, 0x90, 0xaa, 0xbb]);
        assert_eq!(port(&regs, 8), 8080);
        assert_eq!(ports(&regs, RegPair::new(8, None)), 8080..=8080);
    }

    #[test]
    fn addresses_fill_as_ranges_hold_them() {
        let regs = regs_with(4, &[10, 0, 1, 99]);
        assert_eq!(address(&regs, 4, L3::Ipv4)[..5], [10, 0, 1, 99, 0]);
        let v6: [u8; 16] = core::array::from_fn(|i| i as u8 + 1);
        let regs = regs_with(8, &v6);
        assert_eq!(address(&regs, 8, L3::Ipv6), v6);
        // The last register: what lies past it reads as zero.
        assert_eq!(address(&regs, 19, L3::Ipv6)[4..], [0; 12]);
    }

    #[test]
    fn a_statement_gives_its_range() {
        let mut regs = regs_with(8, &[192, 168, 0, 1]);
        regs[9] = u32::from_ne_bytes([192, 168, 0, 9]);
        regs[10] = u32::from_ne_bytes([0x04, 0x00, 0, 0]);
        let stmt = NatStmt {
            l3: Some(L3::Ipv4),
            addr: Some(RegPair::new(8, Some(9))),
            proto: Some(RegPair::new(10, None)),
            flags: flags::MAP_IPS | flags::PROTO_SPECIFIED,
        };
        let r = stmt.range(&regs, &[0; 16]);
        assert_eq!(r.min_addr[..4], [192, 168, 0, 1]);
        assert_eq!(r.max_addr[..4], [192, 168, 0, 9]);
        assert_eq!((r.min_proto, r.max_proto), (1024, 1024));
        assert_eq!(r.flags, flags::MAP_IPS | flags::PROTO_SPECIFIED);
    }

    #[test]
    fn netmap_keeps_the_host_part() {
        let mut regs = regs_with(8, &[10, 1, 0, 0]);
        regs[9] = u32::from_ne_bytes([10, 1, 255, 255]);
        let stmt = NatStmt {
            l3: Some(L3::Ipv4),
            addr: Some(RegPair::new(8, Some(9))),
            proto: None,
            flags: flags::MAP_IPS | flags::NETMAP,
        };
        let mut current = [0; 16];
        current[..4].copy_from_slice(&[192, 168, 7, 42]);
        let r = stmt.range(&regs, &current);
        assert_eq!(r.min_addr[..4], [10, 1, 7, 42]);
        assert_eq!(r.min_addr, r.max_addr);
    }

    #[test]
    fn without_addresses_only_ports() {
        let regs = regs_with(8, &[0, 80]);
        let stmt = NatStmt {
            l3: None,
            addr: None,
            proto: Some(RegPair::new(8, None)),
            flags: flags::PROTO_SPECIFIED,
        };
        let r = stmt.range(&regs, &[0; 16]);
        assert_eq!(r.min_addr, [0; 16]);
        assert_eq!((r.min_proto, r.max_proto), (80, 80));
    }
}
