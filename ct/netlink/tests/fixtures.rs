// SPDX-License-Identifier: GPL-2.0

//! The encoder against hex dumps: hand-derived records, requests as `conntrack` sends them,
//! and whatever was captured from nf_conntrack.

use super::super::attr::Attrs;
use super::super::cta;
use super::super::encode;
use super::super::errno::Errno;
use super::super::event::{self, bits};
use super::super::msg::{flags, Group, Header, Op};
use super::super::record;
use super::super::request::{Action, Request};
use super::super::snapshot::Timestamp;
use super::super::stats::{self, CpuStats};
use super::support::*;
use crate::ct::proto::TcpState;
use std::vec::Vec;

macro_rules! record_fixture {
    ($name:literal) => {
        hex(include_str!(concat!(
            "../../../tests/fixtures/ctnetlink/records/",
            $name
        )))
    };
}

#[test]
fn tcp4_established_record() {
    let conn = tcp4_established();
    let mut s = VecSink::new();
    encode::record(&mut s, &conn, 0x1000, 7, false).unwrap();
    let want = record_fixture!("tcp4_established.hex");
    assert_eq!(s.buf, want);
    assert_eq!(record::read(&want).unwrap().conn, conn);
}

#[test]
fn udp6_zone_new_event() {
    let conn = udp6_zone();
    let mut s = VecSink::new();
    assert_eq!(
        event::write(&mut s, &conn, bits::NEW, 0).unwrap(),
        Some(Group::New)
    );
    let want = record_fixture!("udp6_zone_new_event.hex");
    assert_eq!(s.buf, want);
    let back = record::read(&want).unwrap().conn;
    assert_eq!(
        (back.orig, back.reply, back.zone),
        (conn.orig, conn.reply, conn.zone)
    );
}

#[test]
fn icmp4_orig_zone_get_answer() {
    let conn = icmp4_orig_zone();
    let mut s = VecSink::new();
    encode::record(&mut s, &conn, 0xabc, 99, false).unwrap();
    let want = record_fixture!("icmp4_orig_zone_get.hex");
    assert_eq!(s.buf, want);
    assert_eq!(record::read(&want).unwrap().conn, conn);
}

#[test]
fn tcp4_destroy_event() {
    let mut conn = tcp4_established();
    conn.status |= 0x200;
    conn.timeout_secs = 0;
    if let Some(tcp) = conn.tcp.as_mut() {
        tcp.state = TcpState::TimeWait;
    }
    conn.timestamp = Some(Timestamp {
        start: 0x1122_3344_5566_7788,
        stop: 0x1122_3344_5566_7799,
    });
    let mut s = VecSink::new();
    assert_eq!(
        event::write(&mut s, &conn, bits::DESTROY, 0).unwrap(),
        Some(Group::Destroy)
    );
    assert_eq!(s.buf, record_fixture!("tcp4_destroy_event.hex"));
}

#[test]
fn statistics_records() {
    let st = CpuStats {
        found: 11,
        invalid: 3,
        insert: 7,
        insert_failed: 0,
        drop: 1,
        early_drop: 2,
        error: 4,
        search_restart: 0,
        clash_resolve: 5,
        chain_toolong: 6,
    };
    let mut s = VecSink::new();
    stats::cpu_record(&mut s, 1, &st, 0x1000, 5).unwrap();
    assert_eq!(s.buf, record_fixture!("stats_cpu1.hex"));
    let mut s = VecSink::new();
    stats::table_record(&mut s, 3, 65536, 0x1000, 6).unwrap();
    assert_eq!(s.buf, record_fixture!("stats_table.hex"));
}

/// The name `# expect:` lines give an action or an error.
fn outcome(r: Result<Action<'_>, Errno>) -> &'static str {
    match r {
        Ok(Action::New(_)) => "New",
        Ok(Action::Get { .. }) => "Get",
        Ok(Action::Dump { .. }) => "Dump",
        Ok(Action::Delete { .. }) => "Delete",
        Ok(Action::Flush { .. }) => "Flush",
        Ok(Action::DumpStatsCpu) => "DumpStatsCpu",
        Ok(Action::Stats) => "Stats",
        Ok(Action::DumpDying { .. }) => "DumpDying",
        Ok(Action::DumpNothing) => "DumpNothing",
        Ok(Action::Nothing) => "Nothing",
        Err(e) => errno_name(e),
    }
}

fn errno_name(e: Errno) -> &'static str {
    match e {
        Errno::EPERM => "EPERM",
        Errno::ENOENT => "ENOENT",
        Errno::EBUSY => "EBUSY",
        Errno::EEXIST => "EEXIST",
        Errno::EINVAL => "EINVAL",
        Errno::ENOSPC => "ENOSPC",
        Errno::ERANGE => "ERANGE",
        Errno::ETIME => "ETIME",
        Errno::EOPNOTSUPP => "EOPNOTSUPP",
        _ => "other errno",
    }
}

