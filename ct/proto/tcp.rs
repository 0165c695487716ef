// SPDX-License-Identifier: GPL-2.0

//! TCP, followed by its flags: nf_conntrack's state machine over the handshake, the closing
//! exchange of FINs, resets, and a new SYN reopening a closed connection. Sequence numbers and
//! windows are not checked, so nothing is ever out of window, and the timeouts that depend on
//! them (retransmissions, unacknowledged data, zero windows) do not apply.

use super::{Decision, ProtoState, Seen, Timeouts};
use crate::ct::status::{bits, Dir};
use core::sync::atomic::AtomicI32;

/// TCP header flags.
pub(crate) mod flags {
    /// No more data from the sender.
    pub(crate) const FIN: u8 = 0x01;
    /// Synchronise sequence numbers: opening.
    pub(crate) const SYN: u8 = 0x02;
    /// Reset.
    pub(crate) const RST: u8 = 0x04;
    /// Push.
    pub(crate) const PSH: u8 = 0x08;
    /// The acknowledgment field is valid.
    pub(crate) const ACK: u8 = 0x10;
    /// Urgent data.
    pub(crate) const URG: u8 = 0x20;
    /// ECN echo.
    pub(crate) const ECE: u8 = 0x40;
    /// Congestion window reduced.
    pub(crate) const CWR: u8 = 0x80;
}

/// Whether a combination of flags is one TCP uses; nf_conntrack calls the others invalid.
pub(crate) fn valid_flags(f: u8) -> bool {
    use flags::*;
    const VALID: [u8; 9] = [
        SYN,
        SYN | URG,
        SYN | ACK,
        RST,
        RST | ACK,
        FIN | ACK,
        FIN | ACK | URG,
        ACK,
        ACK | URG,
    ];
    VALID.contains(&(f & !(ECE | CWR | PSH)))
}

/// TCP connection states, numbered and named as nf_conntrack's.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Debug)]
#[repr(u8)]
pub(crate) enum TcpState {
    /// Nothing seen yet.
    #[default]
    None = 0,
    /// The opener's SYN.
    SynSent = 1,
    /// The answer's SYN and ACK.
    SynRecv = 2,
    /// Open.
    Established = 3,
    /// One side has sent its FIN.
    FinWait = 4,
    /// The FIN is acknowledged; the other side has yet to send its own.
    CloseWait = 5,
    /// Both sides have sent their FIN; the last ACK is due.
    LastAck = 6,
    /// Closed in order; lingering for late packets.
    TimeWait = 7,
    /// Closed by a reset.
    Close = 8,
    /// Both sides sent a SYN: a simultaneous open.
    SynSent2 = 9,
}

impl TcpState {
    /// The name `/proc/net/nf_conntrack` prints.
    pub(crate) fn name(self) -> &'static str {
        match self {
            TcpState::None => "NONE",
            TcpState::SynSent => "SYN_SENT",
            TcpState::SynRecv => "SYN_RECV",
            TcpState::Established => "ESTABLISHED",
            TcpState::FinWait => "FIN_WAIT",
            TcpState::CloseWait => "CLOSE_WAIT",
            TcpState::LastAck => "LAST_ACK",
            TcpState::TimeWait => "TIME_WAIT",
            TcpState::Close => "CLOSE",
            TcpState::SynSent2 => "SYN_SENT2",
        }
    }

    fn timeout(self, t: &Timeouts) -> &AtomicI32 {
        match self {
            TcpState::None | TcpState::SynSent | TcpState::SynSent2 => &t.tcp_syn_sent,
            TcpState::SynRecv => &t.tcp_syn_recv,
            TcpState::Established => &t.tcp_established,
            TcpState::FinWait => &t.tcp_fin_wait,
            TcpState::CloseWait => &t.tcp_close_wait,
            TcpState::LastAck => &t.tcp_last_ack,
            TcpState::TimeWait => &t.tcp_time_wait,
            TcpState::Close => &t.tcp_close,
        }
    }
}

