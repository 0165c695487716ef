// SPDX-License-Identifier: GPL-2.0

//! What a NAT rule translates to (`struct nf_nat_range2`), and the ranges masquerade, redirect,
//! netmap and the null binding build from an address.

use super::ManipType;
use crate::ct::tuple::{Tuple, L3};
use core::ops::RangeInclusive;

/// Range flags, with the values of `NF_NAT_RANGE_*` (`uapi/linux/netfilter/nf_nat.h`).
pub(crate) mod flags {
    /// Addresses are translated into the range's addresses.
    pub(crate) const MAP_IPS: u32 = 1 << 0;
    /// Ports or ICMP identifiers are translated into the range's.
    pub(crate) const PROTO_SPECIFIED: u32 = 1 << 1;
    /// The port search starts at a random point.
    pub(crate) const PROTO_RANDOM: u32 = 1 << 2;
    /// The address choice leaves the destination out, so a client keeps its address towards
    /// every server.
    pub(crate) const PERSISTENT: u32 = 1 << 3;
    /// The port search starts at a random point (`--random-fully`).
    pub(crate) const PROTO_RANDOM_FULLY: u32 = 1 << 4;
    /// Ports map by their offset from `base_proto`.
    pub(crate) const PROTO_OFFSET: u32 = 1 << 5;
    /// Addresses map prefix to prefix, keeping the host part.
    pub(crate) const NETMAP: u32 = 1 << 6;
    /// Either random flag.
    pub(crate) const PROTO_RANDOM_ALL: u32 = PROTO_RANDOM | PROTO_RANDOM_FULLY;
    /// Every flag userspace may set.
    #[cfg_attr(MODULE, allow(dead_code))]
    pub(crate) const MASK: u32 = MAP_IPS
        | PROTO_SPECIFIED
        | PROTO_RANDOM
        | PERSISTENT
        | PROTO_RANDOM_FULLY
        | PROTO_OFFSET
        | NETMAP;
}

/// A translation's target, as `struct nf_nat_range2` holds it.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) struct NatRange {
    /// [`flags`] bits.
    pub(crate) flags: u32,
    /// Lowest address, network order; an IPv4 address fills the first four bytes, the rest
    /// zero.
    pub(crate) min_addr: [u8; 16],
    /// Highest address, laid out as `min_addr`.
    pub(crate) max_addr: [u8; 16],
    /// Lowest port or ICMP identifier, host order.
    pub(crate) min_proto: u16,
    /// Highest port or ICMP identifier, host order.
    pub(crate) max_proto: u16,
    /// The port that maps to `min_proto` under [`flags::PROTO_OFFSET`], host order.
    pub(crate) base_proto: u16,
}

impl NatRange {
    /// Whether any of `flag`'s bits is set.
    pub(crate) fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    /// The range a connection is bound to when no rule translated it (a null binding): its
    /// current address for the end `manip`, taken from the reply tuple, with ports left free so
    /// that a clash can still move them.
    pub(crate) fn null_binding(reply: &Tuple, manip: ManipType) -> Self {
        let addr = match manip {
            ManipType::Source => *reply.dst(),
            ManipType::Destination => *reply.src(),
        };
        Self::single(addr, flags::MAP_IPS, None)
    }

    /// The range masquerade translates the source into: `addr`, the address the output
    /// device would choose, with the rule's flags and ports.
    pub(crate) fn masquerade(
        addr: [u8; 16],
        flags: u32,
        ports: Option<RangeInclusive<u16>>,
    ) -> Self {
        Self::single(addr, flags, ports)
    }

    /// The range redirect translates the destination into: `addr`, an address of the input
    /// device or [`NatRange::redirect_local_address`], with the rule's flags and ports.
    pub(crate) fn redirect(addr: [u8; 16], flags: u32, ports: Option<RangeInclusive<u16>>) -> Self {
        Self::single(addr, flags, ports)
    }

    /// Where redirect sends packets this host sends itself: the loopback address.
    pub(crate) fn redirect_local_address(l3: L3) -> [u8; 16] {
        let mut addr = [0; 16];
        match l3 {
            L3::Ipv4 => addr[..4].copy_from_slice(&[127, 0, 0, 1]),
            L3::Ipv6 => addr[15] = 1,
        }
        addr
    }

    /// Whether masquerade leaves a connection alone: an IPv4 one from 0.0.0.0, sent by this
    /// host before it had an address.
    pub(crate) fn masquerade_skips(original: &Tuple) -> bool {
        original.l3() == L3::Ipv4 && original.src()[..4] == [0; 4]
    }

    /// The range a netmap rule translates `addr` into: the range's prefix (the bits where its
    /// lowest and highest addresses agree) with `addr`'s remaining bits, as the one address of
    /// the range. `addr` is the packet's current address for the end translated.
    pub(crate) fn netmap(&self, l3: L3, addr: &[u8; 16]) -> Self {
        let len = match l3 {
            L3::Ipv4 => 4,
            L3::Ipv6 => 16,
        };
        let mut mapped = [0; 16];
        for (i, byte) in mapped.iter_mut().enumerate().take(len) {
            let prefix = !(self.min_addr[i] ^ self.max_addr[i]);
            *byte = (addr[i] & !prefix) | (self.min_addr[i] & prefix);
        }
        Self {
            min_addr: mapped,
            max_addr: mapped,
            ..*self
        }
    }

