// SPDX-License-Identifier: GPL-2.0

//! Changing and creating connections by request.

use super::super::change::{change_status, timeout_jiffies, ConnState};
use super::super::cta;
use super::super::errno::Errno;
use super::super::ips;
use super::super::msg::{flags, Op};
use super::super::request::{Action, NewConn};
use super::super::snapshot::{tcp_flags, SeqAdj, Synproxy, TcpInfo};
use super::requests::action;
use super::support::*;
use crate::ct::proto::TcpState;
use std::vec::Vec;

const HZ: u32 = 250;

fn new_conn(extra: &[Vec<u8>]) -> NewConn<'static> {
    let mut attrs = std::vec![tcp4_tuple(cta::TUPLE_ORIG, [1; 4], [2; 4], 1, 2)];
    attrs.extend_from_slice(extra);
    let msg = request(Op::New as u8, flags::REQUEST | flags::CREATE, 2, &attrs);
    match action(&msg).unwrap() {
        Action::New(n) => n,
        _ => panic!(),
    }
}

fn be32(kind: u16, v: u32) -> Vec<u8> {
    attr(kind, &v.to_be_bytes())
}

fn existing() -> ConnState {
    ConnState {
        status: ips::CONFIRMED | ips::SEEN_REPLY,
        tcp: Some(TcpInfo::default()),
        ..ConnState::default()
    }
}

#[test]
fn status_bits_can_only_be_set_and_only_some() {
    let cur = ips::CONFIRMED | ips::SEEN_REPLY;
    assert_eq!(
        change_status(cur, cur | ips::ASSURED),
        Ok(cur | ips::ASSURED)
    );
    assert_eq!(change_status(cur, ips::CONFIRMED), Err(Errno::EBUSY));
    assert_eq!(change_status(cur, ips::SEEN_REPLY), Err(Errno::EBUSY));
    assert_eq!(change_status(cur, cur | ips::EXPECTED), Err(Errno::EBUSY));
    assert_eq!(change_status(cur, cur | ips::DYING), Err(Errno::EBUSY));
    // Unchangeable bits and bits beyond nf_conntrack's are ignored.
    let asked = cur | ips::SRC_NAT | ips::SEQ_ADJUST | ips::OFFLOAD | (1 << 20);
    assert_eq!(change_status(cur, asked), Ok(cur));
    assert_eq!(
        change_status(cur, cur | ips::FIXED_TIMEOUT | ips::HELPER),
        Ok(cur | ips::FIXED_TIMEOUT | ips::HELPER)
    );
    assert_eq!(change_status(cur | ips::ASSURED, cur), Err(Errno::EBUSY));
}

#[test]
fn timeouts_in_jiffies_are_capped() {
    assert_eq!(timeout_jiffies(30, HZ), 7500);
    assert_eq!(timeout_jiffies(u32::MAX, 1000), i32::MAX as u32);
}

#[test]
fn updates_change_timeout_status_mark_and_state() {
    let info = nest(
        cta::PROTOINFO,
        &[nest(
            cta::protoinfo::TCP,
            &[
                attr(cta::tcp::STATE, &[TcpState::Established as u8]),
                attr(cta::tcp::FLAGS_ORIGINAL, &[tcp_flags::WINDOW_SCALE, 0xff]),
                attr(
                    cta::tcp::FLAGS_REPLY,
                    &[tcp_flags::WINDOW_SCALE | 0x40, 0x01],
                ),
                attr(cta::tcp::WSCALE_ORIGINAL, &[3]),
                attr(cta::tcp::WSCALE_REPLY, &[4]),
            ],
        )],
    );
    let n = new_conn(&[
        be32(cta::TIMEOUT, 60),
        be32(cta::STATUS, ips::CONFIRMED | ips::SEEN_REPLY | ips::ASSURED),
        be32(cta::MARK, 0x0f),
        be32(cta::MARK_MASK, 0xff),
        info,
    ]);
    let mut s = existing();
    s.mark = 0x1234_5678;
    n.update(&mut s, HZ).unwrap();
    assert_eq!(s.timeout, Some(60 * HZ));
    assert_eq!(s.status, ips::CONFIRMED | ips::SEEN_REPLY | ips::ASSURED);
    assert_eq!(s.mark, 0x1234_560f);
    assert_eq!(
        s.tcp,
        Some(TcpInfo {
            state: TcpState::Established,
            wscale: [3, 4],
            flags: [tcp_flags::WINDOW_SCALE, tcp_flags::WINDOW_SCALE],
        })
    );
    // Without window scaling on both sides, the scales stay.
    let mut s = existing();
    let info = nest(
        cta::PROTOINFO,
        &[nest(
            cta::protoinfo::TCP,
            &[
                attr(cta::tcp::WSCALE_ORIGINAL, &[3]),
                attr(cta::tcp::WSCALE_REPLY, &[4]),
            ],
        )],
    );
    new_conn(&[info]).update(&mut s, HZ).unwrap();
    assert_eq!(s.tcp.unwrap().wscale, [0, 0]);
    // A mark without a mask replaces the mark.
    let mut s = existing();
    s.mark = 7;
    new_conn(&[be32(cta::MARK, 9)]).update(&mut s, HZ).unwrap();
    assert_eq!(s.mark, 9);
}

