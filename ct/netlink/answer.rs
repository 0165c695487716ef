// SPDX-License-Identifier: GPL-2.0

//! Answering requests to the connection subsystem: get, delete, flush, create or update, and
//! the table's statistics; dumps start here and go on in [`super::dumps`].

use super::conns::{self, snapshot};
use super::create;
use super::dumps::{error, CpuStatsDump, DyingDump, EmptyDump, TableDump};
use super::encode;
use super::filter::Filter;
use super::request::{Action, Key, Request};
use super::sink::SkbSink;
use super::stats;
use crate::ct::events::Origin;
use crate::ct::state::{CtNet, MAX};
use crate::ct::status::Dir;
use crate::ct::sys::net::Net;
use crate::ct::sys::nfnetlink::{self, Msg};
use crate::ct::sys::sync::RcuGuard;
use crate::ct::sys::{bindings, time, work};
use core::sync::atomic::Ordering::Relaxed;
use kernel::prelude::*;

/// The size of a message answering one request (`NLMSG_GOODSIZE`).
const ANSWER_SIZE: usize = bindings::NLMSG_GOODSIZE as usize;

/// Answers a request of the connection subsystem.
pub(crate) fn answer(req: &nfnetlink::Request<'_>) -> Result {
    let parsed = Request::parse(req.message()).map_err(error)?;
    let origin = Origin {
        portid: req.portid(),
        report: parsed.report(),
    };
    let seq = parsed.header.seq;
    match parsed.action().map_err(error)? {
        Action::Dump { .. } => req.dump::<TableDump>(),
        Action::DumpStatsCpu => req.dump::<CpuStatsDump>(),
        Action::DumpDying { .. } => req.dump::<DyingDump>(),
        Action::DumpNothing => req.dump::<EmptyDump>(),
        Action::Nothing => Ok(()),
        Action::Get { key, zero_counters } => get(req, seq, &key, zero_counters),
        Action::Delete { key, id } => delete(req.net(), &key, id, origin),
        Action::Flush { filter } => flush(req.net(), filter.as_ref(), origin),
        Action::New(n) => {
            let rcu = RcuGuard::new();
            let ct = req.net().state::<CtNet>(&rcu).ok_or(ENOENT)?;
            match n.key().and_then(|k| conns::find(ct, &k, &rcu)) {
                Some(conn) => create::update(&conn, &n, origin),
                None => create::create(ct, &n, origin),
            }
            .map_err(error)
        }
        Action::Stats => table_stats(req, seq),
    }
}

/// Answers with the record of the connection `key` names (`conntrack -G`), zeroing its
/// counters as they are read if asked.
fn get(req: &nfnetlink::Request<'_>, seq: u32, key: &Key, zero_counters: bool) -> Result {
    let conn = {
        let rcu = RcuGuard::new();
        let ct = req.net().state::<CtNet>(&rcu).ok_or(ENOENT)?;
        conns::find(ct, key, &rcu).ok_or(ENOENT)?
    };
    let snap = snapshot(&conn, time::now());
    let mut msg = Msg::new(ANSWER_SIZE, false)?;
    encode::record(&mut SkbSink(msg.buf()), &snap, req.portid(), seq, false).map_err(|_| ENOMEM)?;
    if zero_counters {
        conns::zero_counters(&conn, &snap.counters);
    }
    drop(conn);
    req.unicast(msg)
}

/// Deletes the connection `key` names (`conntrack -D` with a tuple), if its identifier is
/// `id` when one is given.
fn delete(net: &Net, key: &Key, id: Option<u32>, origin: Origin) -> Result {
    let rcu = RcuGuard::new();
    let ct = net.state::<CtNet>(&rcu).ok_or(ENOENT)?;
    let conn = conns::find(ct, key, &rcu).ok_or(ENOENT)?;
    if id.is_some_and(|id| id != conn.id()) {
        return Err(ENOENT);
    }
    ct.table().kill_by(&conn, origin);
    Ok(())
}

/// Deletes the connections `filter` admits, every one without a filter (`conntrack -F`,
/// `conntrack -D` with a filter).
fn flush(net: &Net, filter: Option<&Filter>, origin: Origin) -> Result {
    const BUCKETS_PER_PASS: usize = 256;
    let mut b: usize = 0;
    loop {
        let rcu = RcuGuard::new();
        let Some(ct) = net.state::<CtNet>(&rcu) else {
            return Ok(());
        };
        let size = ct.table().size();
        let end = b.saturating_add(BUCKETS_PER_PASS).min(size);
        let now = time::now();
        for bucket in b..end {
            for (conn, dir) in ct.table().walk(bucket, &rcu) {
                if dir != Dir::Original || filter.is_some_and(|f| !f.matches(&snapshot(conn, now)))
                {
                    continue;
                }
                ct.table().kill_by(conn, origin);
            }
        }
        drop(rcu);
        b = end;
        if b >= size {
            return Ok(());
        }
        work::cond_resched();
    }
}

/// Answers with the number of connections and the limit (`conntrack -C`).
fn table_stats(req: &nfnetlink::Request<'_>, seq: u32) -> Result {
    let entries = {
        let rcu = RcuGuard::new();
        let ct = req.net().state::<CtNet>(&rcu).ok_or(ENOENT)?;
        ct.count.load(Relaxed).max(0) as u32
    };
    let max = MAX.load(Relaxed).max(0) as u32;
    let mut msg = Msg::new(ANSWER_SIZE, false)?;
    stats::table_record(&mut SkbSink(msg.buf()), entries, max, req.portid(), seq)
        .map_err(|_| ENOMEM)?;
    req.unicast(msg)
}
