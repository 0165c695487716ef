// SPDX-License-Identifier: GPL-2.0

//! The kernel's conntrack packetdrill scripts (tools/testing/selftests/net/netfilter/packetdrill),
//! replayed segment by segment with the outcome each script asserts.
//!
//! packetdrill numbers segments as tcpdump does: a SYN's sequence and acknowledgment numbers
//! are absolute, other segments' are relative to the first SYN of their sender (inbound) or of
//! its peer (acknowledgments). The segments below carry the absolute numbers the tracker sees,
//! with the local host's initial sequence number `L` close to 2^32 so that sequence numbers wrap
//! along the way. Segments go in the order the tracker sees them: a segment the local host sends
//! at a `write()` passes conntrack at once, whatever line of the script checks it.

use super::super::super::tests::HZ;
use super::*;

/// The local host's initial sequence number.
const L: u32 = 0xffff_ff00;

/// The local host's sequence number `n` after its initial one.
fn l(n: u32) -> u32 {
    L.wrapping_add(n)
}

/// A script's two ends: the local host under test and the remote packetdrill plays.
struct Drill {
    sim: Sim,
    /// The side of the exchange the local host is.
    local: Dir,
}

impl Drill {
    fn client() -> Self {
        Self {
            sim: Sim::new(),
            local: Dir::Original,
        }
    }

    fn server() -> Self {
        Self {
            sim: Sim::new(),
            local: Dir::Reply,
        }
    }

    /// A segment packetdrill injects (`<`).
    fn inbound(&mut self, s: Segment) -> Decision {
        self.sim.send(self.local.other(), s)
    }

    /// A segment the local host sends (`>`).
    fn outbound(&mut self, s: Segment) -> Decision {
        self.sim.send(self.local, s)
    }

    fn at_ms(&mut self, ms: u32) {
        self.sim.wait(ms * HZ / 1000);
    }

    fn assert_no_invalid(&self) {
        assert_eq!(self.sim.invalid, [0, 0], "{:?}", self.sim.last_note);
    }
}

/// Options with neither window scale nor SACK (MSS, timestamps).
fn plain(s: Segment) -> Segment {
    syn_opts(s, None, false)
}

fn accepted(d: Decision) -> bool {
    matches!(d, Decision::Accept { .. })
}

#[test]
fn conntrack_ack_loss_stall() {
    // An already acknowledged segment sent again passes as ignored, not INVALID.
    let mut p = Drill::server();
    p.inbound(plain(seg(SYN, 0, 0, 32792, 0)));
    p.outbound(plain(seg(SYN | ACK, l(0), 1, 65535, 0)));
    p.at_ms(10);
    assert!(accepted(p.inbound(seg(ACK, 1, l(1), 65535, 0))));
    assert!(p.sim.assured());
    let mut seq = 1u32;
    for _ in 0..46 {
        assert!(accepted(p.inbound(seg(ACK | PSH, seq, l(1), 257, 1460))));
        seq += 1460;
        assert!(accepted(p.outbound(seg(ACK, l(1), seq, 65535, 0))));
    }
    assert_eq!(seq, 67161);
    let d = p.inbound(seg(ACK | PSH, 1, l(1), 257, 1460));
    assert_eq!(d, Decision::ignore(Some(Note::SeqUnder(67161 - 65535 - 1))));
    assert_eq!(
        std::format!("{}", p.sim.last_note.unwrap()),
        "SEQ is under lower bound 1625 (already ACKed data retransmitted)"
    );
    assert!(accepted(p.outbound(seg(ACK, l(1), 67161, 65535, 0))));
    assert_eq!(p.sim.state(), TcpState::Established);
    p.assert_no_invalid();
}

