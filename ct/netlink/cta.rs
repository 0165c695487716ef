// SPDX-License-Identifier: GPL-2.0

//! Attribute numbers of ctnetlink messages (`CTA_*`), as `nfnetlink_conntrack.h` defines them.
//!
//! The whole table, as the header has it: the module reads and writes most of them.
#![allow(dead_code)]

/// Attributes of a connection (`enum ctattr_type`).
pub(crate) const TUPLE_ORIG: u16 = 1;
/// The reply direction's tuple.
pub(crate) const TUPLE_REPLY: u16 = 2;
/// Status bits (`IPS_*`), big-endian.
pub(crate) const STATUS: u16 = 3;
/// Protocol state, nested by protocol.
pub(crate) const PROTOINFO: u16 = 4;
/// Helper name and data.
pub(crate) const HELP: u16 = 5;
/// Source NAT range.
pub(crate) const NAT_SRC: u16 = 6;
/// Seconds before the connection expires, big-endian.
pub(crate) const TIMEOUT: u16 = 7;
/// Connection mark, big-endian.
pub(crate) const MARK: u16 = 8;
/// Counters of the original direction.
pub(crate) const COUNTERS_ORIG: u16 = 9;
/// Counters of the reply direction.
pub(crate) const COUNTERS_REPLY: u16 = 10;
/// References held on the connection, big-endian.
pub(crate) const USE: u16 = 11;
/// The connection's identifier, as the kernel computes it (not byte-swapped).
pub(crate) const ID: u16 = 12;
/// Destination NAT range.
pub(crate) const NAT_DST: u16 = 13;
/// The original tuple of the connection this one was expected by.
pub(crate) const TUPLE_MASTER: u16 = 14;
/// Sequence adjustment of the original direction.
pub(crate) const SEQ_ADJ_ORIG: u16 = 15;
/// Sequence adjustment of the reply direction.
pub(crate) const SEQ_ADJ_REPLY: u16 = 16;
/// Obsolete security mark.
pub(crate) const SECMARK: u16 = 17;
/// Zone of both directions, big-endian.
pub(crate) const ZONE: u16 = 18;
/// Security context.
pub(crate) const SECCTX: u16 = 19;
/// Start and stop times.
pub(crate) const TIMESTAMP: u16 = 20;
/// Mask of the mark, for filters and changes.
pub(crate) const MARK_MASK: u16 = 21;
/// Connection labels.
pub(crate) const LABELS: u16 = 22;
/// Mask of the labels.
pub(crate) const LABELS_MASK: u16 = 23;
/// SYN proxy state.
pub(crate) const SYNPROXY: u16 = 24;
/// Which tuple fields a dump filter compares.
pub(crate) const FILTER: u16 = 25;
/// Mask of the status bits, for filters.
pub(crate) const STATUS_MASK: u16 = 26;
/// The highest connection attribute (`CTA_MAX`).
pub(crate) const MAX: u16 = 26;

/// Attributes of a tuple (`enum ctattr_tuple`).
pub(crate) mod tuple {
    /// Addresses.
    pub(crate) const IP: u16 = 1;
    /// Protocol number and ports or ICMP fields.
    pub(crate) const PROTO: u16 = 2;
    /// Zone of this direction alone, big-endian.
    pub(crate) const ZONE: u16 = 3;
    /// The highest tuple attribute.
    pub(crate) const MAX: u16 = 3;
}

/// Attributes of a tuple's addresses (`enum ctattr_ip`).
pub(crate) mod ip {
    /// IPv4 source address.
    pub(crate) const V4_SRC: u16 = 1;
    /// IPv4 destination address.
    pub(crate) const V4_DST: u16 = 2;
    /// IPv6 source address.
    pub(crate) const V6_SRC: u16 = 3;
    /// IPv6 destination address.
    pub(crate) const V6_DST: u16 = 4;
    /// The highest address attribute.
    pub(crate) const MAX: u16 = 4;
}

