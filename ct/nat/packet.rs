// SPDX-License-Identifier: GPL-2.0

//! The packet NAT rewrites: bytes from the network header on, made writable on demand.

use super::checksum;
use super::crc32c;

/// A packet NAT may rewrite, from its network header on.
///
/// Offsets count from the network header. The kernel implements this over an skb
/// (`skb_ensure_writable`, `skb_header_pointer`, `skb_checksum`); tests over a byte slice.
pub(crate) trait PacketMut {
    /// Length of the packet from the network header on (`skb->len`).
    fn total_len(&self) -> usize;

    /// Makes the first `len` bytes writable; false if the packet is shorter or they cannot be.
    fn make_writable(&mut self, len: usize) -> bool;

    /// Copies the `N` bytes at `offset`, or returns `None` if the packet ends first.
    fn read<const N: usize>(&self, offset: usize) -> Option<[u8; N]>;

    /// Writes `bytes` at `offset`, within what [`PacketMut::make_writable`] covered; false if
    /// they do not fit there.
    fn write(&mut self, offset: usize, bytes: &[u8]) -> bool;

    /// Adds the `len` bytes at `offset` to the partial sum `init`, as if they began a buffer of
    /// their own (`skb_checksum`); `None` if the packet ends first.
    fn checksum(&self, offset: usize, len: usize, init: u32) -> Option<u32> {
        let end = offset.checked_add(len)?;
        let mut at = offset;
        let mut sum = init;
        while at < end {
            match end - at {
                rest if rest >= CHUNK => {
                    sum = checksum::partial(&self.read::<CHUNK>(at)?, sum);
                    at += CHUNK;
                }
                1 => {
                    sum = checksum::partial(&self.read::<1>(at)?, sum);
                    at += 1;
                }
                _ => {
                    sum = checksum::partial(&self.read::<2>(at)?, sum);
                    at += 2;
                }
            }
        }
        Some(sum)
    }

    /// Continues the CRC32c `crc` over the `len` bytes at `offset` (`crc32c`); `None` if the
    /// packet ends first.
    fn crc32c(&self, offset: usize, len: usize, crc: u32) -> Option<u32> {
        let end = offset.checked_add(len)?;
        let mut at = offset;
        let mut crc = crc;
        while at < end {
            if end - at >= CHUNK {
                crc = crc32c::update(crc, &self.read::<CHUNK>(at)?);
                at += CHUNK;
            } else {
                crc = crc32c::update(crc, &self.read::<1>(at)?);
                at += 1;
            }
        }
        Some(crc)
    }
}

/// How many bytes the provided sums read at a time; even, so that words stay aligned.
const CHUNK: usize = 64;

/// Packets held in one contiguous, writable buffer, as userspace tests and fuzzers hold them.
#[cfg(not(MODULE))]
impl PacketMut for [u8] {
    fn total_len(&self) -> usize {
        self.len()
    }

    fn make_writable(&mut self, len: usize) -> bool {
        len <= self.len()
    }

    fn read<const N: usize>(&self, offset: usize) -> Option<[u8; N]> {
        self.get(offset..offset.checked_add(N)?)?.try_into().ok()
    }

    fn write(&mut self, offset: usize, bytes: &[u8]) -> bool {
        let Some(end) = offset.checked_add(bytes.len()) else {
            return false;
        };
        match self.get_mut(offset..end) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                true
            }
            None => false,
        }
    }

    fn checksum(&self, offset: usize, len: usize, init: u32) -> Option<u32> {
        Some(checksum::partial(
            self.get(offset..offset.checked_add(len)?)?,
            init,
        ))
    }

    fn crc32c(&self, offset: usize, len: usize, crc: u32) -> Option<u32> {
        Some(crc32c::update(
            crc,
            self.get(offset..offset.checked_add(len)?)?,
        ))
    }
}

/// Reads a 16-bit field in network order.
pub(super) fn read_be16<P: PacketMut + ?Sized>(pkt: &P, offset: usize) -> Option<u16> {
    pkt.read(offset).map(u16::from_be_bytes)
}

/// Reads a checksum field as the checksum helpers take it.
pub(super) fn read_check<P: PacketMut + ?Sized>(pkt: &P, offset: usize) -> Option<u16> {
    pkt.read(offset).map(checksum::word16)
}

/// Writes a checksum field the checksum helpers computed.
pub(super) fn write_check<P: PacketMut + ?Sized>(pkt: &mut P, offset: usize, check: u16) -> bool {
    pkt.write(offset, &check.to_ne_bytes())
}
