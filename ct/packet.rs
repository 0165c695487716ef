// SPDX-License-Identifier: GPL-2.0

//! Reading a packet's tuple, as conntrack's entry hooks do.
//!
//! Every header is copied out through [`Packet::read`] after its length is known to be there, so
//! no read goes past the end of a packet, however malformed.

mod tcp;

pub(crate) use tcp::{seq_after, Segment, TcpOptions};

use super::proto::tcp_valid_flags;
use super::tuple::{icmp, icmpv6, ipproto, Tuple, L3};
use tcp::{HeaderError, TcpHeader};

/// The bytes of one packet, from its network header on.
pub(crate) trait Packet {
    /// Length of the packet from the network header on.
    fn total_len(&self) -> usize;

    /// Copies the `N` bytes at `offset`, or returns `None` if the packet ends first.
    fn read<const N: usize>(&self, offset: usize) -> Option<[u8; N]>;

    /// Whether the transport checksum of the `proto` payload at `l4` is correct.
    fn checksum_ok(&self, l3: L3, l4: usize, proto: u8) -> bool;

    /// Whether the checksum over the first `cover` bytes from `l4` is correct, with a
    /// pseudo-header of protocol `proto` and the whole payload's length, as
    /// `nf_checksum_partial()` computes it.
    fn checksum_partial_ok(&self, l3: L3, l4: usize, cover: usize, proto: u8) -> bool;
}

/// What a packet is to connection tracking.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Parsed {
    /// A packet of the flow named by `tuple`; its transport header starts at `l4`.
    Flow {
        /// The packet's tuple.
        tuple: Tuple,
        /// Offset of the transport header.
        l4: usize,
        /// The TCP segment; all zero for other protocols.
        tcp: Segment,
    },
    /// An ICMP or ICMPv6 error about a packet of another flow.
    Error {
        /// The tuple of the packet quoted in the error, as that packet was sent.
        quoted: Tuple,
        /// The error's destination address, which must be the quoted flow's source.
        dst: [u8; 16],
    },
    /// A message conntrack leaves untracked by design: IPv6 neighbour discovery and multicast
    /// listener messages.
    Untracked,
}

/// Why a packet cannot be tracked.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Invalid {
    /// The packet ends inside a header.
    Truncated,
    /// A header's length or version field is inconsistent.
    Malformed,
    /// A fragment other than the first.
    Fragment,
    /// A transport checksum is wrong.
    Checksum,
    /// ICMP carried over IPv6 or ICMPv6 over IPv4.
    WrongFamily,
    /// An ICMP or ICMPv6 message that is short, fails its checksum, has an unknown type or quotes
    /// a packet that cannot be read. nf_conntrack counts these as errors, not as invalid.
    Icmp,
}

/// Where a packet's transport header is and what it carries.
#[derive(Clone, Copy)]
struct Network {
    src: [u8; 16],
    dst: [u8; 16],
    proto: u8,
    l4: usize,
}

/// Parses the packet into what conntrack needs to know of it.
///
/// `verify_checksum` asks for transport checksums to be checked, as nf_conntrack does on
/// PRE_ROUTING when `nf_conntrack_checksum` is set.
#[inline(always)]
pub(crate) fn parse<P: Packet + ?Sized>(
    pkt: &P,
    l3: L3,
    verify_checksum: bool,
) -> Result<Parsed, Invalid> {
    let net = network(pkt, l3, 0)?;
    match (net.proto, l3) {
        (ipproto::ICMP, L3::Ipv4) | (ipproto::ICMPV6, L3::Ipv6) => {
            icmp(pkt, l3, net, verify_checksum)
        }
        (ipproto::ICMP, L3::Ipv6) | (ipproto::ICMPV6, L3::Ipv4) => Err(Invalid::WrongFamily),
        (ipproto::UDP, _) => {
            let [sp0, sp1, dp0, dp1, len0, len1, c0, c1] =
                pkt.read(net.l4).ok_or(Invalid::Truncated)?;
            let len = usize::from(u16::from_be_bytes([len0, len1]));
            if len < 8 || len > pkt.total_len() - net.l4 {
                return Err(Invalid::Malformed);
            }
            if verify_checksum && (c0, c1) != (0, 0) && !pkt.checksum_ok(l3, net.l4, ipproto::UDP) {
                return Err(Invalid::Checksum);
            }
            Ok(flow(
                l3,
                net,
                u16::from_be_bytes([sp0, sp1]),
                u16::from_be_bytes([dp0, dp1]),
            ))
        }
        (ipproto::UDPLITE, _) => udplite(pkt, l3, net, verify_checksum),
        (ipproto::TCP, _) => {
            let h = TcpHeader::read(pkt, net.l4).map_err(|e| match e {
                HeaderError::Truncated => Invalid::Truncated,
                HeaderError::Malformed => Invalid::Malformed,
            })?;
            if verify_checksum && !pkt.checksum_ok(l3, net.l4, ipproto::TCP) {
                return Err(Invalid::Checksum);
            }
            if !tcp_valid_flags(h.flags()) {
                return Err(Invalid::Malformed);
            }
            Ok(Parsed::Flow {
                tuple: Tuple::new(l3, net.proto, net.src, net.dst, h.src_port(), h.dst_port()),
                l4: net.l4,
                tcp: h.segment(pkt),
            })
        }
        _ => Ok(flow(l3, net, 0, 0)),
    }
}

