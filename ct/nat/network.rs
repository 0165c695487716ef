// SPDX-License-Identifier: GPL-2.0

//! Rewriting a packet's network header towards a connection's translated tuple, and its
//! transport header through it, as nf_nat's `nf_nat_ipv4_manip_pkt`, `nf_nat_ipv6_manip_pkt`
//! and `nf_nat_packet` do.

use super::checksum::{replace4, word32, Summed};
use super::header::{ipv4, ipv6, ipv6_ext};
use super::packet::{read_check, write_check, PacketMut};
use super::transport::{self, AddressChange, Segment};
use super::{ManipType, RewriteError};
use crate::ct::status::Dir;
use crate::ct::tuple::{ipproto, Tuple, L3};

/// A translated connection, as its packets are rewritten: its two tuples and status bits.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NatConn<'a> {
    /// The original tuple: what the opening packet carried.
    pub(crate) original: &'a Tuple,
    /// The reply tuple: what answers carry, translations applied.
    pub(crate) reply: &'a Tuple,
    /// The status bits.
    pub(crate) status: usize,
}

impl NatConn<'_> {
    /// The tuple of direction `dir`.
    pub(crate) fn tuple(&self, dir: Dir) -> &Tuple {
        match dir {
            Dir::Original => self.original,
            Dir::Reply => self.reply,
        }
    }
}

/// Rewrites end `manip` of a packet of `conn` seen in direction `dir`, if the connection
/// translates that end for that direction (`nf_nat_packet`): towards the inverse of the other
/// direction's tuple.
pub(crate) fn nat_packet<P: PacketMut + ?Sized>(
    pkt: &mut P,
    summed: &mut Summed,
    conn: &NatConn<'_>,
    manip: ManipType,
    dir: Dir,
) -> Result<(), RewriteError> {
    if conn.status & manip.rewrite_bit(dir) == 0 {
        return Ok(());
    }
    let other = conn.tuple(dir.other());
    manip_packet(pkt, summed, 0, &inverse(other, other.proto()), manip)
}

/// The packet's address at end `manip`, laid out as a [`super::range::NatRange`] holds one.
pub(crate) fn packet_address<P: PacketMut + ?Sized>(
    pkt: &P,
    l3: L3,
    manip: ManipType,
) -> Option<[u8; 16]> {
    let mut addr = [0; 16];
    match (l3, manip) {
        (L3::Ipv4, ManipType::Source) => addr[..4].copy_from_slice(&pkt.read::<4>(ipv4::SRC)?),
        (L3::Ipv4, ManipType::Destination) => addr[..4].copy_from_slice(&pkt.read::<4>(ipv4::DST)?),
        (L3::Ipv6, ManipType::Source) => addr = pkt.read(ipv6::SRC)?,
        (L3::Ipv6, ManipType::Destination) => addr = pkt.read(ipv6::DST)?,
    }
    Some(addr)
}

/// The tuple a packet is rewritten towards to look like an answer to `t`, with transport
/// protocol `proto`: `t`'s ends swapped. An ICMP query keeps its identifier; the ICMP type is
/// not rewritten, so it is left as it is.
pub(super) fn inverse(t: &Tuple, proto: u8) -> Tuple {
    let (src_id, dst_id) = match t.proto() {
        ipproto::ICMP | ipproto::ICMPV6 => (t.src_id(), t.dst_id()),
        _ => (t.dst_id(), t.src_id()),
    };
    Tuple::new(t.l3(), proto, *t.dst(), *t.src(), src_id, dst_id)
}

/// Rewrites end `manip` of the packet whose network header is at `off` to `target`'s: the
/// transport header first (ports and checksum, pseudo-header included), then the address. The
/// transport protocol is `target`'s.
pub(crate) fn manip_packet<P: PacketMut + ?Sized>(
    pkt: &mut P,
    summed: &mut Summed,
    off: usize,
    target: &Tuple,
    manip: ManipType,
) -> Result<(), RewriteError> {
    match target.l3() {
        L3::Ipv4 => manip_ipv4(pkt, summed, off, target, manip),
        L3::Ipv6 => manip_ipv6(pkt, summed, off, target, manip),
    }
    .ok_or(RewriteError::Unwritable)
}

/// The offset of the address `manip` rewrites within an IPv4 or IPv6 header, and `target`'s
/// address for it.
fn address_of(l3: L3, target: &Tuple, manip: ManipType) -> (usize, [u8; 16]) {
    match (l3, manip) {
        (L3::Ipv4, ManipType::Source) => (ipv4::SRC, *target.src()),
        (L3::Ipv4, ManipType::Destination) => (ipv4::DST, *target.dst()),
        (L3::Ipv6, ManipType::Source) => (ipv6::SRC, *target.src()),
        (L3::Ipv6, ManipType::Destination) => (ipv6::DST, *target.dst()),
    }
}

