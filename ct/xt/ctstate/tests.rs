// SPDX-License-Identifier: GPL-2.0

//! The `conntrack` and `state` matches, test by test, each with and without `!`.

use super::*;
use crate::ct::status::bits::{ASSURED, CONFIRMED, SEEN_REPLY};
use crate::ct::tuple::ipproto;

fn v4(a: [u8; 4]) -> [u8; 16] {
    let mut b = [0; 16];
    b[..4].copy_from_slice(&a);
    b
}

fn mask4(bits: u32) -> [u8; 16] {
    let m = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits)
    };
    v4(m.to_be_bytes())
}

/// 10.0.1.1:40000 -> 10.0.2.2:80, answered from 10.0.2.2:80 to the masquerading 10.0.2.1:40001.
fn conn(info: CtInfo) -> ConnView {
    let orig = Tuple::new(
        L3::Ipv4,
        ipproto::TCP,
        v4([10, 0, 1, 1]),
        v4([10, 0, 2, 2]),
        40000,
        80,
    );
    let reply = Tuple::new(
        L3::Ipv4,
        ipproto::TCP,
        v4([10, 0, 2, 2]),
        v4([10, 0, 2, 1]),
        80,
        40001,
    );
    ConnView {
        info,
        tuples: [orig, reply],
        status: SEEN_REPLY | ASSURED | CONFIRMED | SRC_NAT,
        expires_secs: 431_999,
    }
}

fn rule(flag: u16) -> ConntrackRule {
    ConntrackRule {
        match_flags: flag,
        ..ConntrackRule::default()
    }
}

/// The rule and its inversion give opposite answers, the first `want`.
fn both(r: ConntrackRule, c: &ConnView, want: bool) {
    let seen = Seen::Tracked(c);
    assert_eq!(r.matches(&seen, L3::Ipv4), want, "{r:?}");
    let inverted = ConntrackRule {
        invert_flags: r.match_flags,
        ..r
    };
    assert_eq!(inverted.matches(&seen, L3::Ipv4), !want, "{inverted:?}");
}

#[test]
fn state_bits_have_the_uapi_values() {
    assert_eq!(ctinfo_bit(CtInfo::Established), 2);
    assert_eq!(ctinfo_bit(CtInfo::EstablishedReply), 2);
    assert_eq!(ctinfo_bit(CtInfo::Related), 4);
    assert_eq!(ctinfo_bit(CtInfo::RelatedReply), 4);
    assert_eq!(ctinfo_bit(CtInfo::New), 8);
    assert_eq!((state::SNAT, state::DNAT, state::UNTRACKED), (64, 128, 256));
    assert_eq!(STATE_UNTRACKED, 64);
}

#[test]
fn ctstate_of_each_packet_state() {
    let est = 2;
    for (info, bit) in [
        (CtInfo::New, 8),
        (CtInfo::Established, est),
        (CtInfo::EstablishedReply, est),
        (CtInfo::Related, 4),
    ] {
        let c = conn(info);
        let r = ConntrackRule {
            state_mask: bit,
            ..rule(flags::STATE)
        };
        both(r, &c, true);
        let other = ConntrackRule {
            state_mask: !bit & 0xe,
            ..rule(flags::STATE)
        };
        both(other, &c, false);
    }
}

#[test]
fn ctstate_snat_and_dnat_come_from_the_status() {
    let c = conn(CtInfo::Established);
    let snat = ConntrackRule {
        state_mask: state::SNAT,
        ..rule(flags::STATE)
    };
    both(snat, &c, true);
    let dnat = ConntrackRule {
        state_mask: state::DNAT,
        ..snat
    };
    both(dnat, &c, false);
    let d = ConnView {
        status: DST_NAT,
        ..c
    };
    both(dnat, &d, true);
}

#[test]
fn without_a_connection_only_the_state_is_tested() {
    let invalid = ConntrackRule {
        state_mask: state::INVALID,
        ..rule(flags::STATE)
    };
    assert!(invalid.matches(&Seen::Invalid, L3::Ipv4));
    assert!(!invalid.matches(&Seen::Untracked, L3::Ipv4));
    let untracked = ConntrackRule {
        state_mask: state::UNTRACKED,
        ..invalid
    };
    assert!(untracked.matches(&Seen::Untracked, L3::Ipv4));
    assert!(!untracked.matches(&Seen::Invalid, L3::Ipv4));
    // `! --ctstate INVALID` matches untracked packets.
    let not_invalid = ConntrackRule {
        invert_flags: flags::STATE,
        ..invalid
    };
    assert!(not_invalid.matches(&Seen::Untracked, L3::Ipv4));
    // A rule that does not test the state never matches a packet without a connection, even
    // inverted.
    let proto = ConntrackRule {
        l4proto: 6,
        invert_flags: flags::PROTO,
        ..rule(flags::PROTO)
    };
    assert!(!proto.matches(&Seen::Invalid, L3::Ipv4));
    assert!(!proto.matches(&Seen::Untracked, L3::Ipv4));
}

#[test]
fn direction() {
    let r = rule(flags::DIRECTION);
    both(r, &conn(CtInfo::Established), true);
    both(r, &conn(CtInfo::EstablishedReply), false);
    both(r, &conn(CtInfo::New), true);
    both(r, &conn(CtInfo::RelatedReply), false);
}

