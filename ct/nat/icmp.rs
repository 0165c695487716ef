// SPDX-License-Identifier: GPL-2.0

//! ICMP and ICMPv6 errors about a translated connection, rewritten as
//! `nf_nat_icmp_reply_translation` and `nf_nat_icmpv6_reply_translation` rewrite them: the
//! quoted packet the opposite way to the error itself, so that each end sees an error about
//! the packet it sent.

use super::checksum::{add, fold, pseudo_v4, pseudo_v6, sub, Summed};
use super::header::{icmp, ipv4, ipv6};
use super::network::{inverse, manip_packet, skip_extensions, NatConn};
use super::packet::{write_check, PacketMut};
use super::{bits, NatHook, RewriteError};
use crate::ct::status::Dir;
use crate::ct::tuple::{ipproto, L3};

/// The offset of the ICMP or ICMPv6 header of a packet, if that is its transport protocol: a
/// packet conntrack found related to a connection takes [`translate_icmp_error`] then, and the
/// ordinary translation otherwise. IPv6 extension headers are walked to find it.
pub(crate) fn icmp_offset<P: PacketMut + ?Sized>(pkt: &P, l3: L3) -> Option<usize> {
    match l3 {
        L3::Ipv4 => {
            let [proto] = pkt.read(ipv4::PROTOCOL)?;
            let [ver_ihl] = pkt.read(ipv4::VER_IHL)?;
            (proto == ipproto::ICMP).then_some(usize::from(ver_ihl & ipv4::IHL_MASK) * 4)
        }
        L3::Ipv6 => {
            let [next] = pkt.read(ipv6::NEXT_HEADER)?;
            let ext = skip_extensions(pkt, next, ipv6::LEN)?;
            (ext.next == ipproto::ICMPV6).then_some(ext.offset)
        }
    }
}

/// Translates an ICMP or ICMPv6 error at `icmp_off` that conntrack found related to `conn`, seen
/// in direction `dir` at `hook`.
///
/// The error's checksum is checked first, as nf does: a `CHECKSUM_NONE` packet then carries
/// the sum just computed, as `Summed::Complete` with `sw_valid` set, and a `CHECKSUM_COMPLETE`
/// one found good at an input hook becomes `CHECKSUM_UNNECESSARY`. An ICMP redirect is only let
/// through for a connection that is bound both ways and translated neither. If the connection
/// translates the hook's end for this direction, the quoted packet has the other end rewritten
/// to the tuple it was sent with, the error's checksum is recomputed (unless the device
/// computes it), and the error's own header is rewritten like an answer to that tuple.
pub(crate) fn translate_icmp_error<P: PacketMut + ?Sized>(
    pkt: &mut P,
    summed: &mut Summed,
    l3: L3,
    icmp_off: usize,
    conn: &NatConn<'_>,
    dir: Dir,
    hook: NatHook,
) -> Result<(), RewriteError> {
    let quoted = icmp_off
        .checked_add(icmp::LEN)
        .ok_or(RewriteError::Unwritable)?;
    let (quoted_hdr, proto, redirect) = match l3 {
        L3::Ipv4 => (ipv4::LEN, ipproto::ICMP, icmp::REDIRECT),
        L3::Ipv6 => (ipv6::LEN, ipproto::ICMPV6, icmp::V6_REDIRECT),
    };
    let writable = quoted
        .checked_add(quoted_hdr)
        .is_some_and(|len| pkt.make_writable(len));
    if !writable {
        return Err(RewriteError::Unwritable);
    }
    if !checksum_good(pkt, summed, l3, icmp_off, hook).ok_or(RewriteError::Unwritable)? {
        return Err(RewriteError::BadChecksum);
    }
    let [ty] = pkt
        .read(icmp_off + icmp::TYPE)
        .ok_or(RewriteError::Unwritable)?;
    if ty == redirect
        && (conn.status & bits::NAT_DONE_MASK != bits::NAT_DONE_MASK
            || conn.status & bits::NAT_MASK != 0)
    {
        return Err(RewriteError::Redirect);
    }
    let manip = hook.manip();
    if conn.status & manip.rewrite_bit(dir) == 0 {
        return Ok(());
    }

    let other = conn.tuple(dir.other());
    manip_packet(pkt, summed, quoted, other, manip.other())?;
    if *summed != Summed::Partial {
        recompute_checksum(pkt, l3, icmp_off).ok_or(RewriteError::Unwritable)?;
    }
    manip_packet(pkt, summed, 0, &inverse(other, proto), manip)
}

