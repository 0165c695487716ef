// SPDX-License-Identifier: GPL-2.0

//! TCP window tracking: which sequence and acknowledgment numbers a segment may carry, from
//! what each side has sent, acknowledged and been offered, as nf_conntrack's `tcp_in_window()`.
//!
//! For the sender of a segment and its receiver, with `sack` the highest SACK right edge or else
//! the acknowledgment:
//!
//! - I. the sequence number is at most what the receiver allowed (`max_end`);
//! - II. the segment ends no further back than the receiver's largest window before the
//!   sender's end;
//! - III. `sack` is at most the receiver's end;
//! - IV. `sack` is no further back than the larger of 66000 and the sender's largest window
//!   before the receiver's end.
//!
//! Sequence numbers wrap at 2^32 and compare in that space.

use super::note::Note;
use super::tcp::{flags, Kind, TcpState};
use super::{ProtoState, Seen, Timeouts};
use crate::ct::packet::{seq_after, Segment, TcpOptions};
use crate::ct::status::Dir;
use core::sync::atomic::Ordering::Relaxed;

/// What window tracking knows of the data one side sends: nf_conntrack's
/// `struct ip_ct_tcp_state` without its flags.
#[repr(C)]
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub(crate) struct Sender {
    /// The furthest sequence number sent, plus its length (`td_end`).
    pub(crate) end: u32,
    /// The furthest sequence number the other side allowed: its acknowledgment plus its window
    /// (`td_maxend`).
    pub(crate) max_end: u32,
    /// The largest window this side offered, scaled, plus what it selectively acknowledged
    /// beyond its acknowledgment (`td_maxwin`); zero until this side is first seen.
    pub(crate) max_win: u32,
    /// The furthest acknowledgment this side sent (`td_maxack`).
    pub(crate) max_ack: u32,
}

/// One side's options and marks: its window scale in the low four bits, as 0 when it sent no
/// window scale option and as one more than the scale when it did, and flags above.
#[repr(transparent)]
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub(crate) struct SenderFlags(u8);

impl SenderFlags {
    const SCALE: u8 = 0x0f;
    /// The side permits SACK.
    pub(crate) const SACK_PERM: u8 = 0x10;
    /// Out-of-window segments from this side are let through (a connection picked up in the
    /// middle).
    pub(crate) const LIBERAL: u8 = 0x20;
    /// This side has sent data not acknowledged yet.
    pub(crate) const UNACKED: u8 = 0x40;
    /// `Sender::max_ack` holds an acknowledgment.
    pub(crate) const MAX_ACK_SET: u8 = 0x80;

    /// Flags with the given window scale code (see [`scale_code`]) and bits.
    pub(crate) fn new(scale_code: u8, bits: u8) -> Self {
        Self(scale_code & Self::SCALE | bits & !Self::SCALE)
    }

    /// Whether all of `bits` are set.
    pub(crate) fn has(self, bits: u8) -> bool {
        self.0 & bits == bits
    }

    fn set(&mut self, bits: u8) {
        self.0 |= bits & !Self::SCALE;
    }

    fn clear(&mut self, bits: u8) {
        self.0 &= !(bits & !Self::SCALE);
    }

    /// Whether the side sent a window scale option.
    pub(crate) fn window_scaled(self) -> bool {
        self.0 & Self::SCALE != 0
    }

    /// The window scale applied to the side's windows.
    pub(crate) fn scale(self) -> u8 {
        (self.0 & Self::SCALE).saturating_sub(1)
    }

    /// The window scale code: 0 without the option, the scale plus one with it.
    pub(crate) fn scale_code(self) -> u8 {
        self.0 & Self::SCALE
    }

    /// Applies no scaling, remembering whether the option was sent.
    fn unscale(&mut self) {
        if self.window_scaled() {
            self.0 = self.0 & !Self::SCALE | 1;
        }
    }
}

/// The window scale code of an announced option: 0 for none, the scale plus one otherwise.
pub(crate) fn scale_code(window_scale: Option<u8>) -> u8 {
    window_scale.map_or(0, |s| s.min(14) + 1)
}

/// The window tracking state of a TCP connection: both sides, and the last segment checked for
/// retransmission or ignored. The kernel keeps it in the connection beside [`ProtoState`].
#[repr(C)]
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub(crate) struct TcpWindow {
    /// Each side, by the direction it sends in.
    pub(crate) sender: [Sender; 2],
    /// The acknowledgment of the last segment checked for retransmission, or of the last
    /// answer ignored while the opener waits (`last_ack`).
    pub(crate) last_ack: u32,
    /// Where the last segment checked or ignored ends (`last_end`).
    pub(crate) last_end: u32,
    /// The unscaled window of the last segment checked or ignored (`last_win`).
    pub(crate) last_win: u16,
    /// Each side's options and marks.
    pub(crate) flags: [SenderFlags; 2],
}

