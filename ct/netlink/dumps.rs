// SPDX-License-Identifier: GPL-2.0

//! Answers in several parts: the table (`ctnetlink_dump_table`), the statistics of each CPU,
//! the connections whose DESTROY event waits, and the dumps that have nothing to list.
//!
//! No lock is held from one part to the next, nor across a bucket of the table: each part walks
//! buckets under RCU, dropping it every few buckets to let others run, and remembers where it
//! stopped in the dump's cursor.

use super::conns::{self, snapshot};
use super::encode;
use super::errno::Errno;
use super::filter::Filter;
use super::msg::{self, flags, Header};
use super::request::{Action, Request};
use super::sink::SkbSink;
use super::stats::{self, CpuStats};
use super::write::{NoRoom, Writer};
use crate::ct::conn::Conn;
use crate::ct::state::CtNet;
use crate::ct::status::{bits, Dir};
use crate::ct::sys::net::Net;
use crate::ct::sys::nfnetlink::{Dump, DumpCursor, DumpTarget, MsgBuf};
use crate::ct::sys::percpu::possible_cpus;
use crate::ct::sys::sync::{Rcu, RcuGuard};
use crate::ct::sys::{time, work};
use kernel::prelude::*;

/// The kernel error of a codec error.
pub(crate) fn error(e: Errno) -> Error {
    Error::from_errno(e.to_kernel())
}

