// SPDX-License-Identifier: GPL-2.0

//! Rewriting packets of each protocol, both ends, IPv4 and IPv6, under each checksum state.

use super::*;
use crate::ct::nat::checksum::Summed;
use crate::ct::nat::network::{manip_packet, nat_packet, NatConn};
use crate::ct::nat::{bits, ManipType, RewriteError};
use crate::ct::status::Dir;

/// Rewrites `p` towards `target` with the checksum state `summed`.
fn rewrite(p: &mut Vec<u8>, summed: &mut Summed, target: &Tuple, manip: ManipType) {
    manip_packet(p.as_mut_slice(), summed, 0, target, manip).expect("rewritten");
}

/// The IPv4 packet of `proto` from `src:sport` to `dst:dport`, fully checksummed.
fn flow4(proto: u8, src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16) -> Vec<u8> {
    let l4 = match proto {
        ipproto::TCP => tcp(sport, dport, b"GET / HTTP/1.1\r\n"),
        ipproto::UDP | nat_proto::UDPLITE => udp(proto, sport, dport, b"query"),
        nat_proto::SCTP => sctp(sport, dport),
        nat_proto::DCCP => dccp(sport, dport),
        _ => unreachable!(),
    };
    ipv4_packet(proto, src, dst, &l4)
}

fn flow6(proto: u8, src: [u8; 16], sport: u16, dst: [u8; 16], dport: u16) -> Vec<u8> {
    let l4 = match proto {
        ipproto::TCP => tcp(sport, dport, b"GET / HTTP/1.1\r\n"),
        ipproto::UDP | nat_proto::UDPLITE => udp(proto, sport, dport, b"query"),
        nat_proto::SCTP => sctp(sport, dport),
        nat_proto::DCCP => dccp(sport, dport),
        _ => unreachable!(),
    };
    ipv6_packet(proto, src, dst, &l4)
}

const PORTED: [u8; 5] = [
    ipproto::TCP,
    ipproto::UDP,
    nat_proto::UDPLITE,
    nat_proto::SCTP,
    nat_proto::DCCP,
];

#[test]
fn every_ported_protocol_both_ends_ipv4() {
    for proto in PORTED {
        // Source NAT of the client's packet.
        let mut p = flow4(proto, CLIENT, 40000, SERVER, 443);
        let target = tuple4(proto, PUBLIC, SERVER, 61001, 443);
        let mut summed = Summed::None;
        rewrite(&mut p, &mut summed, &target, ManipType::Source);
        assert_eq!(p, flow4(proto, PUBLIC, 61001, SERVER, 443), "proto {proto}");
        assert!(ipv4_header_ok(&p, 0) && checksum_ok(&p, L3::Ipv4, 20, proto));

        // Destination NAT of a packet to the public address.
        let mut p = flow4(proto, SERVER, 5555, PUBLIC, 80);
        let target = tuple4(proto, SERVER, INSIDE, 5555, 8080);
        let mut summed = Summed::Unnecessary;
        rewrite(&mut p, &mut summed, &target, ManipType::Destination);
        assert_eq!(p, flow4(proto, SERVER, 5555, INSIDE, 8080), "proto {proto}");
        let want = if proto == nat_proto::SCTP {
            Summed::None
        } else {
            Summed::Unnecessary
        };
        assert_eq!(summed, want);
    }
}

#[test]
fn every_ported_protocol_both_ends_ipv6() {
    for proto in PORTED {
        let mut p = flow6(proto, CLIENT6, 40000, SERVER6, 443);
        let target = Tuple::new(L3::Ipv6, proto, PUBLIC6, SERVER6, 1024, 443);
        rewrite(&mut p, &mut Summed::None, &target, ManipType::Source);
        assert_eq!(
            p,
            flow6(proto, PUBLIC6, 1024, SERVER6, 443),
            "proto {proto}"
        );
        assert!(checksum_ok(&p, L3::Ipv6, 40, proto));

        let mut p = flow6(proto, SERVER6, 65535, PUBLIC6, 22);
        let target = Tuple::new(L3::Ipv6, proto, SERVER6, CLIENT6, 65535, 2222);
        rewrite(&mut p, &mut Summed::None, &target, ManipType::Destination);
        assert_eq!(
            p,
            flow6(proto, SERVER6, 65535, CLIENT6, 2222),
            "proto {proto}"
        );
    }
}

