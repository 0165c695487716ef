// SPDX-License-Identifier: GPL-2.0

//! Choosing the translated tuple: what is kept, where a clash moves to, and when the search
//! gives up.

use super::*;
use crate::ct::nat::choose::{bind, unique_tuple, BindError, Binding};
use crate::ct::nat::env::{Found, NatEnv, TcpProgress, Unbound};
use crate::ct::nat::range::{flags, NatRange};
use crate::ct::nat::{bits, needs_binding, ManipType};
use crate::ct::proto::TcpState;
use crate::ct::status::{CtInfo, Dir};
use std::boxed::Box;
use std::collections::VecDeque;

/// A connection table and random source for the tests.
struct Table {
    /// Whether some other connection has a tuple.
    taken: Box<dyn Fn(&Tuple) -> bool>,
    /// Connections `find` knows, by one of their tuples; the entry is an index.
    found: Vec<(Tuple, Found<usize>)>,
    /// Whether `find` also reports, as an untranslated connection, any taken tuple it does not
    /// know.
    find_taken: bool,
    /// Entries killed.
    killed: Vec<usize>,
    /// Earlier source-translated connections: original and reply tuples.
    mappings: Vec<(Tuple, Tuple)>,
    /// Random numbers to hand out; zero once used up.
    random: VecDeque<u16>,
    random_calls: usize,
    lookups: usize,
    zone: u16,
}

impl Table {
    fn new() -> Self {
        Self {
            taken: Box::new(|_| false),
            found: Vec::new(),
            find_taken: true,
            killed: Vec::new(),
            mappings: Vec::new(),
            random: VecDeque::new(),
            random_calls: 0,
            lookups: 0,
            zone: 0,
        }
    }

    fn taken_if(mut self, f: impl Fn(&Tuple) -> bool + 'static) -> Self {
        self.taken = Box::new(f);
        self
    }

    fn random(mut self, r: &[u16]) -> Self {
        self.random = r.iter().copied().collect();
        self
    }
}

impl NatEnv for Table {
    type Entry = usize;

    fn tuple_taken(&mut self, tuple: &Tuple) -> bool {
        self.lookups += 1;
        (self.taken)(tuple)
    }

    fn find(&mut self, tuple: &Tuple) -> Option<Found<usize>> {
        let known = self
            .found
            .iter()
            .find(|(t, f)| t == tuple && !self.killed.contains(&f.entry))
            .map(|(_, f)| *f);
        let taken = self.find_taken && (self.taken)(tuple);
        known.or_else(|| taken.then(|| found(tuple.invert().unwrap(), Dir::Reply, 0, 0)))
    }

    fn kill(&mut self, entry: &usize) -> bool {
        self.killed.push(*entry);
        true
    }

    fn visit_source_mappings<F: FnMut(&Tuple, &Tuple) -> bool>(&mut self, _: &Tuple, mut visit: F) {
        for (o, r) in &self.mappings {
            if visit(o, r) {
                return;
            }
        }
    }

    fn random_u16(&mut self) -> u16 {
        self.random_calls += 1;
        self.random.pop_front().unwrap_or(0)
    }

    fn zone_id(&self) -> u16 {
        self.zone
    }
}

/// The connection whose packets carry `current`, not translated yet.
fn unbound(current: &Tuple) -> Unbound {
    Unbound {
        reply: current.invert().unwrap(),
        status: 0,
        tcp: None,
    }
}

fn choose(
    current: &Tuple,
    range: &NatRange,
    manip: ManipType,
    env: &mut Table,
) -> Result<Tuple, BindError> {
    unique_tuple(current, &unbound(current), range, manip, env)
}

/// A range of one address, and of ports `ports` if given.
fn to(addr: [u8; 4], ports: Option<(u16, u16)>, extra: u32) -> NatRange {
    let (min_proto, max_proto) = ports.unwrap_or((0, 0));
    let specified = if ports.is_some() {
        flags::PROTO_SPECIFIED
    } else {
        0
    };
    NatRange {
        flags: flags::MAP_IPS | specified | extra,
        min_addr: v4(addr),
        max_addr: v4(addr),
        min_proto,
        max_proto,
        base_proto: 0,
    }
}

fn client_flow(proto: u8, sport: u16) -> Tuple {
    tuple4(proto, CLIENT, SERVER, sport, 443)
}

