// SPDX-License-Identifier: GPL-2.0

//! Statistics records: per CPU for `conntrack -S` (`ctnetlink_ct_stat_cpu_fill_info`), for
//! the table for `conntrack -C` (`ctnetlink_stat_ct_fill_info`).

use super::cta;
use super::msg::{self, flags, Header, Op};
use super::write::{NoRoom, Sink};

/// One CPU's counters (the parts of `struct ip_conntrack_stat` ctnetlink sends).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) struct CpuStats {
    /// Lookups that found a connection.
    pub(crate) found: u32,
    /// Packets that could not be tracked.
    pub(crate) invalid: u32,
    /// Connections inserted.
    pub(crate) insert: u32,
    /// Connections that could not be inserted.
    pub(crate) insert_failed: u32,
    /// Packets dropped for want of a connection.
    pub(crate) drop: u32,
    /// Connections evicted to make room.
    pub(crate) early_drop: u32,
    /// ICMP errors that quote nothing trackable.
    pub(crate) error: u32,
    /// Lookups restarted.
    pub(crate) search_restart: u32,
    /// Insertion clashes resolved.
    pub(crate) clash_resolve: u32,
    /// Insertions refused for a too long chain.
    pub(crate) chain_toolong: u32,
}

/// The headers of a statistics record answering `portid`'s request `seq`, about resource
/// `res_id`.
fn header(op: Op, portid: u32, seq: u32, res_id: u16) -> Header {
    Header {
        msg_type: op.msg_type(),
        flags: if portid != 0 { flags::MULTI } else { 0 },
        seq,
        portid,
        family: msg::AF_UNSPEC,
        version: msg::NFNETLINK_V0,
        res_id,
    }
}

/// Writes the record of CPU `cpu`'s counters.
pub(crate) fn cpu_record<S: Sink + ?Sized>(
    sink: &mut S,
    cpu: u16,
    st: &CpuStats,
    portid: u32,
    seq: u32,
) -> Result<(), NoRoom> {
    msg::write(sink, &header(Op::GetStatsCpu, portid, seq, cpu), |w| {
        for (kind, v) in [
            (cta::stats::FOUND, st.found),
            (cta::stats::INVALID, st.invalid),
            (cta::stats::INSERT, st.insert),
            (cta::stats::INSERT_FAILED, st.insert_failed),
            (cta::stats::DROP, st.drop),
            (cta::stats::EARLY_DROP, st.early_drop),
            (cta::stats::ERROR, st.error),
            (cta::stats::SEARCH_RESTART, st.search_restart),
            (cta::stats::CLASH_RESOLVE, st.clash_resolve),
            (cta::stats::CHAIN_TOOLONG, st.chain_toolong),
        ] {
            w.be32(kind, v)?;
        }
        Ok(())
    })
}

/// Writes the record of the table: `entries` connections in it, at most `max`.
pub(crate) fn table_record<S: Sink + ?Sized>(
    sink: &mut S,
    entries: u32,
    max: u32,
    portid: u32,
    seq: u32,
) -> Result<(), NoRoom> {
    msg::write(sink, &header(Op::GetStats, portid, seq, 0), |w| {
        w.be32(cta::stats_global::ENTRIES, entries)?;
        w.be32(cta::stats_global::MAX_ENTRIES, max)
    })
}
