// SPDX-License-Identifier: GPL-2.0

//! Internet checksum arithmetic, as the kernel's `csum_*` helpers compute it.
//!
//! Sums are kept the way the kernel keeps them: the packet's 16-bit words read in the CPU's byte
//! order and added into 32-bit one's complement partial sums (`__wsum`). A `skb->csum` thus
//! passes between this code and the kernel unchanged, and each step gives the bits the kernel's
//! helper of the same name gives, down to which of the two zeros a sum ends on.

/// What the stack knows of a packet's transport checksum, as `skb->ip_summed` says it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Summed {
    /// `CHECKSUM_NONE`: nothing; the checksum in the packet is all there is.
    None,
    /// `CHECKSUM_UNNECESSARY`: the checksum has been found good.
    Unnecessary,
    /// `CHECKSUM_COMPLETE`: `csum` is the sum of the packet from its network header on.
    Complete {
        /// `skb->csum`.
        csum: u32,
        /// The kernel computed the sum in software and found the checksum good: the skb has
        /// `csum_complete_sw` and `csum_valid` set.
        sw_valid: bool,
    },
    /// `CHECKSUM_PARTIAL`: the checksum is left to the device; its field holds the folded
    /// pseudo-header sum.
    Partial,
}

/// Reads a 16-bit word as the kernel adds it: in the CPU's byte order.
pub(crate) fn word16(bytes: [u8; 2]) -> u16 {
    u16::from_ne_bytes(bytes)
}

/// Reads a 32-bit word as the kernel adds it: in the CPU's byte order.
pub(crate) fn word32(bytes: [u8; 4]) -> u32 {
    u32::from_ne_bytes(bytes)
}

/// The four 32-bit words of an address field.
pub(crate) fn words(addr: &[u8; 16]) -> [u32; 4] {
    let mut w = [0; 4];
    for (word, bytes) in w.iter_mut().zip(addr.chunks_exact(4)) {
        let mut b = [0; 4];
        b.copy_from_slice(bytes);
        *word = word32(b);
    }
    w
}

/// One's complement sum of two partial sums (`csum_add`).
pub(crate) fn add(a: u32, b: u32) -> u32 {
    let (sum, carry) = a.overflowing_add(b);
    sum.wrapping_add(u32::from(carry))
}

/// One's complement difference of two partial sums (`csum_sub`).
pub(crate) fn sub(a: u32, b: u32) -> u32 {
    add(a, !b)
}

/// Folds a partial sum to 16 bits and complements it: the checksum of what was summed
/// (`csum_fold`).
pub(crate) fn fold(sum: u32) -> u16 {
    let s = (sum & 0xffff) + (sum >> 16);
    let s = (s & 0xffff) + (s >> 16);
    // At most 0xffff after the second step: the cast keeps every bit.
    !(s as u16)
}

/// Adds `bytes`, as 16-bit words in the CPU's byte order, to `init` (`csum_partial`). An odd
/// last byte counts as the first byte of a word whose second is zero.
pub(crate) fn partial(bytes: &[u8], init: u32) -> u32 {
    let mut pairs = bytes.chunks_exact(2);
    let mut sum = init;
    for pair in &mut pairs {
        sum = add(sum, u32::from(word16([pair[0], pair[1]])));
    }
    if let [last] = pairs.remainder() {
        sum = add(sum, u32::from(word16([*last, 0])));
    }
    sum
}

/// The IPv4 pseudo-header added to `sum`, unfolded (`csum_tcpudp_nofold`).
pub(crate) fn pseudo_v4(src: [u8; 4], dst: [u8; 4], len: u32, proto: u8, sum: u32) -> u32 {
    // The length and protocol as the kernel adds them: shifted into the high byte of a word
    // on a little-endian CPU.
    let len_proto = len.wrapping_add(u32::from(proto));
    let len_proto = if cfg!(target_endian = "little") {
        len_proto.wrapping_shl(8)
    } else {
        len_proto
    };
    add(add(add(sum, word32(dst)), word32(src)), len_proto)
}

/// The IPv6 pseudo-header added to `sum`, folded (`csum_ipv6_magic`).
pub(crate) fn pseudo_v6(src: &[u8; 16], dst: &[u8; 16], len: u32, proto: u8, sum: u32) -> u16 {
    let mut s = add(sum, word32(len.to_be_bytes()));
    s = add(s, u32::from(word16([0, proto])));
    for w in words(src).into_iter().chain(words(dst)) {
        s = add(s, w);
    }
    fold(s)
}

/// Updates a checksum for a 32-bit field changed from `from` to `to` (`csum_replace4`).
pub(crate) fn replace4(check: u16, from: u32, to: u32) -> u16 {
    fold(add(sub(!u32::from(check), from), to))
}