#[test]
fn request_fixtures_decode_as_expected() {
    let files = fixture_files("requests");
    assert!(files.len() >= 10, "request fixtures missing");
    for (path, text) in files {
        let want = directive(&text, "expect").unwrap_or_else(|| panic!("{path}: no expect"));
        let msg = hex(&text);
        let got = Request::parse(&msg).map_or_else(errno_name, |r| outcome(r.action()));
        assert_eq!(got, want, "{path}");
    }
}

/// The messages of a capture, back to back.
fn messages(bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while rest.len() >= 4 {
        let len = u32::from_ne_bytes(rest[..4].try_into().unwrap()) as usize;
        assert!(len >= 20 && len <= rest.len(), "bad message length {len}");
        out.push(&rest[..len]);
        rest = &rest[((len + 3) & !3).min(rest.len())..];
    }
    assert!(rest.is_empty(), "trailing bytes");
    out
}

/// The event bits that make the encoder write the attributes `msg` has.
fn inferred_events(h: &Header, msg: &[u8]) -> u32 {
    let kinds: Vec<u16> = Attrs::new(&msg[20..]).map(|a| a.kind()).collect();
    let has = |k| kinds.contains(&k);
    let mut e = if h.msg_type == Op::Delete.msg_type() {
        bits::DESTROY
    } else if h.flags & flags::CREATE != 0 {
        if has(cta::TUPLE_MASTER) {
            bits::RELATED
        } else {
            bits::NEW
        }
    } else {
        bits::REPLY
    };
    for (kind, bit) in [
        (cta::PROTOINFO, bits::PROTOINFO),
        (cta::SEQ_ADJ_ORIG, bits::SEQADJ),
        (cta::SYNPROXY, bits::SYNPROXY),
        (cta::MARK, bits::MARK),
    ] {
        if has(kind) {
            e |= bit;
        }
    }
    e
}

#[test]
fn captured_messages_are_written_back_identically() {
    for (path, text) in fixture_files("captured") {
        for (i, msg) in messages(&hex(&text)).into_iter().enumerate() {
            let r = record::read(msg).unwrap_or_else(|e| panic!("{path} #{i}: {e:?}"));
            let is_record = Attrs::new(&msg[20..]).any(|a| a.kind() == cta::USE);
            let mut s = VecSink::new();
            if is_record {
                let filtered = r.header.flags & flags::DUMP_FILTERED != 0;
                encode::record(&mut s, &r.conn, r.header.portid, r.header.seq, filtered).unwrap();
            } else {
                let events = inferred_events(&r.header, msg);
                event::write(&mut s, &r.conn, events, r.header.portid).unwrap();
            }
            assert_eq!(s.buf, msg, "{path} #{i}");
        }
    }
}

#[test]
fn the_fixture_reader_reads_comments_and_splits_messages() {
    assert_eq!(hex("0a 0b # 0c\n  0d0e"), [10, 11, 13, 14]);
    assert_eq!(
        directive("# x\n# expect: EINVAL\n", "expect"),
        Some("EINVAL")
    );
    let two = [
        record_fixture!("stats_table.hex"),
        record_fixture!("stats_table.hex"),
    ]
    .concat();
    assert_eq!(messages(&two).len(), 2);
}

#[test]
fn a_created_connection_is_told_with_its_protocol_state_and_kernel_errors_are_negative() {
    let conn = tcp4_established();
    let mut s = VecSink::new();
    let events = bits::NEW | super::super::event::CREATED;
    assert_eq!(
        event::write(&mut s, &conn, events, 7).unwrap(),
        Some(Group::New)
    );
    let kinds: Vec<u16> = Attrs::new(&s.buf[20..]).map(|a| a.kind()).collect();
    assert!(kinds.contains(&cta::PROTOINFO) && kinds.contains(&cta::MARK));
    assert_eq!(super::super::event::CHANGED & bits::LABEL, bits::LABEL);
    assert_eq!(Errno::ENOMEM.to_kernel(), -12);
}