/// Whether `t`'s inverse, the reply a connection would have, is `src:sport`'s.
fn reply_to(t: &Tuple, addr: [u8; 4], port: u16) -> bool {
    t.dst() == &v4(addr) && t.dst_id() == port
}

#[test]
fn the_original_is_kept_when_in_range_and_free() {
    let cur = client_flow(ipproto::TCP, 40000);
    let range = NatRange {
        flags: flags::MAP_IPS | flags::PROTO_SPECIFIED,
        min_addr: v4([10, 0, 0, 0]),
        max_addr: v4([10, 0, 0, 255]),
        min_proto: 1024,
        max_proto: 65535,
        base_proto: 0,
    };
    let mut env = Table::new();
    assert_eq!(choose(&cur, &range, ManipType::Source, &mut env), Ok(cur));
    assert_eq!((env.random_calls, env.lookups), (0, 1));

    // A port out of range has the address chosen afresh by hash, and the port searched for.
    let cur = client_flow(ipproto::TCP, 80);
    let mut env = Table::new().random(&[7]);
    let got = choose(&cur, &range, ManipType::Source, &mut env).unwrap();
    assert_eq!((got.src(), got.src_id()), (&v4([10, 0, 0, 55]), 1024 + 7));
}

#[test]
fn a_clash_moves_to_the_next_free_port() {
    let cur = client_flow(ipproto::UDP, 40000);
    let range = to(PUBLIC, None, 0);
    // The port the client used, and the first two tried, are taken.
    let mut env = Table::new()
        .taken_if(|t| {
            reply_to(t, PUBLIC, 40000) || reply_to(t, PUBLIC, 1124) || reply_to(t, PUBLIC, 1125)
        })
        .random(&[100]);
    let got = choose(&cur, &range, ManipType::Source, &mut env).unwrap();
    assert_eq!((got.src(), got.src_id()), (&v4(PUBLIC), 1126));
    assert_eq!((got.dst(), got.dst_id()), (&v4(SERVER), 443));
    assert_eq!(env.random_calls, 1);
}

#[test]
fn a_full_range_keeps_the_last_candidate_after_bounded_tries() {
    let cur = client_flow(ipproto::TCP, 40000);
    // 64512 ports: rounds of 128, 64, 32, 16 and 8 candidates; the last one tried stays, taken.
    let mut env = Table::new().taken_if(|_| true);
    let got = choose(&cur, &to(PUBLIC, None, 0), ManipType::Source, &mut env).unwrap();
    assert_eq!(got.src(), &v4(PUBLIC));
    assert!(got.src_id() >= 1024);
    assert_eq!(env.lookups, 1 + 128 + 64 + 32 + 16 + 8);
    assert_eq!(env.random_calls, 5);

    // Ten ports: each tried once.
    let mut env = Table::new().taken_if(|_| true);
    let got = choose(
        &cur,
        &to(PUBLIC, Some((5000, 5009)), 0),
        ManipType::Source,
        &mut env,
    )
    .unwrap();
    assert!((5000..=5009).contains(&got.src_id()));
    assert_eq!((env.lookups, env.random_calls), (10, 1));

    // 200 ports: 128, then 64 from a new start; a round of 64 is below the range, so another
    // of 32, 16, 8.
    let mut env = Table::new().taken_if(|_| true);
    let got = choose(
        &cur,
        &to(PUBLIC, Some((5000, 5199)), 0),
        ManipType::Source,
        &mut env,
    )
    .unwrap();
    assert!((5000..=5199).contains(&got.src_id()));
    assert_eq!(env.lookups, 248);
}

#[test]
fn default_source_ports_keep_their_class() {
    for (port, want) in [
        (80, 1 + 1000 % 511),
        (0, 1 + 1000 % 511),
        (700, 600 + 1000 % 424),
        (5000, 1024 + 1000),
    ] {
        let cur = client_flow(ipproto::TCP, port);
        let mut env = Table::new()
            .taken_if(move |t| reply_to(t, PUBLIC, port))
            .random(&[1000]);
        let got = choose(&cur, &to(PUBLIC, None, 0), ManipType::Source, &mut env).unwrap();
        assert_eq!(got.src_id(), want, "port {port}");
    }
}

