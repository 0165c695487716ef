// SPDX-License-Identifier: GPL-2.0

//! The packet path on real skbs: the state each packet gets, two packets racing to create one
//! connection, headers read across page fragments, and checksums verified by the kernel.
//!
//! Each case has a state of its own (see [`TestState`]); addresses are from 198.51.100.0/24
//! (TEST-NET-2).

use super::TestState;
use crate::ct::conn::Conn;
use crate::ct::packet::{parse, Invalid, Parsed};
use crate::ct::pipeline::{confirm, track};
use crate::ct::state::CtNet;
use crate::ct::status::{bits, CtInfo};
use crate::ct::sys::kunit::{check, check_eq, kunit_suite};
use crate::ct::sys::netfilter::{Hook, Verdict};
use crate::ct::sys::skb::OwnedSkb;
use crate::ct::sys::sync::RcuGuard;
use crate::ct::tuple::{ipproto, L3};
use core::sync::atomic::Ordering;
use kernel::prelude::*;

/// The bytes of an IPv4 packet of protocol `proto` from 198.51.100.`src` to 198.51.100.`dst`,
/// with ports and `payload` bytes after the transport header; UDP carries its checksum.
fn bytes(proto: u8, src: u8, dst: u8, sport: u16, dport: u16, payload: usize) -> KVec<u8> {
    let l4 = if proto == ipproto::UDP { 8 } else { 20 };
    let len = 20 + l4 + payload;
    let mut p = KVec::new();
    if p.extend_with(len, 0u8, GFP_KERNEL).is_err() {
        return p;
    }
    p[0] = 0x45;
    p[2..4].copy_from_slice(&(len as u16).to_be_bytes());
    p[8] = 64;
    p[9] = proto;
    p[12..16].copy_from_slice(&[198, 51, 100, src]);
    p[16..20].copy_from_slice(&[198, 51, 100, dst]);
    // The kernel sums the whole packet from the IP header on, which a correct header checksum
    // leaves unchanged.
    let sum = !fold(sum16(&p[..20]));
    p[10..12].copy_from_slice(&sum.to_be_bytes());
    p[20..22].copy_from_slice(&sport.to_be_bytes());
    p[22..24].copy_from_slice(&dport.to_be_bytes());
    for (i, b) in p[20 + l4..].iter_mut().enumerate() {
        *b = i as u8;
    }
    if proto == ipproto::UDP {
        p[24..26].copy_from_slice(&((8 + payload) as u16).to_be_bytes());
        let sum = udp_checksum(&p);
        p[26..28].copy_from_slice(&sum.to_be_bytes());
    } else {
        // A bare ACK with a five-word header.
        p[32] = 5 << 4;
        p[33] = 0x10;
    }
    p
}

/// The sum of `b` as big-endian 16-bit words, a last odd byte padded with zero.
fn sum16(b: &[u8]) -> u32 {
    b.chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum()
}

/// A ones' complement sum folded to 16 bits.
fn fold(mut sum: u32) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// The UDP checksum of an IPv4 packet.
fn udp_checksum(p: &[u8]) -> u16 {
    let udp = &p[20..];
    let pseudo = sum16(&p[12..20]) + u32::from(ipproto::UDP) + udp.len() as u32;
    match !fold(pseudo + sum16(&udp[..6]) + sum16(&udp[8..])) {
        0 => 0xffff,
        s => s,
    }
}

fn packet(proto: u8, src: u8, dst: u8, sport: u16, dport: u16) -> Option<OwnedSkb> {
    OwnedSkb::new(&bytes(proto, src, dst, sport, dport, 0))
}

/// Tracks `skb` in `ct` as leaving this host; returns the verdict.
fn out(ct: &CtNet, skb: &mut OwnedSkb) -> Verdict {
    let rcu = RcuGuard::new();
    track(ct, L3::Ipv4, Hook::LocalOut, skb.skb(), &rcu, None)
}

/// Parses `skb` as PRE_ROUTING sees it, checksums verified.
fn parse_in(skb: &mut OwnedSkb) -> Result<Parsed, Invalid> {
    parse(
        &skb.skb().network(Hook::PreRouting, L3::Ipv4),
        L3::Ipv4,
        true,
    )
}

/// Starts a case: its state, or a failure.
macro_rules! state {
    ($t:ident) => {
        match TestState::new() {
            Some(s) => s,
            None => return check!($t, false),
        }
    };
}

