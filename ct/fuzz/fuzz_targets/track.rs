// SPDX-License-Identifier: GPL-2.0

//! Packet sequences, IPv4 and IPv6, of any protocol and in both directions, through parsing
//! and every tracker: nothing may panic, overflow or read out of bounds.
//!
//! Input: one byte of tracking switches ([`Tracker::new`]), then records. A record starts
//! with a control byte: bit 0 IPv6, bit 1 sent the other way, bit 2 checksums verified, bit 3
//! a TCP segment built from fields rather than raw bytes, and in the high nibble how long
//! after the last packet it comes. A raw record goes on with a length byte and that many bytes
//! of packet from the network header on; a built one with flags, sequence and acknowledgment
//! numbers, window, payload length (16 bits each but for the flags and the numbers), a length
//! byte and that many bytes of TCP options.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rust_conntrack_ct::fuzzing::track::Tracker;

/// Jiffies (at 250 Hz) between packets, by the control byte's high nibble.
const ELAPSED: [u32; 16] = [
    0,
    1,
    25,
    250,
    2_500,
    15_000,
    30_250,
    75_250,
    900_000,
    108_000_000,
    2,
    100,
    500,
    7_500,
    30_000,
    u32::MAX / 2,
];

/// The addresses and ports of built segments.
const V4_SRC: [u8; 4] = [10, 0, 0, 1];
const V4_DST: [u8; 4] = [10, 0, 0, 2];
const V6_SRC: [u8; 16] = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const V6_DST: [u8; 16] = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
const TCP: u8 = 6;

/// Longest payload of a built segment.
const MAX_PAYLOAD: usize = 4096;

/// Reads input from the front.
struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        self.bytes(1).map(|b| b[0])
    }

    fn u16(&mut self) -> Option<u16> {
        self.bytes(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Option<u32> {
        self.bytes(4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// A TCP segment from `input`'s fields, in an IPv4 or IPv6 packet.
fn build(input: &mut Input<'_>, ipv6: bool) -> Option<Vec<u8>> {
    let flags = input.u8()?;
    let seq = input.u32()?;
    let ack = input.u32()?;
    let window = input.u16()?;
    let payload = usize::from(input.u16()?) % (MAX_PAYLOAD + 1);
    let opt_len = usize::from(input.u8()?) % 41;
    let opts = input.bytes(opt_len)?;
    let padded = opts.len().div_ceil(4) * 4;
    let mut tcp = vec![0u8; 20 + padded];
    tcp[0..2].copy_from_slice(&40000u16.to_be_bytes());
    tcp[2..4].copy_from_slice(&80u16.to_be_bytes());
    tcp[4..8].copy_from_slice(&seq.to_be_bytes());
    tcp[8..12].copy_from_slice(&ack.to_be_bytes());
    tcp[12] = (((20 + padded) / 4) as u8) << 4;
    tcp[13] = flags;
    tcp[14..16].copy_from_slice(&window.to_be_bytes());
    tcp[20..20 + opts.len()].copy_from_slice(opts);
    tcp.resize(tcp.len() + payload, 0);
    let mut p = Vec::with_capacity(40 + tcp.len());
    if ipv6 {
        p.extend_from_slice(&[0x60, 0, 0, 0]);
        p.extend_from_slice(&(tcp.len() as u16).to_be_bytes());
        p.extend_from_slice(&[TCP, 64]);
        p.extend_from_slice(&V6_SRC);
        p.extend_from_slice(&V6_DST);
    } else {
        p.extend_from_slice(&[0x45, 0]);
        p.extend_from_slice(&((20 + tcp.len()) as u16).to_be_bytes());
        p.extend_from_slice(&[0, 0, 0, 0, 64, TCP, 0, 0]);
        p.extend_from_slice(&V4_SRC);
        p.extend_from_slice(&V4_DST);
    }
    p.extend_from_slice(&tcp);
    Some(p)
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let Some(switches) = input.u8() else {
        return;
    };
    let mut tracker = Tracker::new(switches);
    while let Some(control) = input.u8() {
        let ipv6 = control & 1 != 0;
        let reverse = control & 2 != 0;
        let verify = control & 4 != 0;
        let elapsed = ELAPSED[usize::from(control >> 4)];
        let packet = if control & 8 != 0 {
            match build(&mut input, ipv6) {
                Some(p) => p,
                None => return,
            }
        } else {
            let Some(len) = input.u8() else {
                return;
            };
            match input.bytes(usize::from(len)) {
                Some(b) => b.to_vec(),
                None => return,
            }
        };
        tracker.packet(ipv6, &packet, verify, reverse, elapsed);
    }
});
