// SPDX-License-Identifier: GPL-2.0

//! The ranges of the NAT targets (`SNAT`, `DNAT`, `MASQUERADE`, `REDIRECT`) as userspace lays
//! them out, their checks, and what NAT makes of them, as xt_nat, xt_MASQUERADE and
//! xt_REDIRECT do.
//!
//! Revision 0 of `SNAT` and `DNAT`, and IPv4's `MASQUERADE` and `REDIRECT`, take
//! `struct nf_nat_ipv4_multi_range_compat`; revision 1 and IPv6's `MASQUERADE` and `REDIRECT`
//! take `struct nf_nat_range`, revision 2 `struct nf_nat_range2`, which [`NatRange`] is.

use super::errno::EINVAL;
use crate::ct::nat::range::{flags, NatRange};
use core::ops::RangeInclusive;

/// An IPv4 range of the old layout (`struct nf_nat_ipv4_multi_range_compat`), of which only
/// the first range counts.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CompatRange {
    /// How many ranges userspace says it gives; only one is supported.
    pub(crate) rangesize: u32,
    /// The first range's flags.
    pub(crate) flags: u32,
    /// Its lowest address, network order.
    pub(crate) min_ip: [u8; 4],
    /// Its highest address.
    pub(crate) max_ip: [u8; 4],
    /// Its lowest port or ICMP identifier, host order.
    pub(crate) min: u16,
    /// Its highest.
    pub(crate) max: u16,
}

impl CompatRange {
    /// Refuses more or fewer ranges than one, as every user of the layout does.
    pub(crate) fn check_single(&self) -> Result<(), i32> {
        if self.rangesize != 1 {
            return Err(EINVAL);
        }
        Ok(())
    }

    /// The range as NAT takes it (`xt_nat_convert_range()`).
    pub(crate) fn to_range(self) -> NatRange {
        let mut min_addr = [0; 16];
        let mut max_addr = [0; 16];
        min_addr[..4].copy_from_slice(&self.min_ip);
        max_addr[..4].copy_from_slice(&self.max_ip);
        NatRange {
            flags: self.flags,
            min_addr,
            max_addr,
            min_proto: self.min,
            max_proto: self.max,
            base_proto: 0,
        }
    }
}

/// Refuses addresses in a range whose address the stack picks (`MASQUERADE`, `REDIRECT`).
pub(crate) fn check_no_addresses(range_flags: u32) -> Result<(), i32> {
    if range_flags & flags::MAP_IPS != 0 {
        return Err(EINVAL);
    }
    Ok(())
}

/// The flags and ports of a range whose address the stack picks: NAT takes the rule's flags
/// and ports as they are, and its own address.
pub(crate) fn flags_and_ports(range: &NatRange) -> (u32, Option<RangeInclusive<u16>>) {
    (range.flags, Some(range.min_proto..=range.max_proto))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compat_layout_gives_its_first_range() {
        let c = CompatRange {
            rangesize: 1,
            flags: flags::MAP_IPS | flags::PROTO_SPECIFIED,
            min_ip: [10, 0, 2, 1],
            max_ip: [10, 0, 2, 9],
            min: 30000,
            max: 30010,
        };
        assert_eq!(c.check_single(), Ok(()));
        let r = c.to_range();
        assert_eq!(r.flags, c.flags);
        assert_eq!(&r.min_addr[..5], &[10, 0, 2, 1, 0]);
        assert_eq!(&r.max_addr[..4], &[10, 0, 2, 9]);
        assert_eq!(r.max_addr[4..], [0; 12]);
        assert_eq!((r.min_proto, r.max_proto, r.base_proto), (30000, 30010, 0));
    }

    #[test]
    fn only_one_range_is_supported() {
        for n in [0, 2, 16] {
            let c = CompatRange {
                rangesize: n,
                ..CompatRange::default()
            };
            assert_eq!(c.check_single(), Err(EINVAL));
        }
    }

    #[test]
    fn masquerade_and_redirect_take_no_addresses() {
        assert_eq!(check_no_addresses(flags::MAP_IPS), Err(EINVAL));
        assert_eq!(
            check_no_addresses(flags::PROTO_SPECIFIED | flags::PROTO_RANDOM_FULLY),
            Ok(())
        );
        let r = NatRange {
            flags: flags::PROTO_SPECIFIED,
            min_proto: 1024,
            max_proto: 2048,
            ..NatRange::default()
        };
        assert_eq!(
            flags_and_ports(&r),
            (flags::PROTO_SPECIFIED, Some(1024..=2048))
        );
    }
}