const _: () = assert!(core::mem::size_of::<TcpWindow>() == 44);

/// The outcome of the window check.
pub(super) enum InWindow {
    /// The segment fits.
    Accept,
    /// The segment passes without moving the connection.
    Ignore(Note),
    /// The segment is invalid.
    Invalid(Note),
}

/// `MAXACKWINDOW()`: how far back of the receiver's end an acknowledgment may lie.
fn max_ack_window(sender: &Sender) -> u32 {
    const MIN: u32 = 66000;
    sender.max_win.max(MIN)
}

/// Whether `a` comes before `b` in sequence space.
fn before(a: u32, b: u32) -> bool {
    seq_after(b, a)
}

impl TcpWindow {
    /// Takes the options of a segment with options as all its sender announces
    /// (`tcp_options()`).
    fn take_options(&mut self, s: usize, opts: &TcpOptions) {
        if !opts.present {
            return;
        }
        let keep = self.flags[s].0 & SenderFlags::LIBERAL;
        let sack = if opts.sack_permitted {
            SenderFlags::SACK_PERM
        } else {
            0
        };
        self.flags[s] = SenderFlags::new(scale_code(opts.window_scale), keep | sack);
    }

    /// Starts the opener's side from its SYN or, for a connection picked up in the middle,
    /// from whatever segment came first; `loose` marks the latter.
    pub(super) fn open(&mut self, seg: &Segment, loose: bool) {
        *self = TcpWindow::default();
        let end = seg.end();
        let max_win = u32::from(seg.window).max(1);
        let opener = &mut self.sender[Dir::Original.index()];
        opener.end = end;
        opener.max_win = max_win;
        if loose {
            opener.max_end = end.wrapping_add(max_win);
            // Window scaling was not seen: assume SACK, and let either side through.
            let f = SenderFlags::new(0, SenderFlags::SACK_PERM | SenderFlags::LIBERAL);
            self.flags = [f, f];
        } else {
            opener.max_end = end;
            self.take_options(Dir::Original.index(), &seg.options);
        }
    }

    /// Starts the sender's side from its SYN or SYN/ACK (`tcp_init_sender()`).
    fn init_sender(&mut self, dir: Dir, seg: &Segment, end: u32, win: u32) {
        let (s, r) = (dir.index(), dir.other().index());
        self.sender[s].end = end;
        self.sender[s].max_end = end;
        self.sender[s].max_win = win.max(1);
        self.take_options(s, &seg.options);
        // RFC 1323: windows scale only if both sides sent the option.
        if dir == Dir::Reply && !(self.flags[s].window_scaled() && self.flags[r].window_scaled()) {
            self.flags[s].unscale();
            self.flags[r].unscale();
        }
    }

    /// Clears one side for a fresh start, but for its liberal mark
    /// (`nf_ct_tcp_state_reset()`).
    pub(super) fn reset(&mut self, dir: Dir) {
        let d = dir.index();
        self.sender[d] = Sender::default();
        self.flags[d] = SenderFlags::new(0, self.flags[d].0 & SenderFlags::LIBERAL);
    }

    /// Whether either side has sent data not acknowledged yet.
    pub(super) fn unacknowledged(&self) -> bool {
        self.flags.iter().any(|f| f.has(SenderFlags::UNACKED))
    }

