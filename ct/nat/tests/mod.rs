// SPDX-License-Identifier: GPL-2.0

//! Tests of NAT over hand-built packets.
//!
//! Packets are built here with every checksum computed from scratch, in network byte order and
//! independently of the code under test; a rewritten packet must equal, byte for byte, the
//! packet built directly with the translated addresses and ports.

mod choose;
mod icmp;
mod rewrite;

use super::header::ipproto as nat_proto;
use crate::ct::tuple::{ipproto, Tuple, L3};
use std::vec::Vec;

pub(super) const CLIENT: [u8; 4] = [10, 0, 0, 1];
pub(super) const SERVER: [u8; 4] = [93, 184, 216, 34];
pub(super) const PUBLIC: [u8; 4] = [192, 0, 2, 1];
pub(super) const INSIDE: [u8; 4] = [10, 0, 0, 80];
pub(super) const ROUTER: [u8; 4] = [198, 51, 100, 254];
pub(super) const CLIENT6: [u8; 16] = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
pub(super) const SERVER6: [u8; 16] = [
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x34,
];
pub(super) const PUBLIC6: [u8; 16] = [
    0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
];
pub(super) const ROUTER6: [u8; 16] = [
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfe,
];

/// An IPv4 address in a tuple's address field.
pub(super) fn v4(a: [u8; 4]) -> [u8; 16] {
    let mut b = [0; 16];
    b[..4].copy_from_slice(&a);
    b
}

/// The one's complement sum of `bytes` as big-endian words, folded to 16 bits, not
/// complemented.
pub(super) fn ones_sum(bytes: &[u8]) -> u16 {
    let mut sum: u64 = 0;
    for pair in bytes.chunks(2) {
        let hi = u64::from(pair[0]) << 8;
        let lo = pair.get(1).map_or(0, |&b| u64::from(b));
        sum += hi | lo;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// The pseudo-header of a transport segment of `len` bytes.
pub(super) fn pseudo_header(l3: L3, src: &[u8], dst: &[u8], proto: u8, len: usize) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(src);
    p.extend_from_slice(dst);
    match l3 {
        L3::Ipv4 => {
            p.extend_from_slice(&[0, proto]);
            p.extend_from_slice(&(len as u16).to_be_bytes());
        }
        L3::Ipv6 => {
            p.extend_from_slice(&(len as u32).to_be_bytes());
            p.extend_from_slice(&[0, 0, 0, proto]);
        }
    }
    p
}

/// CRC32c, bit by bit.
pub(super) fn crc32c_bitwise(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82f6_3b78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Where a transport protocol keeps its checksum.
pub(super) fn checksum_offset(proto: u8) -> usize {
    match proto {
        ipproto::TCP => 16,
        ipproto::UDP | nat_proto::UDPLITE | nat_proto::DCCP => 6,
        nat_proto::SCTP => 8,
        _ => 2,
    }
}

/// The network addresses of a packet.
fn addresses(p: &[u8], l3: L3) -> (Vec<u8>, Vec<u8>) {
    match l3 {
        L3::Ipv4 => (p[12..16].to_vec(), p[16..20].to_vec()),
        L3::Ipv6 => (p[8..24].to_vec(), p[24..40].to_vec()),
    }
}

/// Fills in the transport checksum of the `proto` segment at `l4`, computed from scratch.
pub(super) fn fill_checksum(p: &mut [u8], l3: L3, l4: usize, proto: u8) {
    let at = l4 + checksum_offset(proto);
    if proto == nat_proto::SCTP {
        p[at..at + 4].copy_from_slice(&[0; 4]);
        let crc = crc32c_bitwise(&p[l4..]);
        p[at..at + 4].copy_from_slice(&crc.to_le_bytes());
        return;
    }
    p[at..at + 2].copy_from_slice(&[0, 0]);
    let mut covered = Vec::new();
    if proto != ipproto::ICMP {
        let (src, dst) = addresses(p, l3);
        covered = pseudo_header(l3, &src, &dst, proto, p.len() - l4);
    }
    covered.extend_from_slice(&p[l4..]);
    let mut check = !ones_sum(&covered);
    if check == 0 && matches!(proto, ipproto::UDP | nat_proto::UDPLITE) {
        check = 0xffff;
    }
    p[at..at + 2].copy_from_slice(&check.to_be_bytes());
}

/// Whether the transport checksum of the `proto` segment at `l4` checks out.
pub(super) fn checksum_ok(p: &[u8], l3: L3, l4: usize, proto: u8) -> bool {
    let mut q = p.to_vec();
    fill_checksum(&mut q, l3, l4, proto);
    let at = l4 + checksum_offset(proto);
    let width = if proto == nat_proto::SCTP { 4 } else { 2 };
    let (got, want) = (&p[at..at + width], &q[at..at + width]);
    // A sum can be written either way round; only a checksum of all ones is sent as such.
    got == want || (got == [0xff, 0xff] && want == [0, 0] && proto != ipproto::UDP)
}

/// Whether an IPv4 header checksum checks out.
pub(super) fn ipv4_header_ok(p: &[u8], off: usize) -> bool {
    let ihl = usize::from(p[off] & 0xf) * 4;
    ones_sum(&p[off..off + ihl]) == 0xffff
}

/// An IPv4 packet around `payload`, header checksum filled in.
pub(super) fn ipv4(proto: u8, src: [u8; 4], dst: [u8; 4], payload: &[u8]) -> Vec<u8> {
    let total = (20 + payload.len()) as u16;
    let mut p = std::vec![0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, proto, 0, 0];
    p[2..4].copy_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    let check = !ones_sum(&p);
    p[10..12].copy_from_slice(&check.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// An IPv6 packet whose first header after the fixed one is of protocol `next`.
pub(super) fn ipv6(next: u8, src: [u8; 16], dst: [u8; 16], payload: &[u8]) -> Vec<u8> {
    let mut p = std::vec![0x60, 0x01, 0x23, 0x45];
    p.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    p.extend_from_slice(&[next, 64]);
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    p.extend_from_slice(payload);
    p
}

/// A TCP header without options and `data` after it; checksum zero.
pub(super) fn tcp(sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
    let mut p = std::vec![0u8; 20];
    p[..2].copy_from_slice(&sport.to_be_bytes());
    p[2..4].copy_from_slice(&dport.to_be_bytes());
    p[4..8].copy_from_slice(&0x1122_3344u32.to_be_bytes());
    p[12] = 5 << 4;
    p[13] = 0x02;
    p[14..16].copy_from_slice(&64240u16.to_be_bytes());
    p.extend_from_slice(data);
    p
}

/// A UDP or UDP-Lite header and `data`; checksum zero. UDP-Lite's coverage is the whole.
pub(super) fn udp(proto: u8, sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&sport.to_be_bytes());
    p.extend_from_slice(&dport.to_be_bytes());
    let len = if proto == nat_proto::UDPLITE {
        0
    } else {
        (8 + data.len()) as u16
    };
    p.extend_from_slice(&len.to_be_bytes());
    p.extend_from_slice(&[0, 0]);
    p.extend_from_slice(data);
    p
}

/// An SCTP common header and one INIT chunk; checksum zero.
pub(super) fn sctp(sport: u16, dport: u16) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&sport.to_be_bytes());
    p.extend_from_slice(&dport.to_be_bytes());
    p.extend_from_slice(&[0; 8]);
    p.extend_from_slice(&[1, 0, 0, 20]);
    p.extend_from_slice(&[
        0xa1, 0xb2, 0xc3, 0xd4, 0, 1, 0, 0, 0, 10, 0, 10, 0x55, 0x66, 0x77, 0x88,
    ]);
    p
}

/// A DCCP request header (no extended sequence numbers); checksum zero.
pub(super) fn dccp(sport: u16, dport: u16) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&sport.to_be_bytes());
    p.extend_from_slice(&dport.to_be_bytes());
    p.extend_from_slice(&[4, 0, 0, 0, 0, 0, 0x12, 0x34]);
    p.extend_from_slice(&[0, 0, 0, 42]);
    p
}

