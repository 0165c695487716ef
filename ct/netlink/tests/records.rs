// SPDX-License-Identifier: GPL-2.0

//! Records and events: which attributes each carries, and what happens when they do not fit.

use super::super::attr::Attrs;
use super::super::cta;
use super::super::encode;
use super::super::event::{self, bits};
use super::super::ips;
use super::super::msg::{flags, Group, Header, Op};
use super::super::record;
use super::super::snapshot::{SeqAdj, Synproxy, Timestamp};
use super::super::write::{Measure, Sink};
use super::support::*;
use crate::ct::tuple::{ipproto, Tuple, L3};
use std::vec::Vec;

/// The top-level attribute types of a message, in order.
fn kinds(msg: &[u8]) -> Vec<u16> {
    Attrs::new(&msg[20..]).map(|a| a.kind()).collect()
}

fn record_of(conn: &super::super::snapshot::Snapshot) -> Vec<u8> {
    let mut s = VecSink::new();
    encode::record(&mut s, conn, 5, 6, false).unwrap();
    s.buf
}

fn event_of(conn: &super::super::snapshot::Snapshot, events: u32) -> Vec<u8> {
    let mut s = VecSink::new();
    event::write(&mut s, conn, events, 0).unwrap();
    s.buf
}

#[test]
fn records_carry_every_part_in_fill_info_order() {
    let mut c = tcp4_established();
    c.status |= ips::SEQ_ADJUST | ips::EXPECTED;
    c.master = Some(c.orig);
    c.timestamp = Some(Timestamp { start: 1, stop: 0 });
    c.seq_adj = Some(
        [SeqAdj {
            correction_pos: 1,
            offset_before: -2,
            offset_after: 3,
        }; 2],
    );
    c.synproxy = Some(Synproxy::default());
    let msg = record_of(&c);
    assert_eq!(
        kinds(&msg),
        [
            cta::TUPLE_ORIG,
            cta::TUPLE_REPLY,
            cta::STATUS,
            cta::MARK,
            cta::ID,
            cta::USE,
            cta::TUPLE_MASTER,
            cta::TIMEOUT,
            cta::PROTOINFO,
            cta::COUNTERS_ORIG,
            cta::COUNTERS_REPLY,
            cta::TIMESTAMP,
            cta::SEQ_ADJ_ORIG,
            cta::SEQ_ADJ_REPLY,
            cta::SYNPROXY,
        ]
    );
    assert_eq!(record::read(&msg).unwrap().conn, c);
}

#[test]
fn offloaded_connections_have_no_timeout_nor_state() {
    let mut c = tcp4_established();
    c.status |= ips::OFFLOAD;
    let k = kinds(&record_of(&c));
    assert!(!k.contains(&cta::TIMEOUT) && !k.contains(&cta::PROTOINFO));
}

#[test]
fn master_and_seq_adj_follow_their_status_bits() {
    let mut c = udp6_zone();
    c.master = Some(c.orig);
    c.seq_adj = Some([SeqAdj::default(); 2]);
    let k = kinds(&record_of(&c));
    assert!(!k.contains(&cta::TUPLE_MASTER) && !k.contains(&cta::SEQ_ADJ_ORIG));
}

#[test]
fn status_bits_beyond_nf_conntrack_stay_private() {
    let mut c = udp6_zone();
    c.status |= 1 << 31;
    let back = record::read(&record_of(&c)).unwrap().conn;
    assert_eq!(back.status, 0x0a);
}

#[test]
fn record_headers_follow_the_request() {
    let c = icmp4_orig_zone();
    let mut s = VecSink::new();
    encode::record(&mut s, &c, 0, 3, true).unwrap();
    let (h, _) = Header::parse(&s.buf).unwrap();
    assert_eq!(
        h,
        Header {
            msg_type: Op::New.msg_type(),
            flags: flags::DUMP_FILTERED,
            seq: 3,
            portid: 0,
            family: 2,
            version: 0,
            res_id: 0,
        }
    );
    let mut s = VecSink::new();
    encode::record(&mut s, &c, 9, 3, true).unwrap();
    let (h, _) = Header::parse(&s.buf).unwrap();
    assert_eq!(h.flags, flags::MULTI | flags::DUMP_FILTERED);
}

