// SPDX-License-Identifier: GPL-2.0

//! Tuples in attributes: `CTA_TUPLE_IP` with the addresses, `CTA_TUPLE_PROTO` with the
//! protocol number and its ports or ICMP fields, and a direction's own zone.
//!
//! The protocol fields are those of the trackers this module has: ports for TCP and UDP, type,
//! code and identifier for ICMP and ICMPv6. Other protocols are tracked by their number alone,
//! as nf_conntrack's generic tracker tracks them.

use super::attr::{Attr, Mode, Policy};
use super::cta::{self, filter_flags as ff};
use super::errno::Errno;
use super::policy;
use super::snapshot::{zone_dir, Zone};
use super::write::{NoRoom, Sink, Writer};
use crate::ct::tuple::{icmp, icmpv6, ipproto, Tuple, L3};

/// Length of an IPv4 address.
const IN_LEN: usize = 4;

/// How a protocol's part of a tuple is carried.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fields {
    /// Source and destination ports.
    Ports,
    /// ICMP type, code and identifier.
    Icmp,
    /// ICMPv6 type, code and identifier.
    Icmpv6,
    /// Nothing beyond the protocol number.
    None,
}

impl Fields {
    fn of(proto: u8) -> Self {
        match proto {
            ipproto::TCP | ipproto::UDP => Fields::Ports,
            ipproto::ICMP => Fields::Icmp,
            ipproto::ICMPV6 => Fields::Icmpv6,
            _ => Fields::None,
        }
    }
}

/// Writes the addresses and protocol part of `t` (`ctnetlink_dump_tuples`).
pub(crate) fn put<S: Sink + ?Sized>(w: &mut Writer<'_, S>, t: &Tuple) -> Result<(), NoRoom> {
    let ip = w.nest_start(cta::tuple::IP)?;
    match t.l3() {
        L3::Ipv4 => {
            w.put(cta::ip::V4_SRC, t.src().get(..IN_LEN).unwrap_or(&[]))?;
            w.put(cta::ip::V4_DST, t.dst().get(..IN_LEN).unwrap_or(&[]))?;
        }
        L3::Ipv6 => {
            w.put(cta::ip::V6_SRC, t.src())?;
            w.put(cta::ip::V6_DST, t.dst())?;
        }
    }
    w.nest_end(ip)?;
    let proto = w.nest_start(cta::tuple::PROTO)?;
    w.u8(cta::proto::NUM, t.proto())?;
    match Fields::of(t.proto()) {
        Fields::Ports => {
            w.be16(cta::proto::SRC_PORT, t.src_id())?;
            w.be16(cta::proto::DST_PORT, t.dst_id())?;
        }
        Fields::Icmp => {
            w.be16(cta::proto::ICMP_ID, t.src_id())?;
            w.u8(cta::proto::ICMP_TYPE, t.icmp_type())?;
            w.u8(cta::proto::ICMP_CODE, t.icmp_code())?;
        }
        Fields::Icmpv6 => {
            w.be16(cta::proto::ICMPV6_ID, t.src_id())?;
            w.u8(cta::proto::ICMPV6_TYPE, t.icmp_type())?;
            w.u8(cta::proto::ICMPV6_CODE, t.icmp_code())?;
        }
        Fields::None => {}
    }
    w.nest_end(proto)
}

/// Writes a zone attribute of type `kind` if the zone is not the default one and applies to
/// exactly the directions `dir` (`ctnetlink_dump_zone_id`).
pub(crate) fn put_zone<S: Sink + ?Sized>(
    w: &mut Writer<'_, S>,
    kind: u16,
    zone: &Zone,
    dir: u8,
) -> Result<(), NoRoom> {
    if zone.id == 0 || zone.dir != dir {
        return Ok(());
    }
    w.be16(kind, zone.id)
}

/// The network layer protocol of address family `family`.
pub(crate) fn l3_of(family: u8) -> Option<L3> {
    match family {
        f if f == L3::Ipv4 as u8 => Some(L3::Ipv4),
        f if f == L3::Ipv6 as u8 => Some(L3::Ipv6),
        _ => None,
    }
}