#[test]
fn a_known_tcp_syn_byte_for_byte() {
    // 10.0.0.1:40000 -> 93.184.216.34:443, SYN, no options, and the same from 192.0.2.1:61001;
    // checksums computed apart from this crate.
    let before: [u8; 40] = [
        0x45, 0x00, 0x00, 0x28, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0xe8, 0xc0, 0x0a, 0x00, 0x00,
        0x01, 0x5d, 0xb8, 0xd8, 0x22, 0x9c, 0x40, 0x01, 0xbb, 0x11, 0x22, 0x33, 0x44, 0x00, 0x00,
        0x00, 0x00, 0x50, 0x02, 0xfa, 0xf0, 0x92, 0xb4, 0x00, 0x00,
    ];
    let mut p = ipv4(ipproto::TCP, CLIENT, SERVER, &tcp(40000, 443, b""));
    fill_checksum(&mut p, L3::Ipv4, 20, ipproto::TCP);
    assert_eq!(p, before);
    let target = tuple4(ipproto::TCP, PUBLIC, SERVER, 61001, 443);
    rewrite(&mut p, &mut Summed::None, &target, ManipType::Source);
    let after: [u8; 40] = [
        0x45, 0x00, 0x00, 0x28, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0x30, 0xc0, 0xc0, 0x00, 0x02,
        0x01, 0x5d, 0xb8, 0xd8, 0x22, 0xee, 0x49, 0x01, 0xbb, 0x11, 0x22, 0x33, 0x44, 0x00, 0x00,
        0x00, 0x00, 0x50, 0x02, 0xfa, 0xf0, 0x88, 0xaa, 0x00, 0x00,
    ];
    assert_eq!(p, after);
}

#[test]
fn replies_get_the_other_end_rewritten() {
    // A source-translated connection: 10.0.0.1:40000 appears as 192.0.2.1:61001.
    let original = tuple4(ipproto::UDP, CLIENT, SERVER, 40000, 53);
    let reply = tuple4(ipproto::UDP, SERVER, PUBLIC, 53, 61001);
    let conn = NatConn {
        original: &original,
        reply: &reply,
        status: bits::SRC_NAT | bits::SRC_NAT_DONE | bits::DST_NAT_DONE,
    };
    // Outgoing at POST_ROUTING: source rewritten.
    let mut p = flow4(ipproto::UDP, CLIENT, 40000, SERVER, 53);
    nat_packet(
        p.as_mut_slice(),
        &mut Summed::None,
        &conn,
        ManipType::Source,
        Dir::Original,
    )
    .unwrap();
    assert_eq!(p, flow4(ipproto::UDP, PUBLIC, 61001, SERVER, 53));
    // The answer at PRE_ROUTING: destination rewritten back.
    let mut p = flow4(ipproto::UDP, SERVER, 53, PUBLIC, 61001);
    nat_packet(
        p.as_mut_slice(),
        &mut Summed::None,
        &conn,
        ManipType::Destination,
        Dir::Reply,
    )
    .unwrap();
    assert_eq!(p, flow4(ipproto::UDP, SERVER, 53, CLIENT, 40000));
    // Ends the connection does not translate are left alone.
    let mut p = flow4(ipproto::UDP, SERVER, 53, PUBLIC, 61001);
    let before = p.clone();
    nat_packet(
        p.as_mut_slice(),
        &mut Summed::None,
        &conn,
        ManipType::Source,
        Dir::Reply,
    )
    .unwrap();
    nat_packet(
        p.as_mut_slice(),
        &mut Summed::None,
        &conn,
        ManipType::Destination,
        Dir::Original,
    )
    .unwrap();
    assert_eq!(p, before);
}