#[test]
fn events_carry_what_their_bits_say() {
    let mut c = tcp4_established();
    c.mark = 0;
    c.seq_adj = Some([SeqAdj::default(); 2]);
    c.status |= ips::SEQ_ADJUST;
    c.synproxy = Some(Synproxy::default());
    let base = [
        cta::TUPLE_ORIG,
        cta::TUPLE_REPLY,
        cta::ID,
        cta::STATUS,
        cta::TIMEOUT,
    ];
    assert_eq!(kinds(&event_of(&c, bits::REPLY)), base);
    let all = bits::PROTOINFO | bits::SEQADJ | bits::SYNPROXY | bits::MARK;
    let mut want = base.to_vec();
    want.extend([
        cta::PROTOINFO,
        cta::SEQ_ADJ_ORIG,
        cta::SEQ_ADJ_REPLY,
        cta::SYNPROXY,
        cta::MARK,
    ]);
    assert_eq!(kinds(&event_of(&c, bits::NEW | all)), want);
    // A destroy event tells the counters and the state, whatever the bits.
    let k = kinds(&event_of(&c, bits::DESTROY));
    assert_eq!(
        k,
        [
            cta::TUPLE_ORIG,
            cta::TUPLE_REPLY,
            cta::ID,
            cta::STATUS,
            cta::TIMEOUT,
            cta::COUNTERS_ORIG,
            cta::COUNTERS_REPLY,
            cta::PROTOINFO,
        ]
    );
}

#[test]
fn event_groups_and_headers() {
    assert_eq!(event::group(0), None);
    assert_eq!(
        event::group(bits::DESTROY | bits::NEW),
        Some(Group::Destroy)
    );
    assert_eq!(event::group(bits::RELATED), Some(Group::New));
    assert_eq!(event::group(bits::MARK), Some(Group::Update));
    let c = udp6_zone();
    let mut s = VecSink::new();
    assert_eq!(event::write(&mut s, &c, 0, 0).unwrap(), None);
    assert!(s.buf.is_empty());
    assert_eq!(
        event::write(&mut s, &c, bits::ASSURED, 77).unwrap(),
        Some(Group::Update)
    );
    let (h, _) = Header::parse(&s.buf).unwrap();
    assert_eq!((h.msg_type, h.flags, h.portid, h.seq), (0x100, 0, 77, 0));
}

#[test]
fn related_events_carry_the_master() {
    let mut c = udp6_zone();
    c.status |= ips::EXPECTED;
    c.master = Some(c.orig);
    assert!(kinds(&event_of(&c, bits::RELATED)).contains(&cta::TUPLE_MASTER));
    assert!(!kinds(&event_of(&c, bits::NEW)).contains(&cta::TUPLE_MASTER));
}

#[test]
fn generic_protocols_have_the_number_alone() {
    let t = Tuple::new(L3::Ipv4, 132, v4([1, 1, 1, 1]), v4([2, 2, 2, 2]), 0, 0);
    let c = super::super::snapshot::Snapshot::new(t, t.invert().unwrap());
    let msg = record_of(&c);
    let orig = Attrs::new(&msg[20..]).next().unwrap();
    let proto = orig.nested().nth(1).unwrap();
    let inner: Vec<u16> = proto.nested().map(|a| a.kind()).collect();
    assert_eq!(inner, [cta::proto::NUM]);
    assert_eq!(record::read(&msg).unwrap().conn.orig.proto(), 132);
    let icmp6 = Tuple::new(L3::Ipv6, ipproto::ICMPV6, v6(1), v6(2), 9, 128 << 8);
    let c = super::super::snapshot::Snapshot::new(icmp6, icmp6.invert().unwrap());
    let back = record::read(&record_of(&c)).unwrap().conn;
    assert_eq!((back.orig, back.reply), (c.orig, c.reply));
}

#[test]
fn a_record_that_does_not_fit_leaves_nothing() {
    let c = tcp4_established();
    let full = record_of(&c).len();
    let first = record_of(&c);
    for cap in 0..full {
        let mut s = VecSink::with_cap(cap);
        assert!(encode::record(&mut s, &c, 1, 1, false).is_err());
        assert!(s.buf.is_empty(), "room for {cap} bytes");
    }
    // A second record that does not fit behind a first leaves the first whole.
    let mut s = VecSink::with_cap(full + full / 2);
    encode::record(&mut s, &c, 5, 6, false).unwrap();
    assert!(encode::record(&mut s, &c, 5, 6, false).is_err());
    assert_eq!(s.buf, first);
    let mut s = VecSink::with_cap(full + 10);
    event::write(&mut s, &c, bits::NEW, 0).unwrap();
    let len = s.buf.len();
    assert!(event::write(&mut s, &c, bits::DESTROY, 0).is_err());
    assert_eq!(s.buf.len(), len);
}

#[test]
fn a_measure_gives_the_length_of_a_message() {
    let c = tcp4_established();
    let mut m = Measure::default();
    event::write(&mut m, &c, bits::NEW | bits::PROTOINFO, 0).unwrap();
    assert_eq!(m.len(), event_of(&c, bits::NEW | bits::PROTOINFO).len());
    let mut m = Measure::default();
    encode::record(&mut m, &c, 5, 6, false).unwrap();
    assert_eq!(m.len(), record_of(&c).len());
}