#[inline(always)]
fn flow(l3: L3, net: Network, src_id: u16, dst_id: u16) -> Parsed {
    Parsed::Flow {
        tuple: Tuple::new(l3, net.proto, net.src, net.dst, src_id, dst_id),
        l4: net.l4,
        tcp: Segment::default(),
    }
}

/// Byte offsets of the UDP and UDP-Lite header's fields.
mod udp_field {
    use core::ops::Range;

    /// Source port.
    pub(super) const SRC_PORT: Range<usize> = 0..2;
    /// Destination port.
    pub(super) const DST_PORT: Range<usize> = 2..4;
    /// Length (UDP) or checksum coverage (UDP-Lite).
    pub(super) const LEN: Range<usize> = 4..6;
    /// Checksum.
    pub(super) const CHECKSUM: Range<usize> = 6..8;
    /// Length of the header.
    pub(super) const HEADER_LEN: usize = 8;
}

/// UDP-Lite: ports as UDP; the length field is the checksum's coverage, zero for the whole
/// datagram, and the checksum is mandatory (`udplite_error()`).
fn udplite<P: Packet + ?Sized>(
    pkt: &P,
    l3: L3,
    net: Network,
    verify_checksum: bool,
) -> Result<Parsed, Invalid> {
    let h: [u8; udp_field::HEADER_LEN] = pkt.read(net.l4).ok_or(Invalid::Truncated)?;
    let be16 = |r: core::ops::Range<usize>| match h.get(r) {
        Some(&[a, b]) => u16::from_be_bytes([a, b]),
        _ => 0,
    };
    let len = pkt.total_len() - net.l4;
    let cover = match usize::from(be16(udp_field::LEN)) {
        0 => len,
        c if c < udp_field::HEADER_LEN || c > len => return Err(Invalid::Malformed),
        c => c,
    };
    if be16(udp_field::CHECKSUM) == 0 {
        return Err(Invalid::Checksum);
    }
    // As nf_conntrack, the pseudo-header is UDP's.
    if verify_checksum && !pkt.checksum_partial_ok(l3, net.l4, cover, ipproto::UDP) {
        return Err(Invalid::Checksum);
    }
    Ok(flow(
        l3,
        net,
        be16(udp_field::SRC_PORT),
        be16(udp_field::DST_PORT),
    ))
}

/// Whether an IPv4 packet is a fragment, first or not.
pub(crate) fn is_ipv4_fragment<P: Packet + ?Sized>(pkt: &P) -> bool {
    // More fragments, or a fragment offset.
    pkt.read::<2>(6)
        .is_some_and(|f| u16::from_be_bytes(f) & 0x3fff != 0)
}