#[test]
fn udp_without_checksum_keeps_none() {
    let mut p = ipv4(
        ipproto::UDP,
        CLIENT,
        SERVER,
        &udp(ipproto::UDP, 40000, 53, b"query"),
    );
    let target = tuple4(ipproto::UDP, PUBLIC, SERVER, 61001, 53);
    rewrite(&mut p, &mut Summed::None, &target, ManipType::Source);
    let want = ipv4(
        ipproto::UDP,
        PUBLIC,
        SERVER,
        &udp(ipproto::UDP, 61001, 53, b"query"),
    );
    assert_eq!(p, want);
    assert_eq!(&p[26..28], &[0, 0]);
}

/// A UDP packet from `src:sport` whose checksum, once its source is `PUBLIC:61001`, sums to
/// zero: two payload bytes are chosen to make it so.
fn udp_summing_to_zero_after(src: [u8; 4], sport: u16) -> Vec<u8> {
    let mut after = ipv4(
        ipproto::UDP,
        PUBLIC,
        SERVER,
        &udp(ipproto::UDP, 61001, 53, &[0, 0]),
    );
    let pseudo = pseudo_header(L3::Ipv4, &PUBLIC, &SERVER, ipproto::UDP, 10);
    let mut covered = pseudo;
    covered.extend_from_slice(&after[20..]);
    // With the payload word w, the sum is s + w; it is all ones (checksum zero) for
    // w = ~s.
    let w = !ones_sum(&covered);
    after[28..30].copy_from_slice(&w.to_be_bytes());
    let mut before = ipv4(
        ipproto::UDP,
        src,
        SERVER,
        &udp(ipproto::UDP, sport, 53, &w.to_be_bytes()),
    );
    fill_checksum(&mut before, L3::Ipv4, 20, ipproto::UDP);
    before
}

#[test]
fn a_udp_checksum_that_comes_to_zero_is_sent_as_all_ones() {
    let mut p = udp_summing_to_zero_after(CLIENT, 40000);
    assert_ne!(&p[26..28], &[0, 0]);
    let target = tuple4(ipproto::UDP, PUBLIC, SERVER, 61001, 53);
    rewrite(&mut p, &mut Summed::None, &target, ManipType::Source);
    assert_eq!(&p[26..28], &[0xff, 0xff]);
    assert!(checksum_ok(&p, L3::Ipv4, 20, ipproto::UDP));
}

#[test]
fn extreme_values_wrap_around() {
    let top = [255, 255, 255, 255];
    for proto in [ipproto::TCP, ipproto::UDP] {
        let mut p = flow4(proto, [0, 0, 0, 1], 1, top, 65535);
        let target = tuple4(proto, top, top, 65535, 65535);
        rewrite(&mut p, &mut Summed::None, &target, ManipType::Source);
        assert_eq!(p, flow4(proto, top, 65535, top, 65535));
        let target = tuple4(proto, top, [0; 4], 65535, 0);
        rewrite(&mut p, &mut Summed::None, &target, ManipType::Destination);
        assert_eq!(p, flow4(proto, top, 65535, [0; 4], 0));
        assert!(ipv4_header_ok(&p, 0));
    }
}

