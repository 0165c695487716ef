// SPDX-License-Identifier: GPL-2.0

//! Requests: their headers, tuples, zones and what they ask for.

use super::super::cta;
use super::super::errno::Errno;
use super::super::msg::{flags, Op};
use super::super::nat::{Manip, NatRange};
use super::super::request::{Action, Key, Request};
use super::super::snapshot::Zone;
use super::support::*;
use crate::ct::tuple::{ipproto, Tuple, L3};
use std::vec::Vec;

const REQ: u16 = flags::REQUEST | flags::ACK;
const NEW: u8 = Op::New as u8;
const GET: u8 = Op::Get as u8;
const DELETE: u8 = Op::Delete as u8;

/// Decodes a request; message and request are leaked, for the action to borrow them.
pub(crate) fn action(msg: &[u8]) -> Result<Action<'static>, Errno> {
    let msg: &'static [u8] = Vec::leak(msg.to_vec());
    let req: &'static Request<'static> =
        std::boxed::Box::leak(std::boxed::Box::new(Request::parse(msg)?));
    req.action()
}

fn key(msg: &[u8]) -> Result<Key, Errno> {
    match action(msg)? {
        Action::Get { key, .. } | Action::Delete { key, .. } => Ok(key),
        _ => panic!("not a lookup"),
    }
}

fn tcp4(a: [u8; 4], b: [u8; 4], sp: u16, dp: u16) -> Tuple {
    Tuple::new(L3::Ipv4, ipproto::TCP, v4(a), v4(b), sp, dp)
}

#[test]
fn headers_that_do_not_hold_are_rejected() {
    let good = request(GET, REQ, 2, &[]);
    assert!(Request::parse(&good).is_ok());
    assert_eq!(Request::parse(&good[..19]).err(), Some(Errno::EINVAL));
    let mut long = good.clone();
    long[0] = 21;
    assert_eq!(Request::parse(&long).err(), Some(Errno::EINVAL));
    let mut short = good.clone();
    short[0] = 19;
    assert_eq!(Request::parse(&short).err(), Some(Errno::EINVAL));
    // Another subsystem, an operation past the last.
    let mut other = good.clone();
    other[5] = 2;
    assert_eq!(Request::parse(&other).err(), Some(Errno::EINVAL));
    let mut op = good.clone();
    op[4] = 8;
    assert_eq!(Request::parse(&op).err(), Some(Errno::EINVAL));
    // The message's own length bounds it: bytes after it are not its attributes.
    let mut trailing = good;
    trailing.extend(attr(cta::STATUS, &[1]));
    assert!(Request::parse(&trailing).is_ok());
}

#[test]
fn get_finds_by_the_original_tuple_first() {
    let orig = tcp4_tuple(cta::TUPLE_ORIG, [1, 1, 1, 1], [2, 2, 2, 2], 10, 20);
    let reply = tcp4_tuple(cta::TUPLE_REPLY, [2, 2, 2, 2], [1, 1, 1, 1], 20, 10);
    let k = key(&request(GET, REQ, 2, &[reply.clone(), orig])).unwrap();
    assert_eq!(k.tuple, tcp4([1, 1, 1, 1], [2, 2, 2, 2], 10, 20));
    assert_eq!(k.zone, Zone::DEFAULT);
    let k = key(&request(GET, REQ, 2, &[reply])).unwrap();
    assert_eq!(k.tuple, tcp4([2, 2, 2, 2], [1, 1, 1, 1], 20, 10));
    assert_eq!(
        action(&request(GET, REQ, 2, &[])).err(),
        Some(Errno::EINVAL)
    );
}

