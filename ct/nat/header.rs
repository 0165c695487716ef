// SPDX-License-Identifier: GPL-2.0

//! Header layouts NAT rewrites: field offsets within each header and header lengths.

/// IP protocol numbers NAT knows beyond those conntrack tracks itself.
pub(crate) mod ipproto {
    /// Datagram Congestion Control Protocol.
    pub(crate) const DCCP: u8 = 33;
    /// Stream Control Transmission Protocol.
    pub(crate) const SCTP: u8 = 132;
    /// UDP-Lite.
    pub(crate) const UDPLITE: u8 = 136;
}

/// The IPv4 header.
pub(crate) mod ipv4 {
    /// Version (high nibble) and header length in 32-bit words (low nibble).
    pub(crate) const VER_IHL: usize = 0;
    /// Transport protocol.
    pub(crate) const PROTOCOL: usize = 9;
    /// Header checksum.
    pub(crate) const CHECKSUM: usize = 10;
    /// Source address.
    pub(crate) const SRC: usize = 12;
    /// Destination address.
    pub(crate) const DST: usize = 16;
    /// Length of a header without options.
    pub(crate) const LEN: usize = 20;
    /// Mask of the header length nibble in `VER_IHL`.
    pub(crate) const IHL_MASK: u8 = 0x0f;
}

/// The IPv6 header.
pub(crate) mod ipv6 {
    /// Protocol of the header that follows.
    pub(crate) const NEXT_HEADER: usize = 6;
    /// Source address.
    pub(crate) const SRC: usize = 8;
    /// Destination address.
    pub(crate) const DST: usize = 24;
    /// Length of the header.
    pub(crate) const LEN: usize = 40;
}

/// IPv6 extension headers, as `ipv6_skip_exthdr` walks them.
pub(crate) mod ipv6_ext {
    /// Hop-by-hop options.
    pub(crate) const HOP: u8 = 0;
    /// Routing header.
    pub(crate) const ROUTING: u8 = 43;
    /// Fragment header.
    pub(crate) const FRAGMENT: u8 = 44;
    /// Authentication header.
    pub(crate) const AUTH: u8 = 51;
    /// No next header.
    pub(crate) const NONE: u8 = 59;
    /// Destination options.
    pub(crate) const DEST: u8 = 60;
    /// Offset of the next header field in every extension header.
    pub(crate) const NEXT: usize = 0;
    /// Offset of the length field of an options or authentication header.
    pub(crate) const HDR_LEN: usize = 1;
    /// Offset of the fragment offset and flags of a fragment header.
    pub(crate) const FRAG_OFF: usize = 2;
    /// Length of a fragment header.
    pub(crate) const FRAG_LEN: usize = 8;
    /// The flag bits of the fragment offset field; the rest is the offset.
    pub(crate) const FRAG_FLAGS: u16 = 0x7;
}

/// The ports every protocol NAT rewrites puts first in its header.
pub(crate) mod ports {
    /// Source port.
    pub(crate) const SRC: usize = 0;
    /// Destination port.
    pub(crate) const DST: usize = 2;
    /// What conntrack guarantees of a transport header: an ICMP error quotes no more.
    pub(crate) const QUOTED_LEN: usize = 8;
}

/// The UDP and UDP-Lite header.
pub(crate) mod udp {
    /// Checksum.
    pub(crate) const CHECKSUM: usize = 6;
    /// Length of the header.
    pub(crate) const LEN: usize = 8;
}

/// The TCP header.
pub(crate) mod tcp {
    /// Checksum.
    pub(crate) const CHECKSUM: usize = 16;
    /// Length of a header without options.
    pub(crate) const LEN: usize = 20;
}

/// The DCCP generic header.
pub(crate) mod dccp {
    /// Checksum.
    pub(crate) const CHECKSUM: usize = 6;
    /// Length of the header without extended sequence numbers.
    pub(crate) const LEN: usize = 12;
}

/// The SCTP common header.
pub(crate) mod sctp {
    /// CRC32c checksum, little-endian.
    pub(crate) const CHECKSUM: usize = 8;
    /// Length of the header.
    pub(crate) const LEN: usize = 12;
}

/// The ICMP and ICMPv6 header.
pub(crate) mod icmp {
    /// Message type.
    pub(crate) const TYPE: usize = 0;
    /// Checksum.
    pub(crate) const CHECKSUM: usize = 2;
    /// Echo identifier.
    pub(crate) const ID: usize = 4;
    /// Length of the header; an error's quoted packet follows it.
    pub(crate) const LEN: usize = 8;
    /// ICMP redirect.
    pub(crate) const REDIRECT: u8 = 5;
    /// ICMPv6 (neighbour discovery) redirect.
    pub(crate) const V6_REDIRECT: u8 = 137;
}
