// SPDX-License-Identifier: GPL-2.0

//! Keyed hashing of tuples.
//!
//! Buckets are chosen with SipHash-1-3 under a random key, so that remote hosts cannot aim many
//! flows at one bucket. The rounds are a parameter so that tests can check the code against the
//! published SipHash-2-4 vectors.

use super::tuple::Tuple;

/// A 128-bit hash key.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct HashKey(pub(crate) [u64; 2]);

impl HashKey {
    /// Hashes one tuple.
    #[inline]
    pub(crate) fn hash(&self, tuple: &Tuple) -> u32 {
        // IPv4 tuples carry 24 bytes of zeros in their address fields: leave them out.
        let h = match tuple.words_v4() {
            Some(w) => siphash::<1, 3>(self, &w, 13),
            None => siphash::<1, 3>(self, &tuple.words(), 40),
        };
        (h ^ (h >> 32)) as u32
    }

    /// What a zone's identifier changes in the hashes of its tuples: nothing for the default
    /// zone, a keyed value for the others.
    #[inline]
    pub(crate) fn zone(&self, id: u16) -> u32 {
        if id == 0 {
            return 0;
        }
        let h = siphash::<1, 3>(self, &[u64::from(id)], 2);
        (h ^ (h >> 32)) as u32
    }

    /// Hashes a key of whole words, such as a masked address and a zone.
    pub(crate) fn words(&self, words: &[u64]) -> u32 {
        let h = siphash::<1, 3>(self, words, words.len() * 8);
        (h ^ (h >> 32)) as u32
    }

    /// A connection's identifier, from its address: a keyed hash, so that it reveals nothing of
    /// kernel memory (`nf_ct_get_id()`).
    pub(crate) fn id(&self, addr: u64) -> u32 {
        let h = siphash::<1, 3>(self, &[addr], 8);
        (h ^ (h >> 32)) as u32
    }
}

struct State([u64; 4]);

impl State {
    #[inline(always)]
    fn round(&mut self) {
        let [v0, v1, v2, v3] = &mut self.0;
        *v0 = v0.wrapping_add(*v1);
        *v1 = v1.rotate_left(13) ^ *v0;
        *v0 = v0.rotate_left(32);
        *v2 = v2.wrapping_add(*v3);
        *v3 = v3.rotate_left(16) ^ *v2;
        *v0 = v0.wrapping_add(*v3);
        *v3 = v3.rotate_left(21) ^ *v0;
        *v2 = v2.wrapping_add(*v1);
        *v1 = v1.rotate_left(17) ^ *v2;
        *v2 = v2.rotate_left(32);
    }

    #[inline(always)]
    fn compress<const C: usize>(&mut self, m: u64) {
        self.0[3] ^= m;
        for _ in 0..C {
            self.round();
        }
        self.0[0] ^= m;
    }
}