#[test]
fn the_search_wraps_around_the_range() {
    let cur = client_flow(ipproto::UDP, 1);
    // Starting at the random 65535, the 16-bit offset wraps to 0 after one step.
    let range = to(PUBLIC, Some((60000, 60009)), 0);
    let mut env = Table::new()
        .taken_if(|t| reply_to(t, PUBLIC, 60005))
        .random(&[65535]);
    let got = choose(&cur, &range, ManipType::Source, &mut env).unwrap();
    // 65535 % 10 = 5 is taken; the offset wraps to 0, and 0 % 10 gives the bottom.
    assert_eq!(got.src_id(), 60000);
}

#[test]
fn reversed_port_ranges_are_put_in_order() {
    let cur = client_flow(ipproto::TCP, 40000);
    let range = to(PUBLIC, Some((6000, 5000)), 0);
    let mut env = Table::new().random(&[2010]);
    let got = choose(&cur, &range, ManipType::Source, &mut env).unwrap();
    // 1001 ports from 5000: the random 2010 lands on the ninth.
    assert_eq!(got.src_id(), 5008);
}

#[test]
fn a_single_port_already_held_is_kept_even_if_taken() {
    let cur = client_flow(ipproto::UDP, 40000);
    let mut env = Table::new().taken_if(|_| true);
    let got = choose(
        &cur,
        &to(PUBLIC, Some((40000, 40000)), 0),
        ManipType::Source,
        &mut env,
    );
    assert_eq!(got.map(|t| (*t.src(), t.src_id())), Ok((v4(PUBLIC), 40000)));
    assert_eq!(env.lookups, 0);
    // A single port the tuple does not hold yet is tried once, and kept though taken.
    let mut env = Table::new().taken_if(|_| true);
    let got = choose(
        &cur,
        &to(PUBLIC, Some((5353, 5353)), 0),
        ManipType::Source,
        &mut env,
    );
    assert_eq!(
        (got.map(|t| (*t.src(), t.src_id())), env.lookups),
        (Ok((v4(PUBLIC), 5353)), 1)
    );
}

#[test]
fn port_offsets_map_without_randomness() {
    let cur = client_flow(ipproto::TCP, 40005);
    let range = NatRange {
        base_proto: 40000,
        ..to(PUBLIC, Some((10000, 10999)), flags::PROTO_OFFSET)
    };
    let mut env = Table::new();
    let got = choose(&cur, &range, ManipType::Source, &mut env).unwrap();
    assert_eq!((got.src_id(), env.random_calls), (10005, 0));
    // Below the base the offset wraps, and is taken modulo the range.
    let cur = client_flow(ipproto::TCP, 39999);
    let got = choose(&cur, &range, ManipType::Source, &mut Table::new()).unwrap();
    assert_eq!(got.src_id(), 10000 + 65535 % 1000);
}

#[test]
fn random_flags_skip_keeping_the_original() {
    let cur = client_flow(ipproto::TCP, 40000);
    let mut results = Vec::new();
    for flag in [flags::PROTO_RANDOM, flags::PROTO_RANDOM_FULLY] {
        let range = NatRange {
            flags: flags::MAP_IPS | flag,
            min_addr: v4(CLIENT),
            max_addr: v4(CLIENT),
            ..NatRange::default()
        };
        let mut env = Table::new().random(&[4242]);
        let got = choose(&cur, &range, ManipType::Source, &mut env).unwrap();
        assert_eq!(env.random_calls, 1);
        results.push(got);
    }
    // Both flags behave alike, as in Linux 6.12.
    assert_eq!(results[0], results[1]);
    assert_eq!(results[0].src_id(), 1024 + 4242);
}

#[test]
fn destination_nat_keeps_the_port_unless_given_one() {
    let cur = tuple4(ipproto::TCP, SERVER, PUBLIC, 5555, 80);
    // Taken, yet nothing to move: confirmation decides.
    let mut env = Table::new().taken_if(|_| true);
    let got = choose(&cur, &to(INSIDE, None, 0), ManipType::Destination, &mut env).unwrap();
    assert_eq!(
        (*got.dst(), got.dst_id(), got.src_id()),
        (v4(INSIDE), 80, 5555)
    );
    assert_eq!(env.random_calls, 0);

    // A port range is searched from its bottom.
    let mut env = Table::new().taken_if(|t| t.src_id() == 8080);
    let got = choose(
        &cur,
        &to(INSIDE, Some((8080, 8089)), 0),
        ManipType::Destination,
        &mut env,
    )
    .unwrap();
    assert_eq!((got.dst_id(), env.random_calls), (8081, 0));

    // With a random flag, from a random point.
    let mut env = Table::new().random(&[13]);
    let range = to(INSIDE, Some((8080, 8089)), flags::PROTO_RANDOM);
    let got = choose(&cur, &range, ManipType::Destination, &mut env).unwrap();
    assert_eq!(got.dst_id(), 8080 + 3);
}

