// SPDX-License-Identifier: GPL-2.0

//! Tests of the TCP tracker, over a connection kept as the packet path keeps it.

mod packetdrill;
mod window;

use super::super::tests::HZ;
use super::super::track;
use super::*;
use crate::ct::packet::{Segment, TcpOptions};
use crate::ct::tuple::ipproto::TCP;
use flags::*;

/// A segment of `len` data bytes.
pub(super) fn seg(flags: u8, seq: u32, ack: u32, window: u16, len: u32) -> Segment {
    Segment {
        seq,
        ack,
        sack: ack,
        data_len: len,
        window,
        flags,
        options: TcpOptions::default(),
    }
}

/// A segment with options: window scale and SACK permitted.
pub(super) fn syn_opts(mut s: Segment, wscale: Option<u8>, sack_perm: bool) -> Segment {
    s.options = TcpOptions {
        present: true,
        window_scale: wscale,
        sack_permitted: sack_perm,
    };
    s
}

/// A tracked connection as the packet path keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Conn {
    pub(super) state: ProtoState,
    pub(super) win: TcpWindow,
    pub(super) status: usize,
    /// When it expires, in jiffies.
    pub(super) deadline: u32,
    /// Which side of the exchange opened it: packets from that side are its original
    /// direction.
    pub(super) opener: Dir,
}

/// One connection's life, packet by packet, with the table's part played as the packet path
/// plays it: creation on an accepted first packet, SEEN_REPLY and ASSURED, removal on a reset
/// before any answer, and a new connection in place of a closed one.
pub(super) struct Sim {
    pub(super) t: Timeouts,
    pub(super) conn: Option<Conn>,
    pub(super) now: u32,
    /// Packets found invalid, by the side that sent them.
    pub(super) invalid: [u32; 2],
    /// What was noted of the last invalid or ignored packet.
    pub(super) last_note: Option<Note>,
}

impl Sim {
    pub(super) fn new() -> Self {
        Self {
            t: Timeouts::new(),
            conn: None,
            now: 1000,
            invalid: [0; 2],
            last_note: None,
        }
    }

    /// The connection; panics if there is none.
    pub(super) fn conn(&self) -> &Conn {
        self.conn.as_ref().expect("no connection")
    }

    /// The connection's state.
    pub(super) fn state(&self) -> TcpState {
        self.conn().state.tcp
    }

    /// Whether the connection is assured.
    pub(super) fn assured(&self) -> bool {
        self.conn().status & bits::ASSURED != 0
    }

    /// Whether the connection has seen no reply.
    pub(super) fn unreplied(&self) -> bool {
        self.conn().status & bits::SEEN_REPLY == 0
    }

    /// Jiffies the connection has left.
    pub(super) fn left(&self) -> u32 {
        self.conn().deadline.wrapping_sub(self.now)
    }

    /// Lets `jiffies` pass.
    pub(super) fn wait(&mut self, jiffies: u32) {
        self.now = self.now.wrapping_add(jiffies);
    }

    /// A segment from `side` of the exchange (the side that opens is `Dir::Original`).
    pub(super) fn send(&mut self, side: Dir, seg: Segment) -> Decision {
        let d = self.track(side, seg);
        match d {
            Decision::Invalid { note, .. } | Decision::Ignore { note } => self.last_note = note,
            _ => self.last_note = None,
        }
        if matches!(d, Decision::Invalid { .. }) {
            self.invalid[side.index()] += 1;
        }
        d
    }