/// SipHash-C-D of a message of `len` bytes given as little-endian words, the last one holding the
/// `len % 8` trailing bytes (or a full word).
#[inline(always)]
fn siphash<const C: usize, const D: usize>(key: &HashKey, words: &[u64], len: usize) -> u64 {
    let [k0, k1] = key.0;
    let mut s = State([
        k0 ^ 0x736f_6d65_7073_6575,
        k1 ^ 0x646f_7261_6e64_6f6d,
        k0 ^ 0x6c79_6765_6e65_7261,
        k1 ^ 0x7465_6462_7974_6573,
    ]);
    let full = len / 8;
    for &w in &words[..full] {
        s.compress::<C>(w.to_le());
    }
    let tail = if len % 8 != 0 { words[full].to_le() } else { 0 };
    s.compress::<C>(tail | (len as u64) << 56);
    s.0[2] ^= 0xff;
    for _ in 0..D {
        s.round();
    }
    s.0[0] ^ s.0[1] ^ s.0[2] ^ s.0[3]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ct::tuple::{ipproto, L3};

    fn words_of(bytes: &[u8]) -> std::vec::Vec<u64> {
        bytes
            .chunks(8)
            .map(|c| {
                let mut a = [0u8; 8];
                a[..c.len()].copy_from_slice(c);
                u64::from_le_bytes(a)
            })
            .collect()
    }

    const KEY: HashKey = HashKey([0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908]);

    #[test]
    fn siphash24_matches_reference_vectors() {
        // From the SipHash paper's reference implementation, for messages 00 01 02 ...
        let expect: [(usize, u64); 4] = [
            (0, 0x726f_db47_dd0e_0e31),
            (1, 0x74f8_39c5_93dc_67fd),
            (8, 0x93f5_f579_9a93_2462),
            (15, 0xa129_ca61_49be_45e5),
        ];
        let msg: std::vec::Vec<u8> = (0..64).collect();
        for (len, want) in expect {
            let words = words_of(&msg[..len]);
            let words = if words.is_empty() {
                std::vec![0]
            } else {
                words
            };
            assert_eq!(siphash::<2, 4>(&KEY, &words, len), want, "len {len}");
        }
    }

    #[test]
    fn siphash24_matches_std() {
        use std::hash::Hasher;
        let msg: std::vec::Vec<u8> = (0..64).map(|i: u8| i.wrapping_mul(7)).collect();
        for len in 1..64 {
            #[allow(deprecated)]
            let mut std_hasher = std::hash::SipHasher::new_with_keys(KEY.0[0], KEY.0[1]);
            std_hasher.write(&msg[..len]);
            assert_eq!(
                siphash::<2, 4>(&KEY, &words_of(&msg[..len]), len),
                std_hasher.finish()
            );
        }
    }

    /// SipHash-c-d as the paper states it, byte by byte: an independent reference.
    fn reference(c: usize, d: usize, key: &HashKey, msg: &[u8]) -> u64 {
        fn round(v: &mut [u64; 4]) {
            v[0] = v[0].wrapping_add(v[1]);
            v[1] = v[1].rotate_left(13) ^ v[0];
            v[0] = v[0].rotate_left(32);
            v[2] = v[2].wrapping_add(v[3]);
            v[3] = v[3].rotate_left(16) ^ v[2];
            v[0] = v[0].wrapping_add(v[3]);
            v[3] = v[3].rotate_left(21) ^ v[0];
            v[2] = v[2].wrapping_add(v[1]);
            v[1] = v[1].rotate_left(17) ^ v[2];
            v[2] = v[2].rotate_left(32);
        }
        let [k0, k1] = key.0;
        let mut v = [
            k0 ^ u64::from_be_bytes(*b"somepseu"),
            k1 ^ u64::from_be_bytes(*b"dorandom"),
            k0 ^ u64::from_be_bytes(*b"lygenera"),
            k1 ^ u64::from_be_bytes(*b"tedbytes"),
        ];
        let mut padded: std::vec::Vec<u8> = msg.to_vec();
        while padded.len() % 8 != 7 {
            padded.push(0);
        }
        padded.push(msg.len() as u8);
        for block in padded.chunks(8) {
            let m = u64::from_le_bytes(block.try_into().unwrap());
            v[3] ^= m;
            for _ in 0..c {
                round(&mut v);
            }
            v[0] ^= m;
        }
        v[2] ^= 0xff;
        for _ in 0..d {
            round(&mut v);
        }
        v[0] ^ v[1] ^ v[2] ^ v[3]
    }

    #[test]
    fn the_reference_matches_the_published_vectors() {
        let msg: std::vec::Vec<u8> = (0..64).collect();
        assert_eq!(reference(2, 4, &KEY, &msg[..0]), 0x726f_db47_dd0e_0e31);
        assert_eq!(reference(2, 4, &KEY, &msg[..15]), 0xa129_ca61_49be_45e5);
    }

    #[test]
    fn siphash13_matches_the_reference() {
        let msg: std::vec::Vec<u8> = (0..64).map(|i: u8| i.wrapping_mul(7)).collect();
        for key in [HashKey([0, 0]), KEY] {
            for len in 0..64 {
                let words = words_of(&msg[..len]);
                let words = if words.is_empty() {
                    std::vec![0]
                } else {
                    words
                };
                assert_eq!(
                    siphash::<1, 3>(&key, &words, len),
                    reference(1, 3, &key, &msg[..len]),
                    "len {len}"
                );
            }
        }
    }

    #[test]
    fn ipv4_hash_covers_every_field() {
        let t = Tuple::new(L3::Ipv4, ipproto::UDP, [1; 16], [2; 16], 3, 4);
        let mut a = [1; 16];
        a[3] = 9;
        for u in [
            Tuple::new(L3::Ipv4, ipproto::UDP, a, [2; 16], 3, 4),
            Tuple::new(L3::Ipv4, ipproto::UDP, [1; 16], a, 3, 4),
            Tuple::new(L3::Ipv4, ipproto::UDP, [1; 16], [2; 16], 5, 4),
            Tuple::new(L3::Ipv4, ipproto::UDP, [1; 16], [2; 16], 3, 5),
            Tuple::new(L3::Ipv4, ipproto::TCP, [1; 16], [2; 16], 3, 4),
            Tuple::new(L3::Ipv6, ipproto::UDP, [1; 16], [2; 16], 3, 4),
        ] {
            assert_ne!(KEY.hash(&t), KEY.hash(&u));
        }
        assert_eq!(KEY.hash(&t), KEY.hash(&t.with_dir(1)));
    }

    #[test]
    fn key_changes_hash() {
        let t = Tuple::new(L3::Ipv4, ipproto::UDP, [1; 16], [2; 16], 1, 2);
        assert_ne!(KEY.hash(&t), HashKey([1, 2]).hash(&t));
        let u = Tuple::new(L3::Ipv4, ipproto::UDP, [1; 16], [2; 16], 3, 2);
        assert_ne!(KEY.hash(&t), KEY.hash(&u));
    }

    #[test]
    fn hashcraft_hashes_as_the_tracker() {
        // tests/tools/hashcraft.c crafts tuples for the zero key: it must agree on this one.
        let mut src = [0; 16];
        src[..4].copy_from_slice(&[10, 9, 0, 1]);
        let mut dst = [0; 16];
        dst[..4].copy_from_slice(&[10, 0, 1, 2]);
        let t = Tuple::new(L3::Ipv4, ipproto::UDP, src, dst, 1024, 53);
        assert_eq!(HashKey([0, 0]).hash(&t), 0x033e_0a23);
    }
}