/// A tuple being read: the fields the request selects, the others zero.
#[derive(Default)]
struct Parts {
    src: [u8; 16],
    dst: [u8; 16],
    proto: u8,
    src_id: u16,
    dst_id: u16,
}

/// Reads the tuple in `attr`, the attribute `kind` of the request (`CTA_TUPLE_ORIG`,
/// `CTA_TUPLE_REPLY` or `CTA_TUPLE_MASTER`), for address family `family`
/// (`ctnetlink_parse_tuple_filter`).
///
/// Only the fields `flags` selects ([`cta::filter_flags`]) are read, and those must be there.
/// A zone inside the tuple goes into `zone`, which must still be the default zone; without a
/// `zone` to hold it, it is an error. The tuple comes back marked with its direction.
pub(crate) fn parse(
    attr: &Attr<'_>,
    kind: u16,
    family: u8,
    zone: Option<&mut Zone>,
    flags: u32,
) -> Result<Tuple, Errno> {
    let tb = attr.parse(&policy::TUPLE, Mode::Liberal)?;
    let l3 = l3_of(family).ok_or(Errno::EOPNOTSUPP)?;
    let mut parts = Parts::default();
    if flags & (ff::IP_SRC | ff::IP_DST) != 0 {
        let ip = tb.get(cta::tuple::IP).ok_or(Errno::EINVAL)?;
        parse_ip(&ip, l3, flags, &mut parts)?;
    }
    if flags & ff::PROTO_NUM != 0 {
        let proto = tb.get(cta::tuple::PROTO).ok_or(Errno::EINVAL)?;
        parse_proto(&proto, flags, &mut parts)?;
    } else if flags & ff::ALL_PROTO != 0 {
        return Err(Errno::EINVAL);
    }
    if let Some(id) = tb
        .get(cta::tuple::ZONE)
        .filter(|_| flags & ff::TUPLE_ZONE != 0)
    {
        let zone = zone.ok_or(Errno::EINVAL)?;
        if zone.id != 0 {
            return Err(Errno::EINVAL);
        }
        zone.id = id.be16();
        zone.dir = if kind == cta::TUPLE_REPLY {
            zone_dir::REPL
        } else {
            zone_dir::ORIG
        };
    }
    let dir = u8::from(kind == cta::TUPLE_REPLY);
    Ok(Tuple::new(
        l3,
        parts.proto,
        parts.src,
        parts.dst,
        parts.src_id,
        parts.dst_id,
    )
    .with_dir(dir))
}

/// Reads the addresses (`ctnetlink_parse_tuple_ip`).
fn parse_ip(attr: &Attr<'_>, l3: L3, flags: u32, parts: &mut Parts) -> Result<(), Errno> {
    let tb = attr.parse(&policy::IP, Mode::Liberal)?;
    let (src_kind, dst_kind, len) = match l3 {
        L3::Ipv4 => (cta::ip::V4_SRC, cta::ip::V4_DST, IN_LEN),
        L3::Ipv6 => (cta::ip::V6_SRC, cta::ip::V6_DST, 16),
    };
    for (flag, kind, addr) in [
        (ff::IP_SRC, src_kind, &mut parts.src),
        (ff::IP_DST, dst_kind, &mut parts.dst),
    ] {
        if flags & flag != 0 {
            let a = tb.get(kind).ok_or(Errno::EINVAL)?;
            let bytes: [u8; 16] = a.bytes();
            if let (Some(to), Some(from)) = (addr.get_mut(..len), bytes.get(..len)) {
                to.copy_from_slice(from);
            }
        }
    }
    Ok(())
}