#[test]
fn tuples_must_have_every_part_for_their_family() {
    let ip = ip4([1, 1, 1, 1], [2, 2, 2, 2]);
    let p = ports(ipproto::TCP, 1, 2);
    let cases: [(u8, Vec<u8>, Errno); 7] = [
        // No addresses, no protocol part.
        (
            2,
            nest(cta::TUPLE_ORIG, core::slice::from_ref(&p)),
            Errno::EINVAL,
        ),
        (
            2,
            nest(cta::TUPLE_ORIG, core::slice::from_ref(&ip)),
            Errno::EINVAL,
        ),
        // A family without tuples.
        (
            7,
            nest(cta::TUPLE_ORIG, &[ip.clone(), p.clone()]),
            Errno::EOPNOTSUPP,
        ),
        (
            0,
            nest(cta::TUPLE_ORIG, &[ip.clone(), p.clone()]),
            Errno::EOPNOTSUPP,
        ),
        // IPv4 addresses in an IPv6 request.
        (
            10,
            nest(cta::TUPLE_ORIG, &[ip.clone(), p.clone()]),
            Errno::EINVAL,
        ),
        // A port missing, a port too short.
        (
            2,
            nest(
                cta::TUPLE_ORIG,
                &[
                    ip.clone(),
                    nest(
                        cta::tuple::PROTO,
                        &[
                            attr(cta::proto::NUM, &[6]),
                            attr(cta::proto::SRC_PORT, &[0, 1]),
                        ],
                    ),
                ],
            ),
            Errno::EINVAL,
        ),
        (
            2,
            nest(
                cta::TUPLE_ORIG,
                &[
                    ip,
                    nest(
                        cta::tuple::PROTO,
                        &[
                            attr(cta::proto::NUM, &[6]),
                            attr(cta::proto::SRC_PORT, &[0, 1]),
                            attr(cta::proto::DST_PORT, &[1]),
                        ],
                    ),
                ],
            ),
            Errno::ERANGE,
        ),
    ];
    for (family, t, e) in cases {
        assert_eq!(key(&request(GET, REQ, family, &[t])).err(), Some(e));
    }
}

#[test]
fn ipv6_and_icmp_tuples() {
    let ip6 = nest(
        cta::tuple::IP,
        &[attr(cta::ip::V6_SRC, &v6(1)), attr(cta::ip::V6_DST, &v6(2))],
    );
    let icmp6 = nest(
        cta::tuple::PROTO,
        &[
            attr(cta::proto::NUM, &[ipproto::ICMPV6]),
            attr(cta::proto::ICMPV6_ID, &[0, 9]),
            attr(cta::proto::ICMPV6_TYPE, &[128]),
            attr(cta::proto::ICMPV6_CODE, &[0]),
        ],
    );
    let k = key(&request(
        GET,
        REQ,
        10,
        &[nest(cta::TUPLE_ORIG, &[ip6.clone(), icmp6])],
    ))
    .unwrap();
    assert_eq!(
        k.tuple,
        Tuple::new(L3::Ipv6, ipproto::ICMPV6, v6(1), v6(2), 9, 128 << 8)
    );
    // An IPv6 address too short for its policy.
    let short = nest(
        cta::tuple::IP,
        &[
            attr(cta::ip::V6_SRC, &[0; 15]),
            attr(cta::ip::V6_DST, &v6(2)),
        ],
    );
    let t = nest(cta::TUPLE_ORIG, &[short, ports(ipproto::UDP, 1, 2)]);
    assert_eq!(key(&request(GET, REQ, 10, &[t])).err(), Some(Errno::ERANGE));
    // ICMP fields under ICMPv6 names are not ICMP's.
    let wrong = nest(
        cta::tuple::PROTO,
        &[
            attr(cta::proto::NUM, &[ipproto::ICMP]),
            attr(cta::proto::ICMPV6_ID, &[0, 9]),
            attr(cta::proto::ICMPV6_TYPE, &[8]),
            attr(cta::proto::ICMPV6_CODE, &[0]),
        ],
    );
    let t = nest(cta::TUPLE_ORIG, &[ip4([1; 4], [2; 4]), wrong]);
    assert_eq!(key(&request(GET, REQ, 2, &[t])).err(), Some(Errno::EINVAL));
    // A protocol without fields of its own needs none.
    let gre = nest(cta::tuple::PROTO, &[attr(cta::proto::NUM, &[47])]);
    let k = key(&request(
        GET,
        REQ,
        2,
        &[nest(cta::TUPLE_ORIG, &[ip4([1; 4], [2; 4]), gre])],
    ));
    assert_eq!(k.unwrap().tuple.proto(), 47);
}

