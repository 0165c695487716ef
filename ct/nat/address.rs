// SPDX-License-Identifier: GPL-2.0

//! The address a translation picks from a range: a hash of the connection's addresses scaled
//! into the range, the same for the same addresses across reboots, as nf_nat picks it.

use super::checksum::{word32, words};
use super::range::{flags, NatRange};
use super::ManipType;
use crate::ct::tuple::{Tuple, L3};

/// Whether `addr` lies in the range's addresses, compared in network order.
pub(super) fn addr_in_range(l3: L3, addr: &[u8; 16], range: &NatRange) -> bool {
    let len = addr_len(l3);
    let (a, lo, hi) = (&addr[..len], &range.min_addr[..len], &range.max_addr[..len]);
    a >= lo && a <= hi
}

/// Puts the address of end `manip` of `tuple` into the range, if the range maps addresses
/// (`find_best_ips_proto`). `zone` is the connection's zone id.
pub(super) fn choose_address(tuple: &mut Tuple, range: &NatRange, manip: ManipType, zone: u16) {
    if !range.has(flags::MAP_IPS) {
        return;
    }
    if range.min_addr == range.max_addr {
        set_addr(tuple, manip, range.min_addr);
        return;
    }
    let word_count = addr_len(tuple.l3()) / 4;
    let persistent = range.has(flags::PERSISTENT);
    let dst_words = words(tuple.dst());
    let last = dst_words.get(word_count - 1).copied().unwrap_or(0);
    let init = if persistent {
        0
    } else {
        last ^ u32::from(zone)
    };
    let mut hash = jhash2(&words(tuple.src()), init);

    let mut addr = match manip {
        ManipType::Source => *tuple.src(),
        ManipType::Destination => *tuple.dst(),
    };
    // Once a word falls below the top of the range, every later word may take any value.
    let mut below_max = false;
    for (i, &dst_word) in dst_words.iter().enumerate().take(word_count) {
        let at = i * 4;
        let (low, span) = if below_max {
            (0, u32::MAX)
        } else {
            let low = be_word(&range.min_addr, at);
            let high = be_word(&range.max_addr, at);
            (low, high.wrapping_sub(low).wrapping_add(1))
        };
        let chosen = low.wrapping_add(reciprocal_scale(hash, span)).to_be_bytes();
        addr[at..at + 4].copy_from_slice(&chosen);
        if chosen[..] != range.max_addr[at..at + 4] {
            below_max = true;
        }
        if !persistent {
            // The destination as it now stands: under destination NAT, the word just chosen.
            hash ^= match manip {
                ManipType::Source => dst_word,
                ManipType::Destination => word32(chosen),
            };
        }
    }
    set_addr(tuple, manip, addr);
}

fn set_addr(tuple: &mut Tuple, manip: ManipType, addr: [u8; 16]) {
    match manip {
        ManipType::Source => tuple.set_src(addr),
        ManipType::Destination => tuple.set_dst(addr),
    }
}

fn addr_len(l3: L3) -> usize {
    match l3 {
        L3::Ipv4 => 4,
        L3::Ipv6 => 16,
    }
}

/// The word at `at` of an address, in host order.
fn be_word(addr: &[u8; 16], at: usize) -> u32 {
    let mut b = [0; 4];
    b.copy_from_slice(&addr[at..at + 4]);
    u32::from_be_bytes(b)
}

/// Scales `value` into `0..span` (`reciprocal_scale`).
fn reciprocal_scale(value: u32, span: u32) -> u32 {
    // The product of two 32-bit numbers fits in 64 bits, and its top half in 32.
    ((u64::from(value) * u64::from(span)) >> 32) as u32
}