/// Attributes of a tuple's protocol part (`enum ctattr_l4proto`).
pub(crate) mod proto {
    /// IP protocol number.
    pub(crate) const NUM: u16 = 1;
    /// Source port, big-endian.
    pub(crate) const SRC_PORT: u16 = 2;
    /// Destination port, big-endian.
    pub(crate) const DST_PORT: u16 = 3;
    /// ICMP echo identifier, big-endian.
    pub(crate) const ICMP_ID: u16 = 4;
    /// ICMP type.
    pub(crate) const ICMP_TYPE: u16 = 5;
    /// ICMP code.
    pub(crate) const ICMP_CODE: u16 = 6;
    /// ICMPv6 echo identifier, big-endian.
    pub(crate) const ICMPV6_ID: u16 = 7;
    /// ICMPv6 type.
    pub(crate) const ICMPV6_TYPE: u16 = 8;
    /// ICMPv6 code.
    pub(crate) const ICMPV6_CODE: u16 = 9;
    /// The highest protocol attribute.
    pub(crate) const MAX: u16 = 9;
}

/// Attributes of the protocol state (`enum ctattr_protoinfo`).
pub(crate) mod protoinfo {
    /// TCP state.
    pub(crate) const TCP: u16 = 1;
    /// DCCP state.
    pub(crate) const DCCP: u16 = 2;
    /// SCTP state.
    pub(crate) const SCTP: u16 = 3;
    /// The highest protocol state attribute.
    pub(crate) const MAX: u16 = 3;
}

/// Attributes of the TCP state (`enum ctattr_protoinfo_tcp`).
pub(crate) mod tcp {
    /// Connection state (`TCP_CONNTRACK_*`).
    pub(crate) const STATE: u16 = 1;
    /// Window scale of the original direction.
    pub(crate) const WSCALE_ORIGINAL: u16 = 2;
    /// Window scale of the reply direction.
    pub(crate) const WSCALE_REPLY: u16 = 3;
    /// Flags and mask of the original direction (`struct nf_ct_tcp_flags`).
    pub(crate) const FLAGS_ORIGINAL: u16 = 4;
    /// Flags and mask of the reply direction.
    pub(crate) const FLAGS_REPLY: u16 = 5;
    /// The highest TCP state attribute.
    pub(crate) const MAX: u16 = 5;
}

/// Attributes of a direction's counters (`enum ctattr_counters`).
pub(crate) mod counters {
    /// Packets, 64 bits big-endian.
    pub(crate) const PACKETS: u16 = 1;
    /// Bytes, 64 bits big-endian.
    pub(crate) const BYTES: u16 = 2;
    /// Alignment padding of 64-bit values.
    pub(crate) const PAD: u16 = 5;
}

/// Attributes of the timestamps (`enum ctattr_tstamp`).
pub(crate) mod timestamp {
    /// Start, nanoseconds of wall-clock time, 64 bits big-endian.
    pub(crate) const START: u16 = 1;
    /// Stop, as the start.
    pub(crate) const STOP: u16 = 2;
    /// Alignment padding of 64-bit values.
    pub(crate) const PAD: u16 = 3;
}

/// Attributes of a NAT range (`enum ctattr_nat`).
pub(crate) mod nat {
    /// Lowest IPv4 address.
    pub(crate) const V4_MINIP: u16 = 1;
    /// Highest IPv4 address.
    pub(crate) const V4_MAXIP: u16 = 2;
    /// Port range.
    pub(crate) const PROTO: u16 = 3;
    /// Lowest IPv6 address.
    pub(crate) const V6_MINIP: u16 = 4;
    /// Highest IPv6 address.
    pub(crate) const V6_MAXIP: u16 = 5;
    /// The highest NAT attribute.
    pub(crate) const MAX: u16 = 5;
}

/// Attributes of a NAT port range (`enum ctattr_protonat`).
pub(crate) mod protonat {
    /// Lowest port, big-endian.
    pub(crate) const PORT_MIN: u16 = 1;
    /// Highest port, big-endian.
    pub(crate) const PORT_MAX: u16 = 2;
    /// The highest port range attribute.
    pub(crate) const MAX: u16 = 2;
}

/// Attributes of a sequence adjustment (`enum ctattr_seqadj`).
pub(crate) mod seqadj {
    /// Sequence number of the last change.
    pub(crate) const CORRECTION_POS: u16 = 1;
    /// Offset before it.
    pub(crate) const OFFSET_BEFORE: u16 = 2;
    /// Offset after it.
    pub(crate) const OFFSET_AFTER: u16 = 3;
    /// The highest sequence adjustment attribute.
    pub(crate) const MAX: u16 = 3;
}

/// Attributes of the SYN proxy state (`enum ctattr_synproxy`).
pub(crate) mod synproxy {
    /// Initial sequence number.
    pub(crate) const ISN: u16 = 1;
    /// Initial timestamp.
    pub(crate) const ITS: u16 = 2;
    /// Timestamp offset.
    pub(crate) const TSOFF: u16 = 3;
    /// The highest SYN proxy attribute.
    pub(crate) const MAX: u16 = 3;
}