#[test]
fn addresses_under_masks() {
    let c = conn(CtInfo::Established);
    let at = |flag: u16, i: usize, addr: [u8; 4], bits: u32| {
        let mut r = rule(flag);
        r.addrs[i] = Masked {
            addr: v4(addr),
            mask: mask4(bits),
        };
        r
    };
    both(at(flags::ORIGSRC, 0, [10, 0, 1, 1], 32), &c, true);
    both(at(flags::ORIGSRC, 0, [10, 0, 1, 9], 32), &c, false);
    both(at(flags::ORIGSRC, 0, [10, 0, 1, 0], 24), &c, true);
    both(at(flags::ORIGDST, 1, [10, 0, 2, 2], 32), &c, true);
    both(at(flags::ORIGDST, 1, [10, 0, 1, 0], 24), &c, false);
    both(at(flags::REPLSRC, 2, [10, 0, 2, 2], 32), &c, true);
    both(at(flags::REPLDST, 3, [10, 0, 2, 1], 32), &c, true);
    both(at(flags::REPLDST, 3, [10, 0, 1, 1], 32), &c, false);
    both(at(flags::REPLDST, 3, [192, 168, 0, 0], 0), &c, true);
}

#[test]
fn ipv6_addresses_compare_all_sixteen_bytes() {
    let a = [0xfd, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let mut b = a;
    b[15] = 2;
    let orig = Tuple::new(L3::Ipv6, ipproto::UDP, a, b, 5000, 53);
    let c = ConnView {
        info: CtInfo::New,
        tuples: [orig, orig.invert().unwrap()],
        status: 0,
        expires_secs: 30,
    };
    let mut r = rule(flags::ORIGDST);
    r.addrs[1] = Masked {
        addr: b,
        mask: [0xff; 16],
    };
    let seen = Seen::Tracked(&c);
    assert!(r.matches(&seen, L3::Ipv6));
    r.addrs[1].addr = a;
    assert!(!r.matches(&seen, L3::Ipv6));
    // Under a /64 the two addresses are one network.
    r.addrs[1].mask = [0; 16];
    r.addrs[1].mask[..8].copy_from_slice(&[0xff; 8]);
    assert!(r.matches(&seen, L3::Ipv6));
}

#[test]
fn protocol() {
    let c = conn(CtInfo::Established);
    both(
        ConntrackRule {
            l4proto: 6,
            ..rule(flags::PROTO)
        },
        &c,
        true,
    );
    both(
        ConntrackRule {
            l4proto: 17,
            ..rule(flags::PROTO)
        },
        &c,
        false,
    );
}

#[test]
fn ports_single_and_ranges() {
    let c = conn(CtInfo::Established);
    let at = |flag: u16, i: usize, low: u16, high: u16| {
        let mut r = rule(flag);
        r.ports[i] = (low, high);
        r
    };
    both(at(flags::ORIGSRC_PORT, 0, 40000, 40000), &c, true);
    both(at(flags::ORIGSRC_PORT, 0, 40001, 40001), &c, false);
    both(at(flags::ORIGDST_PORT, 1, 80, 80), &c, true);
    both(at(flags::ORIGDST_PORT, 1, 1, 79), &c, false);
    both(at(flags::REPLSRC_PORT, 2, 1, 1024), &c, true);
    both(at(flags::REPLDST_PORT, 3, 40001, 40001), &c, true);
    both(at(flags::REPLDST_PORT, 3, 40002, 65535), &c, false);
}

#[test]
fn icmp_ports_are_the_identifier_and_type_and_code() {
    let orig = Tuple::new(
        L3::Ipv4,
        ipproto::ICMP,
        v4([10, 0, 1, 1]),
        v4([10, 0, 2, 2]),
        77,
        8 << 8,
    );
    let c = ConnView {
        info: CtInfo::New,
        tuples: [orig, orig.invert().unwrap()],
        status: 0,
        expires_secs: 30,
    };
    let mut r = rule(flags::ORIGSRC_PORT | flags::ORIGDST_PORT);
    r.ports[0] = (77, 77);
    r.ports[1] = (0x800, 0x800);
    assert!(r.matches(&Seen::Tracked(&c), L3::Ipv4));
}

#[test]
fn status() {
    let c = conn(CtInfo::Established);
    let with = |mask: usize| ConntrackRule {
        status_mask: mask as u16,
        ..rule(flags::STATUS)
    };
    both(with(ASSURED), &c, true);
    both(with(SRC_NAT | DST_NAT), &c, true);
    both(with(DST_NAT), &c, false);
    both(with(1), &c, false);
}

#[test]
fn expiry_in_seconds() {
    let c = conn(CtInfo::Established);
    let within = |low, high| ConntrackRule {
        expires: (low, high),
        ..rule(flags::EXPIRES)
    };
    both(within(431_999, 431_999), &c, true);
    both(within(0, 431_998), &c, false);
    both(within(100, 500_000), &c, true);
}

#[test]
fn every_test_must_pass() {
    let c = conn(CtInfo::EstablishedReply);
    let mut r = ConntrackRule {
        match_flags: flags::STATE | flags::PROTO | flags::ORIGDST_PORT | flags::DIRECTION,
        invert_flags: flags::DIRECTION,
        state_mask: 2,
        l4proto: 6,
        ..ConntrackRule::default()
    };
    r.ports[1] = (80, 80);
    let seen = Seen::Tracked(&c);
    assert!(r.matches(&seen, L3::Ipv4));
    r.ports[1] = (81, 81);
    assert!(!r.matches(&seen, L3::Ipv4));
}

#[test]
fn state_match_bits() {
    let c = conn(CtInfo::RelatedReply);
    assert_eq!(state_bit(&Seen::Tracked(&c)), 4);
    assert_eq!(state_bit(&Seen::Untracked), 64);
    assert_eq!(state_bit(&Seen::Invalid), 1);
}