#[test]
fn unknown_and_flagged_attributes_pass() {
    let t = nest(
        cta::TUPLE_ORIG,
        &[
            attr(99, &[1, 2, 3]),
            nest(
                cta::tuple::IP,
                &[
                    attr(cta::ip::V4_SRC | 0x4000, &[1, 1, 1, 1]),
                    attr(cta::ip::V4_DST, &[2, 2, 2, 2, 0, 0, 0, 0]),
                    nest(50, &[nest(50, &[attr(1, &[])])]),
                ],
            ),
            ports(ipproto::TCP, 10, 20),
        ],
    );
    let msg = request(
        GET,
        REQ,
        2,
        &[attr(200, &[0; 3]), t, attr(cta::SECMARK, &[])],
    );
    assert_eq!(key(&msg).unwrap().tuple, tcp4([1; 4], [2; 4], 10, 20));
}

#[test]
fn zones_of_a_request_and_of_its_tuples() {
    let t = || tcp4_tuple(cta::TUPLE_ORIG, [1; 4], [2; 4], 1, 2);
    let zone = attr(cta::ZONE, &[0, 9]);
    let k = key(&request(GET, REQ, 2, &[zone.clone(), t()])).unwrap();
    assert_eq!(k.zone, Zone { id: 9, dir: 3 });
    let with_zone = |kind| {
        nest(
            kind,
            &[
                ip4([1; 4], [2; 4]),
                ports(ipproto::TCP, 1, 2),
                attr(cta::tuple::ZONE, &[0, 4]),
            ],
        )
    };
    let k = key(&request(GET, REQ, 2, &[with_zone(cta::TUPLE_ORIG)])).unwrap();
    assert_eq!(k.zone, Zone { id: 4, dir: 1 });
    let k = key(&request(DELETE, REQ, 2, &[with_zone(cta::TUPLE_REPLY)])).unwrap();
    assert_eq!(k.zone, Zone { id: 4, dir: 2 });
    assert_eq!(k.tuple.with_dir(0), k.tuple);
    // A tuple's zone on top of the request's.
    let both = request(GET, REQ, 2, &[zone, with_zone(cta::TUPLE_ORIG)]);
    assert_eq!(key(&both).err(), Some(Errno::EINVAL));
    let short = request(GET, REQ, 2, &[attr(cta::ZONE, &[9]), t()]);
    assert_eq!(Request::parse(&short).err(), Some(Errno::ERANGE));
}

#[test]
fn delete_by_tuple_and_id_or_flush() {
    let t = tcp4_tuple(cta::TUPLE_ORIG, [1; 4], [2; 4], 1, 2);
    let id = attr(cta::ID, &0x1234_5678u32.to_ne_bytes());
    match action(&request(DELETE, REQ, 2, &[t.clone(), id])).unwrap() {
        Action::Delete { id, .. } => assert_eq!(id, Some(0x1234_5678)),
        _ => panic!(),
    }
    // Without a tuple, or with a filter, everything the filter admits goes.
    for (version, attrs, family) in [
        (0, std::vec![], None),
        (1, std::vec![], Some(2)),
        (0, std::vec![t.clone(), nest(cta::FILTER, &[])], Some(2)),
    ] {
        let mut msg = request(DELETE, REQ, 2, &attrs);
        msg[17] = version;
        match action(&msg).unwrap() {
            Action::Flush { filter } => assert_eq!(filter.map(|f| f.family), family),
            _ => panic!(),
        }
    }
    let mut msg = request(DELETE, REQ, 0, &[attr(cta::MARK_MASK, &[0; 4])]);
    msg[17] = 0;
    assert!(matches!(
        action(&msg).unwrap(),
        Action::Flush { filter: None }
    ));
}

#[test]
fn dumps_and_lists() {
    let dump = flags::REQUEST | flags::DUMP;
    assert!(matches!(
        action(&request(GET, dump, 0, &[])).unwrap(),
        Action::Dump {
            filter: None,
            zero_counters: false
        }
    ));
    assert!(matches!(
        action(&request(Op::GetCtrZero as u8, dump, 2, &[])).unwrap(),
        Action::Dump {
            filter: Some(_),
            zero_counters: true
        }
    ));
    let t = tcp4_tuple(cta::TUPLE_ORIG, [1; 4], [2; 4], 1, 2);
    assert!(matches!(
        action(&request(Op::GetCtrZero as u8, REQ, 2, &[t])).unwrap(),
        Action::Get {
            zero_counters: true,
            ..
        }
    ));
    let cases = [
        (Op::GetStatsCpu, dump, "cpu"),
        (Op::GetStatsCpu, REQ, "nothing"),
        (Op::GetStats, REQ, "stats"),
        (Op::GetDying, dump, "dying"),
        (Op::GetUnconfirmed, dump, "none"),
    ];
    for (op, fl, want) in cases {
        // Operations without attributes ignore even malformed ones.
        let msg = request(op as u8, fl, 2, &[attr(cta::STATUS, &[])]);
        let got = match action(&msg).unwrap() {
            Action::DumpStatsCpu => "cpu",
            Action::Nothing => "nothing",
            Action::Stats => "stats",
            Action::DumpDying { family: 2 } => "dying",
            Action::DumpNothing => "none",
            _ => "other",
        };
        assert_eq!(got, want);
    }
    for op in [Op::GetDying, Op::GetUnconfirmed] {
        assert_eq!(
            action(&request(op as u8, REQ, 2, &[])).err(),
            Some(Errno::EOPNOTSUPP)
        );
    }
    let msg = request(GET, REQ | flags::ECHO, 2, &[]);
    let r = Request::parse(&msg).unwrap();
    assert!(r.report() && !r.is_dump());
}

