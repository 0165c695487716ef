// SPDX-License-Identifier: GPL-2.0

//! TCP as nf_conntrack follows it: a state machine over the handshake, the closing exchange
//! of FINs, resets and a new SYN reopening a closed connection, with every segment checked
//! against the windows both sides have offered ([`super::tcp_window`]). Resets must carry the
//! expected sequence number; retransmissions, unacknowledged data and zero windows shorten the
//! connection's lifetime.

use super::note::Note;
use super::tcp_window::{scale_code, InWindow, SenderFlags, TcpWindow};
use super::{Decision, ProtoState, Seen, Timeouts};
use crate::ct::packet::seq_after;
use crate::ct::status::{bits, Dir};
use core::sync::atomic::{AtomicI32, Ordering::Relaxed};

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

/// The combinations of flags TCP uses, ECE, CWR and PSH aside; nf_conntrack calls the others
/// invalid.
const VALID_FLAGS: [u8; 9] = {
    use flags::*;
    [
        SYN,
        SYN | URG,
        SYN | ACK,
        RST,
        RST | ACK,
        FIN | ACK,
        FIN | ACK | URG,
        ACK,
        ACK | URG,
    ]
};

/// Flags whose value does not make a combination valid or invalid.
const ANY_FLAGS: u8 = flags::ECE | flags::CWR | flags::PSH;

