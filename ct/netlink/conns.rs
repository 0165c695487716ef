// SPDX-License-Identifier: GPL-2.0

//! Connections as ctnetlink sees them: a connection's snapshot for records and events, lookups
//! by a request's key, and the state a request changes.

use super::change::ConnState;
use super::request::Key;
use super::snapshot::{self, tcp_flags, Snapshot, TcpInfo, Timestamp};
use crate::ct::conn::Conn;
use crate::ct::format::Counter;
use crate::ct::proto::{ProtoState, SenderFlags, TcpWindow};
use crate::ct::state::CtNet;
use crate::ct::status::{bits, Dir};
use crate::ct::sys::sync::Rcu;
use crate::ct::sys::time::{self, HZ};
use crate::ct::tuple::ipproto;
use crate::ct::zone::Zone;
use core::sync::atomic::Ordering::Relaxed;
use kernel::types::ARef;

/// The zone of a request in the tracker's terms.
pub(crate) fn zone(z: &snapshot::Zone) -> Zone {
    Zone {
        id: z.id,
        dirs: z.dir,
    }
}

/// Everything ctnetlink tells of `conn`, at jiffies `now`.
pub(crate) fn snapshot(conn: &Conn, now: u32) -> Snapshot {
    let status = conn.status();
    let timeout = if status & bits::CONFIRMED != 0 {
        conn.expires_in(now)
    } else {
        conn.timeout()
    };
    let z = conn.zone();
    let mut s = Snapshot::new(conn.tuple(Dir::Original), conn.tuple(Dir::Reply));
    s.zone = snapshot::Zone {
        id: z.id,
        dir: z.dirs,
    };
    s.status = (status & !bits::PRIVATE) as u32;
    s.timeout_secs = timeout / HZ;
    s.mark = conn.mark();
    s.id = conn.id();
    s.use_count = conn.refs();
    s.counters = counters(conn);
    if s.orig.proto() == ipproto::TCP {
        s.tcp = Some(conn.with_proto(|st, win| tcp_info(st, win)));
    }
    s.timestamp = conn.timestamps().map(|t| {
        let (start, stop) = t.get();
        Timestamp { start, stop }
    });
    s
}

/// The counters of `conn`, if it counts.
pub(crate) fn counters(conn: &Conn) -> Option<[Counter; 2]> {
    conn.counters().map(|c| {
        [0, 1].map(|d| Counter {
            packets: c[d][0].load(Relaxed),
            bytes: c[d][1].load(Relaxed),
        })
    })
}

/// Takes `read`, counters read for a record just written, off `conn`'s: a request that zeroes
/// the counters as it reads them keeps what was counted since.
pub(crate) fn zero_counters(conn: &Conn, read: &Option<[Counter; 2]>) {
    if let (Some(c), Some(read)) = (conn.counters(), read) {
        for d in 0..2 {
            c[d][0].fetch_sub(read[d].packets, Relaxed);
            c[d][1].fetch_sub(read[d].bytes, Relaxed);
        }
    }
}

/// The TCP state as `CTA_PROTOINFO_TCP` carries it (`tcp_to_nlattr`).
fn tcp_info(st: &ProtoState, win: &TcpWindow) -> TcpInfo {
    let closer = st.close_initiator();
    let side = |d: Dir| {
        let f = win.flags[d.index()];
        let mut flags = 0;
        for (ours, theirs) in [
            (SenderFlags::SACK_PERM, tcp_flags::SACK_PERM),
            (SenderFlags::LIBERAL, tcp_flags::BE_LIBERAL),
            (SenderFlags::UNACKED, tcp_flags::DATA_UNACKNOWLEDGED),
            (SenderFlags::MAX_ACK_SET, tcp_flags::MAXACK_SET),
        ] {
            if f.has(ours) {
                flags |= theirs;
            }
        }
        // The code is the scale plus one when the side sent the option, zero when not.
        let code = f.scale_code();
        if code != 0 {
            flags |= tcp_flags::WINDOW_SCALE;
        }
        if closer == Some(d) {
            flags |= tcp_flags::CLOSE_INIT;
        }
        (code.saturating_sub(1), flags)
    };
    let (o, r) = (side(Dir::Original), side(Dir::Reply));
    TcpInfo {
        state: st.tcp,
        wscale: [o.0, r.0],
        flags: [o.1, r.1],
    }
}

/// Writes a TCP state a request gave back into the tracker's (`nlattr_to_tcp`).
fn set_tcp(st: &mut ProtoState, win: &mut TcpWindow, tcp: &TcpInfo) {
    st.tcp = tcp.state;
    for d in [Dir::Original, Dir::Reply] {
        let (nf, scale) = (tcp.flags[d.index()], tcp.wscale[d.index()]);
        let mut ours = 0;
        for (theirs, bit) in [
            (tcp_flags::SACK_PERM, SenderFlags::SACK_PERM),
            (tcp_flags::BE_LIBERAL, SenderFlags::LIBERAL),
            (tcp_flags::DATA_UNACKNOWLEDGED, SenderFlags::UNACKED),
            (tcp_flags::MAXACK_SET, SenderFlags::MAX_ACK_SET),
        ] {
            if nf & theirs != 0 {
                ours |= bit;
            }
        }
        let code = if nf & tcp_flags::WINDOW_SCALE != 0 {
            scale.saturating_add(1)
        } else {
            0
        };
        win.flags[d.index()] = SenderFlags::new(code, ours);
    }
}

/// The connection `key` names in `ct`, with a reference (`nf_conntrack_find_get`).
pub(crate) fn find(ct: &CtNet, key: &Key, rcu: &Rcu) -> Option<ARef<Conn>> {
    ct.find(&key.tuple, self::zone(&key.zone), time::now(), rcu)
        .map(|(conn, _)| conn)
}

/// What a request may change of `conn`.
pub(crate) fn state_of(conn: &Conn) -> ConnState {
    let tcp = (conn.tuple(Dir::Original).proto() == ipproto::TCP)
        .then(|| conn.with_proto(|st, win| tcp_info(st, win)));
    ConnState {
        status: (conn.status() & !bits::PRIVATE) as u32,
        timeout: None,
        mark: conn.mark(),
        tcp,
        seq_adj: None,
        synproxy: None,
        has_master: false,
    }
}

/// Makes `conn` what a request changed `before` into: `after`. Status bits are only ever set;
/// the timeout counts from now once the connection is confirmed.
pub(crate) fn apply(conn: &Conn, before: &ConnState, after: &ConnState) {
    let set = after.status & !before.status & !super::ips::CONFIRMED;
    if set != 0 {
        conn.set_status(set as usize);
    }
    if let Some(t) = after.timeout {
        if conn.status() & bits::CONFIRMED != 0 {
            let now = time::now();
            let deadline = now.wrapping_add(t);
            conn.set_timeout(deadline);
            conn.owner().expires_at(now, deadline);
        } else {
            conn.set_timeout(t);
        }
    }
    if after.mark != before.mark {
        conn.set_mark(after.mark);
    }
    if let Some(tcp) = after.tcp.filter(|t| Some(*t) != before.tcp) {
        conn.with_proto(|st, win| set_tcp(st, win, &tcp));
    }
}