#[test]
fn icmp_identifiers() {
    let cur = tuple4(ipproto::ICMP, CLIENT, SERVER, 0x1234, 8 << 8);
    // Source NAT: the identifier clashes, a random one is taken from the whole space.
    let mut env = Table::new()
        .taken_if(|t| t.dst() == &v4(PUBLIC) && t.src_id() == 0x1234)
        .random(&[0xbeef]);
    let got = choose(&cur, &to(PUBLIC, None, 0), ManipType::Source, &mut env).unwrap();
    assert_eq!(
        (*got.src(), got.src_id(), got.dst_id()),
        (v4(PUBLIC), 0xbeef, 8 << 8)
    );

    // Destination NAT: the search starts at zero.
    let cur = tuple4(ipproto::ICMP, SERVER, PUBLIC, 0x1234, 8 << 8);
    let mut env = Table::new().taken_if(|t| t.src_id() == 0x1234 || t.src_id() == 0);
    let got = choose(&cur, &to(INSIDE, None, 0), ManipType::Destination, &mut env).unwrap();
    assert_eq!(
        (*got.dst(), got.src_id(), env.random_calls),
        (v4(INSIDE), 1, 0)
    );

    // A given identifier range, ICMPv6.
    let cur = Tuple::new(L3::Ipv6, ipproto::ICMPV6, CLIENT6, SERVER6, 7, 128 << 8);
    let range = NatRange {
        flags: flags::MAP_IPS | flags::PROTO_SPECIFIED,
        min_addr: PUBLIC6,
        max_addr: PUBLIC6,
        min_proto: 100,
        max_proto: 199,
        base_proto: 0,
    };
    let mut env = Table::new().random(&[250]);
    let got = choose(&cur, &range, ManipType::Source, &mut env).unwrap();
    assert_eq!((*got.src(), got.src_id()), (PUBLIC6, 150));
}

#[test]
fn protocols_without_ports_change_their_address_only() {
    let cur = tuple4(47, CLIENT, SERVER, 0, 0);
    let mut env = Table::new().taken_if(|_| true);
    let got = choose(
        &cur,
        &to(PUBLIC, Some((1, 2)), 0),
        ManipType::Source,
        &mut env,
    )
    .unwrap();
    assert_eq!(got, tuple4(47, PUBLIC, SERVER, 0, 0));
    assert_eq!(env.random_calls, 0);
}

#[test]
fn addresses_are_chosen_by_hash() {
    // Expected addresses worked out with the kernel's jhash2 and nf_nat's arithmetic.
    let range = NatRange {
        flags: flags::MAP_IPS,
        min_addr: v4([192, 0, 2, 10]),
        max_addr: v4([192, 0, 2, 20]),
        ..NatRange::default()
    };
    let persistent = NatRange {
        flags: flags::MAP_IPS | flags::PERSISTENT,
        ..range
    };
    let cases = [
        (&range, SERVER_A, 0, 11),
        (&range, SERVER_A, 5, 13),
        (&range, SERVER_B, 0, 10),
        (&persistent, SERVER_A, 0, 12),
        (&persistent, SERVER_A, 5, 12),
        (&persistent, SERVER_B, 0, 12),
    ];
    for (range, server, zone, want) in cases {
        let cur = tuple4(ipproto::UDP, CLIENT, server, 40000, 53);
        let mut env = Table::new();
        env.zone = zone;
        let got = choose(&cur, range, ManipType::Source, &mut env).unwrap();
        assert_eq!(got.src(), &v4([192, 0, 2, want]), "{server:?} zone {zone}");
        assert_eq!(got.src_id(), 40000);
    }

    let wide = NatRange {
        flags: flags::MAP_IPS,
        min_addr: v4([10, 1, 0, 0]),
        max_addr: v4([10, 1, 255, 255]),
        ..NatRange::default()
    };
    let cur = tuple4(ipproto::UDP, CLIENT, SERVER_A, 40000, 53);
    let got = choose(&cur, &wide, ManipType::Destination, &mut Table::new()).unwrap();
    assert_eq!(got.dst(), &v4([10, 1, 36, 151]));

    let mut min6 = [0u8; 16];
    min6[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
    min6[15] = 1;
    let mut max6 = min6;
    max6[8..].copy_from_slice(&[0xff; 8]);
    let range6 = NatRange {
        flags: flags::MAP_IPS,
        min_addr: min6,
        max_addr: max6,
        ..NatRange::default()
    };
    let mut dst6 = [0u8; 16];
    dst6[..5].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0xff]);
    dst6[15] = 2;
    let cur = Tuple::new(L3::Ipv6, ipproto::UDP, CLIENT6, dst6, 1, 2);
    let mut want = min6;
    want[12..].copy_from_slice(&[238, 6, 104, 141]);
    let got = choose(&cur, &range6, ManipType::Source, &mut Table::new()).unwrap();
    assert_eq!(got.src(), &want);
    want[12..].copy_from_slice(&[238, 6, 104, 112]);
    let got = choose(&cur, &range6, ManipType::Destination, &mut Table::new()).unwrap();
    assert_eq!(got.dst(), &want);
}