#[test]
fn update_errors_in_nf_conntrack_order() {
    let nat = nest(cta::NAT_SRC, &[]);
    let master = tcp4_tuple(cta::TUPLE_MASTER, [3; 4], [4; 4], 5, 6);
    let help = |name: &[u8]| nest(cta::HELP, &[attr(cta::help::NAME, name)]);
    let cases: [(Vec<Vec<u8>>, ConnState, Errno); 11] = [
        (
            std::vec![nat, be32(cta::TIMEOUT, 1)],
            existing(),
            Errno::EOPNOTSUPP,
        ),
        (std::vec![master], existing(), Errno::EOPNOTSUPP),
        (std::vec![help(b"ftp\0")], existing(), Errno::EOPNOTSUPP),
        (std::vec![help(b"ftp")], existing(), Errno::EINVAL),
        (
            std::vec![help(b"\0")],
            ConnState {
                has_master: true,
                ..existing()
            },
            Errno::EBUSY,
        ),
        (
            std::vec![be32(cta::TIMEOUT, 1)],
            ConnState {
                status: ips::FIXED_TIMEOUT,
                ..existing()
            },
            Errno::EPERM,
        ),
        (
            std::vec![be32(cta::TIMEOUT, 1)],
            ConnState {
                status: ips::DYING,
                ..existing()
            },
            Errno::ETIME,
        ),
        (std::vec![be32(cta::STATUS, 0)], existing(), Errno::EBUSY),
        (
            std::vec![nest(
                cta::PROTOINFO,
                &[nest(cta::protoinfo::TCP, &[attr(cta::tcp::STATE, &[10])])]
            )],
            existing(),
            Errno::ERANGE,
        ),
        (
            std::vec![attr(cta::LABELS, &[0; 3])],
            existing(),
            Errno::EINVAL,
        ),
        (
            std::vec![attr(cta::LABELS, &[0; 4])],
            existing(),
            Errno::ENOSPC,
        ),
    ];
    for (i, (attrs, mut s, e)) in cases.into_iter().enumerate() {
        assert_eq!(new_conn(&attrs).update(&mut s, HZ), Err(e), "case {i}");
    }
    // Removing a helper from a connection without one succeeds.
    assert!(new_conn(&[help(b"\0")]).update(&mut existing(), HZ).is_ok());
    // What was changed before an error stays changed.
    let mut s = ConnState {
        status: ips::DYING | ips::CONFIRMED,
        ..existing()
    };
    let n = new_conn(&[be32(cta::TIMEOUT, 2)]);
    assert_eq!(n.update(&mut s, HZ), Err(Errno::ETIME));
    assert_eq!(s.timeout, Some(2 * HZ));
}