/// Bob Jenkins' lookup3 hash of 32-bit words, as the kernel's `jhash2`.
fn jhash2(key: &[u32], init: u32) -> u32 {
    const INITVAL: u32 = 0xdead_beef;
    // Keys here are a few words long: the length in bytes fits in 32 bits.
    let len = key.len() as u32;
    let start = INITVAL.wrapping_add(len.wrapping_shl(2)).wrapping_add(init);
    let (mut a, mut b, mut c) = (start, start, start);
    let mut rest = key;
    // Every block of three but the last.
    while let [k0, k1, k2, tail @ ..] = rest {
        if tail.is_empty() {
            break;
        }
        a = a.wrapping_add(*k0);
        b = b.wrapping_add(*k1);
        c = c.wrapping_add(*k2);
        mix(&mut a, &mut b, &mut c);
        rest = tail;
    }
    match *rest {
        [] => return c,
        [k0] => a = a.wrapping_add(k0),
        [k0, k1] => {
            a = a.wrapping_add(k0);
            b = b.wrapping_add(k1);
        }
        [k0, k1, k2, ..] => {
            a = a.wrapping_add(k0);
            b = b.wrapping_add(k1);
            c = c.wrapping_add(k2);
        }
    }
    final_mix(&mut a, &mut b, &mut c);
    c
}

/// lookup3's reversible mix of three words (`__jhash_mix`).
fn mix(a: &mut u32, b: &mut u32, c: &mut u32) {
    *a = a.wrapping_sub(*c) ^ c.rotate_left(4);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a) ^ a.rotate_left(6);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b) ^ b.rotate_left(8);
    *b = b.wrapping_add(*a);
    *a = a.wrapping_sub(*c) ^ c.rotate_left(16);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a) ^ a.rotate_left(19);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b) ^ b.rotate_left(4);
    *b = b.wrapping_add(*a);
}

/// lookup3's final mix of three words into the last (`__jhash_final`).
fn final_mix(a: &mut u32, b: &mut u32, c: &mut u32) {
    *c = (*c ^ *b).wrapping_sub(b.rotate_left(14));
    *a = (*a ^ *c).wrapping_sub(c.rotate_left(11));
    *b = (*b ^ *a).wrapping_sub(a.rotate_left(25));
    *c = (*c ^ *b).wrapping_sub(b.rotate_left(16));
    *a = (*a ^ *c).wrapping_sub(c.rotate_left(4));
    *b = (*b ^ *a).wrapping_sub(a.rotate_left(14));
    *c = (*c ^ *b).wrapping_sub(b.rotate_left(24));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jhash2_matches_the_kernel() {
        // Values from the kernel's jhash2, built from include/linux/jhash.h.
        let ten_0_0_1 = u32::from_le_bytes([10, 0, 0, 1]);
        assert_eq!(jhash2(&[ten_0_0_1, 0, 0, 0], 0), 0x44dd_116c);
        assert_eq!(jhash2(&[ten_0_0_1, 0, 0, 0], 0x1234_5678), 0x2614_5954);
        assert_eq!(jhash2(&[0xdead_beef], 7), 0x5ba0_3182);
        assert_eq!(jhash2(&[1, 2, 3], 0), 0xa461_58f5);
        assert_eq!(jhash2(&[1, 2, 3, 4, 5], 0), 0x6291_29c0);
        assert_eq!(jhash2(&[], 9), 0xdead_bef8);
    }

    #[test]
    fn scaling_covers_the_span() {
        assert_eq!(reciprocal_scale(u32::MAX, 11), 10);
        assert_eq!(reciprocal_scale(0, 11), 0);
        assert_eq!(reciprocal_scale(u32::MAX, 0), 0);
    }

    #[test]
    fn ranges_compare_in_network_order() {
        let range = NatRange {
            min_addr: [10, 0, 0, 200, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            max_addr: [10, 0, 1, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            ..NatRange::default()
        };
        let a = |last: [u8; 2]| {
            let mut b = [0; 16];
            b[..4].copy_from_slice(&[10, 0, last[0], last[1]]);
            b
        };
        assert!(addr_in_range(L3::Ipv4, &a([0, 255]), &range));
        assert!(addr_in_range(L3::Ipv4, &a([1, 5]), &range));
        assert!(!addr_in_range(L3::Ipv4, &a([1, 6]), &range));
        assert!(!addr_in_range(L3::Ipv4, &a([0, 199]), &range));
    }
}
