// SPDX-License-Identifier: GPL-2.0

//! Connection records, as dumps and get requests answer them (`ctnetlink_fill_info`), and the
//! attributes they share with events.

use super::cta;
use super::ips;
use super::msg::{self, flags, Header, Op};
use super::snapshot::{zone_dir, SeqAdj, Snapshot};
use super::tuple;
use super::write::{NoRoom, Sink, Writer};

/// Writes the record of `conn` answering the request of `portid` numbered `seq`: a dump's
/// record, `filtered` if the dump has a filter, or a get request's answer.
///
/// If the record does not fit, nothing of it stays in the sink.
pub(crate) fn record<S: Sink + ?Sized>(
    sink: &mut S,
    conn: &Snapshot,
    portid: u32,
    seq: u32,
    filtered: bool,
) -> Result<(), NoRoom> {
    let mut msg_flags = if portid != 0 { flags::MULTI } else { 0 };
    if filtered {
        msg_flags |= flags::DUMP_FILTERED;
    }
    let header = header(conn, Op::New, msg_flags, seq, portid);
    msg::write(sink, &header, |w| {
        tuples(w, conn)?;
        status(w, conn)?;
        mark(w, conn, true)?;
        id(w, conn)?;
        use_count(w, conn)?;
        master(w, conn)?;
        if conn.status & ips::OFFLOAD == 0 {
            timeout(w, conn, false)?;
            protoinfo(w, conn, false)?;
        }
        counters(w, conn)?;
        timestamp(w, conn)?;
        seq_adj(w, conn)?;
        synproxy(w, conn)
    })
}

/// The headers of a message about `conn`.
pub(super) fn header(conn: &Snapshot, op: Op, flags: u16, seq: u32, portid: u32) -> Header {
    Header {
        msg_type: op.msg_type(),
        flags,
        seq,
        portid,
        family: conn.orig.l3() as u8,
        version: msg::NFNETLINK_V0,
        res_id: 0,
    }
}

/// Both tuples, each with its direction's zone, then the zone of both directions.
pub(super) fn tuples<S: Sink + ?Sized>(w: &mut Writer<'_, S>, c: &Snapshot) -> Result<(), NoRoom> {
    for (kind, t, dir) in [
        (cta::TUPLE_ORIG, &c.orig, zone_dir::ORIG),
        (cta::TUPLE_REPLY, &c.reply, zone_dir::REPL),
    ] {
        let nest = w.nest_start(kind)?;
        tuple::put(w, t)?;
        tuple::put_zone(w, cta::tuple::ZONE, &c.zone, dir)?;
        w.nest_end(nest)?;
    }
    tuple::put_zone(w, cta::ZONE, &c.zone, zone_dir::BOTH)
}

/// Status bits, those nf_conntrack defines.
pub(super) fn status<S: Sink + ?Sized>(w: &mut Writer<'_, S>, c: &Snapshot) -> Result<(), NoRoom> {
    w.be32(cta::STATUS, c.status & ips::ALL)
}

/// The mark, if `always` or it is not zero.
pub(super) fn mark<S: Sink + ?Sized>(
    w: &mut Writer<'_, S>,
    c: &Snapshot,
    always: bool,
) -> Result<(), NoRoom> {
    if c.mark == 0 && !always {
        return Ok(());
    }
    w.be32(cta::MARK, c.mark)
}

/// The identifier, in host byte order as the kernel sends it.
pub(super) fn id<S: Sink + ?Sized>(w: &mut Writer<'_, S>, c: &Snapshot) -> Result<(), NoRoom> {
    w.ne32(cta::ID, c.id)
}

/// The reference count.
fn use_count<S: Sink + ?Sized>(w: &mut Writer<'_, S>, c: &Snapshot) -> Result<(), NoRoom> {
    w.be32(cta::USE, c.use_count)
}

/// The master's original tuple, for an expected connection.
pub(super) fn master<S: Sink + ?Sized>(w: &mut Writer<'_, S>, c: &Snapshot) -> Result<(), NoRoom> {
    let Some(m) = c.master.as_ref().filter(|_| c.status & ips::EXPECTED != 0) else {
        return Ok(());
    };
    let nest = w.nest_start(cta::TUPLE_MASTER)?;
    tuple::put(w, m)?;
    w.nest_end(nest)
}

