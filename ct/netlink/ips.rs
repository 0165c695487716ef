// SPDX-License-Identifier: GPL-2.0

//! Connection status bits as ctnetlink carries them (`enum ip_conntrack_status`), all of them.
#![allow(dead_code)]

/// An expected connection, created for a master connection's helper.
pub(crate) const EXPECTED: u32 = 1 << 0;
/// A reply has been seen.
pub(crate) const SEEN_REPLY: u32 = 1 << 1;
/// Not to be evicted when the table fills up.
pub(crate) const ASSURED: u32 = 1 << 2;
/// In the table.
pub(crate) const CONFIRMED: u32 = 1 << 3;
/// Source NAT in the original direction.
pub(crate) const SRC_NAT: u32 = 1 << 4;
/// Destination NAT in the original direction.
pub(crate) const DST_NAT: u32 = 1 << 5;
/// Both NAT kinds.
pub(crate) const NAT_MASK: u32 = SRC_NAT | DST_NAT;
/// TCP sequence numbers are adjusted.
pub(crate) const SEQ_ADJUST: u32 = 1 << 6;
/// Source NAT is set up.
pub(crate) const SRC_NAT_DONE: u32 = 1 << 7;
/// Destination NAT is set up.
pub(crate) const DST_NAT_DONE: u32 = 1 << 8;
/// Both NAT set-up bits.
pub(crate) const NAT_DONE_MASK: u32 = SRC_NAT_DONE | DST_NAT_DONE;
/// Being removed.
pub(crate) const DYING: u32 = 1 << 9;
/// The timeout is not renewed by packets and cannot be changed.
pub(crate) const FIXED_TIMEOUT: u32 = 1 << 10;
/// A template, not a connection.
pub(crate) const TEMPLATE: u32 = 1 << 11;
/// The obsolete untracked entry.
pub(crate) const UNTRACKED: u32 = 1 << 12;
/// A helper was attached explicitly.
pub(crate) const HELPER: u32 = 1 << 13;
/// Offloaded to a flow table.
pub(crate) const OFFLOAD: u32 = 1 << 14;
/// Offloaded to hardware.
pub(crate) const HW_OFFLOAD: u32 = 1 << 15;
/// Every bit nf_conntrack defines (below `__IPS_MAX_BIT`).
pub(crate) const ALL: u32 = (1 << 16) - 1;
/// Bits that users never set or clear directly.
pub(crate) const UNCHANGEABLE_MASK: u32 = NAT_DONE_MASK
    | NAT_MASK
    | EXPECTED
    | CONFIRMED
    | DYING
    | SEQ_ADJUST
    | TEMPLATE
    | UNTRACKED
    | OFFLOAD
    | HW_OFFLOAD;
