// SPDX-License-Identifier: GPL-2.0

//! ICMP and ICMPv6 errors about translated connections.

use super::*;
use crate::ct::nat::checksum::Summed;
use crate::ct::nat::icmp::{icmp_offset, translate_icmp_error};
use crate::ct::nat::network::NatConn;
use crate::ct::nat::{bits, NatHook, RewriteError};
use crate::ct::status::Dir;

const DONE: usize = bits::SRC_NAT_DONE | bits::DST_NAT_DONE;

/// An ICMP error from `src` to `dst` quoting `quoted`, with `word` in its second word.
fn error4(ty: u8, code: u8, src: [u8; 4], dst: [u8; 4], word: [u8; 4], quoted: &[u8]) -> Vec<u8> {
    let mut rest = word.to_vec();
    rest.extend_from_slice(quoted);
    ipv4_packet(ipproto::ICMP, src, dst, &icmp_msg(ty, code, &rest))
}

fn error6(ty: u8, code: u8, src: [u8; 16], dst: [u8; 16], word: [u8; 4], quoted: &[u8]) -> Vec<u8> {
    let mut rest = word.to_vec();
    rest.extend_from_slice(quoted);
    ipv6_packet(ipproto::ICMPV6, src, dst, &icmp_msg(ty, code, &rest))
}

fn translate(
    p: &mut Vec<u8>,
    summed: &mut Summed,
    l3: L3,
    conn: &NatConn<'_>,
    dir: Dir,
    hook: NatHook,
) -> Result<(), RewriteError> {
    let off = icmp_offset(p.as_slice(), l3).expect("an ICMP message");
    translate_icmp_error(p.as_mut_slice(), summed, l3, off, conn, dir, hook)
}

/// The client's UDP query to the server, as it left the client and as it left this host.
fn query(src: [u8; 4], sport: u16) -> Vec<u8> {
    ipv4_packet(
        ipproto::UDP,
        src,
        SERVER,
        &udp(ipproto::UDP, sport, 53, b"query"),
    )
}

struct Snat {
    original: Tuple,
    reply: Tuple,
}

impl Snat {
    fn v4(proto: u8, dport: u16) -> Self {
        Self {
            original: tuple4(proto, CLIENT, SERVER, 40000, dport),
            reply: tuple4(proto, SERVER, PUBLIC, dport, 61001),
        }
    }

    fn conn(&self) -> NatConn<'_> {
        NatConn {
            original: &self.original,
            reply: &self.reply,
            status: bits::SRC_NAT | DONE,
        }
    }
}

#[test]
fn port_unreachable_about_a_source_translated_flow() {
    let snat = Snat::v4(ipproto::UDP, 53);
    // The whole datagram quoted, and only its first eight bytes.
    for quoted_len in [usize::MAX, 28] {
        let cut = |p: Vec<u8>| p[..quoted_len.min(p.len())].to_vec();
        let mut p = error4(3, 3, SERVER, PUBLIC, [0; 4], &cut(query(PUBLIC, 61001)));
        let mut summed = Summed::None;
        translate(
            &mut p,
            &mut summed,
            L3::Ipv4,
            &snat.conn(),
            Dir::Reply,
            NatHook::PreRouting,
        )
        .unwrap();
        let want = error4(3, 3, SERVER, CLIENT, [0; 4], &cut(query(CLIENT, 40000)));
        assert_eq!(p, want, "quoting {quoted_len}");
        assert!(ipv4_header_ok(&p, 0) && ipv4_header_ok(&p, 28));
        assert!(matches!(summed, Summed::Complete { sw_valid: true, .. }));
    }
}