fn new_conn_msg(fl: u16, extra: &[Vec<u8>]) -> Vec<u8> {
    let mut attrs = std::vec![
        tcp4_tuple(cta::TUPLE_ORIG, [1; 4], [2; 4], 1, 2),
        tcp4_tuple(cta::TUPLE_REPLY, [2; 4], [1; 4], 2, 1),
    ];
    attrs.extend_from_slice(extra);
    request(NEW, fl, 2, &attrs)
}

#[test]
fn new_connections_need_both_tuples_of_one_protocol() {
    let msg = new_conn_msg(REQ | flags::CREATE, &[]);
    let Action::New(n) = action(&msg).unwrap() else {
        panic!()
    };
    assert_eq!(n.key().unwrap().tuple, tcp4([1; 4], [2; 4], 1, 2));
    assert_eq!(n.create().unwrap().1, tcp4([2; 4], [1; 4], 2, 1));
    assert!(n.may_change().is_ok());
    let Action::New(n) = action(&new_conn_msg(REQ, &[])).unwrap() else {
        panic!()
    };
    assert_eq!(n.create().err(), Some(Errno::ENOENT));
    let excl = new_conn_msg(REQ | flags::EXCL, &[]);
    let Action::New(n) = action(&excl).unwrap() else {
        panic!()
    };
    assert_eq!(n.may_change().err(), Some(Errno::EEXIST));
    let one = request(
        NEW,
        REQ | flags::CREATE,
        2,
        &[tcp4_tuple(cta::TUPLE_REPLY, [2; 4], [1; 4], 2, 1)],
    );
    let Action::New(n) = action(&one).unwrap() else {
        panic!()
    };
    assert_eq!(n.key().unwrap().tuple, tcp4([2; 4], [1; 4], 2, 1));
    assert_eq!(n.create().err(), Some(Errno::EINVAL));
    let mixed = request(
        NEW,
        REQ | flags::CREATE,
        2,
        &[
            tcp4_tuple(cta::TUPLE_ORIG, [1; 4], [2; 4], 1, 2),
            nest(
                cta::TUPLE_REPLY,
                &[ip4([2; 4], [1; 4]), ports(ipproto::UDP, 2, 1)],
            ),
        ],
    );
    let Action::New(n) = action(&mixed).unwrap() else {
        panic!()
    };
    assert_eq!(n.create().err(), Some(Errno::EINVAL));
    let none = request(NEW, REQ | flags::CREATE, 2, &[]);
    let Action::New(n) = action(&none).unwrap() else {
        panic!()
    };
    assert!(n.key().is_none());
}

