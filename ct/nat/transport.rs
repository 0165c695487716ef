// SPDX-License-Identifier: GPL-2.0

//! Rewriting a transport header's ports or ICMP identifier, and its checksum, as nf_nat's
//! `*_manip_pkt` do.

use super::checksum::{word16, word32, Summed};
use super::crc32c;
use super::header::{dccp, icmp, ipproto as nat_proto, ports, sctp, tcp, udp};
use super::packet::{read_be16, read_check, write_check, PacketMut};
use super::ManipType;
use crate::ct::tuple::{icmp as icmp_type, icmpv6, ipproto, Tuple, L3};

/// An address of the network header about to change, which the transport checksum covers
/// through the pseudo-header.
pub(super) struct AddressChange {
    /// The network protocol.
    pub(super) l3: L3,
    /// The address in the packet.
    pub(super) old: [u8; 16],
    /// The address it becomes.
    pub(super) new: [u8; 16],
}

impl AddressChange {
    /// The transport checksum `check` updated for the change (`nf_csum_update`).
    fn update(&self, summed: &mut Summed, check: u16) -> u16 {
        match self.l3 {
            L3::Ipv4 => summed.replace4(check, v4_word(&self.old), v4_word(&self.new), true),
            L3::Ipv6 => summed.replace16(check, &self.old, &self.new, true),
        }
    }
}

fn v4_word(addr: &[u8; 16]) -> u32 {
    word32([addr[0], addr[1], addr[2], addr[3]])
}

/// A transport header to rewrite, and what to rewrite it to.
pub(super) struct Segment<'a> {
    /// The transport protocol, the target's.
    pub(super) proto: u8,
    /// Offset of the transport header.
    pub(super) l4: usize,
    /// The network header's address change.
    pub(super) change: &'a AddressChange,
    /// The tuple the packet is rewritten towards.
    pub(super) target: &'a Tuple,
    /// The end rewritten.
    pub(super) manip: ManipType,
}

impl Segment<'_> {
    /// The offset of the field `offset` bytes into the header.
    fn at(&self, offset: usize) -> Option<usize> {
        self.l4.checked_add(offset)
    }

    /// The offset of the port rewritten, and the port the target gives it.
    fn port(&self) -> Option<(usize, u16)> {
        match self.manip {
            ManipType::Source => Some((self.at(ports::SRC)?, self.target.src_id())),
            ManipType::Destination => Some((self.at(ports::DST)?, self.target.dst_id())),
        }
    }

    /// Whether the packet holds `len` bytes of the header.
    fn holds<P: PacketMut + ?Sized>(&self, pkt: &P, len: usize) -> bool {
        self.at(len).is_some_and(|end| pkt.total_len() >= end)
    }

    /// Makes the first `len` bytes of the header writable.
    fn make_writable<P: PacketMut + ?Sized>(&self, pkt: &mut P, len: usize) -> Option<()> {
        pkt.make_writable(self.at(len)?).then_some(())
    }
}

/// Rewrites a transport header. Protocols NAT does not know pass unchanged; `None` if the
/// header is cut short where it must not be, or cannot be made writable.
pub(super) fn manip<P: PacketMut + ?Sized>(
    pkt: &mut P,
    summed: &mut Summed,
    seg: &Segment<'_>,
) -> Option<()> {
    match seg.proto {
        ipproto::TCP => ports_and_checksum(pkt, summed, seg, tcp::LEN, tcp::CHECKSUM),
        nat_proto::DCCP => ports_and_checksum(pkt, summed, seg, dccp::LEN, dccp::CHECKSUM),
        ipproto::UDP | nat_proto::UDPLITE => udp(pkt, summed, seg),
        nat_proto::SCTP => sctp(pkt, summed, seg),
        ipproto::ICMP => icmp(pkt, summed, seg),
        ipproto::ICMPV6 => icmpv6(pkt, summed, seg),
        _ => Some(()),
    }
}

/// TCP and DCCP, whose header of `hdr_len` bytes has its checksum at `check_off`: the port,
/// and the checksum when the whole header is there. A header cut short, as an ICMP error
/// quotes it, has its port rewritten only.
fn ports_and_checksum<P: PacketMut + ?Sized>(
    pkt: &mut P,
    summed: &mut Summed,
    seg: &Segment<'_>,
    hdr_len: usize,
    check_off: usize,
) -> Option<()> {
    let whole = seg.holds(pkt, hdr_len);
    seg.make_writable(pkt, if whole { hdr_len } else { ports::QUOTED_LEN })?;
    let (at, new) = seg.port()?;
    let old = read_be16(pkt, at)?;
    write_be16(pkt, at, new)?;
    if !whole {
        return Some(());
    }
    let check_at = seg.at(check_off)?;
    let check = seg.change.update(summed, read_check(pkt, check_at)?);
    let check = summed.replace2(check, port_word(old), port_word(new), false);
    write_check(pkt, check_at, check).then_some(())
}