const SERVER_A: [u8; 4] = [198, 51, 100, 7];
const SERVER_B: [u8; 4] = [203, 0, 113, 9];

#[test]
fn an_earlier_source_mapping_is_reused() {
    let range = NatRange {
        flags: flags::MAP_IPS,
        min_addr: v4([192, 0, 2, 1]),
        max_addr: v4([192, 0, 2, 9]),
        ..NatRange::default()
    };
    let cur = client_flow(ipproto::UDP, 40000);
    let earlier = (
        tuple4(ipproto::UDP, CLIENT, SERVER_B, 40000, 80),
        tuple4(ipproto::UDP, SERVER_B, [192, 0, 2, 5], 80, 50000),
    );
    let other_port = (
        tuple4(ipproto::UDP, CLIENT, SERVER_B, 40001, 80),
        tuple4(ipproto::UDP, SERVER_B, [192, 0, 2, 6], 80, 50001),
    );
    let outside = (
        tuple4(ipproto::UDP, CLIENT, SERVER_B, 40000, 80),
        tuple4(ipproto::UDP, SERVER_B, [192, 0, 3, 5], 80, 50002),
    );
    let mut env = Table::new();
    env.mappings = std::vec![other_port, outside, earlier];
    let got = choose(&cur, &range, ManipType::Source, &mut env).unwrap();
    assert_eq!(
        got,
        tuple4(ipproto::UDP, [192, 0, 2, 5], SERVER, 50000, 443)
    );

    // Taken towards this destination: chosen afresh.
    let mut env = Table::new().taken_if(|t| reply_to(t, [192, 0, 2, 5], 50000));
    env.mappings = std::vec![earlier];
    let got = choose(&cur, &range, ManipType::Source, &mut env).unwrap();
    assert_eq!(got.src_id(), 40000);
    assert_ne!(got.src(), &v4([192, 0, 2, 5]));
}

/// A connection `find` reports, with the given status.
fn found(original: Tuple, dir: Dir, status: usize, entry: usize) -> Found<usize> {
    Found {
        entry,
        dir,
        status,
        original,
        tcp: None,
    }
}

#[test]
fn the_same_flow_from_both_ends_does_not_clash() {
    // The server's first packet of this very flow raced ours into the table, untranslated.
    for (proto, their_status, keeps) in [
        (ipproto::UDP, 0, true),
        (ipproto::UDP, bits::DST_NAT, false),
        (ipproto::TCP, 0, false),
    ] {
        let cur = client_flow(proto, 40000);
        let range = NatRange::null_binding(&cur.invert().unwrap(), ManipType::Source);
        let theirs = cur.invert().unwrap();
        let mut env = Table::new().taken_if(move |t| *t == theirs).random(&[9]);
        env.found
            .push((theirs, found(theirs, Dir::Original, their_status, 1)));
        let got = choose(&cur, &range, ManipType::Source, &mut env).unwrap();
        assert_eq!(got == cur, keeps, "proto {proto} status {their_status:#x}");
    }
    // The clashing connection went away.
    let cur = client_flow(ipproto::UDP, 40000);
    let range = NatRange::null_binding(&cur.invert().unwrap(), ManipType::Source);
    let mut env = Table::new().taken_if(|_| true);
    env.find_taken = false;
    assert_eq!(choose(&cur, &range, ManipType::Source, &mut env), Ok(cur));
}