/// What a segment is, for the state machine: the first of RST, SYN (with or without ACK), FIN
/// and ACK it carries.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
enum Kind {
    Syn = 0,
    SynAck = 1,
    Fin = 2,
    Ack = 3,
    Rst = 4,
    Bare = 5,
}

impl Kind {
    fn of(f: u8) -> Self {
        use flags::*;
        if f & RST != 0 {
            Kind::Rst
        } else if f & SYN != 0 {
            if f & ACK != 0 {
                Kind::SynAck
            } else {
                Kind::Syn
            }
        } else if f & FIN != 0 {
            Kind::Fin
        } else if f & ACK != 0 {
            Kind::Ack
        } else {
            Kind::Bare
        }
    }
}

/// Where a segment takes a connection.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Next {
    /// To this state.
    To(TcpState),
    /// Nowhere: the segment passes, and the connection's state and lifetime stay as they are.
    /// The endpoints may know better than the tracker (a new SYN on an open connection, a
    /// retransmitted answer).
    Ignore,
    /// The segment does not fit the connection.
    Invalid,
}

/// The state machine: `MOVES[dir][kind][state]`, with nf_conntrack's transitions.
const MOVES: [[[Next; 10]; 6]; 2] = {
    use Next::{Ignore as IG, Invalid as IV, To};
    use TcpState::*;
    const SS: Next = To(SynSent);
    const SR: Next = To(SynRecv);
    const ES: Next = To(Established);
    const FW: Next = To(FinWait);
    const CW: Next = To(CloseWait);
    const LA: Next = To(LastAck);
    const TW: Next = To(TimeWait);
    const CL: Next = To(Close);
    const S2: Next = To(SynSent2);
    [
        // From the opener. Columns: NONE, SYN_SENT, SYN_RECV, ESTABLISHED, FIN_WAIT,
        // CLOSE_WAIT, LAST_ACK, TIME_WAIT, CLOSE, SYN_SENT2.
        [
            /* SYN */ [SS, SS, IG, IG, IG, IG, IG, SS, SS, S2],
            /* SYN+ACK */ [IV, IV, SR, IV, IV, IV, IV, IV, IV, SR],
            /* FIN */ [IV, IV, FW, FW, LA, LA, LA, TW, CL, IV],
            /* ACK */ [ES, IV, ES, ES, CW, CW, TW, TW, CL, IV],
            /* RST */ [IV, CL, CL, CL, CL, CL, CL, CL, CL, CL],
            /* none */ [IV; 10],
        ],
        // From the answerer.
        [
            /* SYN */ [IV, S2, IV, IV, IV, IV, IV, SS, IV, S2],
            /* SYN+ACK */ [IV, SR, IG, IG, IG, IG, IG, IG, IG, SR],
            /* FIN */ [IV, IV, FW, FW, LA, LA, LA, TW, CL, IV],
            /* ACK */ [IV, IG, SR, ES, CW, CW, TW, TW, CL, IG],
            /* RST */ [IV, CL, CL, CL, CL, CL, CL, CL, CL, CL],
            /* none */ [IV; 10],
        ],
    ]
};

/// Bits of [`ProtoState::tcp_memo`].
mod memo {
    /// Both sides opened with a SYN.
    pub(super) const SIMULTANEOUS_OPEN: u8 = 1 << 0;
    /// A SYN came during LAST_ACK: the answering ACK is a challenge, not the last ACK.
    pub(super) const CHALLENGE_ACK: u8 = 1 << 1;
    /// A side has begun an orderly close with a FIN.
    pub(super) const CLOSE_INIT: u8 = 1 << 2;
}

/// [`ProtoState::tcp_last`] of a segment: its kind and direction. Zero is no segment.
fn last(kind: Kind, dir: Dir) -> u8 {
    1 + ((kind as u8) << 1 | dir.index() as u8)
}