    /// One address with `flags` and [`flags::MAP_IPS`], and `ports` if given.
    fn single(addr: [u8; 16], flags: u32, ports: Option<RangeInclusive<u16>>) -> Self {
        let (min_proto, max_proto) = ports.map_or((0, 0), |p| (*p.start(), *p.end()));
        Self {
            flags: flags | flags::MAP_IPS,
            min_addr: addr,
            max_addr: addr,
            min_proto,
            max_proto,
            base_proto: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ct::tuple::ipproto;

    fn v4(a: [u8; 4]) -> [u8; 16] {
        let mut b = [0; 16];
        b[..4].copy_from_slice(&a);
        b
    }

    #[test]
    fn flags_have_the_uapi_values() {
        assert_eq!(flags::MAP_IPS, 1);
        assert_eq!(flags::PROTO_SPECIFIED, 2);
        assert_eq!(flags::PROTO_RANDOM, 4);
        assert_eq!(flags::PERSISTENT, 8);
        assert_eq!(flags::PROTO_RANDOM_FULLY, 16);
        assert_eq!(flags::PROTO_OFFSET, 32);
        assert_eq!(flags::NETMAP, 64);
        assert_eq!(flags::MASK, 0x7f);
    }

    #[test]
    fn masquerade_and_redirect_name_one_address() {
        let a = v4([192, 0, 2, 7]);
        let m = NatRange::masquerade(a, flags::PROTO_RANDOM_FULLY, None);
        assert_eq!(m.flags, flags::MAP_IPS | flags::PROTO_RANDOM_FULLY);
        assert_eq!((m.min_addr, m.max_addr), (a, a));
        assert_eq!((m.min_proto, m.max_proto), (0, 0));
        let r = NatRange::redirect(a, flags::PROTO_SPECIFIED, Some(8080..=8090));
        assert_eq!(r.flags, flags::MAP_IPS | flags::PROTO_SPECIFIED);
        assert_eq!((r.min_proto, r.max_proto), (8080, 8090));
        assert_eq!(
            NatRange::redirect_local_address(L3::Ipv4),
            v4([127, 0, 0, 1])
        );
        let mut lo6 = [0; 16];
        lo6[15] = 1;
        assert_eq!(NatRange::redirect_local_address(L3::Ipv6), lo6);
    }

    #[test]
    fn masquerade_skips_only_the_unspecified_ipv4_source() {
        let t = |src| Tuple::new(L3::Ipv4, ipproto::UDP, src, v4([1, 1, 1, 1]), 1, 2);
        assert!(NatRange::masquerade_skips(&t(v4([0; 4]))));
        assert!(!NatRange::masquerade_skips(&t(v4([10, 0, 0, 1]))));
        let t6 = Tuple::new(L3::Ipv6, ipproto::UDP, [0; 16], [1; 16], 1, 2);
        assert!(!NatRange::masquerade_skips(&t6));
    }

    #[test]
    fn netmap_keeps_the_host_part() {
        let rule = NatRange {
            flags: flags::MAP_IPS | flags::NETMAP,
            min_addr: v4([10, 8, 0, 0]),
            max_addr: v4([10, 8, 255, 255]),
            ..NatRange::default()
        };
        let mapped = rule.netmap(L3::Ipv4, &v4([192, 168, 3, 4]));
        assert_eq!(mapped.min_addr, v4([10, 8, 3, 4]));
        assert_eq!(mapped.max_addr, v4([10, 8, 3, 4]));
        assert_eq!(mapped.flags, rule.flags);
        let mut min6 = [0; 16];
        min6[..2].copy_from_slice(&[0x20, 0x01]);
        let mut max6 = min6;
        max6[2..].copy_from_slice(&[0xff; 14]);
        let rule6 = NatRange {
            min_addr: min6,
            max_addr: max6,
            ..rule
        };
        let mapped6 = rule6.netmap(L3::Ipv6, &[0xfd; 16]);
        let mut want = [0xfd; 16];
        want[..2].copy_from_slice(&[0x20, 0x01]);
        assert_eq!(mapped6.min_addr, want);
    }

    #[test]
    fn null_binding_keeps_the_current_address() {
        let reply = Tuple::new(
            L3::Ipv4,
            ipproto::TCP,
            v4([8, 8, 8, 8]),
            v4([10, 0, 0, 1]),
            443,
            40000,
        );
        let s = NatRange::null_binding(&reply, ManipType::Source);
        assert_eq!(
            (s.flags, s.min_addr, s.max_addr),
            (flags::MAP_IPS, *reply.dst(), *reply.dst())
        );
        let d = NatRange::null_binding(&reply, ManipType::Destination);
        assert_eq!(d.min_addr, *reply.src());
    }
}