/// Reads the network header at `off` and finds the transport header after it.
#[inline(always)]
fn network<P: Packet + ?Sized>(pkt: &P, l3: L3, off: usize) -> Result<Network, Invalid> {
    match l3 {
        L3::Ipv4 => {
            let h: [u8; 20] = pkt.read(off).ok_or(Invalid::Truncated)?;
            let ihl = usize::from(h[0] & 0x0f) * 4;
            if h[0] >> 4 != 4 || ihl < 20 {
                return Err(Invalid::Malformed);
            }
            // Fragment offset, without the flag bits.
            if u16::from_be_bytes([h[6], h[7]]) & 0x1fff != 0 {
                return Err(Invalid::Fragment);
            }
            let l4 = off + ihl;
            if l4 > pkt.total_len() {
                return Err(Invalid::Malformed);
            }
            let mut src = [0; 16];
            let mut dst = [0; 16];
            src[..4].copy_from_slice(&h[12..16]);
            dst[..4].copy_from_slice(&h[16..20]);
            Ok(Network {
                src,
                dst,
                proto: h[9],
                l4,
            })
        }
        L3::Ipv6 => {
            let h: [u8; 40] = pkt.read(off).ok_or(Invalid::Truncated)?;
            if h[0] >> 4 != 6 {
                return Err(Invalid::Malformed);
            }
            let (proto, l4) = skip_ipv6_extensions(pkt, h[6], off + 40)?;
            if l4 > pkt.total_len() {
                return Err(Invalid::Malformed);
            }
            let mut src = [0; 16];
            let mut dst = [0; 16];
            src.copy_from_slice(&h[8..24]);
            dst.copy_from_slice(&h[24..40]);
            Ok(Network {
                src,
                dst,
                proto,
                l4,
            })
        }
    }
}

/// Walks IPv6 extension headers from `off`, returning the transport protocol and its offset.
fn skip_ipv6_extensions<P: Packet + ?Sized>(
    pkt: &P,
    mut next: u8,
    mut off: usize,
) -> Result<(u8, usize), Invalid> {
    const HOP: u8 = 0;
    const ROUTING: u8 = 43;
    const FRAGMENT: u8 = 44;
    const AUTH: u8 = 51;
    const NONE: u8 = 59;
    const DEST: u8 = 60;
    loop {
        let len = match next {
            HOP | ROUTING | DEST => None,
            AUTH => None,
            FRAGMENT => Some(8),
            NONE => return Err(Invalid::Malformed),
            _ => return Ok((next, off)),
        };
        let [nh, hlen, f0, f1] = pkt.read(off).ok_or(Invalid::Truncated)?;
        let len = match len {
            Some(len) => {
                if u16::from_be_bytes([f0, f1]) & !0x7 != 0 {
                    return Err(Invalid::Fragment);
                }
                len
            }
            None if next == AUTH => (usize::from(hlen) + 2) * 4,
            None => (usize::from(hlen) + 1) * 8,
        };
        next = nh;
        off += len;
    }
}

/// ICMP and ICMPv6: queries become flows, errors point at the flow they quote.
fn icmp<P: Packet + ?Sized>(
    pkt: &P,
    l3: L3,
    net: Network,
    verify_checksum: bool,
) -> Result<Parsed, Invalid> {
    let [ty, code, _, _, id0, id1, _, _] = pkt.read(net.l4).ok_or(Invalid::Icmp)?;
    if verify_checksum && !pkt.checksum_ok(l3, net.l4, net.proto) {
        return Err(Invalid::Icmp);
    }
    let is_error = match l3 {
        L3::Ipv4 => {
            if ty > icmp::ADDRESS_REPLY {
                return Err(Invalid::Icmp);
            }
            matches!(
                ty,
                icmp::DEST_UNREACH
                    | icmp::SOURCE_QUENCH
                    | icmp::REDIRECT
                    | icmp::TIME_EXCEEDED
                    | icmp::PARAMETER_PROB
            )
        }
        L3::Ipv6 => {
            if is_untracked_icmpv6(ty) {
                return Ok(Parsed::Untracked);
            }
            ty < icmpv6::ECHO_REQUEST
        }
    };
    // Where the quoted packet starts, if the message quotes one.
    let quoted_at = if is_error {
        Some(net.l4 + 8)
    } else if l3 == L3::Ipv6 && ty == icmpv6::REDIRECT {
        redirected_header(pkt, net, code)?
    } else {
        None
    };
    let Some(quoted_at) = quoted_at else {
        let id = u16::from_be_bytes([id0, id1]);
        return Ok(flow(l3, net, id, u16::from(ty) << 8 | u16::from(code)));
    };
    // The quoted packet: its network header and the start of its transport header.
    let inner = network(pkt, l3, quoted_at).map_err(|_| Invalid::Icmp)?;
    let (src_id, dst_id) = match inner.proto {
        ipproto::TCP | ipproto::UDP | ipproto::UDPLITE => {
            let [s0, s1, d0, d1] = pkt.read(inner.l4).ok_or(Invalid::Icmp)?;
            (u16::from_be_bytes([s0, s1]), u16::from_be_bytes([d0, d1]))
        }
        ipproto::ICMP | ipproto::ICMPV6 => {
            let [ty, code, _, _, id0, id1, _, _] = pkt.read(inner.l4).ok_or(Invalid::Icmp)?;
            (
                u16::from_be_bytes([id0, id1]),
                u16::from(ty) << 8 | u16::from(code),
            )
        }
        _ => (0, 0),
    };
    Ok(Parsed::Error {
        quoted: Tuple::new(l3, inner.proto, inner.src, inner.dst, src_id, dst_id),
        dst: net.dst,
    })
}