/// A segment that passes without moving the connection; a SYN from the opener is remembered, so
/// that its answer can put the tracker back in step.
fn ignore(state: &mut ProtoState, kind: Kind, dir: Dir) -> Decision {
    if kind == Kind::Syn && dir == Dir::Original {
        state.tcp_memo &= !memo::CHALLENGE_ACK;
        if state.tcp == TcpState::LastAck {
            state.tcp_memo |= memo::CHALLENGE_ACK;
        }
    }
    state.tcp_last = last(kind, dir);
    Decision::Ignore
}

#[inline]
pub(super) fn packet(seen: &Seen, state: &mut ProtoState, t: &Timeouts) -> Decision {
    let kind = Kind::of(seen.tcp_flags);
    let dir = seen.dir;
    let mut old = state.tcp;
    let mut new = match MOVES[dir.index()][kind as usize][old as usize] {
        Next::To(s) => s,
        Next::Invalid => return Decision::Invalid,
        Next::Ignore => {
            if kind != Kind::SynAck || state.tcp_last != last(Kind::Syn, dir.other()) {
                return ignore(state, kind, dir);
            }
            // The answer to a SYN ignored before: both ends have started over, and the tracker
            // follows them.
            old = TcpState::SynSent;
            TcpState::SynRecv
        }
    };
    match new {
        // A new SYN on a connection that was closed with a FIN, or aborted by this side's
        // reset, opens a new connection in its place. Otherwise the endpoints may still hold
        // the old one: the SYN passes and its answer decides.
        TcpState::SynSent if old >= TcpState::TimeWait => {
            if state.tcp_memo & memo::CLOSE_INIT == 0 && state.tcp_last != last(Kind::Rst, dir) {
                return ignore(state, kind, dir);
            }
            return Decision::Reopen;
        }
        // The peer's ACK to a SYN seen in LAST_ACK does not acknowledge the last FIN.
        TcpState::TimeWait
            if old == TcpState::LastAck
                && kind == Kind::Ack
                && state.tcp_last == last(Kind::Syn, dir.other())
                && state.tcp_memo & memo::CHALLENGE_ACK != 0 =>
        {
            state.tcp_memo &= !memo::CHALLENGE_ACK;
            return Decision::Ignore;
        }
        TcpState::FinWait if old != TcpState::FinWait => state.tcp_memo |= memo::CLOSE_INIT,
        TcpState::SynSent2 => state.tcp_memo |= memo::SIMULTANEOUS_OPEN,
        TcpState::SynRecv
            if dir == Dir::Reply
                && kind == Kind::Ack
                && state.tcp_memo & memo::SIMULTANEOUS_OPEN != 0 =>
        {
            new = TcpState::Established
        }
        _ => {}
    }
    state.tcp_last = last(kind, dir);
    state.tcp = new;
    let mut timeout = seen.secs(new.timeout(t));
    if seen.status & bits::SEEN_REPLY == 0 {
        // A reset before any answer: no connection was ever open.
        if kind == Kind::Rst {
            return Decision::Close;
        }
        // A retransmitted SYN does not extend the wait for an answer.
        if kind == Kind::Syn && old == TcpState::SynSent {
            return Decision::Ignore;
        }
        // Picked up in the middle, unanswered so far.
        if new == TcpState::Established {
            timeout = timeout.min(seen.secs(&t.tcp_unacknowledged));
        }
        return Decision::refresh(timeout);
    }
    let assure = seen.status & bits::ASSURED == 0
        && matches!(old, TcpState::SynRecv | TcpState::Established)
        && new == TcpState::Established;
    Decision::Accept { timeout, assure }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{seen, HZ};
    use super::super::track;
    use super::*;
    use crate::ct::tuple::ipproto::TCP;

    fn step(st: &mut ProtoState, t: &Timeouts, dir: Dir, status: usize, f: u8) -> Decision {
        let mut s = seen(TCP, dir, status & bits::CONFIRMED != 0, status, 0);
        s.tcp_flags = f;
        track(&s, st, t)
    }

    #[test]
    fn handshake_data_and_orderly_close() {
        use flags::*;
        let t = Timeouts::new();
        let mut st = ProtoState::default();
        let c = bits::CONFIRMED;
        let r = c | bits::SEEN_REPLY;
        assert_eq!(
            step(&mut st, &t, Dir::Original, 0, SYN),
            Decision::Accept {
                timeout: 120 * HZ,
                assure: false
            }
        );
        assert_eq!(st.tcp, TcpState::SynSent);
        assert_eq!(
            step(&mut st, &t, Dir::Reply, c, SYN | ACK),
            Decision::Accept {
                timeout: 60 * HZ,
                assure: false
            }
        );
        assert_eq!(st.tcp, TcpState::SynRecv);
        let d = step(&mut st, &t, Dir::Original, r, ACK);
        assert_eq!(
            d,
            Decision::Accept {
                timeout: 432000 * HZ,
                assure: true
            }
        );
        assert_eq!(st.tcp, TcpState::Established);
        step(&mut st, &t, Dir::Original, r | bits::ASSURED, ACK | PSH);
        assert_eq!(st.tcp.name(), "ESTABLISHED");
        step(&mut st, &t, Dir::Original, r, FIN | ACK);
        assert_eq!(st.tcp, TcpState::FinWait);
        step(&mut st, &t, Dir::Reply, r, ACK);
        assert_eq!(st.tcp, TcpState::CloseWait);
        step(&mut st, &t, Dir::Reply, r, FIN | ACK);
        assert_eq!(st.tcp, TcpState::LastAck);
        let d = step(&mut st, &t, Dir::Original, r, ACK);
        assert_eq!(
            (st.tcp, d),
            (
                TcpState::TimeWait,
                Decision::Accept {
                    timeout: 120 * HZ,
                    assure: false
                }
            )
        );
        assert_eq!(step(&mut st, &t, Dir::Original, r, SYN), Decision::Reopen);
    }

    #[test]
    fn reset_closes_at_once() {
        use flags::*;
        let t = Timeouts::new();
        let mut st = ProtoState {
            tcp: TcpState::Established,
            ..Default::default()
        };
        let d = step(
            &mut st,
            &t,
            Dir::Reply,
            bits::CONFIRMED | bits::SEEN_REPLY,
            RST | ACK,
        );
        assert_eq!(
            (st.tcp, d),
            (
                TcpState::Close,
                Decision::Accept {
                    timeout: 10 * HZ,
                    assure: false
                }
            )
        );
        // A reply's SYN does not reopen.
        step(&mut st, &t, Dir::Reply, bits::CONFIRMED, SYN);
        assert_eq!(st.tcp, TcpState::Close);
    }

    #[test]
    fn mid_stream_pickup() {
        let t = Timeouts::new();
        let mut st = ProtoState::default();
        let c = bits::CONFIRMED;
        // Unanswered, a picked-up connection lives five minutes, not five days.
        let d = step(&mut st, &t, Dir::Original, 0, flags::ACK);
        assert_eq!(
            (st.tcp, d),
            (TcpState::Established, Decision::refresh(300 * HZ))
        );
        let d = step(&mut st, &t, Dir::Reply, c, flags::ACK);
        assert_eq!(d, Decision::refresh(300 * HZ));
        let d = step(&mut st, &t, Dir::Original, c | bits::SEEN_REPLY, flags::ACK);
        assert_eq!(
            d,
            Decision::Accept {
                timeout: 432000 * HZ,
                assure: true
            }
        );
        // Only SYNs and ACKs open a connection.
        for f in [flags::FIN | flags::ACK, flags::RST, flags::SYN | flags::ACK] {
            let mut st = ProtoState::default();
            assert_eq!(step(&mut st, &t, Dir::Original, 0, f), Decision::Invalid);
        }
    }

    #[test]
    fn refused_and_retried_openings() {
        use flags::*;
        let t = Timeouts::new();
        let c = bits::CONFIRMED;
        let mut st = ProtoState::default();
        step(&mut st, &t, Dir::Original, 0, SYN);
        // A retransmitted SYN does not extend the connection.
        assert_eq!(step(&mut st, &t, Dir::Original, c, SYN), Decision::Ignore);
        // A reset as the only answer ends it at once.
        assert_eq!(step(&mut st, &t, Dir::Reply, c, RST | ACK), Decision::Close);
    }

    #[test]
    fn simultaneous_open() {
        use flags::*;
        let t = Timeouts::new();
        let c = bits::CONFIRMED;
        let r = c | bits::SEEN_REPLY;
        let mut st = ProtoState::default();
        step(&mut st, &t, Dir::Original, 0, SYN);
        step(&mut st, &t, Dir::Reply, c, SYN);
        assert_eq!(st.tcp, TcpState::SynSent2);
        step(&mut st, &t, Dir::Original, r, SYN | ACK);
        assert_eq!(st.tcp, TcpState::SynRecv);
        step(&mut st, &t, Dir::Reply, r, ACK);
        assert_eq!(st.tcp, TcpState::Established);
    }

    #[test]
    fn reopening_after_a_reset() {
        use flags::*;
        let t = Timeouts::new();
        let r = bits::CONFIRMED | bits::SEEN_REPLY | bits::ASSURED;
        let open = || ProtoState {
            tcp: TcpState::Established,
            ..Default::default()
        };
        // Reset by the opener, whose next SYN starts afresh.
        let mut st = open();
        step(&mut st, &t, Dir::Original, r, RST);
        assert_eq!(step(&mut st, &t, Dir::Original, r, SYN), Decision::Reopen);
        // Reset by the answerer: the opener's SYN passes, and the answer takes the tracker along.
        let mut st = open();
        step(&mut st, &t, Dir::Reply, r, RST);
        assert_eq!(step(&mut st, &t, Dir::Original, r, SYN), Decision::Ignore);
        assert_eq!(st.tcp, TcpState::Close);
        step(&mut st, &t, Dir::Reply, r, SYN | ACK);
        assert_eq!(st.tcp, TcpState::SynRecv);
        step(&mut st, &t, Dir::Original, r, ACK);
        assert_eq!(st.tcp, TcpState::Established);
    }

    #[test]
    fn ignored_segments() {
        use flags::*;
        let t = Timeouts::new();
        let r = bits::CONFIRMED | bits::SEEN_REPLY | bits::ASSURED;
        let mut st = ProtoState {
            tcp: TcpState::Established,
            ..Default::default()
        };
        // A SYN on an open connection passes; its answer puts the tracker back in step.
        assert_eq!(step(&mut st, &t, Dir::Original, r, SYN), Decision::Ignore);
        assert_eq!(st.tcp, TcpState::Established);
        step(&mut st, &t, Dir::Reply, r, SYN | ACK);
        assert_eq!(st.tcp, TcpState::SynRecv);
        // In LAST_ACK, the answer to a SYN is a challenge ACK, not the last ACK.
        let mut st = ProtoState {
            tcp: TcpState::LastAck,
            ..Default::default()
        };
        assert_eq!(step(&mut st, &t, Dir::Original, r, SYN), Decision::Ignore);
        assert_eq!(step(&mut st, &t, Dir::Reply, r, ACK), Decision::Ignore);
        assert_eq!(st.tcp, TcpState::LastAck);
        step(&mut st, &t, Dir::Reply, r, ACK);
        assert_eq!(st.tcp, TcpState::TimeWait);
    }

    #[test]
    fn flag_combinations() {
        use flags::*;
        for f in [
            SYN,
            SYN | ACK,
            RST,
            RST | ACK,
            FIN | ACK,
            ACK,
            ACK | PSH,
            ACK | ECE | CWR,
            SYN | URG,
        ] {
            assert!(valid_flags(f), "{f:#x}");
        }
        for f in [
            0,
            FIN,
            SYN | FIN,
            SYN | RST,
            FIN | RST | ACK,
            URG,
            FIN | URG,
        ] {
            assert!(!valid_flags(f), "{f:#x}");
        }
    }
}
