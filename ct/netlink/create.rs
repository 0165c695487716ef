// SPDX-License-Identifier: GPL-2.0

//! `CT_NEW` requests: creating a connection (`conntrack -I`) and changing one (`conntrack -U`),
//! in nf_conntrack_netlink's order (see [`super::request::NewConn`]).

use super::change::ConnState;
use super::conns;
use super::errno::Errno;
use super::event;
use super::request::NewConn;
use crate::ct::conn::{self, Conn};
use crate::ct::events::{self, ipct, Origin};
use crate::ct::pipeline;
use crate::ct::proto::{ProtoState, TcpWindow};
use crate::ct::state::CtNet;
use crate::ct::status::Dir;
use crate::ct::sys::time::{self, HZ};
use crate::ct::table::InsertError;
use core::sync::atomic::Ordering::Relaxed;

/// Changes `conn` as the request asks, and tells listeners. Changes made before a failing
/// attribute stay, as in nf_conntrack.
pub(crate) fn update(conn: &Conn, n: &NewConn<'_>, origin: Origin) -> Result<(), Errno> {
    n.may_change()?;
    let before = conns::state_of(conn);
    let mut after = before;
    let changed = n.update(&mut after, HZ);
    conns::apply(conn, &before, &after);
    changed?;
    let _ = events::report(conn, event::CHANGED, origin);
    Ok(())
}

/// Sets up the NAT bindings a created connection asks for. The NAT engine plugs in here; until
/// it does, a request with bindings fails as nf_conntrack's does without NAT.
fn setup_nat(_conn: &Conn, n: &NewConn<'_>) -> Result<(), Errno> {
    if n.has_nat() {
        return Err(Errno::EOPNOTSUPP);
    }
    Ok(())
}

/// Creates the connection the request describes in `ct`, inserts it and tells listeners.
pub(crate) fn create(ct: &CtNet, n: &NewConn<'_>, origin: Origin) -> Result<(), Errno> {
    let (orig, reply) = n.create()?;
    let zone = conns::zone(&n.zone);
    let hashes = [
        ct.hash(&orig, zone.id_of(Dir::Original)),
        ct.hash(&reply, zone.id_of(Dir::Reply)),
    ];
    let new = conn::NewConn {
        orig: orig.with_dir(0),
        reply: reply.with_dir(1),
        hashes,
        proto: ProtoState::default(),
        window: TcpWindow::default(),
        zone,
        timeout: 0,
        status: 0,
        acct: ct.acct.load(Relaxed) != 0,
    };
    let conn = pipeline::create(ct, new).ok_or(Errno::ENOMEM)?;
    n.check_create()?;
    setup_nat(&conn, n)?;
    let before = conns::state_of(&conn);
    let mut after = ConnState {
        status: 0,
        ..before
    };
    let set_up = n.init(&mut after, HZ);
    conns::apply(&conn, &before, &after);
    set_up?;
    if n.master()?.is_some() {
        // No connection expects another: there are no helpers.
        return Err(Errno::EOPNOTSUPP);
    }
    if let Some(ts) = conn.timestamps() {
        ts.started(time::real_ns());
    }
    match ct.table().insert(&conn, time::now()) {
        Ok(()) => {}
        Err(InsertError::Clash(_)) => return Err(Errno::EEXIST),
        Err(InsertError::ChainTooLong) => return Err(Errno::ENOSPC),
        Err(_) => return Err(Errno::EINVAL),
    }
    ct.stats.inc(|s| &s.insert);
    let _ = events::report(&conn, ipct::NEW | event::CREATED, origin);
    Ok(())
}