/// An ICMP or ICMPv6 message with `rest` after its first four bytes; checksum zero.
pub(super) fn icmp_msg(ty: u8, code: u8, rest: &[u8]) -> Vec<u8> {
    let mut p = std::vec![ty, code, 0, 0];
    p.extend_from_slice(rest);
    p
}

/// An echo request or reply body: identifier, sequence number, data.
pub(super) fn echo(id: u16, seq: u16) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(b"ping data");
    p
}

/// A complete IPv4 packet of `proto` with its transport checksum filled in.
pub(super) fn ipv4_packet(proto: u8, src: [u8; 4], dst: [u8; 4], l4: &[u8]) -> Vec<u8> {
    let mut p = ipv4(proto, src, dst, l4);
    fill_checksum(&mut p, L3::Ipv4, 20, proto);
    p
}

/// A complete IPv6 packet of `proto`, directly after the fixed header, checksum filled in.
pub(super) fn ipv6_packet(proto: u8, src: [u8; 16], dst: [u8; 16], l4: &[u8]) -> Vec<u8> {
    let mut p = ipv6(proto, src, dst, l4);
    fill_checksum(&mut p, L3::Ipv6, 40, proto);
    p
}

/// A tuple of IPv4 addresses.
pub(super) fn tuple4(proto: u8, src: [u8; 4], dst: [u8; 4], sid: u16, did: u16) -> Tuple {
    Tuple::new(L3::Ipv4, proto, v4(src), v4(dst), sid, did)
}

/// The sum the kernel keeps in `skb->csum`, of `bytes` as words in the CPU's byte order,
/// reduced modulo 0xffff: what two sums of the same bytes agree on.
pub(super) fn native_sum_class(bytes: &[u8]) -> u32 {
    let mut sum: u64 = 0;
    for pair in bytes.chunks(2) {
        let mut w = [0u8; 2];
        w[..pair.len()].copy_from_slice(pair);
        sum += u64::from(u16::from_ne_bytes(w));
    }
    (sum % 0xffff) as u32
}

/// A partial sum reduced modulo 0xffff.
pub(super) fn sum_class(sum: u32) -> u32 {
    (u64::from(sum) % 0xffff) as u32
}