    fn track(&mut self, side: Dir, seg: Segment) -> Decision {
        let Some(conn) = self.conn.as_mut() else {
            return self.create(side, seg);
        };
        let dir = if side == conn.opener {
            Dir::Original
        } else {
            Dir::Reply
        };
        let left = conn.deadline.wrapping_sub(self.now);
        let seen = Seen {
            proto: TCP,
            orig_icmp_type: 0,
            tcp: seg,
            dir,
            confirmed: true,
            status: conn.status,
            now: self.now,
            expires: if (left as i32) > 0 { left } else { 0 },
            hz: HZ,
        };
        let d = track(&seen, &mut conn.state, &mut conn.win, &self.t);
        match d {
            Decision::Accept { timeout, assure } => {
                conn.deadline = self.now.wrapping_add(timeout);
                if assure {
                    conn.status |= bits::ASSURED;
                }
            }
            Decision::Ignore { .. } => {}
            Decision::Invalid {
                lowered_timeout, ..
            } => {
                if let Some(t) = lowered_timeout {
                    conn.deadline = self.now.wrapping_add(t);
                }
                return d;
            }
            Decision::Close => {
                self.conn = None;
                return d;
            }
            Decision::Reopen => {
                self.conn = None;
                return match self.create(side, seg) {
                    Decision::Accept { .. } => Decision::Reopen,
                    other => other,
                };
            }
        }
        if dir == Dir::Reply {
            conn.status |= bits::SEEN_REPLY;
        }
        d
    }

    fn create(&mut self, side: Dir, seg: Segment) -> Decision {
        let mut state = ProtoState::default();
        let mut win = TcpWindow::default();
        let seen = Seen {
            proto: TCP,
            orig_icmp_type: 0,
            tcp: seg,
            dir: Dir::Original,
            confirmed: false,
            status: 0,
            now: self.now,
            expires: 0,
            hz: HZ,
        };
        let d = track(&seen, &mut state, &mut win, &self.t);
        if let Decision::Accept { timeout, assure } = d {
            self.conn = Some(Conn {
                state,
                win,
                status: bits::CONFIRMED | if assure { bits::ASSURED } else { 0 },
                deadline: self.now.wrapping_add(timeout),
                opener: side,
            });
        }
        d
    }
}

/// Two endpoints that number their segments correctly, for tests of the state machine.
pub(super) struct Pair {
    pub(super) sim: Sim,
    /// Each side's next sequence number.
    pub(super) next: [u32; 2],
}

impl Pair {
    pub(super) fn new() -> Self {
        Self {
            sim: Sim::new(),
            next: [1000, 50000],
        }
    }

    /// A segment with these flags and no data from `side`, numbered as that side numbers it.
    pub(super) fn send(&mut self, side: Dir, f: u8) -> Decision {
        let (s, o) = (side.index(), side.other().index());
        let ack = if f & ACK != 0 { self.next[o] } else { 0 };
        let seg = seg(f, self.next[s], ack, 65535, 0);
        self.next[s] = seg.end();
        self.sim.send(side, seg)
    }

    /// An opening handshake.
    pub(super) fn open(&mut self) {
        self.send(Dir::Original, SYN);
        self.send(Dir::Reply, SYN | ACK);
        self.send(Dir::Original, ACK);
        assert_eq!(self.sim.state(), TcpState::Established);
    }

    pub(super) fn state(&self) -> TcpState {
        self.sim.state()
    }
}

fn accept(timeout: u32, assure: bool) -> Decision {
    Decision::Accept { timeout, assure }
}

#[test]
fn handshake_data_and_orderly_close() {
    let mut p = Pair::new();
    assert_eq!(p.send(Dir::Original, SYN), accept(120 * HZ, false));
    assert_eq!(p.state(), TcpState::SynSent);
    assert_eq!(p.send(Dir::Reply, SYN | ACK), accept(60 * HZ, false));
    assert_eq!(p.state(), TcpState::SynRecv);
    assert_eq!(p.send(Dir::Original, ACK), accept(432000 * HZ, true));
    assert_eq!(p.state(), TcpState::Established);
    assert_eq!(p.send(Dir::Original, ACK | PSH), accept(432000 * HZ, false));
    assert_eq!(p.state().name(), "ESTABLISHED");
    assert_eq!(p.sim.conn().state.close_initiator(), None);
    p.send(Dir::Original, FIN | ACK);
    assert_eq!(p.state(), TcpState::FinWait);
    p.send(Dir::Reply, ACK);
    assert_eq!(p.state(), TcpState::CloseWait);
    p.send(Dir::Reply, FIN | ACK);
    assert_eq!(p.state(), TcpState::LastAck);
    // The opener's FIN began the close; the answerer's second one did not.
    assert_eq!(p.sim.conn().state.close_initiator(), Some(Dir::Original));
    assert_eq!(p.send(Dir::Original, ACK), accept(120 * HZ, false));
    assert_eq!(p.state(), TcpState::TimeWait);
    assert_eq!(p.send(Dir::Original, SYN), Decision::Reopen);
    assert_eq!(p.state(), TcpState::SynSent);
}