#[test]
fn fragmentation_needed_quoting_a_tcp_segment() {
    let snat = Snat::v4(ipproto::TCP, 443);
    let segment =
        |src, sport| ipv4_packet(ipproto::TCP, src, SERVER, &tcp(sport, 443, &[0x42; 64]));
    let mtu = [0, 0, 0x05, 0x78];
    // The router quotes the header and 28 bytes of the segment: the whole TCP header, whose
    // checksum is rewritten too, though the data it covers is cut.
    let quoted = |src, sport| segment(src, sport)[..48].to_vec();
    let mut p = error4(3, 4, ROUTER, PUBLIC, mtu, &quoted(PUBLIC, 61001));
    translate(
        &mut p,
        &mut Summed::Unnecessary,
        L3::Ipv4,
        &snat.conn(),
        Dir::Reply,
        NatHook::PreRouting,
    )
    .unwrap();
    assert_eq!(p, error4(3, 4, ROUTER, CLIENT, mtu, &quoted(CLIENT, 40000)));
    // The quoted checksum is the one the client's whole segment carries.
    assert_eq!(&p[28 + 36..28 + 38], &segment(CLIENT, 40000)[36..38]);
}

#[test]
fn errors_from_a_destination_translated_server() {
    // The client reached 192.0.2.1:80, translated to 10.0.0.80:8080.
    let original = tuple4(ipproto::UDP, SERVER, PUBLIC, 5555, 80);
    let reply = tuple4(ipproto::UDP, INSIDE, SERVER, 8080, 5555);
    let conn = NatConn {
        original: &original,
        reply: &reply,
        status: bits::DST_NAT | DONE,
    };
    let sent = |dst, dport| {
        ipv4_packet(
            ipproto::UDP,
            SERVER,
            dst,
            &udp(ipproto::UDP, 5555, dport, b"q"),
        )
    };
    let mut p = error4(3, 3, INSIDE, SERVER, [0; 4], &sent(INSIDE, 8080));
    translate(
        &mut p,
        &mut Summed::None,
        L3::Ipv4,
        &conn,
        Dir::Reply,
        NatHook::PostRouting,
    )
    .unwrap();
    assert_eq!(p, error4(3, 3, PUBLIC, SERVER, [0; 4], &sent(PUBLIC, 80)));
}

#[test]
fn time_exceeded_quoting_an_echo_request() {
    let original = tuple4(ipproto::ICMP, CLIENT, SERVER, 0x1234, 8 << 8);
    let reply = tuple4(ipproto::ICMP, SERVER, PUBLIC, 0x9999, 0);
    let conn = NatConn {
        original: &original,
        reply: &reply,
        status: bits::SRC_NAT | DONE,
    };
    let ping = |src, id| ipv4_packet(ipproto::ICMP, src, SERVER, &icmp_msg(8, 0, &echo(id, 1)));
    let mut p = error4(11, 0, ROUTER, PUBLIC, [0; 4], &ping(PUBLIC, 0x9999));
    translate(
        &mut p,
        &mut Summed::None,
        L3::Ipv4,
        &conn,
        Dir::Reply,
        NatHook::PreRouting,
    )
    .unwrap();
    assert_eq!(
        p,
        error4(11, 0, ROUTER, CLIENT, [0; 4], &ping(CLIENT, 0x1234))
    );
}

