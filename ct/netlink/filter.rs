// SPDX-License-Identifier: GPL-2.0

//! Dump and flush filters (`ctnetlink_alloc_filter`, `ctnetlink_filter_match`).

use super::attr::{Mode, Table};
use super::cta::{self, filter_flags as ff};
use super::errno::Errno;
use super::ips;
use super::policy;
use super::snapshot::{Snapshot, Zone};
use super::tuple;
use crate::ct::tuple::{ipproto, Tuple, L3};

/// Length of an IPv4 address.
const IN_LEN: usize = 4;

/// A value to compare under a mask.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) struct Masked {
    /// What the masked value must be.
    pub(crate) value: u32,
    /// The bits compared.
    pub(crate) mask: u32,
}

impl Masked {
    fn admits(&self, v: u32) -> bool {
        v & self.mask == self.value
    }
}

/// Which connections a dump or flush concerns.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Filter {
    /// Address family of the connections; 0 for all.
    pub(crate) family: u8,
    /// The zone connections must be in, when `zone_filter`.
    pub(crate) zone: Zone,
    /// Whether connections must be in `zone`.
    pub(crate) zone_filter: bool,
    /// Original tuple to compare, and the fields compared ([`cta::filter_flags`]).
    pub(crate) orig: Option<(Tuple, u32)>,
    /// Reply tuple to compare, and the fields compared.
    pub(crate) reply: Option<(Tuple, u32)>,
    /// Mark.
    pub(crate) mark: Masked,
    /// Status bits.
    pub(crate) status: Masked,
}

/// Whether a request for the table with address family `family` and attributes `tb` needs a
/// filter (`ctnetlink_needs_filter`).
pub(crate) fn needed<const N: usize>(family: u8, tb: &Table<'_, N>) -> bool {
    family != 0
        || tb.has(cta::MARK)
        || tb.has(cta::FILTER)
        || tb.has(cta::STATUS)
        || tb.has(cta::ZONE)
}

impl Filter {
    /// Reads the filter of a request with address family `family` and attributes `tb`.
    pub(crate) fn parse<const N: usize>(family: u8, tb: &Table<'_, N>) -> Result<Self, Errno> {
        let mut f = Filter {
            family,
            zone: Zone::DEFAULT,
            zone_filter: false,
            orig: None,
            reply: None,
            mark: Masked::default(),
            status: Masked::default(),
        };
        if let Some(mark) = tb.get(cta::MARK) {
            f.mark = Masked {
                value: mark.be32(),
                mask: tb.get(cta::MARK_MASK).map_or(u32::MAX, |m| m.be32()),
            };
        } else if tb.has(cta::MARK_MASK) {
            return Err(Errno::EINVAL);
        }
        if let Some(status) = tb.get(cta::STATUS) {
            let value = status.be32();
            f.status = Masked {
                value,
                mask: tb.get(cta::STATUS_MASK).map_or(value, |m| m.be32()),
            };
            if f.status.mask == 0 {
                return Err(Errno::EINVAL);
            }
        } else if tb.has(cta::STATUS_MASK) {
            return Err(Errno::EINVAL);
        }
        if let Some(zone) = tb.get(cta::ZONE) {
            f.zone.id = zone.be16();
            f.zone_filter = true;
        }
        let Some(filter) = tb.get(cta::FILTER) else {
            return Ok(f);
        };
        let flags = filter.parse(&policy::FILTER, Mode::Strict)?;
        let orig_flags = flags.get(cta::filter::ORIG_FLAGS).map_or(0, |a| a.ne32());
        let reply_flags = flags.get(cta::filter::REPLY_FLAGS).map_or(0, |a| a.ne32());
        for (kind, fl, slot) in [
            (cta::TUPLE_ORIG, orig_flags, &mut f.orig),
            (cta::TUPLE_REPLY, reply_flags, &mut f.reply),
        ] {
            if fl != 0 {
                let attr = tb.get(kind).ok_or(Errno::EINVAL)?;
                let t = tuple::parse(&attr, kind, family, Some(&mut f.zone), fl)?;
                *slot = Some((t, fl));
            }
        }
        Ok(f)
    }

    /// Whether the filter admits `conn`.
    pub(crate) fn matches(&self, conn: &Snapshot) -> bool {
        if self.family != 0 && conn.orig.l3() as u8 != self.family {
            return false;
        }
        if self.zone_filter && conn.zone.id != self.zone.id {
            return false;
        }
        for (want, have) in [(&self.orig, &conn.orig), (&self.reply, &conn.reply)] {
            if let Some((t, flags)) = want {
                if !tuple_matches(t, have, *flags, self.family) {
                    return false;
                }
            }
        }
        self.mark.admits(conn.mark) && self.status.admits(conn.status & ips::ALL)
    }
}

/// Whether the fields `flags` selects are equal in `want` and `have`
/// (`ctnetlink_filter_match_tuple`).
fn tuple_matches(want: &Tuple, have: &Tuple, flags: u32, family: u8) -> bool {
    let addr_len = match tuple::l3_of(family) {
        Some(L3::Ipv4) => IN_LEN,
        Some(L3::Ipv6) => 16,
        None => 0,
    };
    let same = |a: &[u8; 16], b: &[u8; 16]| a.get(..addr_len) == b.get(..addr_len);
    let differs = |flag: u32, eq: bool| flags & flag != 0 && !eq;
    if differs(ff::IP_SRC, same(want.src(), have.src()))
        || differs(ff::IP_DST, same(want.dst(), have.dst()))
        || differs(ff::PROTO_NUM, want.proto() == have.proto())
    {
        return false;
    }
    let icmp = |ty, code, id| {
        !differs(ty, want.icmp_type() == have.icmp_type())
            && !differs(code, want.icmp_code() == have.icmp_code())
            && !differs(id, want.src_id() == have.src_id())
    };
    match have.proto() {
        ipproto::TCP | ipproto::UDP => {
            !differs(ff::PROTO_SRC_PORT, want.src_id() == have.src_id())
                && !differs(ff::PROTO_DST_PORT, want.dst_id() == have.dst_id())
        }
        ipproto::ICMP => icmp(ff::PROTO_ICMP_TYPE, ff::PROTO_ICMP_CODE, ff::PROTO_ICMP_ID),
        ipproto::ICMPV6 => icmp(
            ff::PROTO_ICMPV6_TYPE,
            ff::PROTO_ICMPV6_CODE,
            ff::PROTO_ICMPV6_ID,
        ),
        _ => true,
    }
}
