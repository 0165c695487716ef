// SPDX-License-Identifier: GPL-2.0

//! Binding a connection to a translation: the tuple its packets will carry afterwards, chosen
//! as nf_nat's `get_unique_tuple` chooses it, and what the binding changes in the connection.

use super::address::{addr_in_range, choose_address};
use super::env::{NatEnv, Unbound};
use super::header::ipproto as nat_proto;
use super::port::{choose_id, id_in_range, taken};
use super::range::{flags, NatRange};
use super::{bits, ManipType};
use crate::ct::status::bits::CONFIRMED;
use crate::ct::tuple::{ipproto, Tuple};

/// Why a connection cannot be bound to a translation; its packet is dropped.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum BindError {
    /// The connection's translation of this end is already decided.
    AlreadyBound,
    /// The connection's reply tuple names an ICMP message that has no request.
    NoInverse,
}

/// What binding a connection to a translation changes in it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Binding {
    /// The connection's new reply tuple, if the translation changes it.
    pub(crate) reply: Option<Tuple>,
    /// Status bits to set: the translation's `IPS_SRC_NAT` or `IPS_DST_NAT` if the reply tuple
    /// changes, and its `*_NAT_DONE` bit.
    pub(crate) status: usize,
}

/// Binds a connection not yet in the table to a translation of end `manip` into `range`
/// (`nf_nat_setup_info`).
///
/// A connection already in the table is left alone: the binding changes nothing. After a
/// source binding the kernel side files the connection under its original source in the
/// table [`NatEnv::visit_source_mappings`] walks, whether or not the tuple changed.
pub(crate) fn bind<E: NatEnv>(
    conn: &Unbound,
    range: &NatRange,
    manip: ManipType,
    env: &mut E,
) -> Result<Binding, BindError> {
    if conn.status & CONFIRMED != 0 {
        return Ok(Binding {
            reply: None,
            status: 0,
        });
    }
    if conn.status & manip.done_bit() != 0 {
        return Err(BindError::AlreadyBound);
    }
    let current = conn.reply.invert().ok_or(BindError::NoInverse)?;
    let chosen = unique_tuple(&current, conn, range, manip, env)?;
    if chosen == current {
        return Ok(Binding {
            reply: None,
            status: manip.done_bit(),
        });
    }
    Ok(Binding {
        reply: Some(chosen.invert().ok_or(BindError::NoInverse)?),
        status: manip.nat_bit() | manip.done_bit(),
    })
}

/// Chooses the tuple a connection's packets will carry once end `manip` of `current`, their
/// tuple as they now stand, is translated into `range` (`get_unique_tuple`).
///
/// In order: a source translation without a random flag keeps `current` if it is in the range
/// and free, or else reuses the translation of an earlier connection from the same source if
/// that one is in the range and free; then the address is chosen by hash and the port or ICMP
/// identifier kept if in range and free, or searched for. Where the protocol leaves nothing to
/// search (no ports; destination NAT without a port range; a range of one port the tuple
/// already has), or when every candidate searched is taken, the tuple comes back even if
/// taken, and the other end's binding or confirmation decides, as in nf_nat.
pub(crate) fn unique_tuple<E: NatEnv>(
    current: &Tuple,
    conn: &Unbound,
    range: &NatRange,
    manip: ManipType,
    env: &mut E,
) -> Result<Tuple, BindError> {
    let random = range.has(flags::PROTO_RANDOM_ALL);
    if manip == ManipType::Source && !random {
        if source_in_range(current, range) {
            if !original_taken(current, conn, env) {
                return Ok(*current);
            }
        } else if let Some(mapped) = earlier_mapping(current, range, env) {
            if !taken(&mapped, env) {
                return Ok(mapped);
            }
        }
    }

    let mut chosen = *current;
    choose_address(&mut chosen, range, manip, env.zone_id());
    if !random {
        if range.has(flags::PROTO_SPECIFIED) {
            if !range.has(flags::PROTO_OFFSET)
                && id_in_range(&chosen, manip, range)
                && (range.min_proto == range.max_proto || !taken(&chosen, env))
            {
                return Ok(chosen);
            }
        } else if !taken(&chosen, env) {
            return Ok(chosen);
        }
    }
    choose_id(&mut chosen, conn, range, manip, env);
    Ok(chosen)
}

/// Whether the source of `t` meets the range, as a source translation's result must
/// (`nf_in_range`).
fn source_in_range(t: &Tuple, range: &NatRange) -> bool {
    if range.has(flags::MAP_IPS) && !addr_in_range(t.l3(), t.src(), range) {
        return false;
    }
    !range.has(flags::PROTO_SPECIFIED) || id_in_range(t, ManipType::Source, range)
}

/// The translation of an earlier connection with `current`'s source, if one meets the range:
/// its translated source with `current`'s destination (`find_appropriate_src`).
fn earlier_mapping<E: NatEnv>(current: &Tuple, range: &NatRange, env: &mut E) -> Option<Tuple> {
    let mut mapped = None;
    env.visit_source_mappings(current, |original, reply| {
        let same_source = original.proto() == current.proto()
            && original.src() == current.src()
            && original.src_id() == current.src_id();
        if !same_source {
            return false;
        }
        let Some(mut t) = reply.invert() else {
            return false;
        };
        t.set_dst(*current.dst());
        t.set_dst_id(current.dst_id());
        if source_in_range(&t, range) {
            mapped = Some(t);
            true
        } else {
            false
        }
    });
    mapped
}

/// Whether protocol `proto` lets two connections race to the same tuple and both live: UDP,
/// UDP-Lite, GRE and protocols without a tracker of their own.
fn allows_clash(proto: u8) -> bool {
    !matches!(
        proto,
        ipproto::TCP | ipproto::ICMP | ipproto::ICMPV6 | nat_proto::SCTP | nat_proto::DCCP
    )
}

/// Whether the untranslated tuple `t` is taken (`nf_nat_used_tuple_new`). Where the protocol
/// allows clashes and neither connection is translated, a connection whose original tuple is
/// our reply, the same flow opened from both ends at once, does not count: confirmation
/// resolves it.
fn original_taken<E: NatEnv>(t: &Tuple, conn: &Unbound, env: &mut E) -> bool {
    const USES_NAT: usize = bits::NAT_MASK | bits::SEQ_ADJUST;
    let Some(reply) = t.invert() else {
        return true;
    };
    if !env.tuple_taken(&reply) {
        return false;
    }
    if !allows_clash(t.proto()) || conn.status & USES_NAT != 0 {
        return true;
    }
    let Some(found) = env.find(t).or_else(|| env.find(&reply)) else {
        // The clashing connection went away.
        return false;
    };
    found.status & USES_NAT != 0 || found.original != conn.reply
}