#[test]
fn reset_closes_at_once() {
    let mut p = Pair::new();
    p.open();
    assert_eq!(p.send(Dir::Reply, RST | ACK), accept(10 * HZ, false));
    assert_eq!(p.state(), TcpState::Close);
    // A reply's SYN does not reopen.
    assert!(matches!(
        p.send(Dir::Reply, SYN),
        Decision::Invalid {
            note: Some(Note::InvalidMove { index: 0, .. }),
            ..
        }
    ));
    assert_eq!(p.state(), TcpState::Close);
}

#[test]
fn mid_stream_pickup() {
    let mut p = Pair::new();
    // Unanswered, a picked-up connection lives five minutes, not five days.
    assert_eq!(p.send(Dir::Original, ACK), Decision::refresh(300 * HZ));
    assert_eq!(p.state(), TcpState::Established);
    assert_eq!(p.send(Dir::Reply, ACK), Decision::refresh(300 * HZ));
    assert_eq!(p.send(Dir::Original, ACK), accept(432000 * HZ, true));
    // Only SYNs and ACKs open a connection.
    for f in [FIN | ACK, RST, SYN | ACK] {
        let mut p = Pair::new();
        assert_eq!(
            p.send(Dir::Original, f),
            Decision::invalid(Note::InvalidNew)
        );
        assert!(p.sim.conn.is_none());
    }
    // Not at all when pickup is off.
    let mut p = Pair::new();
    p.sim.t.tcp_loose.store(0, Relaxed);
    assert!(matches!(
        p.send(Dir::Original, ACK),
        Decision::Invalid { note: None, .. }
    ));
}

#[test]
fn refused_and_retried_openings() {
    let mut p = Pair::new();
    p.send(Dir::Original, SYN);
    // A retransmitted SYN does not extend the connection.
    p.next[0] = 1000;
    assert_eq!(p.send(Dir::Original, SYN), Decision::ignore(None));
    // A reset as the only answer ends it at once.
    assert_eq!(p.send(Dir::Reply, RST | ACK), Decision::Close);
    assert!(p.sim.conn.is_none());
}

#[test]
fn simultaneous_open() {
    let mut p = Pair::new();
    p.send(Dir::Original, SYN);
    p.send(Dir::Reply, SYN);
    assert_eq!(p.state(), TcpState::SynSent2);
    // Each side answers the other's SYN with its own SYN, now with ACK.
    p.next = [1000, 50000];
    p.send(Dir::Original, SYN | ACK);
    assert_eq!(p.state(), TcpState::SynRecv);
    p.send(Dir::Reply, ACK);
    assert_eq!(p.state(), TcpState::Established);
}

#[test]
fn reopening_after_a_reset() {
    // Reset by the opener, whose next SYN starts afresh.
    let mut p = Pair::new();
    p.open();
    p.send(Dir::Original, RST);
    assert_eq!(p.state(), TcpState::Close);
    p.next[0] = 7000;
    assert_eq!(p.send(Dir::Original, SYN), Decision::Reopen);
    assert_eq!(p.state(), TcpState::SynSent);
    // Reset by the answerer: the opener's SYN passes, and the answer takes the tracker along.
    let mut p = Pair::new();
    p.open();
    p.send(Dir::Reply, RST);
    p.next = [7000, 90000];
    assert!(matches!(
        p.send(Dir::Original, SYN),
        Decision::Ignore {
            note: Some(Note::Ignored { index: 0, .. })
        }
    ));
    assert_eq!(p.state(), TcpState::Close);
    p.send(Dir::Reply, SYN | ACK);
    assert_eq!(p.state(), TcpState::SynRecv);
    p.send(Dir::Original, ACK);
    assert_eq!(p.state(), TcpState::Established);
}