#[test]
fn packet_too_big_over_ipv6() {
    let original = Tuple::new(L3::Ipv6, ipproto::TCP, CLIENT6, SERVER6, 40000, 443);
    let reply = Tuple::new(L3::Ipv6, ipproto::TCP, SERVER6, PUBLIC6, 443, 61001);
    let conn = NatConn {
        original: &original,
        reply: &reply,
        status: bits::SRC_NAT | DONE,
    };
    let segment = |src, sport| ipv6_packet(ipproto::TCP, src, SERVER6, &tcp(sport, 443, &[7; 100]));
    let mtu = 1280u32.to_be_bytes();
    let mut p = error6(2, 0, ROUTER6, PUBLIC6, mtu, &segment(PUBLIC6, 61001));
    let mut summed = Summed::None;
    translate(
        &mut p,
        &mut summed,
        L3::Ipv6,
        &conn,
        Dir::Reply,
        NatHook::PreRouting,
    )
    .unwrap();
    assert_eq!(
        p,
        error6(2, 0, ROUTER6, CLIENT6, mtu, &segment(CLIENT6, 40000))
    );
    assert!(checksum_ok(&p, L3::Ipv6, 40, ipproto::ICMPV6));

    // Port unreachable from the server itself, behind a destination options header.
    let mut p = error6(1, 4, SERVER6, PUBLIC6, [0; 4], &segment(PUBLIC6, 61001));
    p[6] = 60;
    p.splice(40..40, [ipproto::ICMPV6, 0, 1, 4, 0, 0, 0, 0]);
    let payload_len = (p.len() - 40) as u16;
    p[4..6].copy_from_slice(&payload_len.to_be_bytes());
    fill_checksum(&mut p, L3::Ipv6, 48, ipproto::ICMPV6);
    assert_eq!(icmp_offset(p.as_slice(), L3::Ipv6), Some(48));
    translate(
        &mut p,
        &mut Summed::None,
        L3::Ipv6,
        &conn,
        Dir::Reply,
        NatHook::PreRouting,
    )
    .unwrap();
    assert_eq!(&p[8 + 40 + 8 + 8..8 + 40 + 8 + 24], &CLIENT6);
    assert_eq!(&p[24..40], &CLIENT6);
    assert!(checksum_ok(&p, L3::Ipv6, 48, ipproto::ICMPV6));
}

#[test]
fn partial_errors_keep_their_icmp_checksum() {
    let snat = Snat::v4(ipproto::UDP, 53);
    let mut p = error4(3, 3, SERVER, PUBLIC, [0; 4], &query(PUBLIC, 61001));
    let icmp_check = p[22..24].to_vec();
    let before = p.clone();
    let mut summed = Summed::Partial;
    translate(
        &mut p,
        &mut summed,
        L3::Ipv4,
        &snat.conn(),
        Dir::Reply,
        NatHook::PreRouting,
    )
    .unwrap();
    let mut want = error4(3, 3, SERVER, CLIENT, [0; 4], &query(CLIENT, 40000));
    want[22..24].copy_from_slice(&icmp_check);
    // The state is the packet's, so the quoted checksum is updated as a partial one would
    // be: for the address alone, without complementing.
    let mut covered = before[54..56].to_vec();
    covered.extend(PUBLIC.iter().map(|b| !b));
    covered.extend_from_slice(&CLIENT);
    want[54..56].copy_from_slice(&ones_sum(&covered).to_be_bytes());
    assert_eq!(p, want);
    assert_eq!(summed, Summed::Partial);
}