/// Writes the checksum of the ICMP or ICMPv6 message at `icmp_off`, over the whole message (and
/// for ICMPv6 the pseudo-header of the addresses the packet now has).
fn recompute_checksum<P: PacketMut + ?Sized>(pkt: &mut P, l3: L3, icmp_off: usize) -> Option<()> {
    let check_at = icmp_off.checked_add(icmp::CHECKSUM)?;
    if !write_check(pkt, check_at, 0) {
        return None;
    }
    let len = pkt.total_len().checked_sub(icmp_off)?;
    let sum = pkt.checksum(icmp_off, len, 0)?;
    let check = match l3 {
        L3::Ipv4 => fold(sum),
        L3::Ipv6 => {
            let (src, dst) = v6_addresses(pkt)?;
            pseudo_v6(&src, &dst, u32::try_from(len).ok()?, ipproto::ICMPV6, sum)
        }
    };
    write_check(pkt, check_at, check).then_some(())
}

fn v6_addresses<P: PacketMut + ?Sized>(pkt: &P) -> Option<([u8; 16], [u8; 16])> {
    Some((pkt.read(ipv6::SRC)?, pkt.read(ipv6::DST)?))
}

/// Whether the ICMP or ICMPv6 checksum of the message at `icmp_off` is good, as
/// `nf_ip_checksum` and `nf_ip6_checksum` judge it, updating `summed` as they do. A device's
/// `CHECKSUM_COMPLETE` sum is only checked at input hooks, and trusted elsewhere; a packet
/// the device vouched for, or whose checksum it will compute, is not checked.
fn checksum_good<P: PacketMut + ?Sized>(
    pkt: &P,
    summed: &mut Summed,
    l3: L3,
    icmp_off: usize,
    hook: NatHook,
) -> Option<bool> {
    let len = u32::try_from(pkt.total_len().checked_sub(icmp_off)?).ok()?;
    match *summed {
        Summed::Unnecessary | Summed::Partial => return Some(true),
        Summed::Complete { .. } if !hook.is_input() => return Some(true),
        Summed::Complete { csum, .. } => {
            let good = match l3 {
                L3::Ipv4 => {
                    let (src, dst) = v4_addresses(pkt)?;
                    fold(csum) == 0 || fold(pseudo_v4(src, dst, len, ipproto::ICMP, csum)) == 0
                }
                L3::Ipv6 => {
                    let (src, dst) = v6_addresses(pkt)?;
                    let headers = pkt.checksum(0, icmp_off, 0)?;
                    pseudo_v6(&src, &dst, len, ipproto::ICMPV6, sub(csum, headers)) == 0
                }
            };
            if good {
                *summed = Summed::Unnecessary;
                return Some(true);
            }
        }
        Summed::None => {}
    }
    // What the sum of the whole packet must be added to for the message to check out: nothing
    // for ICMP, which has no pseudo-header; for ICMPv6 its pseudo-header, less the network
    // headers the sum will also cover.
    let init = match l3 {
        L3::Ipv4 => 0,
        L3::Ipv6 => {
            let (src, dst) = v6_addresses(pkt)?;
            let headers = pkt.checksum(0, icmp_off, 0)?;
            !u32::from(pseudo_v6(&src, &dst, len, ipproto::ICMPV6, sub(0, headers)))
        }
    };
    let csum = pkt.checksum(0, pkt.total_len(), 0)?;
    let good = fold(add(init, csum)) == 0;
    *summed = Summed::Complete {
        csum,
        sw_valid: good,
    };
    Some(good)
}

fn v4_addresses<P: PacketMut + ?Sized>(pkt: &P) -> Option<([u8; 4], [u8; 4])> {
    Some((pkt.read(ipv4::SRC)?, pkt.read(ipv4::DST)?))
}