#[test]
fn partial_checksums_follow_the_pseudo_header_only() {
    for (l3, proto) in [
        (L3::Ipv4, ipproto::TCP),
        (L3::Ipv4, ipproto::UDP),
        (L3::Ipv6, ipproto::TCP),
        (L3::Ipv6, ipproto::UDP),
    ] {
        // The device fills in the checksum; the field holds the folded pseudo-header sum.
        let (mut p, l4, src, dst): (Vec<u8>, usize, Vec<u8>, Vec<u8>) = match l3 {
            L3::Ipv4 => (
                flow4(proto, CLIENT, 40000, SERVER, 443),
                20,
                PUBLIC.to_vec(),
                SERVER.to_vec(),
            ),
            L3::Ipv6 => (
                flow6(proto, CLIENT6, 40000, SERVER6, 443),
                40,
                PUBLIC6.to_vec(),
                SERVER6.to_vec(),
            ),
        };
        let at = l4 + checksum_offset(proto);
        let len = p.len() - l4;
        let (s0, d0) = match l3 {
            L3::Ipv4 => (CLIENT.to_vec(), SERVER.to_vec()),
            L3::Ipv6 => (CLIENT6.to_vec(), SERVER6.to_vec()),
        };
        let field = ones_sum(&pseudo_header(l3, &s0, &d0, proto, len));
        p[at..at + 2].copy_from_slice(&field.to_be_bytes());
        let target = match l3 {
            L3::Ipv4 => tuple4(proto, PUBLIC, SERVER, 61001, 443),
            L3::Ipv6 => Tuple::new(L3::Ipv6, proto, PUBLIC6, SERVER6, 61001, 443),
        };
        let mut summed = Summed::Partial;
        rewrite(&mut p, &mut summed, &target, ManipType::Source);
        let want = ones_sum(&pseudo_header(l3, &src, &dst, proto, len));
        assert_eq!(&p[at..at + 2], &want.to_be_bytes(), "{l3:?} {proto}");
        assert_eq!(&p[l4..l4 + 2], &61001u16.to_be_bytes());
        assert_eq!(summed, Summed::Partial);
    }
}

#[test]
fn partial_sctp_keeps_its_crc() {
    let mut p = flow4(nat_proto::SCTP, CLIENT, 40000, SERVER, 38412);
    let crc = p[28..32].to_vec();
    let target = tuple4(nat_proto::SCTP, PUBLIC, SERVER, 61001, 38412);
    let mut summed = Summed::Partial;
    rewrite(&mut p, &mut summed, &target, ManipType::Source);
    assert_eq!(&p[28..32], &crc[..]);
    assert_eq!(summed, Summed::Partial);
    assert!(ipv4_header_ok(&p, 0));
}

#[test]
fn complete_sums_track_the_rewrite() {
    for proto in [ipproto::TCP, ipproto::UDP, nat_proto::DCCP] {
        let mut p = flow4(proto, CLIENT, 40000, SERVER, 443);
        let mut summed = Summed::Complete {
            csum: crate::ct::nat::checksum::partial(&p, 0),
            sw_valid: false,
        };
        let target = tuple4(proto, PUBLIC, SERVER, 61001, 443);
        rewrite(&mut p, &mut summed, &target, ManipType::Source);
        let Summed::Complete { csum, .. } = summed else {
            panic!("state changed");
        };
        assert_eq!(sum_class(csum), native_sum_class(&p), "proto {proto}");
    }
    // IPv6: the address and the checksum cancel out.
    let mut p = flow6(ipproto::TCP, CLIENT6, 40000, SERVER6, 443);
    let csum = crate::ct::nat::checksum::partial(&p, 0);
    let mut summed = Summed::Complete {
        csum,
        sw_valid: false,
    };
    let target = Tuple::new(L3::Ipv6, ipproto::TCP, PUBLIC6, SERVER6, 61001, 443);
    rewrite(&mut p, &mut summed, &target, ManipType::Source);
    assert_eq!(
        summed,
        Summed::Complete {
            csum,
            sw_valid: false
        }
    );
    assert_eq!(sum_class(csum), native_sum_class(&p));
}

