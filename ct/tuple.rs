// SPDX-License-Identifier: GPL-2.0

//! Connection tuples: what names one direction of a flow.

/// Network layer protocol, numbered as netfilter's `NFPROTO_*`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub(crate) enum L3 {
    /// IPv4, `NFPROTO_IPV4`.
    Ipv4 = 2,
    /// IPv6, `NFPROTO_IPV6`.
    Ipv6 = 10,
}

impl L3 {
    /// The name `/proc/net/nf_conntrack` prints for this protocol.
    pub(crate) fn name(self) -> &'static str {
        match self {
            L3::Ipv4 => "ipv4",
            L3::Ipv6 => "ipv6",
        }
    }
}

/// IP protocol numbers that have a tracker of their own.
pub(crate) mod ipproto {
    /// Internet Control Message Protocol.
    pub(crate) const ICMP: u8 = 1;
    /// Transmission Control Protocol.
    pub(crate) const TCP: u8 = 6;
    /// User Datagram Protocol.
    pub(crate) const UDP: u8 = 17;
    /// ICMP for IPv6.
    pub(crate) const ICMPV6: u8 = 58;
    /// UDP with a partial checksum (RFC 3828).
    pub(crate) const UDPLITE: u8 = 136;
}

/// ICMP message types.
pub(crate) mod icmp {
    pub(crate) const ECHO_REPLY: u8 = 0;
    pub(crate) const DEST_UNREACH: u8 = 3;
    pub(crate) const SOURCE_QUENCH: u8 = 4;
    pub(crate) const REDIRECT: u8 = 5;
    pub(crate) const ECHO: u8 = 8;
    pub(crate) const TIME_EXCEEDED: u8 = 11;
    pub(crate) const PARAMETER_PROB: u8 = 12;
    pub(crate) const TIMESTAMP: u8 = 13;
    pub(crate) const TIMESTAMP_REPLY: u8 = 14;
    pub(crate) const INFO_REQUEST: u8 = 15;
    pub(crate) const INFO_REPLY: u8 = 16;
    pub(crate) const ADDRESS: u8 = 17;
    pub(crate) const ADDRESS_REPLY: u8 = 18;
}

/// ICMPv6 message types.
pub(crate) mod icmpv6 {
    pub(crate) const ECHO_REQUEST: u8 = 128;
    pub(crate) const ECHO_REPLY: u8 = 129;
    pub(crate) const REDIRECT: u8 = 137;
    pub(crate) const NI_QUERY: u8 = 139;
    pub(crate) const NI_REPLY: u8 = 140;
}

/// One direction of a connection, laid out as the kernel's `struct nf_conntrack_tuple`.
///
/// Connections store their tuples where `struct nf_conn` has them, for kernel code that reads
/// them there. Addresses and the protocol-specific identifiers are in network byte order: an
/// IPv4 address fills the first four bytes of its field, the rest zero; a port or ICMP echo
/// identifier fills `src_u`, a port or the ICMP type and code bytes fill `dst_u`. The direction
/// byte is not part of a tuple's identity: hashing and comparison ignore it.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tuple {
    src: [u8; 16],
    src_u: [u8; 2],
    l3num: u16,
    dst: [u8; 16],
    dst_u: [u8; 2],
    proto: u8,
    dir: u8,
}

// The layout of `struct nf_conntrack_tuple`, as this kernel defines it.
#[cfg(MODULE)]
const _: () = {
    use super::sys::bindings::nf_conntrack_tuple as C;
    use core::mem::{offset_of, size_of};
    assert!(size_of::<Tuple>() == size_of::<C>());
    assert!(offset_of!(Tuple, src) == offset_of!(C, src.u3));
    assert!(offset_of!(Tuple, src_u) == offset_of!(C, src.u));
    assert!(offset_of!(Tuple, l3num) == offset_of!(C, src.l3num));
    assert!(offset_of!(Tuple, dst) == offset_of!(C, dst.u3));
    assert!(offset_of!(Tuple, dst_u) == offset_of!(C, dst.u));
    assert!(offset_of!(Tuple, proto) == offset_of!(C, dst.protonum));
    assert!(offset_of!(Tuple, dir) == offset_of!(C, dst.dir));
};

