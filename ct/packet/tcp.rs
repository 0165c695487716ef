// SPDX-License-Identifier: GPL-2.0

//! The TCP header as window tracking reads it: sequence numbers, window, flags, payload length
//! and the options nf_conntrack looks at (window scale, SACK permitted, SACK blocks).

use super::Packet;

/// Byte offsets of the TCP header's fields.
mod field {
    use core::ops::Range;

    /// Source port.
    pub(super) const SRC_PORT: Range<usize> = 0..2;
    /// Destination port.
    pub(super) const DST_PORT: Range<usize> = 2..4;
    /// Sequence number.
    pub(super) const SEQ: Range<usize> = 4..8;
    /// Acknowledgment number.
    pub(super) const ACK: Range<usize> = 8..12;
    /// Data offset, in words, in the high nibble.
    pub(super) const DATA_OFF: usize = 12;
    /// Flags.
    pub(super) const FLAGS: usize = 13;
    /// Receive window.
    pub(super) const WINDOW: Range<usize> = 14..16;
    /// Length of the header without options.
    pub(super) const HEADER_LEN: usize = 20;
    /// Longest header, options included.
    pub(super) const MAX_HEADER_LEN: usize = 60;
}

/// TCP option kinds and lengths.
mod option {
    /// End of the option list.
    pub(super) const EOL: u8 = 0;
    /// Padding.
    pub(super) const NOP: u8 = 1;
    /// Window scale, with its length.
    pub(super) const WINDOW: u8 = 3;
    pub(super) const WINDOW_LEN: usize = 3;
    /// SACK permitted, with its length.
    pub(super) const SACK_PERM: u8 = 4;
    pub(super) const SACK_PERM_LEN: usize = 2;
    /// Timestamps, with its length.
    pub(super) const TIMESTAMP: u8 = 8;
    pub(super) const TIMESTAMP_LEN: u8 = 10;
    /// Selective acknowledgment: a base and blocks of two sequence numbers.
    pub(super) const SACK: u8 = 5;
    pub(super) const SACK_BASE_LEN: usize = 2;
    pub(super) const SACK_BLOCK_LEN: usize = 8;
    /// Largest window scale TCP allows; larger values count as this.
    pub(super) const MAX_WINDOW_SCALE: u8 = 14;
}

/// The options of a segment that connection tracking uses.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub(crate) struct TcpOptions {
    /// Whether the header has any options: a SYN with options replaces what its sender had
    /// announced before.
    pub(crate) present: bool,
    /// The window scale announced, capped at 14.
    pub(crate) window_scale: Option<u8>,
    /// Whether SACK is permitted.
    pub(crate) sack_permitted: bool,
}

/// What connection tracking reads of one TCP segment.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub(crate) struct Segment {
    /// Sequence number.
    pub(crate) seq: u32,
    /// Acknowledgment number, as sent even when the ACK flag is clear.
    pub(crate) ack: u32,
    /// The highest right edge of the first SACK option's blocks that lies after `ack`, or
    /// `ack` itself.
    pub(crate) sack: u32,
    /// Payload bytes after the header, modulo 2^32 as sequence numbers count them.
    pub(crate) data_len: u32,
    /// Receive window, unscaled.
    pub(crate) window: u16,
    /// Header flags.
    pub(crate) flags: u8,
    /// Options.
    pub(crate) options: TcpOptions,
}

impl Segment {
    /// The sequence number after this segment: its data, and one each for SYN and FIN.
    pub(crate) fn end(&self) -> u32 {
        use crate::ct::proto::tcp_flags::{FIN, SYN};
        self.seq
            .wrapping_add(self.data_len)
            .wrapping_add(u32::from(self.flags & SYN != 0))
            .wrapping_add(u32::from(self.flags & FIN != 0))
    }
}

/// Whether `a` comes after `b` in sequence space.
pub(crate) fn seq_after(a: u32, b: u32) -> bool {
    (b.wrapping_sub(a) as i32) < 0
}

/// A TCP header whose length is known to be within the packet.
pub(super) struct TcpHeader {
    /// The fixed part of the header.
    fixed: [u8; field::HEADER_LEN],
    /// Offset of the header in the packet.
    at: usize,
    /// Length of the header, options included.
    len: usize,
}

/// Why a TCP header cannot be used.
pub(super) enum HeaderError {
    /// The packet ends before the fixed header does.
    Truncated,
    /// The data offset is below the fixed header or past the end of the packet.
    Malformed,
}

