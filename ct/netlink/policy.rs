// SPDX-License-Identifier: GPL-2.0

//! The attribute policies of ctnetlink and of the protocol code it calls, as declared in
//! `nf_conntrack_netlink.c`, `nf_conntrack_core.c`, the protocol trackers and `nf_nat_core.c`.

use super::attr::{Policy, Rule};
use super::cta;

/// Length of an IPv6 address.
const IN6_LEN: usize = 16;
/// Length of `struct nf_ct_tcp_flags`: flags, then mask.
pub(crate) const TCP_FLAGS_LEN: usize = 2;
/// Longest helper name, without its NUL (`NF_CT_HELPER_NAME_LEN - 1`).
const HELPER_NAME_MAX: usize = 15;
/// Largest labels attribute (`NF_CT_LABELS_MAX_SIZE`).
pub(crate) const LABELS_MAX: usize = 16;
/// Highest TCP state (`TCP_CONNTRACK_SYN_SENT2`).
const TCP_STATE_MAX: u8 = 9;
/// Largest TCP window scale (`TCP_MAX_WSCALE`).
const TCP_WSCALE_MAX: u8 = 14;

/// Number of slots of a policy whose highest type is `max`.
const fn slots(max: u16) -> usize {
    max as usize + 1
}

/// Top-level attributes of requests (`ct_nla_policy`).
pub(crate) const CT: Policy<{ slots(cta::MAX) }> = {
    let mut p = [Rule::Unspec; slots(cta::MAX)];
    p[cta::TUPLE_ORIG as usize] = Rule::Nested;
    p[cta::TUPLE_REPLY as usize] = Rule::Nested;
    p[cta::STATUS as usize] = Rule::U32;
    p[cta::PROTOINFO as usize] = Rule::Nested;
    p[cta::HELP as usize] = Rule::Nested;
    p[cta::NAT_SRC as usize] = Rule::Nested;
    p[cta::TIMEOUT as usize] = Rule::U32;
    p[cta::MARK as usize] = Rule::U32;
    p[cta::ID as usize] = Rule::U32;
    p[cta::NAT_DST as usize] = Rule::Nested;
    p[cta::TUPLE_MASTER as usize] = Rule::Nested;
    p[cta::SEQ_ADJ_ORIG as usize] = Rule::Nested;
    p[cta::SEQ_ADJ_REPLY as usize] = Rule::Nested;
    p[cta::ZONE as usize] = Rule::U16;
    p[cta::MARK_MASK as usize] = Rule::U32;
    p[cta::LABELS as usize] = Rule::Binary(LABELS_MAX);
    p[cta::LABELS_MASK as usize] = Rule::Binary(LABELS_MAX);
    p[cta::FILTER as usize] = Rule::Nested;
    p[cta::STATUS_MASK as usize] = Rule::U32;
    p
};

/// Attributes of a tuple (`tuple_nla_policy`).
pub(crate) const TUPLE: Policy<{ slots(cta::tuple::MAX) }> =
    [Rule::Unspec, Rule::Nested, Rule::Nested, Rule::U16];

/// Attributes of a tuple's addresses (`cta_ip_nla_policy`).
pub(crate) const IP: Policy<{ slots(cta::ip::MAX) }> = [
    Rule::Unspec,
    Rule::U32,
    Rule::U32,
    Rule::MinLen(IN6_LEN),
    Rule::MinLen(IN6_LEN),
];

/// Attributes of a tuple's protocol part before the protocol is known (`proto_nla_policy`).
pub(crate) const PROTO: Policy<{ slots(cta::proto::MAX) }> = {
    let mut p = [Rule::Unspec; slots(cta::proto::MAX)];
    p[cta::proto::NUM as usize] = Rule::U8;
    p
};

/// Ports of TCP and UDP (`nf_ct_port_nla_policy`).
pub(crate) const PORTS: Policy<{ slots(cta::proto::MAX) }> = {
    let mut p = [Rule::Unspec; slots(cta::proto::MAX)];
    p[cta::proto::SRC_PORT as usize] = Rule::U16;
    p[cta::proto::DST_PORT as usize] = Rule::U16;
    p
};

/// ICMP fields (`icmp_nla_policy`).
pub(crate) const ICMP: Policy<{ slots(cta::proto::MAX) }> = {
    let mut p = [Rule::Unspec; slots(cta::proto::MAX)];
    p[cta::proto::ICMP_TYPE as usize] = Rule::U8;
    p[cta::proto::ICMP_CODE as usize] = Rule::U8;
    p[cta::proto::ICMP_ID as usize] = Rule::U16;
    p
};

/// ICMPv6 fields (`icmpv6_nla_policy`).
pub(crate) const ICMPV6: Policy<{ slots(cta::proto::MAX) }> = {
    let mut p = [Rule::Unspec; slots(cta::proto::MAX)];
    p[cta::proto::ICMPV6_TYPE as usize] = Rule::U8;
    p[cta::proto::ICMPV6_CODE as usize] = Rule::U8;
    p[cta::proto::ICMPV6_ID as usize] = Rule::U16;
    p
};

/// Protocol state (`protoinfo_policy`).
pub(crate) const PROTOINFO: Policy<{ slots(cta::protoinfo::MAX) }> =
    [Rule::Unspec, Rule::Nested, Rule::Nested, Rule::Nested];

/// TCP state (`tcp_nla_policy`).
pub(crate) const TCP: Policy<{ slots(cta::tcp::MAX) }> = [
    Rule::Unspec,
    Rule::U8Max(TCP_STATE_MAX),
    Rule::U8Max(TCP_WSCALE_MAX),
    Rule::U8Max(TCP_WSCALE_MAX),
    Rule::MinLen(TCP_FLAGS_LEN),
    Rule::MinLen(TCP_FLAGS_LEN),
];

/// Sequence adjustment (`seqadj_policy`).
pub(crate) const SEQADJ: Policy<{ slots(cta::seqadj::MAX) }> =
    [Rule::Unspec, Rule::U32, Rule::U32, Rule::U32];

/// SYN proxy state (`synproxy_policy`).
pub(crate) const SYNPROXY: Policy<{ slots(cta::synproxy::MAX) }> =
    [Rule::Unspec, Rule::U32, Rule::U32, Rule::U32];

/// Helper (`help_nla_policy`).
pub(crate) const HELP: Policy<{ slots(cta::help::MAX) }> =
    [Rule::Unspec, Rule::NulString(HELPER_NAME_MAX), Rule::Unspec];

/// NAT range (`nat_nla_policy`).
#[cfg(not(MODULE))]
pub(crate) const NAT: Policy<{ slots(cta::nat::MAX) }> = [
    Rule::Unspec,
    Rule::U32,
    Rule::U32,
    Rule::Nested,
    Rule::MinLen(IN6_LEN),
    Rule::MinLen(IN6_LEN),
];

/// NAT port range (`protonat_nla_policy`).
#[cfg(not(MODULE))]
pub(crate) const PROTONAT: Policy<{ slots(cta::protonat::MAX) }> =
    [Rule::Unspec, Rule::U16, Rule::U16];

/// Dump filter (`cta_filter_nla_policy`), parsed strictly.
pub(crate) const FILTER: Policy<{ slots(cta::filter::MAX) }> = [
    Rule::Unspec,
    Rule::U32Mask(cta::filter_flags::ALL),
    Rule::U32Mask(cta::filter_flags::ALL),
];