impl Tuple {
    /// Creates a tuple. `src_id` is the source port or ICMP echo identifier, `dst_id` the
    /// destination port or the ICMP type (high byte) and code (low byte), both in host order.
    pub(crate) fn new(
        l3: L3,
        proto: u8,
        src: [u8; 16],
        dst: [u8; 16],
        src_id: u16,
        dst_id: u16,
    ) -> Self {
        Self {
            src,
            src_u: src_id.to_be_bytes(),
            l3num: l3 as u16,
            dst,
            dst_u: dst_id.to_be_bytes(),
            proto,
            dir: 0,
        }
    }

    /// Network layer protocol.
    pub(crate) fn l3(&self) -> L3 {
        if self.l3num == L3::Ipv6 as u16 {
            L3::Ipv6
        } else {
            L3::Ipv4
        }
    }

    /// IP protocol number.
    pub(crate) fn proto(&self) -> u8 {
        self.proto
    }

    /// Source address.
    pub(crate) fn src(&self) -> &[u8; 16] {
        &self.src
    }

    /// Destination address.
    pub(crate) fn dst(&self) -> &[u8; 16] {
        &self.dst
    }

    /// Source port or ICMP echo identifier; zero for protocols without ports.
    pub(crate) fn src_id(&self) -> u16 {
        u16::from_be_bytes(self.src_u)
    }

    /// Destination port, or ICMP type and code; zero for protocols without ports.
    pub(crate) fn dst_id(&self) -> u16 {
        u16::from_be_bytes(self.dst_u)
    }

    /// The ICMP or ICMPv6 type.
    pub(crate) fn icmp_type(&self) -> u8 {
        self.dst_u[0]
    }

    /// The ICMP or ICMPv6 code.
    pub(crate) fn icmp_code(&self) -> u8 {
        self.dst_u[1]
    }

    /// The tuple marked with direction `dir` (0 original, 1 reply), which comparisons ignore.
    pub(crate) fn with_dir(mut self, dir: u8) -> Self {
        self.dir = dir;
        self
    }

    /// The tuple of the opposite direction, or `None` for an ICMP message that has no reply.
    pub(crate) fn invert(&self) -> Option<Self> {
        let (src_u, dst_u) = match self.proto {
            ipproto::ICMP | ipproto::ICMPV6 => {
                let reply = icmp_reply_type(self.proto, self.icmp_type())?;
                (self.src_u, [reply, self.icmp_code()])
            }
            _ => (self.dst_u, self.src_u),
        };
        Some(Self {
            src: self.dst,
            src_u,
            l3num: self.l3num,
            dst: self.src,
            dst_u,
            proto: self.proto,
            dir: 0,
        })
    }

    /// An IPv4 tuple as two words, for hashing: addresses in one, the rest in the other.
    #[inline]
    pub(crate) fn words_v4(&self) -> Option<[u64; 2]> {
        if self.l3num != L3::Ipv4 as u16 {
            return None;
        }
        let a = |b: &[u8; 16]| u64::from(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]));
        let rest = u64::from(u16::from_ne_bytes(self.src_u))
            | u64::from(u16::from_ne_bytes(self.dst_u)) << 16
            | u64::from(self.proto) << 32;
        Some([a(&self.src) | a(&self.dst) << 32, rest])
    }

    /// The tuple as five words, the direction byte cleared, for hashing and comparison.
    #[inline]
    pub(crate) fn words(&self) -> [u64; 5] {
        let w = |b: &[u8]| {
            let mut a = [0; 8];
            a.copy_from_slice(b);
            u64::from_ne_bytes(a)
        };
        let mut tail = [0; 8];
        tail[..4].copy_from_slice(&self.dst[12..]);
        tail[4..6].copy_from_slice(&self.dst_u);
        tail[6] = self.proto;
        let mut mid0 = [0; 8];
        mid0[..2].copy_from_slice(&self.src_u);
        mid0[2..4].copy_from_slice(&self.l3num.to_ne_bytes());
        mid0[4..].copy_from_slice(&self.dst[..4]);
        [
            w(&self.src[..8]),
            w(&self.src[8..]),
            u64::from_ne_bytes(mid0),
            w(&self.dst[4..12]),
            u64::from_ne_bytes(tail),
        ]
    }
}