#[test]
fn an_opening_tcp_connection_evicts_a_closed_one_late_in_a_round() {
    let cur = client_flow(ipproto::TCP, 40000);
    let conn = Unbound {
        tcp: Some(TcpProgress {
            state: TcpState::SynSent,
            end: 1000,
        }),
        ..unbound(&cur)
    };
    let holder = |end, state, status, dir| Found {
        tcp: Some(TcpProgress { state, end }),
        ..found(tuple4(ipproto::TCP, CLIENT, SERVER, 1, 443), dir, status, 7)
    };
    let start = 100u16;
    // The 97th candidate of the first round is the first that may evict.
    let port = 1024 + (u32::from(start) + 96) as u16;
    let reply = tuple4(ipproto::TCP, SERVER, PUBLIC, 443, port);
    let cases = [
        (
            holder(500, TcpState::TimeWait, bits::SRC_NAT, Dir::Reply),
            true,
        ),
        (
            holder(500, TcpState::Close, bits::SRC_NAT, Dir::Reply),
            true,
        ),
        (
            holder(500, TcpState::Established, bits::SRC_NAT, Dir::Reply),
            false,
        ),
        (
            holder(2000, TcpState::TimeWait, bits::SRC_NAT, Dir::Reply),
            false,
        ),
        (holder(500, TcpState::TimeWait, 0, Dir::Reply), false),
        (
            holder(
                500,
                TcpState::TimeWait,
                bits::SRC_NAT | bits::FIXED_TIMEOUT,
                Dir::Reply,
            ),
            false,
        ),
        (
            holder(500, TcpState::TimeWait, bits::SRC_NAT, Dir::Original),
            false,
        ),
        (
            holder(
                500,
                TcpState::TimeWait,
                bits::SRC_NAT | bits::OFFLOAD,
                Dir::Reply,
            ),
            false,
        ),
    ];
    for (i, (holder, evicted)) in cases.into_iter().enumerate() {
        let mut env = Table::new().taken_if(|_| true).random(&[start]);
        env.found.push((reply, holder));
        let got = unique_tuple(
            &cur,
            &conn,
            &to(PUBLIC, None, 0),
            ManipType::Source,
            &mut env,
        );
        if evicted {
            assert_eq!(got.map(|t| t.src_id()), Ok(port), "case {i}");
            assert_eq!(env.killed, [7]);
        } else {
            // Every candidate is still taken: the last one tried stays.
            assert!(got.is_ok(), "case {i}");
        }
    }
    // Not an opening connection: never evicts.
    let mut env = Table::new().taken_if(|_| true).random(&[start]);
    env.found.push((
        reply,
        holder(500, TcpState::TimeWait, bits::SRC_NAT, Dir::Reply),
    ));
    let established = Unbound {
        tcp: Some(TcpProgress {
            state: TcpState::Established,
            end: 1000,
        }),
        ..conn
    };
    let got = unique_tuple(
        &cur,
        &established,
        &to(PUBLIC, None, 0),
        ManipType::Source,
        &mut env,
    );
    assert!(got.is_ok());
    assert!(env.killed.is_empty());
}

#[test]
fn binding_reports_what_changes() {
    let cur = client_flow(ipproto::TCP, 40000);
    let conn = unbound(&cur);
    let mut env = Table::new()
        .taken_if(|t| reply_to(t, PUBLIC, 40000) && t.src_id() == 443)
        .random(&[0]);
    let b = bind(&conn, &to(PUBLIC, None, 0), ManipType::Source, &mut env).unwrap();
    assert_eq!(
        b,
        Binding {
            reply: Some(tuple4(ipproto::TCP, SERVER, PUBLIC, 443, 1024)),
            status: bits::SRC_NAT | bits::SRC_NAT_DONE,
        }
    );
    // A null binding changes nothing but the done bit.
    let range = NatRange::null_binding(&conn.reply, ManipType::Destination);
    let b = bind(&conn, &range, ManipType::Destination, &mut Table::new()).unwrap();
    assert_eq!(
        b,
        Binding {
            reply: None,
            status: bits::DST_NAT_DONE
        }
    );
    let done = Unbound {
        status: bits::DST_NAT_DONE,
        ..conn
    };
    assert_eq!(
        bind(&done, &range, ManipType::Destination, &mut Table::new()),
        Err(BindError::AlreadyBound)
    );
    let confirmed = Unbound {
        status: crate::ct::status::bits::CONFIRMED,
        ..conn
    };
    assert_eq!(
        bind(
            &confirmed,
            &range,
            ManipType::Destination,
            &mut Table::new()
        ),
        Ok(Binding {
            reply: None,
            status: 0
        })
    );
    let lone_reply = Unbound {
        reply: tuple4(ipproto::ICMP, SERVER, CLIENT, 1, 3 << 8),
        ..conn
    };
    assert_eq!(
        bind(
            &lone_reply,
            &range,
            ManipType::Destination,
            &mut Table::new()
        ),
        Err(BindError::NoInverse)
    );
}