/// Where an ICMPv6 redirect's redirected-header option quotes the packet that was redirected,
/// which makes the redirect RELATED to that packet's connection as an error would be; `None`
/// for a redirect without that option first, or of a code other than 0, which is a message
/// like any other. A redirect must come from a link-local address with hop limit 255.
fn redirected_header<P: Packet + ?Sized>(
    pkt: &P,
    net: Network,
    code: u8,
) -> Result<Option<usize>, Invalid> {
    // The message: type, code, checksum, 4 reserved bytes, target and destination addresses.
    const MSG_LEN: usize = 8 + 16 + 16;
    // Its option header: type, length in units of 8 bytes, 6 reserved bytes.
    const OPT_REDIRECTED_HEADER: u8 = 4;
    const OPT_HEADER_LEN: usize = 8;
    pkt.read::<1>(net.l4 + MSG_LEN - 1).ok_or(Invalid::Icmp)?;
    if code != 0 {
        return Ok(None);
    }
    let [hop_limit] = pkt.read(7).ok_or(Invalid::Icmp)?;
    let link_local = net.src[0] == 0xfe && net.src[1] & 0xc0 == 0x80;
    if hop_limit != 255 || !link_local {
        return Err(Invalid::Icmp);
    }
    let [opt, opt_len] = pkt.read(net.l4 + MSG_LEN).ok_or(Invalid::Icmp)?;
    if opt_len == 0 {
        return Err(Invalid::Icmp);
    }
    if opt != OPT_REDIRECTED_HEADER {
        return Ok(None);
    }
    Ok(Some(net.l4 + MSG_LEN + OPT_HEADER_LEN))
}

/// ICMPv6 neighbour discovery and multicast listener messages, which are never tracked.
fn is_untracked_icmpv6(ty: u8) -> bool {
    // Multicast listener query, report and done; router and neighbour solicitation and
    // advertisement; MLDv2 report.
    matches!(ty, 130..=136 | 143)
}

/// Packets held in one contiguous buffer, as userspace tests and fuzzers hold them.
#[cfg(not(MODULE))]
impl Packet for [u8] {
    fn total_len(&self) -> usize {
        self.len()
    }

    fn read<const N: usize>(&self, offset: usize) -> Option<[u8; N]> {
        self.get(offset..offset.checked_add(N)?)?.try_into().ok()
    }

    fn checksum_ok(&self, l3: L3, l4: usize, proto: u8) -> bool {
        let len = self.len().saturating_sub(l4);
        self.checksum_partial_ok(l3, l4, len, proto)
    }

    fn checksum_partial_ok(&self, l3: L3, l4: usize, cover: usize, proto: u8) -> bool {
        let Some(payload) = self.get(l4..) else {
            return false;
        };
        let Some(covered) = payload.get(..cover) else {
            return false;
        };
        let mut sum: u64 = 0;
        let mut add = |b: &[u8]| {
            for c in b.chunks(2) {
                let hi = c.first().copied().unwrap_or(0);
                let lo = c.get(1).copied().unwrap_or(0);
                sum += u64::from(u16::from_be_bytes([hi, lo]));
            }
        };
        // ICMP has no pseudo-header; UDP, UDP-Lite, TCP and ICMPv6 have.
        if proto != ipproto::ICMP {
            let addrs = match l3 {
                L3::Ipv4 => self.get(12..20),
                L3::Ipv6 => self.get(8..40),
            };
            add(addrs.unwrap_or(&[]));
            add(&[0, proto]);
            add(&(payload.len() as u32).to_be_bytes());
        }
        add(covered);
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        sum == 0xffff
    }
}

#[cfg(test)]
mod tests;