/// Attributes of a helper (`enum ctattr_help`).
pub(crate) mod help {
    /// Helper name, NUL-terminated.
    pub(crate) const NAME: u16 = 1;
    /// Helper data.
    pub(crate) const INFO: u16 = 2;
    /// The highest helper attribute.
    pub(crate) const MAX: u16 = 2;
}

/// Attributes of a dump filter (`enum ctattr_filter`).
pub(crate) mod filter {
    /// Fields of the original tuple to compare ([`super::filter_flags`]).
    pub(crate) const ORIG_FLAGS: u16 = 1;
    /// Fields of the reply tuple to compare.
    pub(crate) const REPLY_FLAGS: u16 = 2;
    /// The highest filter attribute.
    pub(crate) const MAX: u16 = 2;
}

/// The tuple fields a filter selects (`CTA_FILTER_F_*`); requests for one connection select
/// them all.
pub(crate) mod filter_flags {
    /// Source address.
    pub(crate) const IP_SRC: u32 = 1 << 0;
    /// Destination address.
    pub(crate) const IP_DST: u32 = 1 << 1;
    /// The tuple's zone.
    pub(crate) const TUPLE_ZONE: u32 = 1 << 2;
    /// Protocol number.
    pub(crate) const PROTO_NUM: u32 = 1 << 3;
    /// Source port.
    pub(crate) const PROTO_SRC_PORT: u32 = 1 << 4;
    /// Destination port.
    pub(crate) const PROTO_DST_PORT: u32 = 1 << 5;
    /// ICMP type.
    pub(crate) const PROTO_ICMP_TYPE: u32 = 1 << 6;
    /// ICMP code.
    pub(crate) const PROTO_ICMP_CODE: u32 = 1 << 7;
    /// ICMP echo identifier.
    pub(crate) const PROTO_ICMP_ID: u32 = 1 << 8;
    /// ICMPv6 type.
    pub(crate) const PROTO_ICMPV6_TYPE: u32 = 1 << 9;
    /// ICMPv6 code.
    pub(crate) const PROTO_ICMPV6_CODE: u32 = 1 << 10;
    /// ICMPv6 echo identifier.
    pub(crate) const PROTO_ICMPV6_ID: u32 = 1 << 11;
    /// Every field.
    pub(crate) const ALL: u32 = (1 << 12) - 1;
    /// The protocol fields beyond the protocol number.
    pub(crate) const ALL_PROTO: u32 = PROTO_SRC_PORT
        | PROTO_DST_PORT
        | PROTO_ICMP_TYPE
        | PROTO_ICMP_CODE
        | PROTO_ICMP_ID
        | PROTO_ICMPV6_TYPE
        | PROTO_ICMPV6_CODE
        | PROTO_ICMPV6_ID;
}

/// Per-CPU statistics (`enum ctattr_stats_cpu`), each 32 bits big-endian.
pub(crate) mod stats {
    /// Lookups that found a connection.
    pub(crate) const FOUND: u16 = 2;
    /// Packets that could not be tracked.
    pub(crate) const INVALID: u16 = 4;
    /// Connections inserted.
    pub(crate) const INSERT: u16 = 8;
    /// Connections that could not be inserted.
    pub(crate) const INSERT_FAILED: u16 = 9;
    /// Packets dropped for want of a connection.
    pub(crate) const DROP: u16 = 10;
    /// Connections evicted to make room.
    pub(crate) const EARLY_DROP: u16 = 11;
    /// ICMP errors that quote nothing trackable.
    pub(crate) const ERROR: u16 = 12;
    /// Lookups restarted.
    pub(crate) const SEARCH_RESTART: u16 = 13;
    /// Insertion clashes resolved.
    pub(crate) const CLASH_RESOLVE: u16 = 14;
    /// Insertions refused for a too long chain.
    pub(crate) const CHAIN_TOOLONG: u16 = 15;
}

/// Table-wide statistics (`enum ctattr_stats_global`), each 32 bits big-endian.
pub(crate) mod stats_global {
    /// Connections in the table.
    pub(crate) const ENTRIES: u16 = 1;
    /// Most connections the table holds.
    pub(crate) const MAX_ENTRIES: u16 = 2;
}
