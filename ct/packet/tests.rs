// SPDX-License-Identifier: GPL-2.0

//! Tests of tuple parsing over hand-built packets.

use super::*;
use std::vec::Vec;

const A4: [u8; 4] = [10, 0, 0, 1];
const B4: [u8; 4] = [10, 0, 0, 2];
const A6: [u8; 16] = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const B6: [u8; 16] = [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

fn pad(a: &[u8]) -> [u8; 16] {
    let mut b = [0; 16];
    b[..a.len()].copy_from_slice(a);
    b
}

/// Fills in the transport checksum of `p`, whose transport header is at `l4`.
fn fix_checksum(p: &mut [u8], l3: L3, l4: usize, proto: u8) {
    let at = l4
        + match proto {
            ipproto::UDP => 6,
            ipproto::TCP => 16,
            _ => 2,
        };
    p[at..at + 2].copy_from_slice(&[0, 0]);
    // With the field zero, the one's complement sum of everything else is the checksum.
    for c in 0..=0xffffu16 {
        p[at..at + 2].copy_from_slice(&c.to_be_bytes());
        if p.checksum_ok(l3, l4, proto) {
            return;
        }
    }
    unreachable!();
}

fn ipv4(proto: u8, src: [u8; 4], dst: [u8; 4], payload: &[u8]) -> Vec<u8> {
    let total = (20 + payload.len()) as u16;
    let mut p = std::vec![0x45, 0, 0, 0, 0, 0, 0, 0, 64, proto, 0, 0];
    p[2..4].copy_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    p.extend_from_slice(payload);
    p
}

fn ipv6(next: u8, src: [u8; 16], dst: [u8; 16], payload: &[u8]) -> Vec<u8> {
    let mut p = std::vec![0x60, 0, 0, 0];
    p.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    p.extend_from_slice(&[next, 64]);
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    p.extend_from_slice(payload);
    p
}

fn udp(sport: u16, dport: u16, data: &[u8]) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&sport.to_be_bytes());
    p.extend_from_slice(&dport.to_be_bytes());
    p.extend_from_slice(&((8 + data.len()) as u16).to_be_bytes());
    p.extend_from_slice(&[0, 0]);
    p.extend_from_slice(data);
    p
}

/// A TCP header without options: ports, flags, and zero elsewhere.
fn tcp(sport: u16, dport: u16, flags: u8) -> Vec<u8> {
    let mut p = std::vec![0u8; 20];
    p[..2].copy_from_slice(&sport.to_be_bytes());
    p[2..4].copy_from_slice(&dport.to_be_bytes());
    p[12] = 5 << 4;
    p[13] = flags;
    p
}

fn icmp_msg(ty: u8, code: u8, id: u16, data: &[u8]) -> Vec<u8> {
    let mut p = std::vec![ty, code, 0, 0];
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&[0, 1]);
    p.extend_from_slice(data);
    p
}

fn flow_of(p: &[u8], l3: L3) -> Tuple {
    match parse(p, l3, true) {
        Ok(Parsed::Flow { tuple, .. }) => tuple,
        other => panic!("not a flow: {other:?}"),
    }
}

#[test]
fn ipv4_udp() {
    let mut p = ipv4(ipproto::UDP, A4, B4, &udp(40000, 53, b"query"));
    fix_checksum(&mut p, L3::Ipv4, 20, ipproto::UDP);
    assert_eq!(
        parse(&p[..], L3::Ipv4, true),
        Ok(Parsed::Flow {
            tuple: Tuple::new(L3::Ipv4, ipproto::UDP, pad(&A4), pad(&B4), 40000, 53),
            l4: 20,
            tcp: Segment::default(),
        })
    );
}

#[test]
fn udp_checksum_is_checked_only_when_asked_and_present() {
    let mut p = ipv4(ipproto::UDP, A4, B4, &udp(1, 2, b"x"));
    fix_checksum(&mut p, L3::Ipv4, 20, ipproto::UDP);
    p[26] ^= 0xff;
    assert_eq!(parse(&p[..], L3::Ipv4, true), Err(Invalid::Checksum));
    assert!(parse(&p[..], L3::Ipv4, false).is_ok());
    // A zero checksum means none was computed.
    p[26..28].copy_from_slice(&[0, 0]);
    assert!(parse(&p[..], L3::Ipv4, true).is_ok());
}