/// Seconds left, unless `skip_zero` and none are.
pub(super) fn timeout<S: Sink + ?Sized>(
    w: &mut Writer<'_, S>,
    c: &Snapshot,
    skip_zero: bool,
) -> Result<(), NoRoom> {
    if skip_zero && c.timeout_secs == 0 {
        return Ok(());
    }
    w.be32(cta::TIMEOUT, c.timeout_secs)
}

/// TCP state; of a destroyed connection, the state alone (`tcp_to_nlattr`).
pub(super) fn protoinfo<S: Sink + ?Sized>(
    w: &mut Writer<'_, S>,
    c: &Snapshot,
    destroy: bool,
) -> Result<(), NoRoom> {
    let Some(tcp) = c.tcp else {
        return Ok(());
    };
    let info = w.nest_start(cta::PROTOINFO)?;
    let nest = w.nest_start(cta::protoinfo::TCP)?;
    w.u8(cta::tcp::STATE, tcp.state as u8)?;
    if !destroy {
        w.u8(cta::tcp::WSCALE_ORIGINAL, tcp.wscale[0])?;
        w.u8(cta::tcp::WSCALE_REPLY, tcp.wscale[1])?;
        // `struct nf_ct_tcp_flags`: the flags, and a mask of zero.
        w.put(cta::tcp::FLAGS_ORIGINAL, &[tcp.flags[0], 0])?;
        w.put(cta::tcp::FLAGS_REPLY, &[tcp.flags[1], 0])?;
    }
    w.nest_end(nest)?;
    w.nest_end(info)
}

/// Packets and bytes of both directions.
pub(super) fn counters<S: Sink + ?Sized>(
    w: &mut Writer<'_, S>,
    c: &Snapshot,
) -> Result<(), NoRoom> {
    let Some(counters) = c.counters else {
        return Ok(());
    };
    for (kind, counter) in [cta::COUNTERS_ORIG, cta::COUNTERS_REPLY]
        .into_iter()
        .zip(counters)
    {
        let nest = w.nest_start(kind)?;
        w.be64(cta::counters::PACKETS, counter.packets)?;
        w.be64(cta::counters::BYTES, counter.bytes)?;
        w.nest_end(nest)?;
    }
    Ok(())
}

/// Start time, and stop time once there is one.
pub(super) fn timestamp<S: Sink + ?Sized>(
    w: &mut Writer<'_, S>,
    c: &Snapshot,
) -> Result<(), NoRoom> {
    let Some(ts) = c.timestamp else {
        return Ok(());
    };
    let nest = w.nest_start(cta::TIMESTAMP)?;
    w.be64(cta::timestamp::START, ts.start)?;
    if ts.stop != 0 {
        w.be64(cta::timestamp::STOP, ts.stop)?;
    }
    w.nest_end(nest)
}

/// Sequence adjustment of both directions, while sequence numbers are adjusted.
pub(super) fn seq_adj<S: Sink + ?Sized>(w: &mut Writer<'_, S>, c: &Snapshot) -> Result<(), NoRoom> {
    let Some(adj) = c.seq_adj.filter(|_| c.status & ips::SEQ_ADJUST != 0) else {
        return Ok(());
    };
    for (kind, a) in [cta::SEQ_ADJ_ORIG, cta::SEQ_ADJ_REPLY].into_iter().zip(adj) {
        put_seq_adj(w, kind, &a)?;
    }
    Ok(())
}

fn put_seq_adj<S: Sink + ?Sized>(
    w: &mut Writer<'_, S>,
    kind: u16,
    a: &SeqAdj,
) -> Result<(), NoRoom> {
    let nest = w.nest_start(kind)?;
    w.be32(cta::seqadj::CORRECTION_POS, a.correction_pos)?;
    w.put(cta::seqadj::OFFSET_BEFORE, &a.offset_before.to_be_bytes())?;
    w.put(cta::seqadj::OFFSET_AFTER, &a.offset_after.to_be_bytes())?;
    w.nest_end(nest)
}

/// SYN proxy state, when the connection has it.
pub(super) fn synproxy<S: Sink + ?Sized>(
    w: &mut Writer<'_, S>,
    c: &Snapshot,
) -> Result<(), NoRoom> {
    let Some(sp) = c.synproxy else {
        return Ok(());
    };
    let nest = w.nest_start(cta::SYNPROXY)?;
    w.be32(cta::synproxy::ISN, sp.isn)?;
    w.be32(cta::synproxy::ITS, sp.its)?;
    w.be32(cta::synproxy::TSOFF, sp.tsoff)?;
    w.nest_end(nest)
}