/// The opening shared by the client scripts: SYN with SACK and window scale 8, a SYN/ACK with
/// neither (remote initial sequence number 1), three segments of data acknowledged, and the
/// local host's reply of 1000 bytes.
fn client_with_data() -> Drill {
    let mut p = Drill::client();
    p.at_ms(100);
    p.outbound(syn_opts(seg(SYN, l(0), 0, 65535, 0), Some(8), true));
    p.at_ms(100);
    p.inbound(plain(seg(SYN | ACK, 1, l(1), 65535, 0)));
    p.outbound(seg(ACK, l(1), 2, 65535, 0));
    for i in 0..3 {
        assert!(accepted(p.inbound(seg(
            ACK,
            2 + 1000 * i,
            l(1),
            65535,
            1000
        ))));
    }
    for i in 1..=3 {
        p.outbound(seg(ACK, l(1), 2 + 1000 * i, 65535, 0));
    }
    assert!(p.sim.assured());
    // write(3, ..., 1000): sent at once.
    assert!(accepted(p.outbound(seg(
        ACK | PSH,
        l(1),
        3002,
        65535,
        1000
    ))));
    p
}

#[test]
fn conntrack_inexact_rst() {
    // A reset not matching the next sequence number exactly still closes a connection that is
    // closing already.
    let mut p = client_with_data();
    p.at_ms(100);
    assert!(accepted(p.inbound(seg(FIN | ACK, 3002, l(1001), 65535, 0))));
    assert_eq!(p.sim.state(), TcpState::FinWait);
    assert!(accepted(p.outbound(seg(ACK, l(1001), 3003, 65535, 0))));
    assert_eq!(p.sim.state(), TcpState::CloseWait);
    p.at_ms(1000);
    // close(3) with unread data.
    assert!(accepted(p.outbound(seg(
        RST | ACK,
        l(1001),
        3003,
        65535,
        0
    ))));
    assert_eq!(p.sim.state(), TcpState::Close);
    // A spurious reset from the peer, which has no socket left.
    p.at_ms(100);
    assert!(accepted(p.inbound(seg(RST, 2002, 0, 0, 0))));
    assert_eq!(p.sim.state(), TcpState::Close);
    p.assert_no_invalid();
}

#[test]
fn conntrack_rst_invalid() {
    // Out-of-window resets are INVALID and the connection stays ESTABLISHED.
    let mut p = client_with_data();
    let invalid = |d: Decision| matches!(d, Decision::Invalid { .. });
    // Sequence 0 (relative): below what the local host acknowledged.
    assert_eq!(
        p.inbound(seg(RST, 1, 0, 0, 0)),
        Decision::invalid(Note::InvalidRst)
    );
    assert_eq!(p.sim.state(), TcpState::Established);
    // Far past the window.
    let d = p.inbound(seg(RST, 1_000_001, 0, 0, 0));
    assert!(invalid(d), "{d:?}");
    assert_eq!(p.sim.last_note, Some(Note::SeqOver(3002 + 65535 + 1)));
    assert_eq!(p.sim.state(), TcpState::Established);
    // In the window but below the acknowledged sequence.
    assert_eq!(
        p.inbound(seg(RST, 43, 0, 0, 0)),
        Decision::invalid(Note::InvalidRst)
    );
    assert_eq!(p.sim.state(), TcpState::Established);
    p.at_ms(100);
    assert!(accepted(p.inbound(seg(ACK, 3002, l(1001), 65535, 0))));
    // One short of the next sequence number.
    assert_eq!(
        p.inbound(seg(RST | ACK, 3001, l(1001), 0, 0)),
        Decision::invalid(Note::InvalidRst)
    );
    assert_eq!(p.sim.state(), TcpState::Established);
    // Exactly the next sequence number.
    assert!(accepted(p.inbound(seg(RST | ACK, 3002, l(1001), 0, 0))));
    assert_eq!(p.sim.state(), TcpState::Close);
    assert_eq!(p.sim.invalid, [0, 4]);
}

