// SPDX-License-Identifier: GPL-2.0

//! How many connections a namespace may hold, and how long unassured ones live when it nears
//! that many.
//!
//! - `nf_conntrack_max` of the initial namespace is the host's limit, shared by every
//!   namespace as in nf_conntrack. A child namespace may set a lower limit of its own with its
//!   `nf_conntrack_max`, never above the host's: its root may lower it, and only root of the
//!   initial user namespace may raise it again. Until it does, the namespace follows the host's.
//! - Adaptive timeouts (off unless set): once a namespace holds more than `start` percent of its
//!   limit, connections not yet assured get their timeouts scaled down linearly, to nothing at
//!   `end` percent, as pf's adaptive timeouts do; a flood of unanswered connections then
//!   clears sooner while assured ones keep theirs.

/// The limit a namespace works with: the host's and its own, zero meaning none.
pub(crate) fn effective_max(host: i32, own: i32) -> i32 {
    match (host, own) {
        (0, own) => own,
        (host, 0) => host,
        (host, own) => host.min(own),
    }
}

/// Whether a child namespace may set its own limit to `new`, when the host's is `host` and the
/// namespace works with `current`; `privileged` for root of the initial user namespace.
pub(crate) fn may_set_own(host: i32, current: i32, new: i32, privileged: bool) -> bool {
    if new <= 0 || (host > 0 && new > host) {
        return false;
    }
    privileged || current == 0 || new <= current
}

/// The adaptive timeout settings of a namespace, in percent of its limit; `start` 0 for off.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Adaptive {
    /// Fill above which unassured timeouts shrink.
    pub(crate) start: u32,
    /// Fill at which they reach zero; above `start`.
    pub(crate) end: u32,
}

impl Adaptive {
    /// `timeout` (in jiffies) of an unassured connection in a namespace holding `count` of at
    /// most `max` connections.
    pub(crate) fn scale(self, timeout: u32, count: i32, max: i32) -> u32 {
        if self.start == 0 || self.end <= self.start || max <= 0 || count <= 0 {
            return timeout;
        }
        // In hundredths of a connection, so that small tables scale as large ones.
        let (count, max) = (count as u64 * 100, max as u64);
        let (start, end) = (u64::from(self.start) * max, u64::from(self.end) * max);
        if count <= start {
            return timeout;
        }
        if count >= end {
            // Never zero: a connection lives at least until the collector looks at it.
            return 1;
        }
        let scaled = u64::from(timeout) * (end - count) / (end - start);
        (scaled as u32).max(1)
    }
}

#[cfg(test)]
mod tests;