#[test]
fn a_bad_checksum_is_refused_unless_vouched_for() {
    let snat = Snat::v4(ipproto::UDP, 53);
    let mut bad = error4(3, 3, SERVER, PUBLIC, [0; 4], &query(PUBLIC, 61001));
    bad[22] ^= 1;
    for hook in [NatHook::PreRouting, NatHook::PostRouting] {
        let mut p = bad.clone();
        assert_eq!(
            translate(
                &mut p,
                &mut Summed::None,
                L3::Ipv4,
                &snat.conn(),
                Dir::Reply,
                hook
            ),
            Err(RewriteError::BadChecksum)
        );
    }
    // A device's complete sum is checked at input hooks only.
    let csum = crate::ct::nat::checksum::partial(&bad, 0);
    let mut summed = Summed::Complete {
        csum,
        sw_valid: false,
    };
    let mut p = bad.clone();
    assert_eq!(
        translate(
            &mut p,
            &mut summed,
            L3::Ipv4,
            &snat.conn(),
            Dir::Reply,
            NatHook::PreRouting
        ),
        Err(RewriteError::BadChecksum)
    );
    let mut p = bad.clone();
    let mut summed = Summed::Complete {
        csum,
        sw_valid: false,
    };
    assert!(translate(
        &mut p,
        &mut summed,
        L3::Ipv4,
        &snat.conn(),
        Dir::Reply,
        NatHook::PostRouting
    )
    .is_ok());
    let mut p = bad.clone();
    assert!(translate(
        &mut p,
        &mut Summed::Unnecessary,
        L3::Ipv4,
        &snat.conn(),
        Dir::Reply,
        NatHook::PreRouting
    )
    .is_ok());

    // IPv6: a corrupted packet too big.
    let original = Tuple::new(L3::Ipv6, ipproto::UDP, CLIENT6, SERVER6, 1, 2);
    let reply = Tuple::new(L3::Ipv6, ipproto::UDP, SERVER6, PUBLIC6, 2, 3);
    let conn = NatConn {
        original: &original,
        reply: &reply,
        status: bits::SRC_NAT | DONE,
    };
    let mut p = error6(
        2,
        0,
        ROUTER6,
        PUBLIC6,
        [0; 4],
        &ipv6_packet(
            ipproto::UDP,
            PUBLIC6,
            SERVER6,
            &udp(ipproto::UDP, 3, 2, b""),
        ),
    );
    p[43] ^= 0x80;
    assert_eq!(
        translate(
            &mut p,
            &mut Summed::None,
            L3::Ipv6,
            &conn,
            Dir::Reply,
            NatHook::PreRouting
        ),
        Err(RewriteError::BadChecksum)
    );
}

#[test]
fn a_good_complete_sum_becomes_unnecessary_at_input() {
    let snat = Snat::v4(ipproto::UDP, 53);
    let mut p = error4(3, 3, SERVER, PUBLIC, [0; 4], &query(PUBLIC, 61001));
    let mut summed = Summed::Complete {
        csum: crate::ct::nat::checksum::partial(&p, 0),
        sw_valid: false,
    };
    translate(
        &mut p,
        &mut summed,
        L3::Ipv4,
        &snat.conn(),
        Dir::Reply,
        NatHook::PreRouting,
    )
    .unwrap();
    assert_eq!(summed, Summed::Unnecessary);
    assert_eq!(
        p,
        error4(3, 3, SERVER, CLIENT, [0; 4], &query(CLIENT, 40000))
    );

    let original = Tuple::new(L3::Ipv6, ipproto::UDP, CLIENT6, SERVER6, 1, 2);
    let reply = Tuple::new(L3::Ipv6, ipproto::UDP, SERVER6, PUBLIC6, 2, 3);
    let conn = NatConn {
        original: &original,
        reply: &reply,
        status: bits::SRC_NAT | DONE,
    };
    let sent = |src, sport| {
        ipv6_packet(
            ipproto::UDP,
            src,
            SERVER6,
            &udp(ipproto::UDP, sport, 2, b"abc"),
        )
    };
    let mut p = error6(1, 4, SERVER6, PUBLIC6, [0; 4], &sent(PUBLIC6, 3));
    let mut summed = Summed::Complete {
        csum: crate::ct::nat::checksum::partial(&p, 0),
        sw_valid: false,
    };
    translate(
        &mut p,
        &mut summed,
        L3::Ipv6,
        &conn,
        Dir::Reply,
        NatHook::PreRouting,
    )
    .unwrap();
    assert_eq!(summed, Summed::Unnecessary);
    assert_eq!(p, error6(1, 4, SERVER6, CLIENT6, [0; 4], &sent(CLIENT6, 1)));
}

