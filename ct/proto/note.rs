// SPDX-License-Identifier: GPL-2.0

//! What nf_conntrack logs, when `nf_conntrack_log_invalid` asks for it, about a packet a tracker
//! finds invalid or ignores: the text after the `nf_ct_proto_<protocol>: ` prefix.

use super::tcp::TcpState;
use crate::ct::status::Dir;
use core::fmt;

/// The reason a tracker gives for an invalid or ignored packet.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Note {
    /// The first packet of a connection cannot open one.
    InvalidNew,
    /// The state machine ignores a segment of kind `index` from direction `dir` in `state`.
    Ignored {
        /// nf_conntrack's index of the segment's kind.
        index: u8,
        /// The segment's direction.
        dir: Dir,
        /// The connection's state.
        state: TcpState,
    },
    /// The state machine has no move for a segment of kind `index` from `dir` in `state`.
    InvalidMove {
        /// nf_conntrack's index of the segment's kind.
        index: u8,
        /// The segment's direction.
        dir: Dir,
        /// The connection's state.
        state: TcpState,
    },
    /// The answer to a SYN seen while closing, which acknowledges nothing.
    ChallengeAckIgnored,
    /// A reset whose sequence number is below what the peer has acknowledged.
    InvalidRst,
    /// Data past the receiver's window, but within what it could have allowed: that many bytes.
    Overshot(u32),
    /// A sequence number past this bound.
    SeqOver(u32),
    /// An acknowledgment of data not sent yet, past this bound.
    AckOver(u32),
    /// Data that ends below this bound, already acknowledged.
    SeqUnder(u32),
    /// An acknowledgment below this bound.
    AckUnder(u32),
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Note::InvalidNew => f.write_str("invalid new"),
            Note::Ignored { index, dir, state } => write!(
                f,
                "packet (index {index}) in dir {} ignored, state {}",
                dir.index(),
                state.name()
            ),
            Note::InvalidMove { index, dir, state } => write!(
                f,
                "packet (index {index}) in dir {} invalid, state {}",
                dir.index(),
                state.name()
            ),
            Note::ChallengeAckIgnored => f.write_str("challenge-ack ignored"),
            Note::InvalidRst => f.write_str("invalid rst"),
            Note::Overshot(n) => write!(f, "{n} bytes more than expected"),
            Note::SeqOver(b) => {
                write!(
                    f,
                    "SEQ is over upper bound {b} (over the window of the receiver)"
                )
            }
            Note::AckOver(b) => write!(f, "ACK is over upper bound {b} (ACKed data not seen yet)"),
            Note::SeqUnder(b) => write!(
                f,
                "SEQ is under lower bound {b} (already ACKed data retransmitted)"
            ),
            Note::AckUnder(b) => write!(
                f,
                "ignored ACK under lower bound {b} (possible overly delayed)"
            ),
        }
    }
}