/// Rewrites the IPv4 header at `off` and the transport header after it.
fn manip_ipv4<P: PacketMut + ?Sized>(
    pkt: &mut P,
    summed: &mut Summed,
    off: usize,
    target: &Tuple,
    manip: ManipType,
) -> Option<()> {
    if !pkt.make_writable(off.checked_add(ipv4::LEN)?) {
        return None;
    }
    let [ver_ihl] = pkt.read(off.checked_add(ipv4::VER_IHL)?)?;
    // The header length is conntrack's to have checked, for the packet and for a quoted one.
    let l4 = off.checked_add(usize::from(ver_ihl & ipv4::IHL_MASK) * 4)?;
    let (field, new) = address_of(L3::Ipv4, target, manip);
    let at = off.checked_add(field)?;
    let old4: [u8; 4] = pkt.read(at)?;
    let new4 = [new[0], new[1], new[2], new[3]];
    let mut old = [0; 16];
    old[..4].copy_from_slice(&old4);
    let change = AddressChange {
        l3: L3::Ipv4,
        old,
        new,
    };
    let seg = Segment {
        proto: target.proto(),
        l4,
        change: &change,
        target,
        manip,
    };
    transport::manip(pkt, summed, &seg)?;
    let check_at = off.checked_add(ipv4::CHECKSUM)?;
    let check = replace4(read_check(pkt, check_at)?, word32(old4), word32(new4));
    (write_check(pkt, check_at, check) && pkt.write(at, &new4)).then_some(())
}

/// Rewrites the IPv6 header at `off` and the transport header after its extension headers. A
/// packet whose extension headers cannot be walked has its address rewritten only, as has a
/// fragment other than the first.
fn manip_ipv6<P: PacketMut + ?Sized>(
    pkt: &mut P,
    summed: &mut Summed,
    off: usize,
    target: &Tuple,
    manip: ManipType,
) -> Option<()> {
    if !pkt.make_writable(off.checked_add(ipv6::LEN)?) {
        return None;
    }
    let (field, new) = address_of(L3::Ipv6, target, manip);
    let at = off.checked_add(field)?;
    let old: [u8; 16] = pkt.read(at)?;
    let [next] = pkt.read(off.checked_add(ipv6::NEXT_HEADER)?)?;
    let ext = skip_extensions(pkt, next, off.checked_add(ipv6::LEN)?);
    if let Some(ext) = ext.filter(|e| e.frag_off & !ipv6_ext::FRAG_FLAGS == 0) {
        let change = AddressChange {
            l3: L3::Ipv6,
            old,
            new,
        };
        let seg = Segment {
            proto: target.proto(),
            l4: ext.offset,
            change: &change,
            target,
            manip,
        };
        transport::manip(pkt, summed, &seg)?;
    }
    pkt.write(at, &new).then_some(())
}

/// Where IPv6 extension headers end.
pub(super) struct Extensions {
    /// Offset of the first header that is not a known extension header, or of a fragment
    /// header other than a first fragment's.
    pub(super) offset: usize,
    /// Protocol of the header at `offset`.
    pub(super) next: u8,
    /// Fragment offset and flags of the last fragment header met, host order; zero if none.
    pub(super) frag_off: u16,
}

/// Walks the IPv6 extension headers from `offset`, the first of protocol `next`, as
/// `ipv6_skip_exthdr` does: `None` at a "no next header" or when the packet ends inside a
/// header's first bytes. The offset returned may lie past the packet's end.
pub(super) fn skip_extensions<P: PacketMut + ?Sized>(
    pkt: &P,
    mut next: u8,
    mut offset: usize,
) -> Option<Extensions> {
    let mut frag_off = 0;
    while matches!(
        next,
        ipv6_ext::HOP
            | ipv6_ext::ROUTING
            | ipv6_ext::FRAGMENT
            | ipv6_ext::AUTH
            | ipv6_ext::NONE
            | ipv6_ext::DEST
    ) {
        if next == ipv6_ext::NONE {
            return None;
        }
        let [nh] = pkt.read(offset.checked_add(ipv6_ext::NEXT)?)?;
        let [hdr_len] = pkt.read(offset.checked_add(ipv6_ext::HDR_LEN)?)?;
        let len = match next {
            ipv6_ext::FRAGMENT => {
                frag_off = u16::from_be_bytes(pkt.read(offset.checked_add(ipv6_ext::FRAG_OFF)?)?);
                if frag_off & !ipv6_ext::FRAG_FLAGS != 0 {
                    break;
                }
                ipv6_ext::FRAG_LEN
            }
            // Authentication headers count their length in 32-bit words, less two.
            ipv6_ext::AUTH => (usize::from(hdr_len) + 2) * 4,
            // Other extension headers, in 64-bit words, less one.
            _ => (usize::from(hdr_len) + 1) * 8,
        };
        next = nh;
        offset = offset.checked_add(len)?;
    }
    Some(Extensions {
        offset,
        next,
        frag_off,
    })
}