#[test]
fn which_packets_look_for_a_binding() {
    for (info, want) in [
        (CtInfo::New, true),
        (CtInfo::Related, true),
        (CtInfo::RelatedReply, true),
        (CtInfo::Established, false),
        (CtInfo::EstablishedReply, false),
    ] {
        assert_eq!(needs_binding(info, 0, ManipType::Source), want);
    }
    assert!(!needs_binding(
        CtInfo::New,
        bits::SRC_NAT_DONE,
        ManipType::Source
    ));
    assert!(needs_binding(
        CtInfo::New,
        bits::SRC_NAT_DONE,
        ManipType::Destination
    ));
}

#[test]
fn reversed_icmp_identifier_ranges_are_taken_as_they_come() {
    let cur = tuple4(ipproto::ICMP, CLIENT, SERVER, 0x1234, 8 << 8);
    let icmp_range = |min_proto, max_proto| NatRange {
        min_proto,
        max_proto,
        ..to(PUBLIC, Some((0, 0)), 0)
    };
    // Top one below the bottom: nothing to try, the identifier stays.
    let mut env = Table::new().taken_if(|_| true);
    let got = choose(&cur, &icmp_range(5, 4), ManipType::Source, &mut env).unwrap();
    assert_eq!((got.src_id(), env.lookups), (0x1234, 0));
    // Further below: the span wraps to nearly 2^32, and candidates wrap to 16 bits.
    let mut env = Table::new().random(&[65535]);
    let got = choose(&cur, &icmp_range(5, 0), ManipType::Source, &mut env).unwrap();
    assert_eq!(got.src_id(), 4);
}

#[test]
fn any_range_gives_a_tuple_in_range_or_a_failure() {
    // A small linear congruential generator: the same cases on every run.
    let mut seed = 0x2545_f491u32;
    let mut next = move || {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        (seed >> 8) as u16
    };
    for _ in 0..3000 {
        let proto = [
            ipproto::TCP,
            ipproto::UDP,
            ipproto::ICMP,
            nat_proto::SCTP,
            47,
        ][usize::from(next() % 5)];
        let lo = [192, 0, (next() % 4) as u8, next() as u8];
        let hi = [192, 0, (next() % 4) as u8, next() as u8];
        let range = NatRange {
            flags: u32::from(next()) & flags::MASK,
            min_addr: v4(lo),
            max_addr: v4(hi),
            min_proto: next(),
            max_proto: next(),
            base_proto: next(),
        };
        let dst_id = if proto == ipproto::ICMP {
            8 << 8
        } else {
            next()
        };
        let cur = tuple4(proto, CLIENT, SERVER, next(), dst_id);
        let manip = if next() % 2 == 0 {
            ManipType::Source
        } else {
            ManipType::Destination
        };
        let busy = next() % 3;
        let mut env = Table::new()
            .taken_if(move |t| (t.src_id() ^ t.dst_id()) % 3 < busy)
            .random(&[next(), next(), next(), next(), next()]);
        let Ok(got) = choose(&cur, &range, manip, &mut env) else {
            continue;
        };
        assert!(env.lookups <= 1 + 1 + 248);
        let addr = match manip {
            ManipType::Source => got.src(),
            ManipType::Destination => got.dst(),
        };
        if range.has(flags::MAP_IPS) && got != cur && lo <= hi {
            assert!(
                addr[..4] >= lo[..] && addr[..4] <= hi[..],
                "{range:?} {got:?}"
            );
        }
    }
}
