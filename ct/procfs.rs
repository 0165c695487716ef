// SPDX-License-Identifier: GPL-2.0

//! `/proc/net/nf_conntrack`, `/proc/net/stat/nf_conntrack`, `/proc/net/rust_conntrack_hooks` and
//! `/proc/net/rust_conntrack_events`.

use super::conn::Conn;
use super::format::{self, Counter, Entry};
use super::state::CtNet;
use super::status::{bits, Dir};
use super::sys::net::Registrar;
use super::sys::netfilter::Hook;
use super::sys::proc::{ProcDir, SeqSingle, SeqTable, SeqWriter};
use super::sys::sync::Rcu;
use super::sys::time::{self, HZ};
use super::tuple::{ipproto, L3};
use core::fmt::{self, Write};
use core::sync::atomic::Ordering;
use kernel::c_str;
use kernel::prelude::*;

/// Creates the files of a namespace.
pub(crate) fn create(reg: &mut Registrar<'_, CtNet>) -> Result {
    reg.proc_table::<Connections>(ProcDir::Net, c_str!("nf_conntrack"), 0o440, true)?;
    reg.proc_single::<Statistics>(ProcDir::Stat, c_str!("nf_conntrack"), 0o444)?;
    reg.proc_single::<HookCounters>(ProcDir::Net, c_str!("rust_conntrack_hooks"), 0o444)?;
    reg.proc_single::<EventCounters>(ProcDir::Net, c_str!("rust_conntrack_events"), 0o444)
}

/// The connection list, one line per connection, in nf_conntrack's format.
struct Connections;

/// A reader's place: the `index`-th original-direction node of `bucket`, which is record `pos`.
#[derive(Zeroable)]
struct Cursor {
    pos: u64,
    bucket: usize,
    index: usize,
    /// Whether the fields above are a place; zero before the first read.
    placed: bool,
}

impl Connections {
    /// The connection at the cursor, if the cursor is on one.
    fn at<'a>(c: &Cursor, ct: &'a CtNet, rcu: &'a Rcu) -> Option<&'a Conn> {
        ct.table()
            .walk(c.bucket, rcu)
            .filter(|(_, d)| *d == Dir::Original)
            .nth(c.index)
            .map(|(conn, _)| conn)
    }

    /// Moves to the next connection at or after the cursor's place.
    fn settle(c: &mut Cursor, ct: &CtNet, rcu: &Rcu) -> bool {
        while c.bucket < ct.table().size() {
            if Self::at(c, ct, rcu).is_some() {
                return true;
            }
            c.bucket += 1;
            c.index = 0;
        }
        false
    }
}

impl SeqTable for Connections {
    type State = CtNet;
    type Cursor = Cursor;

    fn seek(c: &mut Cursor, ct: &CtNet, pos: u64, rcu: &Rcu) -> bool {
        // Reads carry on where the previous one stopped; any other position is counted out
        // from the start.
        if !c.placed || c.pos != pos {
            *c = Cursor {
                pos: 0,
                bucket: 0,
                index: 0,
                placed: true,
            };
            if !Self::settle(c, ct, rcu) {
                return false;
            }
            while c.pos < pos {
                if !Self::next(c, ct, rcu) {
                    return false;
                }
            }
            return true;
        }
        Self::settle(c, ct, rcu)
    }

    fn next(c: &mut Cursor, ct: &CtNet, rcu: &Rcu) -> bool {
        c.index += 1;
        c.pos += 1;
        Self::settle(c, ct, rcu)
    }

    fn show(c: &mut Cursor, ct: &CtNet, rcu: &Rcu, out: &mut SeqWriter<'_>) -> fmt::Result {
        let Some(conn) = Self::at(c, ct, rcu) else {
            return Ok(());
        };
        let Some(conn) = conn.try_get() else {
            return Ok(());
        };
        let now = time::now();
        if conn.expired(now) {
            // As nf_conntrack, a read removes the expired entries it meets.
            ct.table().kill(&conn);
            return Ok(());
        }
        let orig = conn.tuple(Dir::Original);
        let acct = conn.counters().map(|c| {
            let dir = |d: usize| Counter {
                packets: c[d][0].load(Ordering::Relaxed),
                bytes: c[d][1].load(Ordering::Relaxed),
            };
            [dir(0), dir(1)]
        });
        let tcp = (orig.proto() == ipproto::TCP).then(|| conn.with_proto(|s, _| s.tcp));
        let reply = conn.tuple(Dir::Reply);
        let entry = Entry {
            orig: &orig,
            reply: &reply,
            expires_secs: conn.expires_in(now) / HZ,
            tcp,
            status: conn.status() & !bits::PRIVATE,
            acct,
            mark: cfg!(CONFIG_NF_CONNTRACK_MARK).then(|| conn.mark()),
            zone: cfg!(CONFIG_NF_CONNTRACK_ZONES).then(|| conn.zone()),
            delta_time: conn.timestamps().map(|t| t.age_secs(time::real_ns())),
            refs: conn.refs(),
        };
        // Formatted whole, then written once, so that a line never appears in part.
        let mut line = LineBuf::new();
        format::write_entry(&mut line, &entry)?;
        out.write_str(line.as_str())
    }
}

/// A line of at most 512 bytes on the stack.
struct LineBuf {
    buf: [u8; 512],
    len: usize,
}

impl LineBuf {
    fn new() -> Self {
        Self {
            buf: [0; 512],
            len: 0,
        }
    }

    fn as_str(&self) -> &str {
        // Only whole `str`s are copied in.
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl Write for LineBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        self.buf
            .get_mut(self.len..end)
            .ok_or(fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Per-CPU statistics, in nf_conntrack's columns.
struct Statistics;

impl SeqSingle for Statistics {
    type State = CtNet;

    fn show(ct: &CtNet, out: &mut SeqWriter<'_>) -> fmt::Result {
        out.write_str(format::STATS_HEADER)?;
        let entries = ct.count.load(Ordering::Relaxed).max(0) as u32;
        for s in ct.stats.each() {
            format::write_stats(out, entries, &s)?;
        }
        Ok(())
    }
}

/// Packets seen at each hook conntrack runs at in this namespace: `<family> <hook> <packets>`
/// per line.
struct HookCounters;

impl SeqSingle for HookCounters {
    type State = CtNet;

    fn show(ct: &CtNet, out: &mut SeqWriter<'_>) -> fmt::Result {
        for l3 in [L3::Ipv4, L3::Ipv6] {
            for hook in [
                Hook::PreRouting,
                Hook::LocalIn,
                Hook::LocalOut,
                Hook::PostRouting,
            ] {
                let n = ct.hooks_seen.sum(|c| *c.at(l3, hook));
                writeln!(out, "{} {} {}", l3.name(), hook.name(), n)?;
            }
        }
        Ok(())
    }
}

/// What became of the namespace's events beyond what listeners heard: `lost` events that did
/// not reach a listener that wanted them, DESTROY events `retold` on a later try, and
/// connections `waiting` for theirs; `<name> <count>` per line.
struct EventCounters;

impl SeqSingle for EventCounters {
    type State = CtNet;

    fn show(ct: &CtNet, out: &mut SeqWriter<'_>) -> fmt::Result {
        let e = &ct.events;
        writeln!(out, "lost {}", e.lost.load(Ordering::Relaxed))?;
        writeln!(out, "retold {}", e.retold.load(Ordering::Relaxed))?;
        writeln!(out, "waiting {}", e.waiting.load(Ordering::Relaxed))
    }
}
