// SPDX-License-Identifier: GPL-2.0

//! Dump and flush filters: parsing, and which connections they admit.

use super::super::attr::F_NESTED;
use super::super::cta::{self, filter_flags as ff};
use super::super::errno::Errno;
use super::super::filter::Filter;
use super::super::ips;
use super::super::msg::{flags, Op};
use super::super::request::Action;
use super::super::snapshot::Zone;
use super::requests::action;
use super::support::*;
use crate::ct::tuple::{ipproto, Tuple, L3};
use std::vec::Vec;

fn filter(family: u8, attrs: &[Vec<u8>]) -> Result<Option<Filter>, Errno> {
    let msg = request(Op::Get as u8, flags::REQUEST | flags::DUMP, family, attrs);
    match action(&msg)? {
        Action::Dump { filter, .. } => Ok(filter),
        _ => panic!(),
    }
}

fn be32(kind: u16, v: u32) -> Vec<u8> {
    attr(kind, &v.to_be_bytes())
}

fn flags_attr(orig: u32, reply: u32) -> Vec<u8> {
    nest(
        cta::FILTER,
        &[
            attr(cta::filter::ORIG_FLAGS, &orig.to_ne_bytes()),
            attr(cta::filter::REPLY_FLAGS, &reply.to_ne_bytes()),
        ],
    )
}

#[test]
fn no_filter_without_criteria() {
    assert_eq!(filter(0, &[]), Ok(None));
    // A mark mask alone is no criterion, and no error either.
    assert_eq!(filter(0, &[be32(cta::MARK_MASK, 1)]), Ok(None));
    assert_eq!(filter(2, &[be32(cta::MARK_MASK, 1)]), Err(Errno::EINVAL));
    assert_eq!(filter(2, &[be32(cta::STATUS_MASK, 1)]), Err(Errno::EINVAL));
    assert_eq!(filter(0, &[be32(cta::STATUS, 0)]), Err(Errno::EINVAL));
}

#[test]
fn family_mark_status_and_zone() {
    let udp = udp6_zone();
    let tcp = tcp4_established();
    let f = filter(2, &[]).unwrap().unwrap();
    assert!(f.matches(&tcp) && !f.matches(&udp));
    let f = filter(0, &[be32(cta::MARK, 42)]).unwrap().unwrap();
    assert!(f.matches(&tcp) && !f.matches(&udp));
    let f = filter(0, &[be32(cta::MARK, 0), be32(cta::MARK_MASK, 0xf0)])
        .unwrap()
        .unwrap();
    assert!(!f.matches(&tcp) && f.matches(&udp));
    let f = filter(0, &[be32(cta::STATUS, ips::ASSURED)])
        .unwrap()
        .unwrap();
    assert!(f.matches(&tcp) && !f.matches(&udp));
    let f = filter(
        0,
        &[be32(cta::STATUS, 0), be32(cta::STATUS_MASK, ips::ASSURED)],
    )
    .unwrap();
    assert!(!f.unwrap().matches(&tcp));
    let f = filter(0, &[attr(cta::ZONE, &[0, 5])]).unwrap().unwrap();
    assert!(!f.matches(&tcp) && f.matches(&udp));
    // The zone of any direction.
    let mut z = tcp4_established();
    z.zone = Zone { id: 5, dir: 2 };
    assert!(f.matches(&z));
}