#[test]
fn icmp_echo_identifiers() {
    for (ty, manip) in [
        (8, ManipType::Source),
        (0, ManipType::Destination),
        (13, ManipType::Source),
    ] {
        let mut p = ipv4_packet(
            ipproto::ICMP,
            CLIENT,
            SERVER,
            &icmp_msg(ty, 0, &echo(0x1234, 7)),
        );
        let target = tuple4(ipproto::ICMP, PUBLIC, INSIDE, 0xfedc, u16::from(ty) << 8);
        rewrite(&mut p, &mut Summed::None, &target, manip);
        let (src, dst) = match manip {
            ManipType::Source => (PUBLIC, SERVER),
            ManipType::Destination => (CLIENT, INSIDE),
        };
        assert_eq!(
            p,
            ipv4_packet(ipproto::ICMP, src, dst, &icmp_msg(ty, 0, &echo(0xfedc, 7)))
        );
    }
    for (ty, manip) in [(128, ManipType::Source), (129, ManipType::Destination)] {
        let mut p = ipv6_packet(
            ipproto::ICMPV6,
            CLIENT6,
            SERVER6,
            &icmp_msg(ty, 0, &echo(1, 2)),
        );
        let target = Tuple::new(
            L3::Ipv6,
            ipproto::ICMPV6,
            PUBLIC6,
            ROUTER6,
            0,
            u16::from(ty) << 8,
        );
        rewrite(&mut p, &mut Summed::None, &target, manip);
        let (src, dst) = match manip {
            ManipType::Source => (PUBLIC6, SERVER6),
            ManipType::Destination => (CLIENT6, ROUTER6),
        };
        assert_eq!(
            p,
            ipv6_packet(ipproto::ICMPV6, src, dst, &icmp_msg(ty, 0, &echo(0, 2)))
        );
    }
}

/// An echo reply from the server to `dst` of identifier `id`, sequence number zero and no
/// data: all zeros but its checksum when `id` is zero, and then it must carry all ones.
fn empty_echo_reply(dst: [u8; 4], id: u16) -> Vec<u8> {
    let mut body = id.to_be_bytes().to_vec();
    body.extend_from_slice(&[0, 0]);
    ipv4_packet(ipproto::ICMP, SERVER, dst, &icmp_msg(0, 0, &body))
}

#[test]
fn an_icmp_message_of_zeros_gets_a_checksum_of_all_ones() {
    // The answer to a ping of identifier zero, sequence zero and no data whose identifier
    // source NAT changed, rewritten back: the incremental update, as the kernel's, gives zero.
    for mut summed in [Summed::None, Summed::Unnecessary] {
        let mut p = empty_echo_reply(PUBLIC, 0x1234);
        let target = tuple4(ipproto::ICMP, SERVER, CLIENT, 0, 0);
        rewrite(&mut p, &mut summed, &target, ManipType::Destination);
        assert_eq!(p, empty_echo_reply(CLIENT, 0));
        assert_eq!(&p[22..24], &[0xff, 0xff]);
        assert!(checksum_ok(&p, L3::Ipv4, 20, ipproto::ICMP));
    }
    // The fuzzer's: a checksum of all ones that a message of zeros but its identifier carries.
    let mut p = empty_echo_reply(PUBLIC, 0xffff);
    p[22..24].copy_from_slice(&[0xff, 0xff]);
    assert!(checksum_ok(&p, L3::Ipv4, 20, ipproto::ICMP));
    let target = tuple4(ipproto::ICMP, SERVER, CLIENT, 0, 0);
    rewrite(&mut p, &mut Summed::None, &target, ManipType::Destination);
    assert_eq!(p, empty_echo_reply(CLIENT, 0));
    // Left to the device, the field is its own.
    let mut p = empty_echo_reply(PUBLIC, 0x1234);
    p[22..24].copy_from_slice(&[0, 0]);
    rewrite(
        &mut p,
        &mut Summed::Partial,
        &target,
        ManipType::Destination,
    );
    assert_eq!(&p[22..24], &[0, 0]);
}

#[test]
fn an_icmp_checksum_that_comes_to_zero_stays_zero() {
    // Identifier all ones, the rest zero: the message sums to all ones, and a checksum of zero
    // checks out, as from scratch and as the kernel gives it.
    let mut p = empty_echo_reply(PUBLIC, 0x1234);
    let target = tuple4(ipproto::ICMP, SERVER, CLIENT, 0xffff, 0);
    rewrite(&mut p, &mut Summed::None, &target, ManipType::Destination);
    assert_eq!(p, empty_echo_reply(CLIENT, 0xffff));
    assert_eq!(&p[22..24], &[0, 0]);
}