// The setters serve NAT, which the module does not build yet.
#[cfg_attr(MODULE, allow(dead_code))]
impl Tuple {
    /// Replaces the source address.
    pub(crate) fn set_src(&mut self, addr: [u8; 16]) {
        self.src = addr;
    }

    /// Replaces the destination address.
    pub(crate) fn set_dst(&mut self, addr: [u8; 16]) {
        self.dst = addr;
    }

    /// Replaces the source port or ICMP echo identifier, given in host order.
    pub(crate) fn set_src_id(&mut self, id: u16) {
        self.src_u = id.to_be_bytes();
    }

    /// Replaces the destination port, or the ICMP type and code, given in host order.
    pub(crate) fn set_dst_id(&mut self, id: u16) {
        self.dst_u = id.to_be_bytes();
    }
}

impl Tuple {
    /// The tuple as five words, as it lies in memory, for storage that reads and writes it a
    /// word at a time.
    pub(crate) fn to_raw(self) -> [u64; 5] {
        let mut b = [0u8; 40];
        b[..16].copy_from_slice(&self.src);
        b[16..18].copy_from_slice(&self.src_u);
        b[18..20].copy_from_slice(&self.l3num.to_ne_bytes());
        b[20..36].copy_from_slice(&self.dst);
        b[36..38].copy_from_slice(&self.dst_u);
        b[38] = self.proto;
        b[39] = self.dir;
        let w = |i: usize| {
            let mut x = [0u8; 8];
            x.copy_from_slice(&b[i * 8..i * 8 + 8]);
            u64::from_ne_bytes(x)
        };
        [w(0), w(1), w(2), w(3), w(4)]
    }

    /// The tuple whose memory words are `raw` (see [`Tuple::to_raw`]).
    pub(crate) fn from_raw(raw: [u64; 5]) -> Self {
        let mut b = [0u8; 40];
        for (chunk, w) in b.chunks_exact_mut(8).zip(raw) {
            chunk.copy_from_slice(&w.to_ne_bytes());
        }
        let mut t = Tuple {
            src: [0; 16],
            src_u: [b[16], b[17]],
            l3num: u16::from_ne_bytes([b[18], b[19]]),
            dst: [0; 16],
            dst_u: [b[36], b[37]],
            proto: b[38],
            dir: b[39],
        };
        t.src.copy_from_slice(&b[..16]);
        t.dst.copy_from_slice(&b[20..36]);
        t
    }
}

impl PartialEq for Tuple {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.words(), other.words());
        // Word by word, most distinguishing first: no call to `memcmp`.
        a[4] == b[4] && a[0] == b[0] && a[2] == b[2] && a[1] == b[1] && a[3] == b[3]
    }
}

impl Eq for Tuple {}