#[test]
fn udp_length_field_must_fit() {
    let mut p = ipv4(ipproto::UDP, A4, B4, &udp(1, 2, b"abcd"));
    p[24..26].copy_from_slice(&13u16.to_be_bytes());
    assert_eq!(parse(&p[..], L3::Ipv4, false), Err(Invalid::Malformed));
    p[24..26].copy_from_slice(&7u16.to_be_bytes());
    assert_eq!(parse(&p[..], L3::Ipv4, false), Err(Invalid::Malformed));
    p[24..26].copy_from_slice(&12u16.to_be_bytes());
    assert!(parse(&p[..], L3::Ipv4, false).is_ok());
}

#[test]
fn ipv4_tcp_and_generic() {
    let mut tcp = std::vec![0u8; 24];
    tcp[..4].copy_from_slice(&[0x8e, 0x86, 0x01, 0xbb]);
    tcp[12] = 6 << 4;
    tcp[13] = 0x10;
    let mut p = ipv4(ipproto::TCP, A4, B4, &tcp);
    fix_checksum(&mut p, L3::Ipv4, 20, ipproto::TCP);
    assert_eq!(
        flow_of(&p, L3::Ipv4),
        Tuple::new(L3::Ipv4, ipproto::TCP, pad(&A4), pad(&B4), 36486, 443)
    );
    // Data offset below the minimum, or past the end.
    for doff in [4, 7] {
        p[32] = doff << 4;
        assert_eq!(parse(&p[..], L3::Ipv4, false), Err(Invalid::Malformed));
    }
    let gre = ipv4(47, A4, B4, &[0; 8]);
    assert_eq!(
        flow_of(&gre, L3::Ipv4),
        Tuple::new(L3::Ipv4, 47, pad(&A4), pad(&B4), 0, 0)
    );
    // A generic protocol needs no transport header at all.
    let empty = ipv4(253, A4, B4, &[]);
    assert_eq!(flow_of(&empty, L3::Ipv4).proto(), 253);
}

