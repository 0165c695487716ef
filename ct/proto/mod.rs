// SPDX-License-Identifier: GPL-2.0

//! Protocol trackers: what each packet does to the state and lifetime of its connection.
//!
//! A tracker sees one packet of a connection at a time, with the connection's status bits and
//! protocol state, and decides the new timeout, whether the connection is now assured, or that
//! the packet is invalid for it (it then passes untracked). The rules and defaults follow
//! nf_conntrack's trackers of the same names.

mod icmp;
mod tcp;
mod udp;

pub(crate) use tcp::{valid_flags as tcp_valid_flags, TcpState};

use super::status::Dir;
use super::tuple::ipproto;
use core::sync::atomic::{AtomicI32, Ordering::Relaxed};

/// Timeouts of one network namespace, in seconds, as the `nf_conntrack_*_timeout` sysctls hold
/// them.
#[repr(C)]
pub(crate) struct Timeouts {
    /// Protocols without a tracker of their own.
    pub(crate) generic: AtomicI32,
    /// UDP flows that have not become streams.
    pub(crate) udp: AtomicI32,
    /// UDP streams.
    pub(crate) udp_stream: AtomicI32,
    /// ICMP queries.
    pub(crate) icmp: AtomicI32,
    /// ICMPv6 queries.
    pub(crate) icmpv6: AtomicI32,
    /// TCP connections whose opener's SYN is unanswered.
    pub(crate) tcp_syn_sent: AtomicI32,
    /// TCP connections whose handshake awaits its last ACK.
    pub(crate) tcp_syn_recv: AtomicI32,
    /// Established TCP connections.
    pub(crate) tcp_established: AtomicI32,
    /// TCP connections one side has closed.
    pub(crate) tcp_fin_wait: AtomicI32,
    /// TCP connections whose first FIN is acknowledged.
    pub(crate) tcp_close_wait: AtomicI32,
    /// TCP connections both sides have closed, awaiting the last ACK.
    pub(crate) tcp_last_ack: AtomicI32,
    /// TCP connections closed in order.
    pub(crate) tcp_time_wait: AtomicI32,
    /// TCP connections closed by a reset.
    pub(crate) tcp_close: AtomicI32,
    /// TCP connections picked up in the middle and not answered yet, at most.
    pub(crate) tcp_unacknowledged: AtomicI32,
}

impl Timeouts {
    /// nf_conntrack's defaults.
    pub(crate) const fn new() -> Self {
        Self {
            generic: AtomicI32::new(600),
            udp: AtomicI32::new(30),
            udp_stream: AtomicI32::new(120),
            icmp: AtomicI32::new(30),
            icmpv6: AtomicI32::new(30),
            tcp_syn_sent: AtomicI32::new(120),
            tcp_syn_recv: AtomicI32::new(60),
            tcp_established: AtomicI32::new(5 * 24 * 3600),
            tcp_fin_wait: AtomicI32::new(120),
            tcp_close_wait: AtomicI32::new(60),
            tcp_last_ack: AtomicI32::new(30),
            tcp_time_wait: AtomicI32::new(120),
            tcp_close: AtomicI32::new(10),
            tcp_unacknowledged: AtomicI32::new(300),
        }
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Self::new()
    }
}

/// Per-connection protocol state.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct ProtoState {
    /// UDP: the time (in jiffies) after which a replied flow counts as a stream.
    pub(crate) udp_stream_after: u32,
    /// TCP: the connection's state.
    pub(crate) tcp: TcpState,
    /// TCP: the kind and direction of the last segment that moved or was ignored.
    pub(crate) tcp_last: u8,
    /// TCP: what the state machine remembers beyond the state.
    pub(crate) tcp_memo: u8,
}

/// What the tracker knows of one packet.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Seen {
    /// IP protocol number.
    pub(crate) proto: u8,
    /// ICMP or ICMPv6 type of the connection's original direction.
    pub(crate) orig_icmp_type: u8,
    /// TCP flags of the packet.
    pub(crate) tcp_flags: u8,
    /// Direction of the packet.
    pub(crate) dir: Dir,
    /// Whether the connection is already in the table.
    pub(crate) confirmed: bool,
    /// Status bits of the connection.
    pub(crate) status: usize,
    /// The current time, in jiffies.
    pub(crate) now: u32,
    /// Jiffies per second.
    pub(crate) hz: u32,
}

impl Seen {
    #[inline]
    fn secs(&self, t: &AtomicI32) -> u32 {
        // The sysctls only admit non-negative values that fit in jiffies.
        (t.load(Relaxed).max(0) as u32).wrapping_mul(self.hz)
    }
}

/// A tracker's verdict on one packet.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Decision {
    /// The packet belongs to the connection, which now lives for `timeout` jiffies more and
    /// becomes assured if `assure` is set.
    Accept {
        /// Jiffies from now until the connection expires.
        timeout: u32,
        /// Whether the connection becomes assured.
        assure: bool,
    },
    /// The packet is invalid for this connection: it passes untracked.
    Invalid,
    /// The packet opens a new connection in place of this one, which has closed.
    Reopen,
    /// The packet belongs to the connection but changes neither its state nor its lifetime, and
    /// is not counted.
    Ignore,
    /// The packet is counted and ends the connection at once.
    Close,
}

impl Decision {
    fn refresh(timeout: u32) -> Self {
        Decision::Accept {
            timeout,
            assure: false,
        }
    }
}

/// Runs the tracker of `seen.proto` on one packet.
#[inline]
pub(crate) fn track(seen: &Seen, state: &mut ProtoState, t: &Timeouts) -> Decision {
    match seen.proto {
        ipproto::UDP => udp::packet(seen, state, t),
        ipproto::TCP => tcp::packet(seen, state, t),
        ipproto::ICMP | ipproto::ICMPV6 => icmp::packet(seen, t),
        _ => Decision::refresh(seen.secs(&t.generic)),
    }
}

/// The name `/proc/net/nf_conntrack` gives protocol `proto`.
pub(crate) fn name(proto: u8) -> &'static str {
    match proto {
        ipproto::TCP => "tcp",
        ipproto::UDP => "udp",
        ipproto::ICMP => "icmp",
        ipproto::ICMPV6 => "icmpv6",
        _ => "unknown",
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const HZ: u32 = 250;

    pub(crate) fn seen(proto: u8, dir: Dir, confirmed: bool, status: usize, now: u32) -> Seen {
        Seen {
            proto,
            orig_icmp_type: 8,
            tcp_flags: 0,
            dir,
            confirmed,
            status,
            now,
            hz: HZ,
        }
    }

    #[test]
    fn generic_lives_ten_minutes_per_packet() {
        let t = Timeouts::new();
        let mut st = ProtoState::default();
        for (dir, confirmed) in [(Dir::Original, false), (Dir::Reply, true)] {
            let d = track(&seen(47, dir, confirmed, 0, 5), &mut st, &t);
            assert_eq!(
                d,
                Decision::Accept {
                    timeout: 600 * HZ,
                    assure: false
                }
            );
        }
    }

    #[test]
    fn timeouts_follow_the_sysctls() {
        let t = Timeouts::new();
        t.generic.store(7, Relaxed);
        let d = track(
            &seen(132, Dir::Original, false, 0, 0),
            &mut ProtoState::default(),
            &t,
        );
        assert_eq!(
            d,
            Decision::Accept {
                timeout: 7 * HZ,
                assure: false
            }
        );
    }
}