    /// Checks a segment of kind `kind` against the window, updating both sides and the
    /// retransmission count when it fits (`tcp_in_window()`).
    pub(super) fn check(
        &mut self,
        seen: &Seen,
        kind: Kind,
        state: &mut ProtoState,
        t: &Timeouts,
    ) -> InWindow {
        let seg = &seen.tcp;
        let dir = seen.dir;
        let (s, r) = (dir.index(), dir.other().index());
        let has = |f: u8| seg.flags & f != 0;
        let mut seq = seg.seq;
        let mut ack = seg.ack;
        let mut sack = if self.flags[r].has(SenderFlags::SACK_PERM) {
            seg.sack
        } else {
            seg.ack
        };
        let mut win = u32::from(seg.window);
        let mut end = seg.end();

        if self.sender[s].max_win == 0 {
            if has(flags::SYN) {
                self.init_sender(dir, seg, end, win);
                if !has(flags::ACK) {
                    // Simultaneous open.
                    return InWindow::Accept;
                }
            } else {
                // Picked up in the middle: take what the segment shows.
                let scaled = win << self.flags[s].scale();
                let sender = &mut self.sender[s];
                sender.end = end;
                sender.max_win = scaled.max(1);
                sender.max_end = end.wrapping_add(sender.max_win);
                let receiver = &mut self.sender[r];
                if receiver.max_win == 0 {
                    // Nothing seen the other way yet: let its acknowledgments pass III and IV.
                    receiver.end = sack;
                    receiver.max_end = sack;
                } else if sack == receiver.end.wrapping_add(1) {
                    // Likely the answer to a keepalive.
                    receiver.end = receiver.end.wrapping_add(1);
                }
            }
        } else if has(flags::SYN)
            && seq_after(end, self.sender[s].end)
            && matches!(state.tcp, TcpState::SynSent | TcpState::SynRecv)
        {
            // A SYN or SYN/ACK starting over with higher sequence numbers (RFC 793): begin
            // this side again.
            self.init_sender(dir, seg, end, win);
            if dir == Dir::Reply && !has(flags::ACK) {
                return InWindow::Accept;
            }
        }

        if !has(flags::ACK) || (has(flags::RST) && ack == 0) {
            // No acknowledgment, or a reset with a zero one: take it as acknowledging all.
            ack = self.sender[r].end;
            sack = ack;
        }
        if has(flags::RST) && seq == 0 && state.tcp == TcpState::SynSent {
            // A reset answering the SYN.
            seq = self.sender[s].end;
            end = seq;
        }

        let sender = self.sender[s];
        let receiver = self.sender[r];
        let liberal =
            self.flags[s].has(SenderFlags::LIBERAL) || t.tcp_be_liberal.load(Relaxed) != 0;
        let ack_floor = receiver
            .end
            .wrapping_sub(max_ack_window(&sender))
            .wrapping_sub(1);
        let seq_floor = sender.end.wrapping_sub(receiver.max_win).wrapping_sub(1);
        let refuse = |outcome: InWindow| if liberal { InWindow::Accept } else { outcome };

        if !before(seq, sender.max_end.wrapping_add(1)) {
            // I fails.
            let overshot = end.wrapping_sub(sender.max_end).wrapping_add(1);
            if receiver.max_win != 0
                && seq_after(end, seq_floor)
                && seq_after(sack, ack_floor)
                && overshot <= receiver.max_win
                && before(sack, receiver.end.wrapping_add(1))
            {
                // More than the window allowed, but within what the receiver could take: the
                // receiver may acknowledge it, so note the data as sent.
                self.sender[s].end = end;
                self.flags[s].set(SenderFlags::UNACKED);
                return refuse(InWindow::Ignore(Note::Overshot(overshot)));
            }
            return refuse(InWindow::Invalid(Note::SeqOver(
                sender.max_end.wrapping_add(1),
            )));
        }
        if !before(sack, receiver.end.wrapping_add(1)) {
            // III fails.
            return refuse(InWindow::Invalid(Note::AckOver(
                receiver.end.wrapping_add(1),
            )));
        }
        if receiver.max_win != 0 && !seq_after(end, seq_floor) {
            // II fails.
            return refuse(InWindow::Ignore(Note::SeqUnder(seq_floor)));
        }
        if !seq_after(sack, ack_floor) {
            // IV fails.
            return refuse(InWindow::Ignore(Note::AckUnder(ack_floor)));
        }

        if !has(flags::SYN) {
            win <<= self.flags[s].scale();
        }
        let offered = win.wrapping_add(sack.wrapping_sub(ack));
        let sender = &mut self.sender[s];
        if sender.max_win < offered {
            sender.max_win = offered;
        }
        if seq_after(end, sender.end) {
            sender.end = end;
            self.flags[s].set(SenderFlags::UNACKED);
        }
        if has(flags::ACK) {
            if !self.flags[s].has(SenderFlags::MAX_ACK_SET) {
                sender.max_ack = ack;
                self.flags[s].set(SenderFlags::MAX_ACK_SET);
            } else if seq_after(ack, sender.max_ack) {
                sender.max_ack = ack;
            }
        }
        let sender_max_end = sender.max_end;
        let receiver = &mut self.sender[r];
        if receiver.max_win != 0 && seq_after(end, sender_max_end) {
            receiver.max_win = receiver
                .max_win
                .wrapping_add(end.wrapping_sub(sender_max_end));
        }
        let allowed = sack.wrapping_add(win);
        if seq_after(allowed, receiver.max_end.wrapping_sub(1)) {
            receiver.max_end = allowed.wrapping_add(u32::from(win == 0));
        }
        if ack == receiver.end {
            self.flags[r].clear(SenderFlags::UNACKED);
        }

        if kind == Kind::Ack {
            if state.last_dir() == dir
                && state.word == seq
                && self.last_ack == ack
                && self.last_end == end
                && self.last_win == seg.window
            {
                state.tcp_retrans = state.tcp_retrans.wrapping_add(1);
            } else {
                state.set_last_dir(dir);
                state.word = seq;
                self.last_ack = ack;
                self.last_end = end;
                self.last_win = seg.window;
                state.tcp_retrans = 0;
            }
        }
        InWindow::Accept
    }
}