#[test]
fn tuple_fields_by_flags() {
    let t = tcp4_established();
    let orig = |sport| tcp4_tuple(cta::TUPLE_ORIG, [10, 0, 0, 1], [10, 0, 0, 9], sport, 80);
    let f = |fl, sport| {
        filter(2, &[orig(sport), flags_attr(fl, 0)])
            .unwrap()
            .unwrap()
    };
    assert!(f(ff::IP_SRC, 1).matches(&t));
    assert!(!f(ff::IP_SRC | ff::IP_DST, 1).matches(&t));
    assert!(f(ff::IP_SRC | ff::PROTO_NUM | ff::PROTO_DST_PORT, 1).matches(&t));
    assert!(!f(ff::PROTO_NUM | ff::PROTO_SRC_PORT, 1).matches(&t));
    assert!(f(ff::PROTO_NUM | ff::PROTO_SRC_PORT, 40000).matches(&t));
    // ICMP flags mean nothing to a TCP connection.
    assert!(f(
        ff::PROTO_NUM | ff::PROTO_ICMP_TYPE | ff::PROTO_ICMP_ID,
        40000
    )
    .matches(&t));
    // The reply direction's fields.
    let reply = tcp4_tuple(cta::TUPLE_REPLY, [10, 0, 0, 2], [10, 0, 0, 1], 80, 40000);
    let fr = filter(2, &[reply, flags_attr(0, ff::ALL)])
        .unwrap()
        .unwrap();
    assert!(fr.matches(&t) && fr.orig.is_none());
    // ICMP, over a real ICMP connection.
    let icmp = icmp4_orig_zone();
    let icmp_tuple = nest(
        cta::TUPLE_ORIG,
        &[nest(
            cta::tuple::PROTO,
            &[
                attr(cta::proto::NUM, &[ipproto::ICMP]),
                attr(cta::proto::ICMP_TYPE, &[8]),
                attr(cta::proto::ICMP_ID, &[0x12, 0x35]),
            ],
        )],
    );
    let fl = ff::PROTO_NUM | ff::PROTO_ICMP_TYPE;
    let fi = filter(2, &[icmp_tuple.clone(), flags_attr(fl, 0)])
        .unwrap()
        .unwrap();
    assert!(fi.matches(&icmp) && !fi.matches(&t));
    let fi = filter(2, &[icmp_tuple, flags_attr(fl | ff::PROTO_ICMP_ID, 0)]).unwrap();
    assert!(!fi.unwrap().matches(&icmp));
}

#[test]
fn filter_errors() {
    let orig = tcp4_tuple(cta::TUPLE_ORIG, [1; 4], [2; 4], 1, 2);
    // Flags without their tuple, without a family, port flags without the protocol.
    assert_eq!(filter(2, &[flags_attr(ff::IP_SRC, 0)]), Err(Errno::EINVAL));
    assert_eq!(
        filter(2, &[orig.clone(), flags_attr(0, ff::IP_SRC)]),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        filter(2, &[orig.clone(), flags_attr(ff::PROTO_SRC_PORT, 0)]),
        Err(Errno::EINVAL)
    );
    let mut no_family = request(Op::Get as u8, flags::REQUEST | flags::DUMP, 0, &[]);
    no_family.truncate(20);
    let with = [orig.clone(), flags_attr(ff::IP_SRC, 0)];
    assert_eq!(filter(0, &with), Err(Errno::EOPNOTSUPP));
    // The filter attribute is parsed strictly: unknown types, wrong lengths, stray bytes.
    let strict = [
        nest(cta::FILTER, &[attr(3, &[0; 4])]),
        nest(cta::FILTER, &[attr(cta::filter::ORIG_FLAGS, &[0; 8])]),
        nest(
            cta::FILTER,
            &[attr(cta::filter::ORIG_FLAGS | F_NESTED, &[0; 4])],
        ),
        [nest(cta::FILTER, &[]), std::vec![1, 0, 0, 0]].concat(),
    ];
    for (i, f) in strict.into_iter().enumerate() {
        let f = if i == 3 {
            // Stray bytes inside the filter attribute itself.
            let mut v = nest(cta::FILTER, &[]);
            v[0] += 4;
            v.extend([0, 0, 0, 0]);
            v
        } else {
            f
        };
        assert_eq!(
            filter(2, &[orig.clone(), f]),
            Err(Errno::EINVAL),
            "case {i}"
        );
    }
    // An empty filter is a filter on the family alone.
    assert_eq!(
        filter(2, &[nest(cta::FILTER, &[])]).unwrap().unwrap().orig,
        None
    );
}

#[test]
fn ipv6_filters_compare_whole_addresses() {
    let c = udp6_zone();
    let ip6 = |last| {
        nest(
            cta::tuple::IP,
            &[
                attr(cta::ip::V6_SRC, &v6(last)),
                attr(cta::ip::V6_DST, &v6(2)),
            ],
        )
    };
    let f = |last| {
        filter(
            10,
            &[
                nest(cta::TUPLE_ORIG, &[ip6(last)]),
                flags_attr(ff::IP_SRC | ff::IP_DST, 0),
            ],
        )
        .unwrap()
        .unwrap()
    };
    assert!(f(1).matches(&c));
    assert!(!f(3).matches(&c));
    let other = Tuple::new(L3::Ipv6, ipproto::UDP, v6(1), v6(2), 1, 1);
    let mut c2 = c;
    c2.orig = other;
    assert!(f(1).matches(&c2));
}