#[test]
fn checking_in_software_leaves_a_complete_sum() {
    let original = Tuple::new(L3::Ipv6, ipproto::UDP, CLIENT6, SERVER6, 1, 2);
    let reply = Tuple::new(L3::Ipv6, ipproto::UDP, SERVER6, PUBLIC6, 2, 3);
    let conn = NatConn {
        original: &original,
        reply: &reply,
        status: bits::SRC_NAT | DONE,
    };
    let mut p = error6(
        1,
        4,
        SERVER6,
        PUBLIC6,
        [0; 4],
        &ipv6_packet(
            ipproto::UDP,
            PUBLIC6,
            SERVER6,
            &udp(ipproto::UDP, 3, 2, b""),
        ),
    );
    let whole = native_sum_class(&p);
    let mut summed = Summed::None;
    translate(
        &mut p,
        &mut summed,
        L3::Ipv6,
        &conn,
        Dir::Reply,
        NatHook::PreRouting,
    )
    .unwrap();
    let Summed::Complete { csum, sw_valid } = summed else {
        panic!("not complete: {summed:?}");
    };
    // The sum of the packet as it was checked; IPv6 rewrites leave it as it is.
    assert!(sw_valid);
    assert_eq!(sum_class(csum), whole);
}

#[test]
fn redirects_pass_only_for_untranslated_connections() {
    let snat = Snat::v4(ipproto::UDP, 53);
    let mut p = error4(5, 1, ROUTER, PUBLIC, PUBLIC, &query(PUBLIC, 61001));
    assert_eq!(
        translate(
            &mut p,
            &mut Summed::None,
            L3::Ipv4,
            &snat.conn(),
            Dir::Reply,
            NatHook::PreRouting
        ),
        Err(RewriteError::Redirect)
    );
    let original = tuple4(ipproto::UDP, CLIENT, SERVER, 1, 2);
    let reply = tuple4(ipproto::UDP, SERVER, CLIENT, 2, 1);
    for (status, verdict) in [
        (DONE, Ok(())),
        (bits::SRC_NAT_DONE, Err(RewriteError::Redirect)),
    ] {
        let conn = NatConn {
            original: &original,
            reply: &reply,
            status,
        };
        let mut p = error4(5, 1, ROUTER, CLIENT, PUBLIC, &query(CLIENT, 1));
        let before = p.clone();
        assert_eq!(
            translate(
                &mut p,
                &mut Summed::None,
                L3::Ipv4,
                &conn,
                Dir::Reply,
                NatHook::PreRouting
            ),
            verdict
        );
        assert_eq!(p, before);
    }
}

#[test]
fn an_untranslated_end_is_left_alone() {
    let snat = Snat::v4(ipproto::UDP, 53);
    // A source-translated connection's reply at POST_ROUTING, where sources are translated.
    let mut p = error4(3, 3, SERVER, PUBLIC, [0; 4], &query(PUBLIC, 61001));
    let before = p.clone();
    translate(
        &mut p,
        &mut Summed::None,
        L3::Ipv4,
        &snat.conn(),
        Dir::Reply,
        NatHook::PostRouting,
    )
    .unwrap();
    assert_eq!(p, before);
}

#[test]
fn short_errors_are_refused() {
    let snat = Snat::v4(ipproto::UDP, 53);
    let full = error4(3, 3, SERVER, PUBLIC, [0; 4], &query(PUBLIC, 61001));
    for len in [20, 27, 47] {
        let mut p = full[..len].to_vec();
        p[2..4].copy_from_slice(&(len as u16).to_be_bytes());
        let off = 20;
        assert_eq!(
            translate_icmp_error(
                p.as_mut_slice(),
                &mut Summed::None,
                L3::Ipv4,
                off,
                &snat.conn(),
                Dir::Reply,
                NatHook::PreRouting
            ),
            Err(RewriteError::Unwritable),
            "length {len}"
        );
    }
    // Every prefix and corruption: never a panic.
    for len in 0..full.len() {
        let mut p = full[..len].to_vec();
        let _ = translate_icmp_error(
            p.as_mut_slice(),
            &mut Summed::None,
            L3::Ipv4,
            20,
            &snat.conn(),
            Dir::Reply,
            NatHook::PreRouting,
        );
    }
    for i in 0..full.len() {
        let mut p = full.clone();
        p[i] = 0xff;
        let _ = translate_icmp_error(
            p.as_mut_slice(),
            &mut Summed::Unnecessary,
            L3::Ipv4,
            20,
            &snat.conn(),
            Dir::Reply,
            NatHook::PreRouting,
        );
        let _ = translate_icmp_error(
            p.as_mut_slice(),
            &mut Summed::None,
            L3::Ipv6,
            20,
            &snat.conn(),
            Dir::Reply,
            NatHook::PreRouting,
        );
    }
    let _ = translate_icmp_error(
        full.clone().as_mut_slice(),
        &mut Summed::None,
        L3::Ipv4,
        usize::MAX,
        &snat.conn(),
        Dir::Reply,
        NatHook::PreRouting,
    );
}