/// The request `msg`, and what it asks.
fn action_of<T>(msg: &[u8], pick: impl FnOnce(Action<'_>) -> Option<T>) -> Result<T> {
    let req = Request::parse(msg).map_err(error)?;
    pick(req.action().map_err(error)?).ok_or(EINVAL)
}

/// Buckets walked in one RCU read-side section.
const BUCKETS_PER_PASS: usize = 256;

/// Cursor words of a table dump.
mod at {
    /// The bucket to carry on in.
    pub(super) const BUCKET: usize = 0;
    /// The identifier of the first connection of that bucket not yet written.
    pub(super) const ID: usize = 1;
    /// Whether `ID` holds one; if not, the bucket is written from its start.
    pub(super) const RESUMING: usize = 2;
}

/// A dump of the table (`conntrack -L`), filtered or not, zeroing the counters it reads if
/// asked (`conntrack -L -z`).
pub(crate) struct TableDump {
    filter: Option<Filter>,
    zero_counters: bool,
}

/// Why writing a bucket stopped.
enum Stopped {
    /// The part is full: the connection with this identifier is the next to write.
    Full(u32),
    /// The connection to carry on from is gone: the bucket is written again from its start.
    Lost,
}

impl TableDump {
    /// Writes bucket `b` from the connection `from` on, or from its start.
    fn bucket(
        &self,
        ct: &CtNet,
        b: usize,
        from: Option<u32>,
        out: &mut SkbSink<'_>,
        to: &DumpTarget<'_>,
        rcu: &Rcu,
    ) -> Result<(), Stopped> {
        let now = time::now();
        let mut skipping = from;
        for (conn, dir) in ct.table().walk(b, rcu) {
            if dir != Dir::Original {
                continue;
            }
            if let Some(id) = skipping {
                if conn.id() != id {
                    continue;
                }
                skipping = None;
            }
            if conn.status() & bits::DYING != 0 {
                continue;
            }
            if conn.expired(now) {
                // As nf_conntrack, a dump removes the expired connections it meets.
                ct.table().kill(conn);
                continue;
            }
            let snap = snapshot(conn, now);
            if self.filter.as_ref().is_some_and(|f| !f.matches(&snap)) {
                continue;
            }
            let filtered = self.filter.is_some();
            if encode::record(out, &snap, to.portid, to.seq, filtered).is_err() {
                return Err(Stopped::Full(conn.id()));
            }
            if self.zero_counters {
                conns::zero_counters(conn, &snap.counters);
            }
        }
        match skipping {
            Some(_) => Err(Stopped::Lost),
            None => Ok(()),
        }
    }
}

impl Dump for TableDump {
    fn start(_net: &Net, msg: &[u8]) -> Result<Self> {
        action_of(msg, |a| match a {
            Action::Dump {
                filter,
                zero_counters,
            } => Some(Self {
                filter,
                zero_counters,
            }),
            _ => None,
        })
    }

    fn next(&mut self, cursor: &mut DumpCursor<'_>, out: &mut MsgBuf, to: &DumpTarget<'_>) {
        let mut b = cursor.get(at::BUCKET) as usize;
        let mut from = (cursor.get(at::RESUMING) != 0).then(|| cursor.get(at::ID) as u32);
        let mut out = SkbSink(out);
        loop {
            let rcu = RcuGuard::new();
            let Some(ct) = to.net.state::<CtNet>(&rcu) else {
                return;
            };
            let size = ct.table().size();
            let end = b.saturating_add(BUCKETS_PER_PASS).min(size);
            while b < end {
                match self.bucket(ct, b, from, &mut out, to, &rcu) {
                    Ok(()) => {
                        b += 1;
                        from = None;
                    }
                    Err(Stopped::Lost) => from = None,
                    Err(Stopped::Full(id)) => {
                        cursor.set(at::BUCKET, b as u64);
                        cursor.set(at::ID, u64::from(id));
                        cursor.set(at::RESUMING, 1);
                        return;
                    }
                }
            }
            drop(rcu);
            cursor.set(at::BUCKET, b as u64);
            cursor.set(at::RESUMING, 0);
            if b >= size {
                return;
            }
            work::cond_resched();
        }
    }
}

/// The statistics of each possible CPU (`conntrack -S`); the cursor holds the next CPU.
pub(crate) struct CpuStatsDump;

impl Dump for CpuStatsDump {
    fn start(_net: &Net, _msg: &[u8]) -> Result<Self> {
        Ok(Self)
    }

    fn next(&mut self, cursor: &mut DumpCursor<'_>, out: &mut MsgBuf, to: &DumpTarget<'_>) {
        let rcu = RcuGuard::new();
        let Some(ct) = to.net.state::<CtNet>(&rcu) else {
            return;
        };
        let mut out = SkbSink(out);
        let first = cursor.get(0);
        for (cpu, s) in possible_cpus().zip(ct.stats.each()) {
            if (cpu as u64) < first {
                continue;
            }
            let st = CpuStats {
                found: s.found,
                invalid: s.invalid,
                insert: s.insert,
                insert_failed: s.insert_failed,
                drop: s.drop,
                early_drop: s.early_drop,
                error: s.error,
                search_restart: s.search_restart,
                clash_resolve: s.clash_resolve,
                chain_toolong: s.chaintoolong,
            };
            if stats::cpu_record(&mut out, cpu as u16, &st, to.portid, to.seq).is_err() {
                cursor.set(0, cpu as u64);
                return;
            }
        }
        cursor.set(0, u64::MAX);
    }
}

/// The connections whose DESTROY event waits to be told again (`conntrack -L dying`), of the
/// request's address family; the cursor counts those written.
pub(crate) struct DyingDump {
    family: u8,
}

impl Dump for DyingDump {
    fn start(_net: &Net, msg: &[u8]) -> Result<Self> {
        action_of(msg, |a| match a {
            Action::DumpDying { family } => Some(Self { family }),
            _ => None,
        })
    }

    fn next(&mut self, cursor: &mut DumpCursor<'_>, out: &mut MsgBuf, to: &DumpTarget<'_>) {
        let rcu = RcuGuard::new();
        let Some(ct) = to.net.state::<CtNet>(&rcu) else {
            return;
        };
        let (skip, mut seen, mut full) = (cursor.get(0), 0u64, false);
        let mut out = SkbSink(out);
        let now = time::now();
        let family = self.family;
        let mut write = |conn: &Conn| {
            if full || (family != 0 && conn.tuple(Dir::Original).l3() as u8 != family) {
                return;
            }
            seen += 1;
            if seen <= skip {
                return;
            }
            if encode::record(&mut out, &snapshot(conn, now), to.portid, to.seq, false).is_err() {
                full = true;
                seen -= 1;
            }
        };
        let _ = ct.events.each_dying(&mut write);
        cursor.set(0, seen);
    }
}

/// A dump with nothing to list: unconfirmed connections (which only their packets hold) and
/// expectations (there are none).
pub(crate) struct EmptyDump;

impl Dump for EmptyDump {
    fn start(_net: &Net, _msg: &[u8]) -> Result<Self> {
        Ok(Self)
    }

    fn next(&mut self, _: &mut DumpCursor<'_>, _: &mut MsgBuf, _: &DumpTarget<'_>) {}
}

/// Expectation statistics of each possible CPU, all zero (`ctnetlink_exp_stat_cpu_dump`).
pub(crate) struct ExpectStatsDump;

/// Expectation statistics attributes (`enum ctattr_expect_stats`).
mod exp_stats {
    /// Expectations made.
    pub(super) const NEW: u16 = 1;
    /// Expectations created.
    pub(super) const CREATE: u16 = 2;
    /// Expectations deleted.
    pub(super) const DELETE: u16 = 3;
}

/// `IPCTNL_MSG_EXP_GET_STATS_CPU`, which nf_conntrack sends in the connection subsystem.
const EXP_GET_STATS_CPU: u16 = 3;

impl Dump for ExpectStatsDump {
    fn start(_net: &Net, _msg: &[u8]) -> Result<Self> {
        Ok(Self)
    }

    fn next(&mut self, cursor: &mut DumpCursor<'_>, out: &mut MsgBuf, to: &DumpTarget<'_>) {
        let mut out = SkbSink(out);
        let first = cursor.get(0);
        for cpu in possible_cpus() {
            if (cpu as u64) < first {
                continue;
            }
            let header = Header {
                msg_type: u16::from(msg::SUBSYS_CTNETLINK) << 8 | EXP_GET_STATS_CPU,
                flags: if to.portid != 0 { flags::MULTI } else { 0 },
                seq: to.seq,
                portid: to.portid,
                family: msg::AF_UNSPEC,
                version: msg::NFNETLINK_V0,
                res_id: cpu as u16,
            };
            let zeros = |w: &mut Writer<'_, SkbSink<'_>>| -> Result<(), NoRoom> {
                for kind in [exp_stats::NEW, exp_stats::CREATE, exp_stats::DELETE] {
                    w.be32(kind, 0)?;
                }
                Ok(())
            };
            if msg::write(&mut out, &header, zeros).is_err() {
                cursor.set(0, cpu as u64);
                return;
            }
        }
        cursor.set(0, u64::MAX);
    }
}