/// UDP and UDP-Lite. A UDP checksum of zero means none and stays zero; a computed zero is sent
/// as all ones.
fn udp<P: PacketMut + ?Sized>(pkt: &mut P, summed: &mut Summed, seg: &Segment<'_>) -> Option<()> {
    seg.make_writable(pkt, udp::LEN)?;
    let (at, new) = seg.port()?;
    let old = read_be16(pkt, at)?;
    let check_at = seg.at(udp::CHECKSUM)?;
    let check = read_check(pkt, check_at)?;
    if seg.proto == nat_proto::UDPLITE || check != 0 {
        let check = seg.change.update(summed, check);
        let check = match summed.replace2(check, port_word(old), port_word(new), false) {
            0 => 0xffff,
            c => c,
        };
        write_check(pkt, check_at, check).then_some(())?;
    }
    write_be16(pkt, at, new)
}

/// SCTP: the port, and the CRC32c recomputed over the rest of the packet unless the device
/// computes it, which leaves the packet `CHECKSUM_NONE`. A header cut short has its port
/// rewritten only.
fn sctp<P: PacketMut + ?Sized>(pkt: &mut P, summed: &mut Summed, seg: &Segment<'_>) -> Option<()> {
    let whole = seg.holds(pkt, sctp::LEN);
    seg.make_writable(pkt, if whole { sctp::LEN } else { ports::QUOTED_LEN })?;
    let (at, new) = seg.port()?;
    write_be16(pkt, at, new)?;
    if !whole || *summed == Summed::Partial {
        return Some(());
    }
    // The CRC covers the packet from the header on, the checksum field taken as zero.
    let after = seg.at(sctp::LEN)?;
    let crc = pkt.crc32c(seg.l4, sctp::CHECKSUM, !0)?;
    let crc = crc32c::update(crc, &[0; sctp::LEN - sctp::CHECKSUM]);
    let crc = !pkt.crc32c(after, pkt.total_len().checked_sub(after)?, crc)?;
    *summed = Summed::None;
    pkt.write(seg.at(sctp::CHECKSUM)?, &crc.to_le_bytes())
        .then_some(())
}

/// ICMP: the identifier of a query or its answer; no pseudo-header.
fn icmp<P: PacketMut + ?Sized>(pkt: &mut P, summed: &mut Summed, seg: &Segment<'_>) -> Option<()> {
    seg.make_writable(pkt, icmp::LEN)?;
    let [ty] = pkt.read(seg.at(icmp::TYPE)?)?;
    let query = matches!(
        ty,
        icmp_type::ECHO
            | icmp_type::ECHO_REPLY
            | icmp_type::TIMESTAMP
            | icmp_type::TIMESTAMP_REPLY
            | icmp_type::INFO_REQUEST
            | icmp_type::INFO_REPLY
            | icmp_type::ADDRESS
            | icmp_type::ADDRESS_REPLY
    );
    if !query {
        return Some(());
    }
    let check_at = seg.at(icmp::CHECKSUM)?;
    let id_at = seg.at(icmp::ID)?;
    let old = read_be16(pkt, id_at)?;
    let new = seg.target.src_id();
    let check = read_check(pkt, check_at)?;
    let check = summed.replace2(check, port_word(old), port_word(new), false);
    write_be16(pkt, id_at, new)?;
    // A device computing the checksum computes it right.
    let check = match check {
        0 if *summed != Summed::Partial => zeros_check(pkt, seg)?,
        c => c,
    };
    write_check(pkt, check_at, check).then_some(())
}

/// The checksum of an ICMP message that the incremental update gave as zero: all ones if the
/// rest of the message is all zeros. Such a message sums to zero, so only all ones checks out;
/// the update, like the kernel's `csum_replace4`, never gives all ones. Otherwise zero stands.
fn zeros_check<P: PacketMut + ?Sized>(pkt: &P, seg: &Segment<'_>) -> Option<u16> {
    let rest = seg.at(icmp::ID)?;
    let sum = pkt.checksum(seg.l4, icmp::CHECKSUM, 0)?;
    let sum = pkt.checksum(rest, pkt.total_len().checked_sub(rest)?, sum)?;
    Some(if sum == 0 { 0xffff } else { 0 })
}

/// ICMPv6: the pseudo-header's address for every message, and the identifier of an echo
/// request or reply.
fn icmpv6<P: PacketMut + ?Sized>(
    pkt: &mut P,
    summed: &mut Summed,
    seg: &Segment<'_>,
) -> Option<()> {
    seg.make_writable(pkt, icmp::LEN)?;
    let check_at = seg.at(icmp::CHECKSUM)?;
    let mut check = seg.change.update(summed, read_check(pkt, check_at)?);
    let [ty] = pkt.read(seg.at(icmp::TYPE)?)?;
    if matches!(ty, icmpv6::ECHO_REQUEST | icmpv6::ECHO_REPLY) {
        let id_at = seg.at(icmp::ID)?;
        let old = read_be16(pkt, id_at)?;
        let new = seg.target.src_id();
        check = summed.replace2(check, port_word(old), port_word(new), false);
        write_be16(pkt, id_at, new)?;
    }
    write_check(pkt, check_at, check).then_some(())
}

/// A port or identifier, host order, as the checksum helpers add it.
fn port_word(port: u16) -> u16 {
    word16(port.to_be_bytes())
}

fn write_be16<P: PacketMut + ?Sized>(pkt: &mut P, at: usize, v: u16) -> Option<()> {
    pkt.write(at, &v.to_be_bytes()).then_some(())
}