/// The type answering an ICMP or ICMPv6 query type, or `None` if `ty` starts no exchange.
fn icmp_reply_type(proto: u8, ty: u8) -> Option<u8> {
    let pairs: &[(u8, u8)] = if proto == ipproto::ICMP {
        &[
            (icmp::ECHO, icmp::ECHO_REPLY),
            (icmp::TIMESTAMP, icmp::TIMESTAMP_REPLY),
            (icmp::INFO_REQUEST, icmp::INFO_REPLY),
            (icmp::ADDRESS, icmp::ADDRESS_REPLY),
        ]
    } else {
        &[
            (icmpv6::ECHO_REQUEST, icmpv6::ECHO_REPLY),
            (icmpv6::NI_QUERY, icmpv6::NI_REPLY),
        ]
    };
    pairs.iter().find_map(|&(q, r)| {
        if ty == q {
            Some(r)
        } else if ty == r {
            Some(q)
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(a: [u8; 4]) -> [u8; 16] {
        let mut b = [0; 16];
        b[..4].copy_from_slice(&a);
        b
    }

    #[test]
    fn udp_inverts_addresses_and_ports() {
        let t = Tuple::new(
            L3::Ipv4,
            ipproto::UDP,
            v4([10, 0, 0, 1]),
            v4([10, 0, 0, 2]),
            5000,
            53,
        );
        let r = t.invert().unwrap();
        assert_eq!(
            r,
            Tuple::new(
                L3::Ipv4,
                ipproto::UDP,
                v4([10, 0, 0, 2]),
                v4([10, 0, 0, 1]),
                53,
                5000
            )
        );
        assert_eq!(r.invert(), Some(t));
    }

    #[test]
    fn icmp_echo_and_reply_invert_to_each_other() {
        let req = Tuple::new(
            L3::Ipv4,
            ipproto::ICMP,
            v4([1, 1, 1, 1]),
            v4([2, 2, 2, 2]),
            77,
            8 << 8,
        );
        let rep = req.invert().unwrap();
        assert_eq!((rep.icmp_type(), rep.icmp_code(), rep.src_id()), (0, 0, 77));
        assert_eq!(rep.src(), req.dst());
        assert_eq!(rep.invert(), Some(req));
    }

    #[test]
    fn icmp_types_without_reply_do_not_invert() {
        for ty in [3u8, 5, 9, 11, 19, 255] {
            let t = Tuple::new(
                L3::Ipv4,
                ipproto::ICMP,
                v4([1; 4]),
                v4([2; 4]),
                1,
                u16::from(ty) << 8,
            );
            assert_eq!(t.invert(), None, "type {ty}");
        }
        let nd = Tuple::new(L3::Ipv6, ipproto::ICMPV6, [1; 16], [2; 16], 0, 135 << 8);
        assert_eq!(nd.invert(), None);
        let ping6 = Tuple::new(L3::Ipv6, ipproto::ICMPV6, [1; 16], [2; 16], 9, 128 << 8);
        assert_eq!(ping6.invert().unwrap().icmp_type(), 129);
    }

    #[test]
    fn words_cover_every_field_but_the_direction() {
        let t = Tuple::new(L3::Ipv6, ipproto::TCP, [1; 16], [2; 16], 3, 4);
        let variants = [
            Tuple::new(L3::Ipv6, ipproto::TCP, [1; 16], [2; 16], 3, 5),
            Tuple::new(L3::Ipv6, ipproto::TCP, [1; 16], [2; 16], 4, 4),
            Tuple::new(L3::Ipv4, ipproto::TCP, [1; 16], [2; 16], 3, 4),
            Tuple::new(L3::Ipv6, ipproto::UDP, [1; 16], [2; 16], 3, 4),
        ];
        for v in variants {
            assert_ne!(v.words(), t.words());
        }
        for i in 0..16 {
            let mut a = [1; 16];
            a[i] = 0;
            assert_ne!(Tuple::new(L3::Ipv6, ipproto::TCP, a, [2; 16], 3, 4), t);
            assert_ne!(Tuple::new(L3::Ipv6, ipproto::TCP, [1; 16], a, 3, 4), t);
        }
        assert_eq!(t.with_dir(1), t);
        assert_eq!(t.with_dir(1).words(), t.words());
        assert_eq!(core::mem::size_of::<Tuple>(), 40);
    }

    #[test]
    fn raw_words_round_trip() {
        let t = Tuple::new(L3::Ipv6, ipproto::TCP, [7; 16], [9; 16], 0x1234, 0xabcd).with_dir(1);
        let back = Tuple::from_raw(t.to_raw());
        assert_eq!(back, t);
        assert_eq!(back.dir, 1);
        assert_eq!(
            (back.src_id(), back.dst_id(), back.l3()),
            (0x1234, 0xabcd, L3::Ipv6)
        );
    }
}