#[test]
fn conntrack_syn_challenge_ack() {
    // The peer answers a reused tuple's SYN with a challenge ACK for its old connection; the
    // local host resets it and opens again, and all of it passes.
    let mut p = Drill::client();
    p.at_ms(100);
    let syn = syn_opts(seg(SYN, l(0), 0, 65535, 0), Some(8), true);
    p.outbound(syn);
    let challenge = plain(seg(ACK, 145824453, l(643160523), 240, 0));
    assert!(matches!(p.inbound(challenge), Decision::Ignore { .. }));
    p.at_ms(10);
    // The reset answers the challenge ACK: no window check, and the connection closes.
    assert!(accepted(p.outbound(seg(RST, l(643160523), 0, 0, 0))));
    assert_eq!(p.sim.state(), TcpState::Close);
    // The SYN sent again at once (the challenge ACK set a short retransmission timer) replaces
    // the connection: the script finds it UNREPLIED in SYN_SENT.
    assert_eq!(p.outbound(syn), Decision::Reopen);
    assert_eq!(p.sim.state(), TcpState::SynSent);
    assert!(p.sim.unreplied());
    p.at_ms(100);
    assert!(accepted(p.inbound(syn_opts(
        seg(SYN | ACK, 0, l(1), 250, 0),
        Some(0),
        false
    ))));
    p.at_ms(10);
    assert!(accepted(p.outbound(plain(seg(ACK, l(1), 1, 256, 0)))));
    assert_eq!(p.sim.state(), TcpState::Established);
    assert!(p.sim.assured());
    p.assert_no_invalid();
}

#[test]
fn conntrack_synack_old() {
    // A SYN/ACK for an older incarnation is INVALID; the right one, whose sequence number is
    // below the old one's, is accepted.
    let mut p = Drill::client();
    p.at_ms(100);
    let syn = syn_opts(seg(SYN, l(0), 0, 65535, 0), Some(8), true);
    p.outbound(syn);
    let old = syn_opts(
        seg(SYN | ACK, 145824453, l(643160523), 240, 0),
        Some(0),
        false,
    );
    assert!(matches!(
        p.inbound(old),
        Decision::Invalid {
            note: Some(Note::AckOver(_)),
            ..
        }
    ));
    p.at_ms(910);
    assert_eq!(p.outbound(syn), Decision::ignore(None));
    assert_eq!(p.sim.state(), TcpState::SynSent);
    assert!(p.sim.unreplied());
    let right = syn_opts(seg(SYN | ACK, 145758918, l(1), 250, 0), Some(0), false);
    assert!(accepted(p.inbound(right)));
    assert_eq!(p.sim.state(), TcpState::SynRecv);
    // write(3, ..., 1): the data acknowledges the SYN/ACK.
    assert!(accepted(p.outbound(plain(seg(
        ACK | PSH,
        l(1),
        145758919,
        256,
        1
    )))));
    assert_eq!(p.sim.state(), TcpState::Established);
    assert!(p.sim.assured());
    assert_eq!(p.sim.invalid, [0, 1]);
}

#[test]
fn conntrack_synack_reuse() {
    // A new SYN on an open connection passes, its challenge ACK too; the reset that follows
    // closes, and the SYN sent again opens a new connection.
    let mut p = Drill::server();
    let syn = syn_opts(seg(SYN, 0, 0, 32792, 0), Some(7), false);
    p.inbound(syn);
    p.outbound(syn_opts(seg(SYN | ACK, l(0), 1, 65535, 0), Some(8), false));
    p.at_ms(10);
    assert!(accepted(p.inbound(plain(seg(ACK, 1, l(1), 257, 0)))));
    assert!(accepted(p.inbound(plain(seg(
        ACK | PSH,
        1,
        l(1),
        257,
        100
    )))));
    p.at_ms(1);
    assert!(accepted(p.outbound(plain(seg(ACK, l(1), 101, 256, 0)))));
    p.at_ms(989);
    let again = syn_opts(seg(SYN, 2000, 0, 32792, 0), Some(7), false);
    assert!(matches!(p.inbound(again), Decision::Ignore { .. }));
    assert_eq!(p.sim.state(), TcpState::Established);
    // The challenge ACK.
    assert!(accepted(p.outbound(plain(seg(ACK, l(1), 101, 256, 0)))));
    assert!(accepted(p.inbound(seg(RST | ACK, 101, l(1), 257, 0))));
    assert_eq!(p.sim.state(), TcpState::Close);
    p.at_ms(500);
    let retry = syn_opts(seg(SYN, 2000, 0, 32792, 0), Some(0), false);
    assert_eq!(p.inbound(retry), Decision::Reopen);
    // The listener answers it.
    let k = 0x1234_5678;
    assert!(accepted(p.outbound(syn_opts(
        seg(SYN | ACK, k, 2001, 65535, 0),
        Some(8),
        false
    ))));
    assert_eq!(p.sim.state(), TcpState::SynRecv);
    p.assert_no_invalid();
}
