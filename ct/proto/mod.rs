// SPDX-License-Identifier: GPL-2.0

//! Protocol trackers: what each packet does to the state and lifetime of its connection.
//!
//! A tracker sees one packet of a connection at a time, with the connection's status bits and
//! protocol state, and decides the new timeout, whether the connection is now assured, or that
//! the packet is invalid for it (it then passes untracked). The rules and defaults follow
//! nf_conntrack's trackers of the same names.

mod icmp;
mod note;
mod tcp;
mod tcp_window;
mod udp;

pub(crate) use note::Note;
pub(crate) use tcp::{flags as tcp_flags, valid_flags as tcp_valid_flags, TcpState};
#[cfg(MODULE)]
pub(crate) use tcp_window::SenderFlags;
pub(crate) use tcp_window::TcpWindow;

use super::packet::Segment;
use super::status::Dir;
use super::tuple::ipproto;
use core::sync::atomic::{AtomicI32, AtomicU8, Ordering::Relaxed};

/// Timeouts of one network namespace, in seconds, as the `nf_conntrack_*_timeout` sysctls hold
/// them, and the switches of its TCP tracking, as the `nf_conntrack_tcp_*` sysctls hold them.
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
    /// TCP connections with data not acknowledged yet, or picked up in the middle and not
    /// answered yet, at most.
    pub(crate) tcp_unacknowledged: AtomicI32,
    /// TCP connections retransmitting more than `tcp_max_retrans` times, or offered a zero
    /// window, at most (`nf_conntrack_tcp_timeout_max_retrans`).
    pub(crate) tcp_retrans: AtomicI32,
    /// Whether TCP connections may be picked up in the middle (`nf_conntrack_tcp_loose`).
    pub(crate) tcp_loose: AtomicU8,
    /// Whether only out-of-window resets are invalid, not other out-of-window segments
    /// (`nf_conntrack_tcp_be_liberal`).
    pub(crate) tcp_be_liberal: AtomicU8,
    /// Whether resets below the acknowledged sequence are let through
    /// (`nf_conntrack_tcp_ignore_invalid_rst`).
    pub(crate) tcp_ignore_invalid_rst: AtomicU8,
    /// Retransmissions of one segment after which the `tcp_retrans` timeout applies
    /// (`nf_conntrack_tcp_max_retrans`).
    pub(crate) tcp_max_retrans: AtomicU8,
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
            tcp_retrans: AtomicI32::new(300),
            tcp_loose: AtomicU8::new(1),
            tcp_be_liberal: AtomicU8::new(0),
            tcp_ignore_invalid_rst: AtomicU8::new(0),
            tcp_max_retrans: AtomicU8::new(3),
        }
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Self::new()
    }
}

/// Per-connection protocol state, in the eight bytes a connection has for it; TCP keeps the
/// rest of its state in a [`TcpWindow`].
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(crate) struct ProtoState {
    /// UDP: the time (in jiffies) after which a replied flow counts as a stream. TCP: the
    /// sequence number of the last segment checked for retransmission, or ignored.
    pub(crate) word: u32,
    /// TCP: the connection's state.
    pub(crate) tcp: TcpState,
    /// TCP: the kind and direction of the last segment that moved or was ignored, and the
    /// window scale of the last SYN ignored.
    pub(crate) tcp_last: u8,
    /// TCP: what the state machine remembers beyond the state.
    pub(crate) tcp_memo: u8,
    /// TCP: how many times in a row the last segment was seen again.
    pub(crate) tcp_retrans: u8,
}

const _: () = assert!(core::mem::size_of::<ProtoState>() <= 8);

/// What the tracker knows of one packet.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Seen {
    /// IP protocol number.
    pub(crate) proto: u8,
    /// ICMP or ICMPv6 type of the connection's original direction.
    pub(crate) orig_icmp_type: u8,
    /// The TCP segment, as parsed; all zero for other protocols.
    pub(crate) tcp: Segment,
    /// Direction of the packet.
    pub(crate) dir: Dir,
    /// Whether the connection is already in the table.
    pub(crate) confirmed: bool,
    /// Status bits of the connection.
    pub(crate) status: usize,
    /// The current time, in jiffies.
    pub(crate) now: u32,
    /// Jiffies until the connection expires as it stands, zero if it has or is new
    /// (`nf_ct_expires()`).
    pub(crate) expires: u32,
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
    Invalid {
        /// What nf_conntrack logs about it, if anything.
        note: Option<Note>,
        /// Jiffies from now to which the connection's lifetime is cut, if it is: nf_conntrack
        /// then also logs "lowered timeout to UNACK".
        lowered_timeout: Option<u32>,
    },
    /// The packet opens a new connection in place of this one, which has closed.
    Reopen,
    /// The packet belongs to the connection but changes neither its state nor its lifetime, and
    /// is not counted.
    Ignore {
        /// What nf_conntrack logs about it, if anything.
        note: Option<Note>,
    },
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

    fn invalid(note: Note) -> Self {
        Decision::Invalid {
            note: Some(note),
            lowered_timeout: None,
        }
    }

    fn ignore(note: Option<Note>) -> Self {
        Decision::Ignore { note }
    }
}

/// Runs the tracker of `seen.proto` on one packet. `window` is the connection's TCP window
/// state, which only TCP reads or writes; a new connection starts with both `state` and
/// `window` at their defaults.
#[inline]
pub(crate) fn track(
    seen: &Seen,
    state: &mut ProtoState,
    window: &mut TcpWindow,
    t: &Timeouts,
) -> Decision {
    match seen.proto {
        ipproto::UDP => udp::packet(seen, state, t),
        ipproto::UDPLITE => udp::lite_packet(seen, t),
        ipproto::TCP => tcp::packet(seen, state, window, t),
        ipproto::ICMP | ipproto::ICMPV6 => icmp::packet(seen, t),
        _ => Decision::refresh(seen.secs(&t.generic)),
    }
}

/// The name `/proc/net/nf_conntrack` gives protocol `proto`.
pub(crate) fn name(proto: u8) -> &'static str {
    match proto {
        ipproto::TCP => "tcp",
        ipproto::UDP => "udp",
        ipproto::UDPLITE => "udplite",
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
            tcp: Segment::default(),
            dir,
            confirmed,
            status,
            now,
            expires: 0,
            hz: HZ,
        }
    }

    #[test]
    fn generic_lives_ten_minutes_per_packet() {
        let t = Timeouts::new();
        let mut st = ProtoState::default();
        for (dir, confirmed) in [(Dir::Original, false), (Dir::Reply, true)] {
            let d = track(
                &seen(47, dir, confirmed, 0, 5),
                &mut st,
                &mut TcpWindow::default(),
                &t,
            );
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
            &mut TcpWindow::default(),
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