/// Reads the protocol part (`ctnetlink_parse_tuple_proto` and the trackers'
/// `nlattr_to_tuple`).
fn parse_proto(attr: &Attr<'_>, flags: u32, parts: &mut Parts) -> Result<(), Errno> {
    let tb = attr.parse(&policy::PROTO, Mode::Liberal)?;
    parts.proto = tb.get(cta::proto::NUM).ok_or(Errno::EINVAL)?.u8();
    match Fields::of(parts.proto) {
        Fields::Ports => {
            let tb = attr.parse(&policy::PORTS, Mode::Liberal)?;
            if flags & ff::PROTO_SRC_PORT != 0 {
                parts.src_id = tb.get(cta::proto::SRC_PORT).ok_or(Errno::EINVAL)?.be16();
            }
            if flags & ff::PROTO_DST_PORT != 0 {
                parts.dst_id = tb.get(cta::proto::DST_PORT).ok_or(Errno::EINVAL)?.be16();
            }
            Ok(())
        }
        Fields::Icmp => parse_icmp(attr, &ICMP_FIELDS, flags, parts),
        Fields::Icmpv6 => parse_icmp(attr, &ICMPV6_FIELDS, flags, parts),
        Fields::None => Ok(()),
    }
}

/// The attribute types and filter flags of the ICMP or the ICMPv6 fields.
struct IcmpFields {
    /// Policy of the fields.
    policy: Policy<{ cta::proto::MAX as usize + 1 }>,
    /// Type attribute and its flag.
    ty: (u16, u32),
    /// Code attribute and its flag.
    code: (u16, u32),
    /// Identifier attribute and its flag.
    id: (u16, u32),
}

/// ICMP's fields.
const ICMP_FIELDS: IcmpFields = IcmpFields {
    policy: policy::ICMP,
    ty: (cta::proto::ICMP_TYPE, ff::PROTO_ICMP_TYPE),
    code: (cta::proto::ICMP_CODE, ff::PROTO_ICMP_CODE),
    id: (cta::proto::ICMP_ID, ff::PROTO_ICMP_ID),
};

/// ICMPv6's fields.
const ICMPV6_FIELDS: IcmpFields = IcmpFields {
    policy: policy::ICMPV6,
    ty: (cta::proto::ICMPV6_TYPE, ff::PROTO_ICMPV6_TYPE),
    code: (cta::proto::ICMPV6_CODE, ff::PROTO_ICMPV6_CODE),
    id: (cta::proto::ICMPV6_ID, ff::PROTO_ICMPV6_ID),
};

/// Reads ICMP or ICMPv6 type, code and identifier, in that order.
fn parse_icmp(
    attr: &Attr<'_>,
    fields: &IcmpFields,
    flags: u32,
    parts: &mut Parts,
) -> Result<(), Errno> {
    let tb = attr.parse(&fields.policy, Mode::Liberal)?;
    let [mut ty, mut code] = parts.dst_id.to_be_bytes();
    if flags & fields.ty.1 != 0 {
        ty = tb.get(fields.ty.0).ok_or(Errno::EINVAL)?.u8();
        if !has_reply_type(parts.proto, ty) {
            return Err(Errno::EINVAL);
        }
    }
    if flags & fields.code.1 != 0 {
        code = tb.get(fields.code.0).ok_or(Errno::EINVAL)?.u8();
    }
    parts.dst_id = u16::from_be_bytes([ty, code]);
    if flags & fields.id.1 != 0 {
        parts.src_id = tb.get(fields.id.0).ok_or(Errno::EINVAL)?.be16();
    }
    Ok(())
}

/// Whether ICMP or ICMPv6 type `ty` is one half of a query and its answer, the only types a
/// tuple may name.
fn has_reply_type(proto: u8, ty: u8) -> bool {
    if proto == ipproto::ICMP {
        matches!(
            ty,
            icmp::ECHO
                | icmp::ECHO_REPLY
                | icmp::TIMESTAMP
                | icmp::TIMESTAMP_REPLY
                | icmp::INFO_REQUEST
                | icmp::INFO_REPLY
                | icmp::ADDRESS
                | icmp::ADDRESS_REPLY
        )
    } else {
        matches!(
            ty,
            icmpv6::ECHO_REQUEST | icmpv6::ECHO_REPLY | icmpv6::NI_QUERY | icmpv6::NI_REPLY
        )
    }
}