#[test]
fn icmpv6_other_messages_get_the_pseudo_header_only() {
    // A neighbour solicitation-like message: identifier bytes left alone.
    let mut p = ipv6_packet(
        ipproto::ICMPV6,
        CLIENT6,
        SERVER6,
        &icmp_msg(135, 0, &echo(9, 9)),
    );
    let target = Tuple::new(L3::Ipv6, ipproto::ICMPV6, PUBLIC6, SERVER6, 77, 0);
    rewrite(&mut p, &mut Summed::None, &target, ManipType::Source);
    assert_eq!(
        p,
        ipv6_packet(
            ipproto::ICMPV6,
            PUBLIC6,
            SERVER6,
            &icmp_msg(135, 0, &echo(9, 9))
        )
    );
}

#[test]
fn protocols_without_ports_get_their_addresses_only() {
    let gre = [0u8, 0, 0x08, 0x00, 1, 2, 3, 4];
    let mut p = ipv4(47, CLIENT, SERVER, &gre);
    let target = tuple4(47, PUBLIC, SERVER, 0, 0);
    rewrite(&mut p, &mut Summed::None, &target, ManipType::Source);
    assert_eq!(p, ipv4(47, PUBLIC, SERVER, &gre));
    let mut p = ipv6(47, CLIENT6, SERVER6, &gre);
    let target = Tuple::new(L3::Ipv6, 47, PUBLIC6, SERVER6, 0, 0);
    rewrite(&mut p, &mut Summed::None, &target, ManipType::Source);
    assert_eq!(p, ipv6(47, PUBLIC6, SERVER6, &gre));
}

/// An IPv6 packet with hop-by-hop and destination options before its TCP segment.
fn with_options(src: [u8; 16], sport: u16) -> Vec<u8> {
    let mut rest = std::vec![60, 0, 1, 4, 0, 0, 0, 0];
    rest.extend_from_slice(&[ipproto::TCP, 1, 1, 12]);
    rest.extend_from_slice(&[0; 12]);
    rest.extend_from_slice(&tcp(sport, 443, b"x"));
    let mut p = ipv6(0, src, SERVER6, &rest);
    fill_checksum(&mut p, L3::Ipv6, 40 + 8 + 16, ipproto::TCP);
    p
}

#[test]
fn ipv6_extension_headers_are_walked() {
    let mut p = with_options(CLIENT6, 40000);
    let target = Tuple::new(L3::Ipv6, ipproto::TCP, PUBLIC6, SERVER6, 61001, 443);
    rewrite(&mut p, &mut Summed::None, &target, ManipType::Source);
    assert_eq!(p, with_options(PUBLIC6, 61001));
}

/// A fragment of a UDP datagram at 8-byte offset `offset`, with the more-fragments flag.
fn fragment(src: [u8; 16], offset: u16, body: &[u8]) -> Vec<u8> {
    let mut rest = std::vec![ipproto::UDP, 0];
    rest.extend_from_slice(&((offset << 3) | 1).to_be_bytes());
    rest.extend_from_slice(&[0xca, 0xfe, 0xba, 0xbe]);
    rest.extend_from_slice(body);
    ipv6(44, src, SERVER6, &rest)
}

#[test]
fn ipv6_fragments_other_than_the_first_keep_their_payload() {
    let body = udp(ipproto::UDP, 40000, 53, b"01234567");
    let target = Tuple::new(L3::Ipv6, ipproto::UDP, PUBLIC6, SERVER6, 61001, 53);
    let mut later = fragment(CLIENT6, 2, &body);
    rewrite(&mut later, &mut Summed::None, &target, ManipType::Source);
    assert_eq!(later, fragment(PUBLIC6, 2, &body));

    let mut first = fragment(CLIENT6, 0, &body);
    rewrite(&mut first, &mut Summed::None, &target, ManipType::Source);
    assert_eq!(&first[48..50], &61001u16.to_be_bytes());
}

