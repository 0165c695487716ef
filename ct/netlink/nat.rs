// SPDX-License-Identifier: GPL-2.0

//! NAT ranges of a connection created by request: `CTA_NAT_SRC` and `CTA_NAT_DST`, as
//! `nfnetlink_parse_nat` reads them.

use super::attr::{Attr, Mode};
use super::cta;
use super::errno::Errno;
use super::policy;
use super::tuple::l3_of;
use crate::ct::tuple::L3;

/// Length of an IPv4 address.
const IN_LEN: usize = 4;

/// Which side of the original direction a range rewrites.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Manip {
    /// The source (`CTA_NAT_SRC`).
    Src,
    /// The destination (`CTA_NAT_DST`).
    Dst,
}

impl Manip {
    /// The request attribute holding the range.
    pub(crate) fn attr(self) -> u16 {
        match self {
            Manip::Src => cta::NAT_SRC,
            Manip::Dst => cta::NAT_DST,
        }
    }
}

/// A NAT range (the parts of `struct nf_nat_range2` ctnetlink sets).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) struct NatRange {
    /// Addresses are mapped (`NF_NAT_RANGE_MAP_IPS`).
    pub(crate) map_ips: bool,
    /// Lowest address, laid out as in a tuple.
    pub(crate) min_addr: [u8; 16],
    /// Highest address.
    pub(crate) max_addr: [u8; 16],
    /// Ports are given (`NF_NAT_RANGE_PROTO_SPECIFIED`).
    pub(crate) proto_specified: bool,
    /// Lowest port, in host order.
    pub(crate) min_port: u16,
    /// Highest port, in host order.
    pub(crate) max_port: u16,
}

/// Reads the range in `attr` for a connection of address family `family`.
pub(crate) fn parse(attr: &Attr<'_>, family: u8) -> Result<NatRange, Errno> {
    let tb = attr.parse(&policy::NAT, Mode::Liberal)?;
    let (min_kind, max_kind, len) = match l3_of(family).ok_or(Errno::EPROTONOSUPPORT)? {
        L3::Ipv4 => (cta::nat::V4_MINIP, cta::nat::V4_MAXIP, IN_LEN),
        L3::Ipv6 => (cta::nat::V6_MINIP, cta::nat::V6_MAXIP, 16),
    };
    let mut r = NatRange::default();
    let addr = |a: Attr<'_>| {
        let bytes: [u8; 16] = a.bytes();
        let mut out = [0; 16];
        if let (Some(to), Some(from)) = (out.get_mut(..len), bytes.get(..len)) {
            to.copy_from_slice(from);
        }
        out
    };
    if let Some(min) = tb.get(min_kind) {
        r.min_addr = addr(min);
        r.map_ips = true;
    }
    r.max_addr = tb.get(max_kind).map_or(r.min_addr, addr);
    let Some(proto) = tb.get(cta::nat::PROTO) else {
        return Ok(r);
    };
    let ports = proto.parse(&policy::PROTONAT, Mode::Liberal)?;
    if let Some(min) = ports.get(cta::protonat::PORT_MIN) {
        r.min_port = min.be16();
        r.max_port = r.min_port;
        r.proto_specified = true;
    }
    if let Some(max) = ports.get(cta::protonat::PORT_MAX) {
        r.max_port = max.be16();
        r.proto_specified = true;
    }
    Ok(r)
}
