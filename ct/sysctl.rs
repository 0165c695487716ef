// SPDX-License-Identifier: GPL-2.0

//! The `net.netfilter.nf_conntrack_*` sysctls of a namespace, as nf_conntrack names them.
//!
//! Timeouts are in seconds. Unlike nf_conntrack, a timeout write that is negative or too large
//! for the jiffies clock is refused (`EINVAL`), as are other writes out of range or not numbers;
//! a refused write changes nothing. `nf_conntrack_max` of the initial namespace is shared by all
//! namespaces and each may hold that many connections, as in nf_conntrack; beyond it, a child
//! namespace's `nf_conntrack_max` sets a lower limit of its own ([`limits`]). Two sysctls
//! nf_conntrack lacks turn on adaptive timeouts: `nf_conntrack_adaptive_start` and
//! `nf_conntrack_adaptive_end`, in percent of the limit. The table size is fixed at load time
//! (the `hashsize` parameter).
//!
//! [`limits`]: super::limits

use super::state::{CtNet, BUCKETS, MAX};
use super::sys::net::Net;
use super::sys::sysctl::Entry;
use super::sys::time::HZ;
use core::sync::atomic::{AtomicI32, AtomicU8};
use kernel::c_str;
use kernel::ffi::c_int;
use kernel::str::CStr;

/// Longest timeout, in seconds, that fits the jiffies clock.
const TIMEOUT_MAX: c_int = c_int::MAX / HZ as c_int;

fn int<'a>(name: &'static CStr, v: &'a AtomicI32, min: c_int, max: c_int, w: bool) -> Entry<'a> {
    Entry::int(name, v, min, max, w)
}

fn flag<'a>(name: &'static CStr, v: &'a AtomicU8) -> Entry<'a> {
    Entry::u8(name, v, 0, 1)
}

fn byte<'a>(name: &'static CStr, v: &'a AtomicU8) -> Entry<'a> {
    Entry::u8(name, v, 0, u8::MAX)
}

fn timeout<'a>(name: &'static CStr, v: &'a AtomicI32) -> Entry<'a> {
    int(name, v, 0, TIMEOUT_MAX, true)
}

/// The sysctls of `ct`, in nf_conntrack's order, then those it lacks.
pub(crate) fn entries<'a>(ct: &'a CtNet, net: &Net) -> [Entry<'a>; 29] {
    let t = &ct.timeouts;
    let max = c_str!("nf_conntrack_max");
    [
        if net.is_init() {
            int(max, &MAX, 0, c_int::MAX, true)
        } else {
            Entry::own_limit(max, &ct.limit, &MAX)
        },
        int(
            c_str!("nf_conntrack_count"),
            &ct.count,
            0,
            c_int::MAX,
            false,
        ),
        int(
            c_str!("nf_conntrack_buckets"),
            &BUCKETS,
            0,
            c_int::MAX,
            false,
        ),
        flag(c_str!("nf_conntrack_checksum"), &ct.checksum),
        byte(c_str!("nf_conntrack_log_invalid"), &ct.log_invalid),
        flag(c_str!("nf_conntrack_acct"), &ct.acct),
        Entry::u8(c_str!("nf_conntrack_events"), &ct.events.sysctl, 0, 2),
        flag(c_str!("nf_conntrack_timestamp"), &ct.tstamp),
        timeout(c_str!("nf_conntrack_generic_timeout"), &t.generic),
        timeout(c_str!("nf_conntrack_tcp_timeout_syn_sent"), &t.tcp_syn_sent),
        timeout(c_str!("nf_conntrack_tcp_timeout_syn_recv"), &t.tcp_syn_recv),
        timeout(
            c_str!("nf_conntrack_tcp_timeout_established"),
            &t.tcp_established,
        ),
        timeout(c_str!("nf_conntrack_tcp_timeout_fin_wait"), &t.tcp_fin_wait),
        timeout(
            c_str!("nf_conntrack_tcp_timeout_close_wait"),
            &t.tcp_close_wait,
        ),
        timeout(c_str!("nf_conntrack_tcp_timeout_last_ack"), &t.tcp_last_ack),
        timeout(
            c_str!("nf_conntrack_tcp_timeout_time_wait"),
            &t.tcp_time_wait,
        ),
        timeout(c_str!("nf_conntrack_tcp_timeout_close"), &t.tcp_close),
        timeout(
            c_str!("nf_conntrack_tcp_timeout_max_retrans"),
            &t.tcp_retrans,
        ),
        timeout(
            c_str!("nf_conntrack_tcp_timeout_unacknowledged"),
            &t.tcp_unacknowledged,
        ),
        flag(c_str!("nf_conntrack_tcp_loose"), &t.tcp_loose),
        flag(c_str!("nf_conntrack_tcp_be_liberal"), &t.tcp_be_liberal),
        flag(
            c_str!("nf_conntrack_tcp_ignore_invalid_rst"),
            &t.tcp_ignore_invalid_rst,
        ),
        byte(c_str!("nf_conntrack_tcp_max_retrans"), &t.tcp_max_retrans),
        timeout(c_str!("nf_conntrack_udp_timeout"), &t.udp),
        timeout(c_str!("nf_conntrack_udp_timeout_stream"), &t.udp_stream),
        timeout(c_str!("nf_conntrack_icmp_timeout"), &t.icmp),
        timeout(c_str!("nf_conntrack_icmpv6_timeout"), &t.icmpv6),
        Entry::u8(
            c_str!("nf_conntrack_adaptive_start"),
            &ct.adaptive[0],
            0,
            100,
        ),
        byte(c_str!("nf_conntrack_adaptive_end"), &ct.adaptive[1]),
    ]
}