kunit_suite!("rust_conntrack_packet", t => {
    fn packets_get_their_state_in_the_connection() {
        let st = state!(t);
        let ct = st.ct();
        let (Some(mut first), Some(mut back), Some(mut again)) = (
            packet(ipproto::UDP, 1, 2, 1000, 53),
            packet(ipproto::UDP, 2, 1, 53, 1000),
            packet(ipproto::UDP, 1, 2, 1000, 53),
        ) else {
            return check!(t, false);
        };
        check_eq!(t, out(ct, &mut first), Verdict::Accept);
        let opened = Conn::of_skb(first.skb()).map(|(c, i)| (c.as_nfct(), i));
        check_eq!(t, opened.map(|f| f.1), Some(CtInfo::New));
        check_eq!(t, confirm(first.skb()), Verdict::Accept);
        out(ct, &mut back);
        let reply = Conn::of_skb(back.skb()).map(|(c, i)| (c.as_nfct(), i, c.status()));
        check_eq!(t, reply.map(|r| r.1), Some(CtInfo::EstablishedReply));
        check_eq!(t, reply.map(|r| r.0), opened.map(|f| f.0));
        check!(t, reply.is_some_and(|r| r.2 & bits::SEEN_REPLY != 0));
        out(ct, &mut again);
        check_eq!(t, Conn::of_skb(again.skb()).map(|(_, i)| i), Some(CtInfo::Established));
    }

    fn racing_udp_packets_join_the_first_connection() {
        let st = state!(t);
        let ct = st.ct();
        let (Some(mut a), Some(mut b)) = (packet(ipproto::UDP, 3, 4, 1000, 53), packet(ipproto::UDP, 3, 4, 1000, 53))
        else {
            return check!(t, false);
        };
        // Both miss the table before either is confirmed.
        out(ct, &mut a);
        out(ct, &mut b);
        let (ca, cb) = match (Conn::of_skb(a.skb()), Conn::of_skb(b.skb())) {
            (Some((x, _)), Some((y, _))) => (x.as_nfct(), y.as_nfct()),
            _ => return check!(t, false),
        };
        check!(t, ca != cb);
        check_eq!(t, confirm(a.skb()), Verdict::Accept);
        check_eq!(t, confirm(b.skb()), Verdict::Accept);
        check_eq!(t, Conn::of_skb(b.skb()).map(|(c, _)| c.as_nfct()), Some(ca));
        check_eq!(t, ct.stats.sum(|s| s.clash_resolve), 1);
        // The loser was freed when the packet left it.
        check_eq!(t, ct.count.load(Ordering::Acquire), 1);
    }

    fn racing_tcp_packets_drop_the_second() {
        let st = state!(t);
        let ct = st.ct();
        let (Some(mut a), Some(mut b)) = (packet(ipproto::TCP, 5, 6, 1000, 80), packet(ipproto::TCP, 5, 6, 1000, 80))
        else {
            return check!(t, false);
        };
        out(ct, &mut a);
        out(ct, &mut b);
        check_eq!(t, confirm(a.skb()), Verdict::Accept);
        check_eq!(t, confirm(b.skb()), Verdict::Drop);
        check_eq!(t, ct.stats.sum(|s| s.insert_failed), 1);
        check_eq!(t, ct.stats.sum(|s| s.drop), 1);
    }

    fn packets_already_carrying_a_state_are_left_alone() {
        let st = state!(t);
        let ct = st.ct();
        let Some(mut p) = packet(ipproto::UDP, 7, 8, 1000, 53) else { return check!(t, false) };
        p.skb().set_nfct(CtInfo::Untracked as usize);
        check_eq!(t, out(ct, &mut p), Verdict::Accept);
        check_eq!(t, p.skb().nfct(), CtInfo::Untracked as usize);
        check_eq!(t, ct.count.load(Ordering::Acquire), 0);
    }

    fn a_packet_dropped_before_confirmation_leaves_nothing() {
        let st = state!(t);
        let ct = st.ct();
        {
            let Some(mut p) = packet(ipproto::UDP, 9, 10, 1000, 53) else { return check!(t, false) };
            out(ct, &mut p);
            check_eq!(t, ct.count.load(Ordering::Acquire), 1);
        }
        check_eq!(t, ct.count.load(Ordering::Acquire), 0);
    }

    fn headers_are_read_across_page_fragments() {
        let data = bytes(ipproto::UDP, 11, 12, 4321, 53, 64);
        // The IP header in the head, as the stack keeps it from IP input on (and as the kernel's
        // checksum helpers read it); the UDP header in the fragment, split between head and
        // fragment, in the head; all of it in the head.
        for linear in [20usize, 24, 28, data.len()] {
            let Some(mut skb) = OwnedSkb::paged(&data, linear) else { return check!(t, false) };
            match parse_in(&mut skb) {
                Ok(Parsed::Flow { tuple, .. }) => {
                    check_eq!(t, (tuple.src_id(), tuple.dst_id()), (4321, 53));
                    check_eq!(t, tuple.src()[..4], [198, 51, 100, 11]);
                }
                _ => check!(t, false),
            }
        }
    }

    fn the_kernel_verifies_checksums_on_input() {
        let good = bytes(ipproto::UDP, 13, 14, 1000, 53, 33);
        let mut bad = bytes(ipproto::UDP, 13, 14, 1000, 53, 33);
        if let Some(b) = bad.last_mut() {
            *b ^= 0x55;
        }
        for linear in [good.len(), 28] {
            match (OwnedSkb::paged(&good, linear), OwnedSkb::paged(&bad, linear)) {
                (Some(mut g), Some(mut b)) => {
                    check!(t, matches!(parse_in(&mut g), Ok(Parsed::Flow { .. })));
                    check_eq!(t, parse_in(&mut b), Err(Invalid::Checksum));
                }
                _ => check!(t, false),
            }
        }
    }
});