#[test]
fn nat_ranges_and_master() {
    let nat_src = nest(
        cta::NAT_SRC,
        &[
            attr(cta::nat::V4_MINIP, &[192, 0, 2, 1]),
            nest(
                cta::nat::PROTO,
                &[attr(cta::protonat::PORT_MIN, &1024u16.to_be_bytes())],
            ),
        ],
    );
    let nat_dst = nest(
        cta::NAT_DST,
        &[
            attr(cta::nat::V4_MINIP, &[198, 51, 100, 1]),
            attr(cta::nat::V4_MAXIP, &[198, 51, 100, 9]),
            nest(
                cta::nat::PROTO,
                &[attr(cta::protonat::PORT_MAX, &80u16.to_be_bytes())],
            ),
        ],
    );
    let master = tcp4_tuple(cta::TUPLE_MASTER, [3; 4], [4; 4], 5, 6);
    let msg = new_conn_msg(REQ | flags::CREATE, &[nat_src, nat_dst, master]);
    let Action::New(n) = action(&msg).unwrap() else {
        panic!()
    };
    assert!(n.has_nat());
    assert_eq!(
        n.nat(Manip::Src).unwrap(),
        Some(NatRange {
            map_ips: true,
            min_addr: v4([192, 0, 2, 1]),
            max_addr: v4([192, 0, 2, 1]),
            proto_specified: true,
            min_port: 1024,
            max_port: 1024,
        })
    );
    assert_eq!(
        n.nat(Manip::Dst).unwrap(),
        Some(NatRange {
            map_ips: true,
            min_addr: v4([198, 51, 100, 1]),
            max_addr: v4([198, 51, 100, 9]),
            proto_specified: true,
            min_port: 0,
            max_port: 80,
        })
    );
    assert_eq!(n.master().unwrap(), Some(tcp4([3; 4], [4; 4], 5, 6)));
    // A master tuple has no zone of its own; a short NAT address is refused.
    let zoned = nest(
        cta::TUPLE_MASTER,
        &[
            ip4([3; 4], [4; 4]),
            ports(ipproto::TCP, 5, 6),
            attr(cta::tuple::ZONE, &[0, 1]),
        ],
    );
    let bad_nat = nest(cta::NAT_SRC, &[attr(cta::nat::V4_MINIP, &[1, 2])]);
    let msg = new_conn_msg(REQ | flags::CREATE, &[zoned, bad_nat]);
    let Action::New(n) = action(&msg).unwrap() else {
        panic!()
    };
    assert_eq!(n.master().err(), Some(Errno::EINVAL));
    assert_eq!(n.nat(Manip::Src).err(), Some(Errno::ERANGE));
    assert_eq!(n.nat(Manip::Dst), Ok(None));
}

#[test]
fn attributes_of_the_wrong_shape() {
    let t = || tcp4_tuple(cta::TUPLE_ORIG, [1; 4], [2; 4], 1, 2);
    // A tuple too short to hold an attribute; one whose bytes are no attributes.
    let msg = request(GET, REQ, 2, &[attr(cta::TUPLE_ORIG, &[1, 2])]);
    assert_eq!(Request::parse(&msg).err(), Some(Errno::ERANGE));
    let msg = request(GET, REQ, 2, &[attr(cta::TUPLE_ORIG, &[0xff, 0xff, 1, 0])]);
    assert_eq!(key(&msg).err(), Some(Errno::EINVAL));
    // A number sent as a nest is read as a number: deprecated parsing ignores the flag.
    let id = attr(cta::ID | super::super::attr::F_NESTED, &7u32.to_ne_bytes());
    match action(&request(DELETE, REQ, 2, &[t(), id])).unwrap() {
        Action::Delete { id, .. } => assert_eq!(id, Some(7)),
        _ => panic!(),
    }
    // A protocol number in the address nest is read as a short IPv4 source; a protocol number
    // of two bytes is read by its first.
    let swapped = nest(
        cta::TUPLE_ORIG,
        &[
            nest(cta::tuple::IP, &[attr(cta::proto::NUM, &[6])]),
            ports(ipproto::TCP, 1, 2),
        ],
    );
    assert_eq!(
        key(&request(GET, REQ, 2, &[swapped])).err(),
        Some(Errno::ERANGE)
    );
    let wide = nest(
        cta::TUPLE_ORIG,
        &[
            ip4([1; 4], [2; 4]),
            nest(
                cta::tuple::PROTO,
                &[
                    attr(cta::proto::NUM, &[6, 0]),
                    attr(cta::proto::SRC_PORT, &[0, 1]),
                    attr(cta::proto::DST_PORT, &[0, 2]),
                ],
            ),
        ],
    );
    assert_eq!(
        key(&request(GET, REQ, 2, &[wide])).unwrap().tuple,
        tcp4([1; 4], [2; 4], 1, 2)
    );
    // Labels longer than the kernel holds.
    let msg = request(NEW, REQ, 2, &[t(), attr(cta::LABELS, &[0; 20])]);
    assert_eq!(Request::parse(&msg).err(), Some(Errno::ERANGE));
}