#[test]
fn sequence_adjustment_and_synproxy_need_every_field() {
    let seq = |fields: &[(u16, u32)]| {
        nest(
            cta::SEQ_ADJ_ORIG,
            &fields.iter().map(|&(k, v)| be32(k, v)).collect::<Vec<_>>(),
        )
    };
    let full = seq(&[
        (cta::seqadj::CORRECTION_POS, 100),
        (cta::seqadj::OFFSET_BEFORE, (-4i32) as u32),
        (cta::seqadj::OFFSET_AFTER, 8),
    ]);
    let mut s = ConnState {
        seq_adj: Some([SeqAdj::default(); 2]),
        ..existing()
    };
    new_conn(core::slice::from_ref(&full))
        .update(&mut s, HZ)
        .unwrap();
    assert_eq!(
        s.seq_adj.unwrap()[0],
        SeqAdj {
            correction_pos: 100,
            offset_before: -4,
            offset_after: 8
        }
    );
    assert_ne!(s.status & ips::SEQ_ADJUST, 0);
    // Without room for it, sequence adjustment is ignored, malformed or not.
    let mut s = existing();
    new_conn(&[seq(&[])]).update(&mut s, HZ).unwrap();
    assert_eq!(s.status & ips::SEQ_ADJUST, 0);
    // A missing field fails after the fields before it were set.
    let mut s = ConnState {
        seq_adj: Some([SeqAdj::default(); 2]),
        ..existing()
    };
    let partial = seq(&[(cta::seqadj::CORRECTION_POS, 5)]);
    assert_eq!(new_conn(&[partial]).update(&mut s, HZ), Err(Errno::EINVAL));
    assert_eq!(s.seq_adj.unwrap()[0].correction_pos, 5);
    assert_eq!(s.status & ips::SEQ_ADJUST, 0);
    let sp = |fields: &[(u16, u32)]| {
        nest(
            cta::SYNPROXY,
            &fields.iter().map(|&(k, v)| be32(k, v)).collect::<Vec<_>>(),
        )
    };
    let mut s = ConnState {
        synproxy: Some(Synproxy::default()),
        ..existing()
    };
    let two = sp(&[(cta::synproxy::ISN, 1), (cta::synproxy::ITS, 2)]);
    assert_eq!(new_conn(&[two]).update(&mut s, HZ), Err(Errno::EINVAL));
    assert_eq!(s.synproxy, Some(Synproxy::default()));
    let three = sp(&[
        (cta::synproxy::ISN, 1),
        (cta::synproxy::ITS, 2),
        (cta::synproxy::TSOFF, 3),
    ]);
    new_conn(&[three]).update(&mut s, HZ).unwrap();
    assert_eq!(
        s.synproxy,
        Some(Synproxy {
            isn: 1,
            its: 2,
            tsoff: 3
        })
    );
}

#[test]
fn creating_needs_a_timeout_and_no_helper() {
    assert_eq!(new_conn(&[]).check_create(), Err(Errno::EINVAL));
    assert!(new_conn(&[be32(cta::TIMEOUT, 1)]).check_create().is_ok());
    let help = nest(cta::HELP, &[attr(cta::help::NAME, b"ftp\0")]);
    assert_eq!(
        new_conn(&[be32(cta::TIMEOUT, 1), help]).check_create(),
        Err(Errno::EOPNOTSUPP)
    );
    let help = nest(cta::HELP, &[]);
    assert_eq!(
        new_conn(&[be32(cta::TIMEOUT, 1), help]).check_create(),
        Err(Errno::EINVAL)
    );
}

#[test]
fn a_created_connection_is_confirmed_and_must_be_asked_so() {
    let fresh = || ConnState {
        tcp: Some(TcpInfo::default()),
        seq_adj: Some([SeqAdj::default(); 2]),
        synproxy: Some(Synproxy::default()),
        ..ConnState::default()
    };
    let mut s = fresh();
    let n = new_conn(&[
        be32(cta::TIMEOUT, 120),
        be32(cta::STATUS, ips::CONFIRMED | ips::SEEN_REPLY | ips::ASSURED),
        be32(cta::MARK, 3),
    ]);
    n.init(&mut s, HZ).unwrap();
    assert_eq!(s.status, ips::CONFIRMED | ips::SEEN_REPLY | ips::ASSURED);
    assert_eq!((s.timeout, s.mark), (Some(120 * HZ), 3));
    // Without CONFIRMED in the status asked for, the status is a change of CONFIRMED.
    let mut s = fresh();
    let n = new_conn(&[be32(cta::TIMEOUT, 1), be32(cta::STATUS, ips::SEEN_REPLY)]);
    assert_eq!(n.init(&mut s, HZ), Err(Errno::EBUSY));
    // NAT bits set up before stay.
    let mut s = ConnState {
        status: ips::SRC_NAT | ips::SRC_NAT_DONE,
        ..fresh()
    };
    let n = new_conn(&[be32(cta::TIMEOUT, 1), be32(cta::STATUS, ips::CONFIRMED)]);
    n.init(&mut s, HZ).unwrap();
    assert_eq!(s.status, ips::SRC_NAT | ips::SRC_NAT_DONE | ips::CONFIRMED);
}