#[test]
fn icmp_offsets() {
    assert_eq!(icmp_offset(query(CLIENT, 1).as_slice(), L3::Ipv4), None);
    let err = error4(3, 3, SERVER, PUBLIC, [0; 4], &query(PUBLIC, 1));
    assert_eq!(icmp_offset(err.as_slice(), L3::Ipv4), Some(20));
    let tcp6 = ipv6_packet(ipproto::TCP, CLIENT6, SERVER6, &tcp(1, 2, b""));
    assert_eq!(icmp_offset(tcp6.as_slice(), L3::Ipv6), None);
    assert_eq!(icmp_offset([0u8; 3].as_slice(), L3::Ipv4), None);
}

#[test]
fn a_quote_of_eight_transport_bytes_has_its_ports_rewritten_only() {
    let snat = Snat::v4(ipproto::TCP, 443);
    let quoted = |src, sport| {
        let p = ipv4_packet(ipproto::TCP, src, SERVER, &tcp(sport, 443, b"data"));
        p[..28].to_vec()
    };
    let mut p = error4(3, 1, ROUTER, PUBLIC, [0; 4], &quoted(PUBLIC, 61001));
    translate(
        &mut p,
        &mut Summed::None,
        L3::Ipv4,
        &snat.conn(),
        Dir::Reply,
        NatHook::PreRouting,
    )
    .unwrap();
    assert_eq!(
        p,
        error4(3, 1, ROUTER, CLIENT, [0; 4], &quoted(CLIENT, 40000))
    );
}

#[test]
fn a_quoted_sctp_packet_has_its_crc_recomputed_over_the_quote() {
    let original = tuple4(nat_proto::SCTP, CLIENT, SERVER, 40000, 38412);
    let reply = tuple4(nat_proto::SCTP, SERVER, PUBLIC, 38412, 61001);
    let conn = NatConn {
        original: &original,
        reply: &reply,
        status: bits::SRC_NAT | DONE,
    };
    let quoted = |src, sport| {
        let mut q = ipv4_packet(nat_proto::SCTP, src, SERVER, &sctp(sport, 38412));
        q.truncate(20 + 16);
        q
    };
    let mut p = error4(3, 3, SERVER, PUBLIC, [0; 4], &quoted(PUBLIC, 61001));
    let mut summed = Summed::None;
    translate(
        &mut p,
        &mut summed,
        L3::Ipv4,
        &conn,
        Dir::Reply,
        NatHook::PreRouting,
    )
    .unwrap();
    // nf_nat computes the CRC over what the error carries, from the quoted header to its end.
    let mut want_quote = quoted(CLIENT, 40000);
    want_quote[28..32].copy_from_slice(&[0; 4]);
    let crc = crc32c_bitwise(&want_quote[20..]);
    want_quote[28..32].copy_from_slice(&crc.to_le_bytes());
    assert_eq!(p, error4(3, 3, SERVER, CLIENT, [0; 4], &want_quote));
    assert_eq!(summed, Summed::None);
}
