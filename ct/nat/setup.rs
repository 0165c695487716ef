// SPDX-License-Identifier: GPL-2.0

//! Binding a connection to a translation (`nf_nat_setup_info()`): the choice, over the
//! connection's table, and what it changes in the connection.

use super::choose::{self, BindError};
use super::env::{Found, NatEnv, TcpProgress, Unbound};
use super::range::NatRange;
use super::ManipType;
use crate::ct::conn::Conn;
use crate::ct::state::CtNet;
use crate::ct::status::{bits, Dir};
use crate::ct::sys::netfilter::Verdict;
use crate::ct::sys::random;
use crate::ct::sys::sync::RcuGuard;
use crate::ct::sys::time;
use crate::ct::tuple::{ipproto, Tuple};
use crate::ct::zone::Zone;
use kernel::types::ARef;

/// The table of the connection being bound, as the choice looks at it.
struct TableEnv<'a> {
    ct: &'a CtNet,
    conn: &'a Conn,
    zone: Zone,
    rcu: &'a RcuGuard,
}

fn progress(conn: &Conn) -> Option<TcpProgress> {
    (conn.tuple(Dir::Original).proto() == ipproto::TCP).then(|| {
        conn.with_proto(|s, w| TcpProgress {
            state: s.tcp,
            end: w.sender[0].end,
        })
    })
}

impl NatEnv for TableEnv<'_> {
    type Entry = ARef<Conn>;

    fn tuple_taken(&mut self, tuple: &Tuple) -> bool {
        // A reply tuple, hashed as the reply direction's zone has it
        // (`nf_conntrack_tuple_taken()`).
        let h = self.ct.hash(tuple, self.zone.id_of(Dir::Reply));
        let Some((other, dir)) = self
            .ct
            .table()
            .find(tuple, self.zone, h, time::now(), self.rcu)
        else {
            return false;
        };
        // The same flow met twice (a retransmission before its answer), in the same zone:
        // confirmation sorts it.
        if dir == Dir::Reply
            && other.tuple(Dir::Original) == self.conn.tuple(Dir::Original)
            && other.zone().id_of(Dir::Original) == self.zone.id_of(Dir::Original)
        {
            return false;
        }
        self.ct.stats.inc(|s| &s.found);
        true
    }

    fn find(&mut self, tuple: &Tuple) -> Option<Found<ARef<Conn>>> {
        let (conn, dir) = self.ct.find(tuple, self.zone, time::now(), self.rcu)?;
        Some(Found {
            dir,
            status: conn.status(),
            original: conn.tuple(Dir::Original),
            tcp: progress(&conn),
            entry: conn,
        })
    }

    fn kill(&mut self, entry: &ARef<Conn>) -> bool {
        self.ct.table().kill(entry)
    }

    fn visit_source_mappings<F: FnMut(&Tuple, &Tuple) -> bool>(
        &mut self,
        _orig: &Tuple,
        _visit: F,
    ) {
        // Connections are not filed by source: each source translation is chosen afresh.
    }

    fn random_u16(&mut self) -> u16 {
        random::u16()
    }

    fn zone_id(&self) -> u16 {
        self.zone.id_of(Dir::Original)
    }
}

/// Binds `conn`, not yet confirmed, to a translation of end `manip` into `range`; the
/// verdict for its packet.
pub(crate) fn setup(conn: &Conn, range: &NatRange, manip: ManipType) -> Verdict {
    let status = conn.status();
    if status & bits::CONFIRMED != 0 {
        return Verdict::Accept;
    }
    let ct = conn.owner();
    let zone = conn.zone();
    let rcu = RcuGuard::new();
    let mut env = TableEnv {
        ct,
        conn,
        zone,
        rcu: &rcu,
    };
    let unbound = Unbound {
        reply: conn.tuple(Dir::Reply),
        status,
        tcp: progress(conn),
    };
    match choose::bind(&unbound, range, manip, &mut env) {
        Ok(binding) => {
            // A connection a clone of the packet confirmed meanwhile keeps the tuples it was
            // confirmed with.
            match binding.reply {
                Some(reply) => {
                    conn.rebind(
                        &reply,
                        ct.hash(&reply, zone.id_of(Dir::Reply)),
                        binding.status,
                    );
                }
                None => {
                    conn.set_status(binding.status);
                }
            }
            Verdict::Accept
        }
        Err(BindError::AlreadyBound) => Verdict::Accept,
        Err(BindError::NoInverse) => {
            ct.stats.inc(|s| &s.drop);
            Verdict::Drop
        }
    }
}