/// Whether a combination of flags is one of [`VALID_FLAGS`].
#[inline]
pub(crate) fn valid_flags(f: u8) -> bool {
    // Without the others the flags fit in six bits: one bit of a word per combination.
    const SET: u64 = {
        let mut set = 0u64;
        let mut i = 0;
        while i < VALID_FLAGS.len() {
            set |= 1 << VALID_FLAGS[i];
            i += 1;
        }
        set
    };
    const _: () = assert!(!ANY_FLAGS < 64);
    SET >> (f & !ANY_FLAGS) & 1 != 0
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
/// and ACK it carries. The values are nf_conntrack's indices.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub(super) enum Kind {
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

    fn from_index(i: u8) -> Self {
        match i {
            0 => Kind::Syn,
            1 => Kind::SynAck,
            2 => Kind::Fin,
            3 => Kind::Ack,
            4 => Kind::Rst,
            _ => Kind::Bare,
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
    /// The last SYN ignored permitted SACK.
    pub(super) const LAST_SACK_PERM: u8 = 1 << 3;
    /// With [`CLOSE_INIT`], the answerer's FIN began the close.
    pub(super) const CLOSE_INIT_REPLY: u8 = 1 << 4;
    /// What nf_conntrack keeps of the last SYN ignored (`last_flags`), cleared together.
    pub(super) const LAST_SYN: u8 = SIMULTANEOUS_OPEN | CHALLENGE_ACK | LAST_SACK_PERM;
}

/// Fields of [`ProtoState::tcp_last`].
mod last {
    /// The kind of the last segment, as its index.
    pub(super) const KIND: u8 = 0x07;
    /// Set when the last segment came from the answerer.
    pub(super) const REPLY: u8 = 0x08;
    /// Where the window scale code of the last SYN ignored starts.
    pub(super) const SCALE_SHIFT: u8 = 4;
}

impl ProtoState {
    /// The kind of the last segment that moved the connection or was ignored.
    pub(super) fn last_kind(&self) -> Kind {
        Kind::from_index(self.tcp_last & last::KIND)
    }

    /// The direction of that segment.
    pub(super) fn last_dir(&self) -> Dir {
        if self.tcp_last & last::REPLY != 0 {
            Dir::Reply
        } else {
            Dir::Original
        }
    }

    pub(super) fn set_last_dir(&mut self, dir: Dir) {
        self.tcp_last &= !last::REPLY;
        if dir == Dir::Reply {
            self.tcp_last |= last::REPLY;
        }
    }

    fn set_last(&mut self, kind: Kind, dir: Dir) {
        self.tcp_last = self.tcp_last & !last::KIND | kind as u8;
        self.set_last_dir(dir);
    }

    /// The window scale code of the last SYN ignored.
    fn last_scale_code(&self) -> u8 {
        self.tcp_last >> last::SCALE_SHIFT
    }

    fn set_last_scale_code(&mut self, code: u8) {
        self.tcp_last = self.tcp_last & !(0x0f << last::SCALE_SHIFT) | code << last::SCALE_SHIFT;
    }

    fn memo(&self, bit: u8) -> bool {
        self.tcp_memo & bit != 0
    }

    /// The side whose FIN began an orderly close, if one did (nf_conntrack's
    /// `IP_CT_TCP_FLAG_CLOSE_INIT` of that side).
    pub(crate) fn close_initiator(&self) -> Option<Dir> {
        if !self.memo(memo::CLOSE_INIT) {
            None
        } else if self.memo(memo::CLOSE_INIT_REPLY) {
            Some(Dir::Reply)
        } else {
            Some(Dir::Original)
        }
    }

    /// Whether the connection is open and assured (`nf_conntrack_tcp_established()`).
    fn established(&self, status: usize) -> bool {
        self.tcp == TcpState::Established && status & bits::ASSURED != 0
    }
}

/// The first segment of a connection: sets up its state, or finds it cannot open one
/// (`tcp_new()`).
fn open(
    seen: &Seen,
    state: &mut ProtoState,
    win: &mut TcpWindow,
    t: &Timeouts,
) -> Option<Decision> {
    let kind = Kind::of(seen.tcp.flags);
    match MOVES[Dir::Original.index()][kind as usize][TcpState::None as usize] {
        Next::To(TcpState::SynSent) => win.open(&seen.tcp, false),
        Next::To(_) if t.tcp_loose.load(Relaxed) != 0 => win.open(&seen.tcp, true),
        Next::To(_) => {
            return Some(Decision::Invalid {
                note: None,
                lowered_timeout: None,
            })
        }
        _ => return Some(Decision::invalid(Note::InvalidNew)),
    }
    *state = ProtoState {
        word: 0,
        tcp: TcpState::None,
        tcp_last: Kind::Bare as u8,
        tcp_memo: 0,
        tcp_retrans: 0,
    };
    None
}

/// A segment the state machine lets pass without moving the connection. An answer to a SYN
/// ignored before puts the tracker back in step with both ends (`Some` of the state the
/// connection now moves from); otherwise the segment is remembered, so that its answer can.
fn ignore(
    seen: &Seen,
    kind: Kind,
    old: TcpState,
    state: &mut ProtoState,
    win: &mut TcpWindow,
) -> Result<TcpState, Decision> {
    let seg = &seen.tcp;
    let dir = seen.dir;
    if kind == Kind::SynAck
        && state.last_kind() == Kind::Syn
        && state.last_dir() != dir
        && seg.ack == win.last_end
    {
        // Both ends started over, and the tracker follows them: the SYN's sender from what was
        // noted of the SYN, this side afresh.
        let opener = state.last_dir();
        let o = opener.index();
        win.sender[o].end = win.last_end;
        win.sender[o].max_end = win.last_end;
        win.sender[o].max_win = u32::from(win.last_win).max(1);
        let sack = if state.memo(memo::LAST_SACK_PERM) {
            SenderFlags::SACK_PERM
        } else {
            0
        };
        win.flags[o] = SenderFlags::new(state.last_scale_code(), sack);
        win.reset(dir);
        state.tcp_memo &= !(memo::CHALLENGE_ACK | memo::CLOSE_INIT | memo::CLOSE_INIT_REPLY);
        return Ok(TcpState::SynSent);
    }
    state.set_last(kind, dir);
    state.word = seg.seq;
    win.last_end = seg.end();
    win.last_win = seg.window;
    if kind == Kind::Syn && dir == Dir::Original {
        // The SYN may open a new connection the endpoints agree on: note its options.
        state.tcp_memo &= !memo::LAST_SYN;
        state.set_last_scale_code(scale_code(seg.options.window_scale));
        if seg.options.sack_permitted {
            state.tcp_memo |= memo::LAST_SACK_PERM;
        }
        // In LAST_ACK, the answer to it is a challenge ACK, not the last ACK.
        if old == TcpState::LastAck {
            state.tcp_memo |= memo::CHALLENGE_ACK;
        }
    }
    if old == TcpState::SynSent && kind == Kind::Ack && dir == Dir::Reply {
        // Possibly a challenge ACK answering the SYN.
        win.last_ack = seg.ack;
    }
    Err(Decision::ignore(Some(Note::Ignored {
        index: kind as u8,
        dir,
        state: old,
    })))
}

/// Where a reset stands: skipping the window check, checked as any segment, or invalid.
enum ResetCheck {
    /// The reset answers what the tracker let through: no window check.
    Trusted,
    /// The reset is checked against the window, moving the connection to this state.
    Window(TcpState),
    /// The reset is invalid.
    Invalid,
}

/// A reset moving the connection to CLOSE: its sequence number must be the one the peer expects,
/// or answer a segment let through before.
fn reset(seen: &Seen, state: &ProtoState, win: &TcpWindow, t: &Timeouts) -> ResetCheck {
    let seg = &seen.tcp;
    let dir = seen.dir;
    let old = state.tcp;
    // Closing already: the tuple may be in use again, and what was noted is stale.
    if matches!(
        old,
        TcpState::FinWait
            | TcpState::CloseWait
            | TcpState::LastAck
            | TcpState::TimeWait
            | TcpState::Close
    ) {
        return ResetCheck::Trusted;
    }
    let mut new = TcpState::Close;
    let peer = dir.other().index();
    // The peer's furthest acknowledgment, unless a SYN let through since may have moved it.
    if win.flags[peer].has(SenderFlags::MAX_ACK_SET) && state.last_kind() != Kind::Syn {
        let max_ack = win.sender[peer].max_ack;
        let established = state.established(seen.status);
        // Sequence zero outside an open connection: likely the answer to a SYN let through.
        if seg.seq == 0 && !established {
            return ResetCheck::Window(new);
        }
        if seq_after(max_ack, seg.seq) && t.tcp_ignore_invalid_rst.load(Relaxed) == 0 {
            return ResetCheck::Invalid;
        }
        if !established || seg.seq == max_ack {
            return ResetCheck::Window(new);
        }
        // The end of a train of data and reset from the same side.
        if state.last_kind() == Kind::Ack && state.last_dir() == dir && seg.seq == win.last_end {
            return ResetCheck::Window(new);
        }
        // Not the expected sequence number: stay open, for the challenge ACK the peer sends.
        new = old;
    }
    // A reset answering a SYN or ACK let through: a SYN in window then, or a half-open
    // connection held here.
    let answers_ignored = (seen.status & bits::SEEN_REPLY != 0
        && state.last_kind() == Kind::Syn
        && state.last_dir() != dir)
        || (seen.status & bits::ASSURED == 0 && state.last_kind() == Kind::Ack);
    if answers_ignored && seg.ack == win.last_end {
        return ResetCheck::Trusted;
    }
    // A reset answering a challenge ACK let through.
    if old == TcpState::SynSent
        && state.last_kind() == Kind::Ack
        && state.last_dir() == Dir::Reply
        && seg.seq == win.last_ack
    {
        return ResetCheck::Trusted;
    }
    ResetCheck::Window(new)
}

/// An out-of-window FIN or reset on an assured connection whose peer closed last: the
/// connection is likely dead here, so its lifetime is cut (`nf_tcp_handle_invalid()`).
fn shorten(seen: &Seen, kind: Kind, state: &mut ProtoState, t: &Timeouts) -> Option<u32> {
    if seen.status & bits::ASSURED == 0 || seen.status & bits::FIXED_TIMEOUT != 0 {
        return None;
    }
    if !matches!(kind, Kind::Rst | Kind::Fin) {
        return None;
    }
    let dir = seen.dir;
    if state.last_dir() != dir && matches!(state.last_kind(), Kind::Fin | Kind::Rst) {
        let unack = seen.secs(&t.tcp_unacknowledged);
        if seen.expires < seen.hz.saturating_mul(120) || seen.expires <= unack {
            return None;
        }
        return Some(unack);
    }
    state.set_last(kind, dir);
    None
}

#[inline]
pub(super) fn packet(
    seen: &Seen,
    state: &mut ProtoState,
    win: &mut TcpWindow,
    t: &Timeouts,
) -> Decision {
    if !seen.confirmed {
        if let Some(refused) = open(seen, state, win, t) {
            return refused;
        }
    }
    let kind = Kind::of(seen.tcp.flags);
    let dir = seen.dir;
    let mut old = state.tcp;
    let next = MOVES[dir.index()][kind as usize][old as usize];
    let mut new = match next {
        Next::Invalid => {
            return Decision::invalid(Note::InvalidMove {
                index: kind as u8,
                dir,
                state: old,
            })
        }
        Next::To(TcpState::SynSent) if old >= TcpState::TimeWait => {
            // A new SYN on a connection that was closed with a FIN, or aborted by this side's
            // reset, opens a new connection in its place. Otherwise the endpoints may still
            // hold the old one: the SYN passes and its answer decides.
            if state.memo(memo::CLOSE_INIT)
                || (state.last_dir() == dir && state.last_kind() == Kind::Rst)
            {
                return Decision::Reopen;
            }
            match ignore(seen, kind, old, state, win) {
                Ok(from) => {
                    old = from;
                    TcpState::SynRecv
                }
                Err(d) => return d,
            }
        }
        Next::Ignore => match ignore(seen, kind, old, state, win) {
            Ok(from) => {
                old = from;
                TcpState::SynRecv
            }
            Err(d) => return d,
        },
        Next::To(s) => s,
    };
    let mut trusted = false;
    match new {
        // The peer's ACK to a SYN seen in LAST_ACK does not acknowledge the last FIN.
        TcpState::TimeWait
            if old == TcpState::LastAck
                && kind == Kind::Ack
                && state.last_dir() != dir
                && state.last_kind() == Kind::Syn
                && state.memo(memo::CHALLENGE_ACK) =>
        {
            state.tcp_memo &= !memo::CHALLENGE_ACK;
            return Decision::ignore(Some(Note::ChallengeAckIgnored));
        }
        TcpState::SynSent2 => state.tcp_memo |= memo::SIMULTANEOUS_OPEN,
        TcpState::SynRecv
            if dir == Dir::Reply && kind == Kind::Ack && state.memo(memo::SIMULTANEOUS_OPEN) =>
        {
            new = TcpState::Established
        }
        TcpState::Close if kind == Kind::Rst => match reset(seen, state, win, t) {
            ResetCheck::Trusted => trusted = true,
            ResetCheck::Window(s) => new = s,
            ResetCheck::Invalid => return Decision::invalid(Note::InvalidRst),
        },
        _ => {}
    }
    if !trusted {
        match win.check(seen, kind, state, t) {
            InWindow::Accept => {}
            InWindow::Ignore(note) => return Decision::ignore(Some(note)),
            InWindow::Invalid(note) => {
                return Decision::Invalid {
                    note: Some(note),
                    lowered_timeout: shorten(seen, kind, state, t),
                }
            }
        }
    }

    state.set_last(kind, dir);
    state.tcp = new;
    if old != new && new == TcpState::FinWait {
        state.tcp_memo |= memo::CLOSE_INIT;
        if dir == Dir::Reply {
            state.tcp_memo |= memo::CLOSE_INIT_REPLY;
        }
    }
    let timeout = lifetime(seen, kind, new, state, win, t);
    if seen.status & bits::SEEN_REPLY == 0 {
        // A reset before any answer: no connection was ever open.
        if kind == Kind::Rst {
            return Decision::Close;
        }
        // A retransmitted SYN does not extend the wait for an answer.
        if kind == Kind::Syn && old == TcpState::SynSent {
            return Decision::ignore(None);
        }
        // Picked up in the middle, unanswered so far.
        if new == TcpState::Established {
            return Decision::refresh(timeout.min(seen.secs(&t.tcp_unacknowledged)));
        }
        return Decision::refresh(timeout);
    }
    let assure = seen.status & bits::ASSURED == 0
        && matches!(old, TcpState::SynRecv | TcpState::Established)
        && new == TcpState::Established;
    Decision::Accept { timeout, assure }
}

/// The connection's lifetime after an accepted segment: the state's timeout, cut short while
/// a segment is retransmitted again and again, while data is unacknowledged, after an
/// inexact reset, or facing a zero window.
fn lifetime(
    seen: &Seen,
    kind: Kind,
    new: TcpState,
    state: &ProtoState,
    win: &TcpWindow,
    t: &Timeouts,
) -> u32 {
    let normal = seen.secs(new.timeout(t));
    let retrans = seen.secs(&t.tcp_retrans);
    let unack = seen.secs(&t.tcp_unacknowledged);
    if state.tcp_retrans >= t.tcp_max_retrans.load(Relaxed) && normal > retrans {
        retrans
    } else if ((kind == Kind::Rst && new == TcpState::Established) || win.unacknowledged())
        && normal > unack
    {
        unack
    } else if win.last_win == 0 && normal > retrans {
        retrans
    } else {
        normal
    }
}

#[cfg(test)]
mod tests;
