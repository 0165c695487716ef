// SPDX-License-Identifier: GPL-2.0

//! What the fuzz target drives: every decoding step a request can reach, and records read
//! back and written again. Decoding must never panic; the assertions are invariants.

use super::change::ConnState;
use super::encode;
use super::event;
use super::msg::{HDR_LEN, SUBSYS_CTNETLINK};
use super::nat::Manip;
use super::record;
use super::request::{Action, Request};
use super::snapshot::{SeqAdj, Snapshot, Synproxy, TcpInfo};
use super::write::SliceSink;
use crate::ct::tuple::{ipproto, Tuple, L3};

/// Room for any record.
const BUF_LEN: usize = 4096;
/// Jiffies per second of the fuzzed kernel.
const HZ: u32 = 250;

/// A connection state for changes, its status bits taken from `seed`.
fn state(seed: u32) -> ConnState {
    ConnState {
        status: seed,
        timeout: None,
        mark: seed.rotate_left(7),
        tcp: Some(TcpInfo::default()),
        seq_adj: Some([SeqAdj::default(); 2]),
        synproxy: Some(Synproxy::default()),
        has_master: seed & 1 != 0,
    }
}

/// A connection for filters to match.
fn sample() -> Snapshot {
    let mut a = [0; 16];
    a[..4].copy_from_slice(&[10, 0, 0, 1]);
    let t = Tuple::new(L3::Ipv4, ipproto::TCP, a, a, 1, 2);
    Snapshot::new(t, t)
}

/// Most attribute bytes given a header of their own.
const BODY_MAX: usize = 8192;

/// Decodes `data` as a request, then its bytes past the first four as the attributes of a
/// request whose operation, flags and family those four choose, and runs what each asks for.
pub(crate) fn request(data: &[u8]) {
    run_request(data);
    let (Some(&[op, fl, family, version]), Some(body)) = (data.get(..4), data.get(4..)) else {
        return;
    };
    let body = body.get(..BODY_MAX).unwrap_or(body);
    let mut msg = [0u8; HDR_LEN + BODY_MAX];
    let len = HDR_LEN + body.len();
    let flags = u16::from(fl & 0x0f) | (u16::from(fl >> 4) << 8);
    let families = [0, L3::Ipv4 as u8, L3::Ipv6 as u8, family];
    msg[..4].copy_from_slice(&(len as u32).to_ne_bytes());
    msg[4..6].copy_from_slice(&u16::from_be_bytes([SUBSYS_CTNETLINK, op % 8]).to_ne_bytes());
    msg[6..8].copy_from_slice(&flags.to_ne_bytes());
    msg[16] = families[usize::from(version % 4)];
    msg[17] = version >> 7;
    msg[HDR_LEN..len].copy_from_slice(body);
    run_request(&msg[..len]);
}

/// Decodes one request and runs what it asks for against one connection.
fn run_request(data: &[u8]) {
    let Ok(req) = Request::parse(data) else {
        return;
    };
    let _ = req.report();
    let seed = data
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u32::from_ne_bytes);
    match req.action() {
        Ok(Action::New(n)) => {
            let _ = n.key();
            let _ = n.may_change();
            let mut s = state(seed);
            let _ = n.update(&mut s, HZ);
            if n.create().is_ok() {
                let _ = n.check_create();
                if n.has_nat() {
                    let _ = n.nat(Manip::Dst);
                    let _ = n.nat(Manip::Src);
                }
                let mut s = state(0);
                let _ = n.init(&mut s, HZ);
                let _ = n.master();
            }
        }
        Ok(Action::Dump {
            filter: Some(f), ..
        })
        | Ok(Action::Flush { filter: Some(f) }) => {
            let _ = f.matches(&sample());
        }
        Ok(Action::Get { key, .. }) | Ok(Action::Delete { key, .. }) => {
            let mut conn = Snapshot::new(key.tuple, key.tuple);
            conn.zone = key.zone;
            round_trip(&conn);
        }
        _ => {}
    }
}

/// Reads `data` as a record; a record read back is written, read and written again the same.
pub(crate) fn record(data: &[u8]) {
    if let Ok(r) = record::read(data) {
        round_trip(&r.conn);
    }
}

/// Writing `conn`, reading it back and writing it again gives the same bytes, as a record and
/// as events.
fn round_trip(conn: &Snapshot) {
    let mut first = [0; BUF_LEN];
    let mut second = [0; BUF_LEN];
    for events in [None, Some(event::bits::NEW), Some(event::bits::DESTROY)] {
        let mut a = SliceSink::new(&mut first);
        let mut b = SliceSink::new(&mut second);
        write(&mut a, conn, events);
        let again = record::read(a.written()).expect("a written record reads back");
        write(&mut b, &again.conn, events);
        assert_eq!(a.written(), b.written());
    }
}

fn write(sink: &mut SliceSink<'_>, conn: &Snapshot, events: Option<u32>) {
    match events {
        None => encode::record(sink, conn, 1, 2, false).expect("a record fits"),
        Some(e) => {
            event::write(sink, conn, e, 0).expect("an event fits");
        }
    }
}