impl TcpHeader {
    /// Reads the header at `at`, checking that its data offset fits the packet.
    pub(super) fn read<P: Packet + ?Sized>(pkt: &P, at: usize) -> Result<Self, HeaderError> {
        let fixed: [u8; field::HEADER_LEN] = pkt.read(at).ok_or(HeaderError::Truncated)?;
        let len = usize::from(fixed[field::DATA_OFF] >> 4) * 4;
        if len < field::HEADER_LEN || len > pkt.total_len().saturating_sub(at) {
            return Err(HeaderError::Malformed);
        }
        Ok(Self { fixed, at, len })
    }

    fn u16_at(&self, r: core::ops::Range<usize>) -> u16 {
        match self.fixed.get(r) {
            Some(&[a, b]) => u16::from_be_bytes([a, b]),
            _ => 0,
        }
    }

    fn u32_at(&self, r: core::ops::Range<usize>) -> u32 {
        match self.fixed.get(r) {
            Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
            _ => 0,
        }
    }

    /// Source port.
    pub(super) fn src_port(&self) -> u16 {
        self.u16_at(field::SRC_PORT)
    }

    /// Destination port.
    pub(super) fn dst_port(&self) -> u16 {
        self.u16_at(field::DST_PORT)
    }

    /// Header flags.
    pub(super) fn flags(&self) -> u8 {
        self.fixed[field::FLAGS]
    }

    /// The segment as connection tracking reads it.
    pub(super) fn segment<P: Packet + ?Sized>(&self, pkt: &P) -> Segment {
        let ack = self.u32_at(field::ACK);
        let mut seg = Segment {
            seq: self.u32_at(field::SEQ),
            ack,
            sack: ack,
            // Truncated as nf_conntrack's 32-bit sequence arithmetic truncates it.
            data_len: pkt
                .total_len()
                .saturating_sub(self.at)
                .saturating_sub(self.len) as u32,
            window: self.u16_at(field::WINDOW),
            flags: self.flags(),
            options: TcpOptions::default(),
        };
        let opt_len = self.len - field::HEADER_LEN;
        if opt_len == TIMESTAMPS_ONLY_LEN {
            // Most segments of an open connection carry timestamps alone, aligned as every stack
            // aligns them: nothing tracking uses.
            let first = pkt.read::<4>(self.at + field::HEADER_LEN);
            if first == Some(TIMESTAMPS_ONLY) {
                seg.options.present = true;
                return seg;
            }
        }
        let mut buf = [0u8; field::MAX_HEADER_LEN - field::HEADER_LEN];
        // Options come in whole words: the data offset counts words.
        for (i, word) in buf[..opt_len].chunks_exact_mut(4).enumerate() {
            match pkt.read::<4>(self.at + field::HEADER_LEN + i * 4) {
                Some(w) => word.copy_from_slice(&w),
                None => return seg,
            }
        }
        seg.options.present = opt_len > 0;
        walk_options(&buf[..opt_len], &mut seg);
        seg
    }
}

/// The first word of an option list of timestamps alone: two NOPs, then the option's kind and
/// length; the timestamps fill the next two words.
const TIMESTAMPS_ONLY: [u8; 4] = [
    option::NOP,
    option::NOP,
    option::TIMESTAMP,
    option::TIMESTAMP_LEN,
];
const TIMESTAMPS_ONLY_LEN: usize = 12;

/// Reads the options nf_conntrack uses, stopping where it stops: at the end of the list, at an
/// option too short to be one, or at one that runs past the header.
fn walk_options(mut opts: &[u8], seg: &mut Segment) {
    let mut sack_seen = false;
    while let Some(&kind) = opts.first() {
        match kind {
            option::EOL => return,
            option::NOP => {
                opts = &opts[1..];
                continue;
            }
            _ => {}
        }
        let Some(&size) = opts.get(1) else { return };
        let size = usize::from(size);
        if size < 2 || size > opts.len() {
            return;
        }
        let body = &opts[2..size];
        match (kind, size) {
            (option::SACK_PERM, option::SACK_PERM_LEN) => seg.options.sack_permitted = true,
            (option::WINDOW, option::WINDOW_LEN) => {
                let scale = body.first().copied().unwrap_or(0);
                seg.options.window_scale = Some(scale.min(option::MAX_WINDOW_SCALE));
            }
            (option::SACK, _)
                if !sack_seen
                    && size >= option::SACK_BASE_LEN + option::SACK_BLOCK_LEN
                    && body
                        .chunks_exact(option::SACK_BLOCK_LEN)
                        .remainder()
                        .is_empty() =>
            {
                // Only the first well-formed SACK option counts.
                sack_seen = true;
                for block in body.chunks_exact(option::SACK_BLOCK_LEN) {
                    let right = u32::from_be_bytes([block[4], block[5], block[6], block[7]]);
                    if seq_after(right, seg.sack) {
                        seg.sack = right;
                    }
                }
            }
            _ => {}
        }
        opts = &opts[size..];
    }
}
