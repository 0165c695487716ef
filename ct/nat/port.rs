// SPDX-License-Identifier: GPL-2.0

//! The port or ICMP identifier a translation picks: the search through a range for one no
//! other connection answers to, bounded as nf_nat bounds it.

use super::env::{NatEnv, Unbound};
use super::header::ipproto as nat_proto;
use super::range::{flags, NatRange};
use super::{bits, ManipType};
use crate::ct::proto::TcpState;
use crate::ct::status::Dir;
use crate::ct::tuple::{ipproto, Tuple};

/// Most candidates one round of the search tries.
const MAX_ATTEMPTS: u32 = 128;

/// Within this many attempts of a round's end, a TCP connection opening may evict a closed one
/// that holds the candidate.
const EVICT_THRESHOLD: u32 = MAX_ATTEMPTS / 4;

/// A round shorter than this is the last.
const MIN_ROUND: u32 = 16;

/// Which of a tuple's two identifiers a translation changes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    Src,
    Dst,
}

impl Key {
    fn get(self, t: &Tuple) -> u16 {
        match self {
            Key::Src => t.src_id(),
            Key::Dst => t.dst_id(),
        }
    }

    fn set(self, t: &mut Tuple, v: u16) {
        match self {
            Key::Src => t.set_src_id(v),
            Key::Dst => t.set_dst_id(v),
        }
    }
}

/// Whether a protocol has ports NAT translates.
pub(super) fn has_ports(proto: u8) -> bool {
    matches!(
        proto,
        ipproto::TCP | ipproto::UDP | nat_proto::UDPLITE | nat_proto::SCTP | nat_proto::DCCP
    )
}

fn is_icmp(proto: u8) -> bool {
    matches!(proto, ipproto::ICMP | ipproto::ICMPV6)
}

/// Whether the identifier `manip` changes is within the range's (`l4proto_in_range`). ICMP has
/// one identifier for both ends; protocols without ports are always in range.
pub(super) fn id_in_range(t: &Tuple, manip: ManipType, range: &NatRange) -> bool {
    let id = if is_icmp(t.proto()) {
        t.src_id()
    } else if has_ports(t.proto()) {
        match manip {
            ManipType::Source => t.src_id(),
            ManipType::Destination => t.dst_id(),
        }
    } else {
        return true;
    };
    (range.min_proto..=range.max_proto).contains(&id)
}

/// Whether some other connection answers to `t`: has its inverse as one of its tuples.
pub(super) fn taken<E: NatEnv>(t: &Tuple, env: &mut E) -> bool {
    match t.invert() {
        Some(reply) => env.tuple_taken(&reply),
        None => true,
    }
}

/// Moves the identifier of end `manip` of `t` into the range, to one no other connection
/// answers to (`nf_nat_l4proto_unique_tuple`).
///
/// Protocols without ports, destination NAT without a port range and an empty ICMP identifier
/// range keep theirs: the tuple comes back unchanged, taken or not. Otherwise the search starts at a random point (at the
/// offset from `base_proto` under [`flags::PROTO_OFFSET`], at the bottom of the range for a
/// destination translation without a random flag) and tries at most 128 candidates; if
/// all are taken and the range is larger, it tries again from a new random point with half as
/// many, down to 8. A TCP connection opening may evict a closed, source-translated one in the
/// last 32 candidates of each round, as nf_nat does. When every candidate is taken, the last one
/// tried stays, as in nf_nat: the binding of the connection's other end may still make its
/// tuple unique (a null binding choosing another source port), or else confirming it fails.
pub(super) fn choose_id<E: NatEnv>(
    t: &mut Tuple,
    conn: &Unbound,
    range: &NatRange,
    manip: ManipType,
    env: &mut E,
) {
    let specified = range.has(flags::PROTO_SPECIFIED);
    let (key, min, size) = if is_icmp(t.proto()) {
        let (min, size) = if specified {
            let min = u32::from(range.min_proto);
            (
                min,
                u32::from(range.max_proto).wrapping_sub(min).wrapping_add(1),
            )
        } else {
            (0, 1 << 16)
        };
        (Key::Src, min, size)
    } else if has_ports(t.proto()) {
        let key = match manip {
            ManipType::Source => Key::Src,
            ManipType::Destination => Key::Dst,
        };
        if specified {
            let (lo, hi) = if range.max_proto < range.min_proto {
                (range.max_proto, range.min_proto)
            } else {
                (range.min_proto, range.max_proto)
            };
            (key, u32::from(lo), u32::from(hi) - u32::from(lo) + 1)
        } else if manip == ManipType::Destination {
            return;
        } else {
            let (min, max) = default_ports(key.get(t));
            (key, min, max - min + 1)
        }
    } else {
        return;
    };

    let mut offset = if range.has(flags::PROTO_OFFSET) {
        key.get(t).wrapping_sub(range.base_proto)
    } else if range.has(flags::PROTO_RANDOM_ALL) || manip != ManipType::Destination {
        env.random_u16()
    } else {
        0
    };
    let mut attempts = size.min(MAX_ATTEMPTS);
    if attempts == 0 {
        // An identifier range whose top is one below its bottom holds nothing to try.
        return;
    }
    loop {
        for i in 0..attempts {
            let step = u32::from(offset).checked_rem(size).unwrap_or(0);
            // Truncated to the 16 bits of the field, as nf_nat stores it.
            key.set(t, min.wrapping_add(step) as u16);
            if !taken_or_evicted(t, conn, env, attempts - i) {
                return;
            }
            offset = offset.wrapping_add(1);
        }
        if attempts >= size || attempts < MIN_ROUND {
            return;
        }
        attempts /= 2;
        offset = env.random_u16();
    }
}

/// The source ports a translation without a port range picks from, by the original port:
/// 1-511, 600-1023 (below 1024: privileged, above 511: used for credential passing by
/// convention) or 1024-65535.
fn default_ports(port: u16) -> (u32, u32) {
    match port {
        0..=511 => (1, 511),
        512..=1023 => (600, 1023),
        _ => (1024, 65535),
    }
}

/// Whether `t` is taken, once a TCP connection opening has had the chance to evict a closed
/// connection that holds it (`nf_nat_used_tuple_harder`). `attempts_left` counts this
/// candidate and those after it in the round.
fn taken_or_evicted<E: NatEnv>(t: &Tuple, conn: &Unbound, env: &mut E, attempts_left: u32) -> bool {
    let Some(reply) = t.invert() else {
        return true;
    };
    let own = match conn.tcp {
        Some(own)
            if attempts_left <= EVICT_THRESHOLD
                && t.proto() == ipproto::TCP
                && own.state == TcpState::SynSent =>
        {
            own
        }
        _ => return env.tuple_taken(&reply),
    };
    let Some(found) = env.find(&reply) else {
        return false;
    };
    if found.dir == Dir::Original {
        return true;
    }
    let Some(old) = found.tcp else {
        return true;
    };
    let refused = bits::FIXED_TIMEOUT | crate::ct::status::bits::DYING;
    let evictable = old.state >= TcpState::TimeWait
        && found.status & refused == 0
        && found.status & bits::SRC_NAT != 0
        // Replies to the new connection's sequence numbers must be invalid for the old one.
        && (own.end.wrapping_sub(old.end) as i32) > 0;
    if !evictable {
        return true;
    }
    if env.kill(&found.entry) {
        // An offloaded connection lives on in its flow table.
        found.status & (bits::OFFLOAD | bits::HW_OFFLOAD) != 0
    } else {
        true
    }
}