#[test]
fn ipv4_options_move_the_transport_header() {
    let mut p = ipv4(ipproto::UDP, A4, B4, &[]);
    p[0] = 0x46;
    p.extend_from_slice(&[1, 1, 1, 0]);
    p.extend_from_slice(&udp(7, 9, b""));
    match parse(&p[..], L3::Ipv4, false) {
        Ok(Parsed::Flow { tuple, l4, .. }) => {
            assert_eq!((tuple.src_id(), tuple.dst_id(), l4), (7, 9, 24))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_ipv4_headers_are_invalid() {
    let good = ipv4(ipproto::UDP, A4, B4, &udp(1, 2, b""));
    let mut p = good.clone();
    p[0] = 0x44;
    assert_eq!(parse(&p[..], L3::Ipv4, false), Err(Invalid::Malformed));
    p[0] = 0x55;
    assert_eq!(parse(&p[..], L3::Ipv4, false), Err(Invalid::Malformed));
    // Header length past the end of the packet.
    p[0] = 0x4f;
    assert_eq!(parse(&p[..], L3::Ipv4, false), Err(Invalid::Malformed));
    // Non-first fragment; a first fragment (MF only) parses.
    let mut p = good.clone();
    p[6..8].copy_from_slice(&0x0001u16.to_be_bytes());
    assert_eq!(parse(&p[..], L3::Ipv4, false), Err(Invalid::Fragment));
    p[6..8].copy_from_slice(&0x2000u16.to_be_bytes());
    assert!(parse(&p[..], L3::Ipv4, false).is_ok());
}

#[test]
fn every_truncation_is_rejected_without_reading_past_the_end() {
    let mut err = ipv4(ipproto::UDP, B4, A4, &udp(53, 40000, b""));
    // Quotes the ports only: every shorter packet misses something.
    err.truncate(24);
    let packets: Vec<(L3, Vec<u8>)> = std::vec![
        (L3::Ipv4, ipv4(ipproto::UDP, A4, B4, &udp(1, 2, b""))),
        (L3::Ipv4, ipv4(ipproto::TCP, A4, B4, &tcp(0, 0, 0x10))),
        (
            L3::Ipv4,
            ipv4(ipproto::ICMP, A4, B4, &icmp_msg(8, 0, 1, b""))
        ),
        (
            L3::Ipv4,
            ipv4(ipproto::ICMP, A4, B4, &icmp_msg(3, 3, 0, &err))
        ),
        (L3::Ipv6, ipv6(ipproto::UDP, A6, B6, &udp(1, 2, b""))),
        (
            L3::Ipv6,
            ipv6(
                0,
                A6,
                B6,
                &[ipproto::UDP, 0, 1, 4, 0, 0, 0, 0, 0, 1, 0, 2, 0, 8, 0, 0]
            )
        ),
    ];
    for (l3, p) in packets {
        assert!(parse(&p[..], l3, false).is_ok(), "{p:?}");
        for len in 0..p.len() {
            if let Ok(parsed) = parse(&p[..len], l3, false) {
                panic!("{len} of {} bytes parsed as {parsed:?}", p.len());
            }
        }
    }
}

#[test]
fn icmp_echo_is_a_flow_keyed_by_type_code_and_id() {
    let mut p = ipv4(ipproto::ICMP, A4, B4, &icmp_msg(8, 0, 0x1234, b"ping"));
    fix_checksum(&mut p, L3::Ipv4, 20, ipproto::ICMP);
    let t = flow_of(&p, L3::Ipv4);
    assert_eq!((t.icmp_type(), t.icmp_code(), t.src_id()), (8, 0, 0x1234));
    p[22] ^= 1;
    assert_eq!(parse(&p[..], L3::Ipv4, true), Err(Invalid::Icmp));
}

#[test]
fn icmp_unknown_type_is_an_icmp_error() {
    let p = ipv4(ipproto::ICMP, A4, B4, &icmp_msg(19, 0, 0, b""));
    assert_eq!(parse(&p[..], L3::Ipv4, false), Err(Invalid::Icmp));
}

#[test]
fn icmp_error_quotes_the_packet_it_is_about() {
    let quoted = ipv4(ipproto::UDP, A4, B4, &udp(40000, 53, b"payload"));
    let p = ipv4(ipproto::ICMP, B4, A4, &icmp_msg(3, 3, 0, &quoted[..28]));
    assert_eq!(
        parse(&p[..], L3::Ipv4, false),
        Ok(Parsed::Error {
            quoted: Tuple::new(L3::Ipv4, ipproto::UDP, pad(&A4), pad(&B4), 40000, 53),
            dst: pad(&A4)
        })
    );
    // Quoting too little of the packet to see its ports.
    let p = ipv4(ipproto::ICMP, B4, A4, &icmp_msg(3, 3, 0, &quoted[..22]));
    assert_eq!(parse(&p[..], L3::Ipv4, false), Err(Invalid::Icmp));
}

#[test]
fn icmp_over_the_wrong_family_is_invalid() {
    let p = ipv6(ipproto::ICMP, A6, B6, &icmp_msg(8, 0, 1, b""));
    assert_eq!(parse(&p[..], L3::Ipv6, false), Err(Invalid::WrongFamily));
    let p = ipv4(ipproto::ICMPV6, A4, B4, &icmp_msg(128, 0, 1, b""));
    assert_eq!(parse(&p[..], L3::Ipv4, false), Err(Invalid::WrongFamily));
}

#[test]
fn ipv6_udp_after_extension_headers() {
    // Hop-by-hop (8 bytes), destination options (16 bytes), first fragment (8 bytes), UDP.
    let mut ext = std::vec![60, 0, 1, 4, 0, 0, 0, 0];
    ext.extend_from_slice(&[44, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    ext.extend_from_slice(&[ipproto::UDP, 0, 0, 1, 0, 0, 0, 7]);
    ext.extend_from_slice(&udp(5353, 5353, b"mdns"));
    let mut p = ipv6(0, A6, B6, &ext);
    fix_checksum(&mut p, L3::Ipv6, 72, ipproto::UDP);
    assert_eq!(
        parse(&p[..], L3::Ipv6, true),
        Ok(Parsed::Flow {
            tuple: Tuple::new(L3::Ipv6, ipproto::UDP, A6, B6, 5353, 5353),
            l4: 72,
            tcp: Segment::default(),
        })
    );
    // The same fragment with a non-zero offset.
    p[40 + 8 + 16 + 2..40 + 8 + 16 + 4].copy_from_slice(&0x0008u16.to_be_bytes());
    assert_eq!(parse(&p[..], L3::Ipv6, false), Err(Invalid::Fragment));
}

#[test]
fn ipv6_no_next_header_is_malformed() {
    let p = ipv6(59, A6, B6, &[]);
    assert_eq!(parse(&p[..], L3::Ipv6, false), Err(Invalid::Malformed));
}

#[test]
fn ipv6_authentication_header_length_is_in_words() {
    // AH with payload length 4: (4 + 2) * 4 = 24 bytes.
    let mut ah = std::vec![ipproto::UDP, 4];
    ah.resize(24, 0);
    ah.extend_from_slice(&udp(1, 2, b""));
    let p = ipv6(51, A6, B6, &ah);
    match parse(&p[..], L3::Ipv6, false) {
        Ok(Parsed::Flow { l4, .. }) => assert_eq!(l4, 64),
        other => panic!("{other:?}"),
    }
}

#[test]
fn icmpv6_echo_neighbour_discovery_and_errors() {
    let mut p = ipv6(ipproto::ICMPV6, A6, B6, &icmp_msg(128, 0, 42, b""));
    fix_checksum(&mut p, L3::Ipv6, 40, ipproto::ICMPV6);
    let t = flow_of(&p, L3::Ipv6);
    assert_eq!((t.icmp_type(), t.src_id()), (128, 42));

    for ty in [130, 133, 134, 135, 136, 143] {
        let p = ipv6(ipproto::ICMPV6, A6, B6, &icmp_msg(ty, 0, 0, &[0; 16]));
        assert_eq!(
            parse(&p[..], L3::Ipv6, false),
            Ok(Parsed::Untracked),
            "type {ty}"
        );
    }

    let quoted = ipv6(ipproto::UDP, A6, B6, &udp(1000, 2000, b""));
    let p = ipv6(ipproto::ICMPV6, B6, A6, &icmp_msg(1, 4, 0, &quoted));
    assert_eq!(
        parse(&p[..], L3::Ipv6, false),
        Ok(Parsed::Error {
            quoted: Tuple::new(L3::Ipv6, ipproto::UDP, A6, B6, 1000, 2000),
            dst: A6
        })
    );
}

/// A small deterministic generator for the randomised test below.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn mutated_packets_never_panic_or_read_past_the_end() {
    let mut quoted = ipv4(ipproto::UDP, B4, A4, &udp(53, 40000, b""));
    quoted.truncate(28);
    let seeds: Vec<(L3, Vec<u8>)> = std::vec![
        (L3::Ipv4, ipv4(ipproto::UDP, A4, B4, &udp(1, 2, b"data"))),
        (L3::Ipv4, ipv4(ipproto::TCP, A4, B4, &tcp(1, 2, 2))),
        (
            L3::Ipv4,
            ipv4(ipproto::ICMP, A4, B4, &icmp_msg(3, 1, 0, &quoted))
        ),
        (
            L3::Ipv6,
            ipv6(
                0,
                A6,
                B6,
                &[60, 0, 1, 4, 0, 0, 0, 0, 44, 0, 0, 0, 0, 0, 0, 0, 17, 0, 0, 1, 0, 0, 0, 0]
            )
        ),
        (
            L3::Ipv6,
            ipv6(
                ipproto::ICMPV6,
                B6,
                A6,
                &icmp_msg(1, 4, 0, &ipv6(ipproto::UDP, A6, B6, &udp(3, 4, b"")))
            )
        ),
    ];
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for (l3, seed) in &seeds {
        for _ in 0..20_000 {
            let mut p = seed.clone();
            for _ in 0..1 + rng.next() % 4 {
                let at = (rng.next() as usize) % p.len();
                p[at] = rng.next() as u8;
            }
            p.truncate(p.len() - (rng.next() as usize % 8).min(p.len()));
            // Whatever the parser accepts, it read from the packet: the addresses and ports it
            // reports are the packet's bytes, within its length.
            match parse(&p[..], *l3, true) {
                Ok(Parsed::Flow { tuple, l4, .. }) => {
                    let (src, dst) = match l3 {
                        L3::Ipv4 => (&p[12..16], &p[16..20]),
                        L3::Ipv6 => (&p[8..24], &p[24..40]),
                    };
                    assert_eq!(&tuple.src()[..src.len()], src);
                    assert_eq!(&tuple.dst()[..dst.len()], dst);
                    let header = match tuple.proto() {
                        ipproto::TCP => 20,
                        ipproto::UDP | ipproto::ICMP | ipproto::ICMPV6 => 8,
                        _ => 0,
                    };
                    assert!(l4 + header <= p.len(), "{l4} + {header} > {}", p.len());
                    if matches!(tuple.proto(), ipproto::TCP | ipproto::UDP) {
                        assert_eq!(tuple.src_id().to_be_bytes(), p[l4..l4 + 2]);
                        assert_eq!(tuple.dst_id().to_be_bytes(), p[l4 + 2..l4 + 4]);
                    }
                }
                Ok(Parsed::Error { dst, .. }) => {
                    let want = match l3 {
                        L3::Ipv4 => &p[16..20],
                        L3::Ipv6 => &p[24..40],
                    };
                    assert_eq!(&dst[..want.len()], want);
                }
                Ok(Parsed::Untracked) | Err(_) => {}
            }
        }
    }
}

/// A TCP header with `opts` (a whole number of words) and `data` after it.
fn tcp_with(seq: u32, ack: u32, window: u16, flags: u8, opts: &[u8], data: &[u8]) -> Vec<u8> {
    assert_eq!(opts.len() % 4, 0);
    let mut p = tcp(4000, 80, flags);
    p[4..8].copy_from_slice(&seq.to_be_bytes());
    p[8..12].copy_from_slice(&ack.to_be_bytes());
    p[12] = (((20 + opts.len()) / 4) as u8) << 4;
    p[14..16].copy_from_slice(&window.to_be_bytes());
    p.extend_from_slice(opts);
    p.extend_from_slice(data);
    p
}

fn segment_of(p: &[u8], l3: L3) -> Segment {
    match parse(p, l3, false) {
        Ok(Parsed::Flow { tcp, .. }) => tcp,
        other => panic!("not a flow: {other:?}"),
    }
}

/// A SACK option's blocks, each given by its left and right edges.
fn sack_option(blocks: &[(u32, u32)]) -> Vec<u8> {
    let mut o = std::vec![5, (2 + 8 * blocks.len()) as u8];
    for (l, r) in blocks {
        o.extend_from_slice(&l.to_be_bytes());
        o.extend_from_slice(&r.to_be_bytes());
    }
    o
}

#[test]
fn tcp_segment_numbers_length_and_options() {
    // MSS, NOP, window scale 7, SACK permitted, two NOPs, a SACK option of two blocks, padding.
    let mut opts = std::vec![2, 4, 5, 0xb4, 1, 3, 3, 7, 4, 2, 1, 1];
    opts.extend(sack_option(&[(1500, 2000), (3000, 3500)]));
    opts.extend_from_slice(&[1, 1]);
    let p = ipv4(
        ipproto::TCP,
        A4,
        B4,
        &tcp_with(0xfffffff0, 1000, 512, 0x18, &opts, &[7; 100]),
    );
    let s = segment_of(&p, L3::Ipv4);
    assert_eq!(
        (s.seq, s.ack, s.window, s.flags),
        (0xfffffff0, 1000, 512, 0x18)
    );
    assert_eq!(s.data_len, 100);
    assert_eq!(s.sack, 3500);
    assert_eq!(
        s.options,
        TcpOptions {
            present: true,
            window_scale: Some(7),
            sack_permitted: true
        }
    );
    assert_eq!(s.end(), 0xfffffff0u32.wrapping_add(100));
    // Over IPv6, after the same header.
    let p = ipv6(ipproto::TCP, A6, B6, &tcp_with(5, 6, 7, 0x12, &[], b"abc"));
    let s = segment_of(&p, L3::Ipv6);
    assert_eq!((s.data_len, s.sack, s.options.present), (3, 6, false));
    assert_eq!(s.end(), 5 + 3 + 1);
}

#[test]
fn tcp_options_as_nf_conntrack_reads_them() {
    let options = |opts: &[u8], ack: u32| {
        let p = ipv4(ipproto::TCP, A4, B4, &tcp_with(1, ack, 0, 0x10, opts, &[]));
        let s = segment_of(&p, L3::Ipv4);
        (s.options, s.sack)
    };
    // A scale over 14 counts as 14; the last window scale option wins.
    let (o, _) = options(&[3, 3, 20, 0], 0);
    assert_eq!(o.window_scale, Some(14));
    let (o, _) = options(&[3, 3, 2, 1, 3, 3, 9, 0], 0);
    assert_eq!(o.window_scale, Some(9));
    // Options of the wrong size are skipped; the list ends at EOL.
    let (o, _) = options(&[3, 4, 5, 5, 4, 2, 0, 0, 3, 3, 5, 0], 0);
    assert_eq!((o.window_scale, o.sack_permitted), (None, true));
    // An option shorter than two bytes, or running past the header, ends the walk.
    let (o, _) = options(&[1, 4, 1, 1, 4, 2, 0, 0], 0);
    assert_eq!((o.present, o.sack_permitted), (true, false));
    let (o, _) = options(&[1, 1, 4, 2, 3, 5, 7, 0], 0);
    assert_eq!((o.sack_permitted, o.window_scale), (true, None));
    // Only the first well-formed SACK option counts, and only edges after the ACK.
    let mut opts = sack_option(&[(10, 90)]);
    opts.extend(sack_option(&[(10, 900)]));
    opts.extend_from_slice(&[1, 1, 1, 1]);
    assert_eq!(options(&opts, 50).1, 90);
    assert_eq!(options(&opts, 95).1, 95);
    // Across the wrap: an edge past zero comes after an ACK just below 2^32.
    let mut opts = sack_option(&[(0xffff_fff0, 20)]);
    opts.extend_from_slice(&[1, 1]);
    assert_eq!(options(&opts, 0xffff_fff0).1, 20);
    // Timestamps alone, aligned, leave only the mark that there are options; so do timestamps
    // laid out otherwise, and a SACK after timestamps still counts.
    let ts = [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2];
    let (o, sack) = options(&ts, 7);
    assert_eq!(
        (o, sack),
        (
            TcpOptions {
                present: true,
                ..TcpOptions::default()
            },
            7
        )
    );
    let (o, sack) = options(&[8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1], 7);
    assert_eq!(
        (o, sack),
        (
            TcpOptions {
                present: true,
                ..TcpOptions::default()
            },
            7
        )
    );
    let mut opts = ts.to_vec();
    opts.extend(sack_option(&[(10, 90)]));
    opts.extend_from_slice(&[1, 1]);
    assert_eq!(options(&opts, 50).1, 90);
    // A SACK option whose length is not a whole number of blocks is skipped.
    let (_, sack) = options(&[5, 6, 0, 0, 0, 99, 0, 0], 1);
    assert_eq!(sack, 1);
}

/// Fills in a UDP-Lite checksum over `cover` bytes, with UDP's pseudo-header as
/// nf_conntrack computes it.
fn fix_udplite_checksum(p: &mut [u8], l3: L3, l4: usize, cover: usize) {
    for c in 1..=0xffffu16 {
        p[l4 + 6..l4 + 8].copy_from_slice(&c.to_be_bytes());
        if p.checksum_partial_ok(l3, l4, cover, ipproto::UDP) {
            return;
        }
    }
    unreachable!();
}

#[test]
fn udplite_coverage_and_checksum() {
    let lite = |coverage: u16, data: &[u8]| {
        let mut h = udp(5004, 5006, data);
        h[4..6].copy_from_slice(&coverage.to_be_bytes());
        h
    };
    // Coverage of the header and 4 bytes of the 12: the rest may be anything.
    let mut p = ipv4(ipproto::UDPLITE, A4, B4, &lite(12, b"abcdefghijkl"));
    fix_udplite_checksum(&mut p, L3::Ipv4, 20, 12);
    assert_eq!(
        flow_of(&p, L3::Ipv4),
        Tuple::new(L3::Ipv4, ipproto::UDPLITE, pad(&A4), pad(&B4), 5004, 5006)
    );
    p[35] ^= 0xff;
    assert!(parse(&p[..], L3::Ipv4, true).is_ok());
    p[27] ^= 0xff;
    assert_eq!(parse(&p[..], L3::Ipv4, true), Err(Invalid::Checksum));
    assert!(parse(&p[..], L3::Ipv4, false).is_ok());
    // Zero coverage is the whole datagram.
    let mut p = ipv6(ipproto::UDPLITE, A6, B6, &lite(0, b"xyz"));
    fix_udplite_checksum(&mut p, L3::Ipv6, 40, 11);
    assert!(parse(&p[..], L3::Ipv6, true).is_ok());
    p[50] ^= 1;
    assert_eq!(parse(&p[..], L3::Ipv6, true), Err(Invalid::Checksum));
    // Coverage inside the header or past the end is malformed; the checksum is mandatory.
    for cov in [1, 7, 12] {
        let p = ipv4(ipproto::UDPLITE, A4, B4, &lite(cov, b"abc"));
        assert_eq!(parse(&p[..], L3::Ipv4, false), Err(Invalid::Malformed));
    }
    let mut p = ipv4(ipproto::UDPLITE, A4, B4, &lite(8, b"abc"));
    assert_eq!(parse(&p[..], L3::Ipv4, false), Err(Invalid::Checksum));
    p[27] = 1;
    assert!(parse(&p[..], L3::Ipv4, false).is_ok());
    let short = ipv4(ipproto::UDPLITE, A4, B4, &[0; 7]);
    assert_eq!(parse(&short[..], L3::Ipv4, false), Err(Invalid::Truncated));
}

#[test]
fn icmpv6_redirects_quote_the_redirected_packet() {
    let router = pad(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    let echo = ipv6(ipproto::ICMPV6, A6, B6, &icmp_msg(128, 0, 7, b"ping"));
    let redirect = |hop: u8, opt: u8, code: u8| {
        // Target and destination, then the redirected-header option around the packet.
        let mut body = std::vec![0; 32];
        body.extend_from_slice(&[opt, (1 + echo.len() / 8) as u8, 0, 0, 0, 0, 0, 0]);
        body.extend_from_slice(&echo);
        let mut p = ipv6(ipproto::ICMPV6, router, A6, &icmp_msg(137, code, 0, &body));
        p[7] = hop;
        p
    };
    assert_eq!(
        parse(&redirect(255, 4, 0)[..], L3::Ipv6, false),
        Ok(Parsed::Error {
            quoted: Tuple::new(L3::Ipv6, ipproto::ICMPV6, A6, B6, 7, 128 << 8),
            dst: A6
        })
    );
    // Not from a neighbouring router: invalid.
    assert_eq!(
        parse(&redirect(64, 4, 0)[..], L3::Ipv6, false),
        Err(Invalid::Icmp)
    );
    // Another option first, or another code: a message quoting nothing.
    for p in [redirect(255, 1, 0), redirect(255, 4, 1)] {
        assert!(matches!(
            parse(&p[..], L3::Ipv6, false),
            Ok(Parsed::Flow { .. })
        ));
    }
    // Cut inside the message: invalid.
    let p = redirect(255, 4, 0);
    assert_eq!(parse(&p[..40 + 30], L3::Ipv6, false), Err(Invalid::Icmp));
}