#[test]
fn ignored_segments() {
    // A SYN on an open connection passes; its answer puts the tracker back in step.
    let mut p = Pair::new();
    p.open();
    p.next = [7000, 90000];
    let d = p.send(Dir::Original, SYN);
    assert_eq!(
        d,
        Decision::ignore(Some(Note::Ignored {
            index: 0,
            dir: Dir::Original,
            state: TcpState::Established
        }))
    );
    assert_eq!(
        std::format!("{}", p.sim.last_note.unwrap()),
        "packet (index 0) in dir 0 ignored, state ESTABLISHED"
    );
    assert_eq!(p.state(), TcpState::Established);
    p.send(Dir::Reply, SYN | ACK);
    assert_eq!(p.state(), TcpState::SynRecv);
    p.send(Dir::Original, ACK);
    assert_eq!(p.state(), TcpState::Established);

    // In LAST_ACK, the answer to a SYN is a challenge ACK, not the last ACK.
    let mut p = Pair::new();
    p.open();
    p.send(Dir::Original, FIN | ACK);
    p.send(Dir::Reply, FIN | ACK);
    assert_eq!(p.state(), TcpState::LastAck);
    let fin_end = p.next[0];
    p.next[0] = 7000;
    assert!(matches!(
        p.send(Dir::Original, SYN),
        Decision::Ignore { .. }
    ));
    p.next[0] = fin_end;
    assert_eq!(
        p.send(Dir::Reply, ACK),
        Decision::ignore(Some(Note::ChallengeAckIgnored))
    );
    assert_eq!(p.state(), TcpState::LastAck);
    p.send(Dir::Original, ACK);
    assert_eq!(p.state(), TcpState::TimeWait);
}

#[test]
fn flag_combinations() {
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

#[test]
fn every_flag_byte_is_judged_by_its_combination() {
    for f in 0..=u8::MAX {
        let want = VALID_FLAGS.contains(&(f & !ANY_FLAGS));
        assert_eq!(valid_flags(f), want, "{f:#x}");
    }
}

#[test]
fn state_fits_its_slots() {
    assert!(core::mem::size_of::<ProtoState>() <= 8);
    assert_eq!(core::mem::size_of::<TcpWindow>(), 44);
}

#[test]
fn notes_read_as_nf_conntrack_logs_them() {
    let cases = [
        (Note::InvalidNew, "invalid new"),
        (
            Note::InvalidMove {
                index: 1,
                dir: Dir::Reply,
                state: TcpState::SynSent2,
            },
            "packet (index 1) in dir 1 invalid, state SYN_SENT2",
        ),
        (Note::ChallengeAckIgnored, "challenge-ack ignored"),
        (Note::InvalidRst, "invalid rst"),
        (Note::Overshot(7), "7 bytes more than expected"),
        (
            Note::SeqOver(5),
            "SEQ is over upper bound 5 (over the window of the receiver)",
        ),
        (
            Note::AckOver(6),
            "ACK is over upper bound 6 (ACKed data not seen yet)",
        ),
        (
            Note::SeqUnder(1625),
            "SEQ is under lower bound 1625 (already ACKed data retransmitted)",
        ),
        (
            Note::AckUnder(u32::MAX),
            "ignored ACK under lower bound 4294967295 (possible overly delayed)",
        ),
    ];
    for (note, text) in cases {
        assert_eq!(std::format!("{note}"), text);
    }
}