#[test]
fn ipv6_without_a_next_header_gets_its_address_only() {
    let mut p = ipv6(59, CLIENT6, SERVER6, &[1, 2, 3, 4, 5, 6, 7, 8]);
    let target = Tuple::new(L3::Ipv6, ipproto::UDP, PUBLIC6, SERVER6, 61001, 53);
    rewrite(&mut p, &mut Summed::None, &target, ManipType::Source);
    assert_eq!(p, ipv6(59, PUBLIC6, SERVER6, &[1, 2, 3, 4, 5, 6, 7, 8]));
}

#[test]
fn truncated_transport_headers() {
    // Eight bytes of TCP: the ports change, the checksum is out of reach.
    let seg = tcp(40000, 443, b"");
    for (proto, l4) in [
        (ipproto::TCP, seg[..8].to_vec()),
        (nat_proto::SCTP, sctp(40000, 443)[..8].to_vec()),
        (nat_proto::DCCP, dccp(40000, 443)[..8].to_vec()),
    ] {
        let mut p = ipv4(proto, CLIENT, SERVER, &l4);
        let target = tuple4(proto, PUBLIC, SERVER, 61001, 443);
        let mut summed = Summed::None;
        rewrite(&mut p, &mut summed, &target, ManipType::Source);
        let mut want_l4 = l4.clone();
        want_l4[..2].copy_from_slice(&61001u16.to_be_bytes());
        assert_eq!(p, ipv4(proto, PUBLIC, SERVER, &want_l4), "proto {proto}");
        assert_eq!(summed, Summed::None);
    }
    // Fewer than eight: nothing NAT can rely on.
    for proto in [ipproto::TCP, ipproto::UDP, ipproto::ICMP, nat_proto::SCTP] {
        let mut p = ipv4(proto, CLIENT, SERVER, &seg[..7]);
        let target = tuple4(proto, PUBLIC, SERVER, 61001, 443);
        assert_eq!(
            manip_packet(
                p.as_mut_slice(),
                &mut Summed::None,
                0,
                &target,
                ManipType::Source
            ),
            Err(RewriteError::Unwritable)
        );
    }
    // A network header cut short.
    let mut p = std::vec![0x45u8; 19];
    let target = tuple4(ipproto::TCP, PUBLIC, SERVER, 1, 2);
    assert_eq!(
        manip_packet(
            p.as_mut_slice(),
            &mut Summed::None,
            0,
            &target,
            ManipType::Source
        ),
        Err(RewriteError::Unwritable)
    );
}

#[test]
fn no_input_makes_it_panic() {
    // Every prefix and every single-byte corruption of a few packets, every protocol as the
    // target's.
    let samples = [
        flow4(ipproto::TCP, CLIENT, 1, SERVER, 2),
        with_options(CLIENT6, 3),
        fragment(CLIENT6, 0, &udp(ipproto::UDP, 1, 2, b"abc")),
        ipv4_packet(ipproto::ICMP, CLIENT, SERVER, &icmp_msg(8, 0, &echo(1, 1))),
    ];
    for sample in samples {
        let l3 = if sample[0] >> 4 == 6 {
            L3::Ipv6
        } else {
            L3::Ipv4
        };
        for proto in [
            ipproto::TCP,
            ipproto::UDP,
            ipproto::ICMP,
            ipproto::ICMPV6,
            nat_proto::SCTP,
            nat_proto::DCCP,
            nat_proto::UDPLITE,
            0,
        ] {
            let target = Tuple::new(l3, proto, [7; 16], [9; 16], 11, 13);
            for len in 0..=sample.len() {
                for manip in [ManipType::Source, ManipType::Destination] {
                    let mut p = sample[..len].to_vec();
                    let _ = manip_packet(p.as_mut_slice(), &mut Summed::None, 0, &target, manip);
                }
            }
            for i in 0..sample.len() {
                for v in [0u8, 0x0f, 0xff] {
                    let mut p = sample.clone();
                    p[i] = v;
                    let _ = manip_packet(
                        p.as_mut_slice(),
                        &mut Summed::Partial,
                        0,
                        &target,
                        ManipType::Source,
                    );
                }
            }
        }
    }
}