impl Summed {
    /// Updates the transport checksum `check` for a 32-bit field of the packet changed from
    /// `from` to `to`; `pseudo` says the field is one of the pseudo-header's, outside the
    /// transport header (`inet_proto_csum_replace4`).
    pub(crate) fn replace4(&mut self, check: u16, from: u32, to: u32, pseudo: bool) -> u16 {
        match self {
            Summed::Partial if pseudo => !fold(add(sub(u32::from(check), from), to)),
            Summed::Partial => check,
            Summed::Complete { csum, .. } => {
                // The address and the IPv4 header checksum cancel out in the packet's sum; the
                // transport checksum's change remains.
                if pseudo {
                    *csum = !add(sub(!*csum, from), to);
                }
                replace4(check, from, to)
            }
            Summed::None | Summed::Unnecessary => replace4(check, from, to),
        }
    }

    /// As [`Summed::replace4`], for a 16-bit field (`inet_proto_csum_replace2`).
    pub(crate) fn replace2(&mut self, check: u16, from: u16, to: u16, pseudo: bool) -> u16 {
        self.replace4(check, u32::from(from), u32::from(to), pseudo)
    }

    /// Updates the transport checksum `check` for an IPv6 address of the pseudo-header changed
    /// from `from` to `to` (`inet_proto_csum_replace16`). The packet's sum does not change: the
    /// address and the checksum cancel out.
    pub(crate) fn replace16(
        &self,
        check: u16,
        from: &[u8; 16],
        to: &[u8; 16],
        pseudo: bool,
    ) -> u16 {
        let diff = |init: u32| {
            let old = words(from).into_iter().map(|w| !w);
            old.chain(words(to)).fold(init, add)
        };
        match self {
            Summed::Partial if pseudo => !fold(diff(u32::from(check))),
            Summed::Partial => check,
            _ => fold(diff(!u32::from(check))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_keeps_the_two_zeros_apart() {
        assert_eq!(fold(0), 0xffff);
        assert_eq!(fold(0xffff_ffff), 0);
        assert_eq!(fold(0x0001_fffe), 0);
        assert_eq!(fold(0x1234_5678), !(0x1234u16 + 0x5678));
    }

    #[test]
    fn add_carries_around() {
        assert_eq!(add(0xffff_ffff, 1), 1);
        assert_eq!(add(0x8000_0000, 0x8000_0000), 1);
        assert_eq!(sub(5, 5), 0xffff_ffff);
    }

    #[test]
    fn partial_sums_an_odd_tail_as_a_padded_word() {
        let a = partial(&[1, 2, 3], 0);
        let b = partial(&[1, 2, 3, 0], 0);
        assert_eq!(a, b);
        assert_eq!(fold(partial(&[], 0)), 0xffff);
    }

    #[test]
    fn replace4_matches_recomputing() {
        // RFC 1071's example words, one replaced.
        let mut data = [0x00u8, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        let before = fold(partial(&data, 0));
        let from = word32([data[4], data[5], data[6], data[7]]);
        data[4..8].copy_from_slice(&[0x12, 0x34, 0x56, 0x78]);
        let to = word32([0x12, 0x34, 0x56, 0x78]);
        assert_eq!(replace4(before, from, to), fold(partial(&data, 0)));
    }

    #[test]
    fn pseudo_headers_agree_with_summing_their_bytes() {
        let (s, d) = ([10, 0, 0, 1], [192, 168, 1, 2]);
        let mut bytes = std::vec::Vec::new();
        bytes.extend_from_slice(&s);
        bytes.extend_from_slice(&d);
        bytes.extend_from_slice(&[0, 17, 0x01, 0x23]);
        assert_eq!(
            fold(pseudo_v4(s, d, 0x123, 17, 0)),
            fold(partial(&bytes, 0))
        );
        let (s6, d6) = ([0x20; 16], [0xfe; 16]);
        let mut bytes = std::vec::Vec::new();
        bytes.extend_from_slice(&s6);
        bytes.extend_from_slice(&d6);
        bytes.extend_from_slice(&[0, 1, 0, 8, 0, 0, 0, 58]);
        assert_eq!(
            pseudo_v6(&s6, &d6, 0x10008, 58, 0),
            fold(partial(&bytes, 0))
        );
    }

    #[test]
    fn complete_sum_follows_a_pseudo_header_change_only() {
        let mut summed = Summed::Complete {
            csum: 0x1234,
            sw_valid: false,
        };
        summed.replace4(0, 7, 9, false);
        assert_eq!(
            summed,
            Summed::Complete {
                csum: 0x1234,
                sw_valid: false
            }
        );
        summed.replace4(0, 7, 9, true);
        assert_eq!(
            summed,
            Summed::Complete {
                csum: 0x1234 - 2,
                sw_valid: false
            }
        );
    }
}
