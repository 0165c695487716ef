// SPDX-License-Identifier: GPL-2.0

//! Window tracking, case by case: scaling, wrap-around, SACK, retransmissions, zero windows,
//! liberal pickup, resets, and SYN and SYN/ACK starting a side over.

use super::super::super::tests::HZ;
use super::*;

const DAYS5: u32 = 432000 * HZ;
const MIN5: u32 = 300 * HZ;

fn accepted(d: Decision) -> bool {
    matches!(d, Decision::Accept { .. })
}

fn timeout(d: Decision) -> u32 {
    match d {
        Decision::Accept { timeout, .. } => timeout,
        other => panic!("not accepted: {other:?}"),
    }
}

/// An open connection: the opener at `a` with window scale `wa`, the answerer at `b` with
/// `wb`, both permitting SACK if `sack`. Returns the next sequence numbers of both.
fn open(sim: &mut Sim, a: u32, b: u32, wa: Option<u8>, wb: Option<u8>, sack: bool) -> [u32; 2] {
    let (a1, b1) = (a.wrapping_add(1), b.wrapping_add(1));
    assert!(accepted(sim.send(
        Dir::Original,
        syn_opts(seg(SYN, a, 0, 1000, 0), wa, sack)
    )));
    assert!(accepted(sim.send(
        Dir::Reply,
        syn_opts(seg(SYN | ACK, b, a1, 1000, 0), wb, sack)
    )));
    assert!(accepted(sim.send(Dir::Original, seg(ACK, a1, b1, 1000, 0))));
    assert!(accepted(sim.send(Dir::Reply, seg(ACK, b1, a1, 1000, 0))));
    assert!(sim.assured());
    [a1, b1]
}

#[test]
fn windows_scale_only_when_both_sides_ask() {
    // Both scale: the answerer's window of 1000 is 8000 bytes.
    let mut sim = Sim::new();
    let [a, _] = open(&mut sim, 100, 5000, Some(2), Some(3), false);
    let w = sim.conn().win;
    assert_eq!(w.flags[0].scale(), 2);
    assert_eq!(w.flags[1].scale(), 3);
    assert_eq!(w.sender[0].max_end, a + 8000);
    assert!(accepted(
        sim.send(Dir::Original, seg(ACK, a, 5001, 1000, 8000))
    ));
    // Past what the receiver could ever take.
    let d = sim.send(Dir::Original, seg(ACK, 1_000_000, 5001, 1000, 10));
    assert_eq!(d, Decision::invalid(Note::SeqOver(a + 8000 + 1)));

    // The answer does not scale: neither side does.
    let mut sim = Sim::new();
    let [a, _] = open(&mut sim, 100, 5000, Some(2), None, false);
    let w = sim.conn().win;
    assert_eq!((w.flags[0].scale(), w.flags[1].scale()), (0, 0));
    assert!(w.flags[0].window_scaled());
    assert_eq!(w.sender[0].max_end, a + 1000);
    // Data starting at 5000 would fit the scaled window, not this one: invalid.
    let d = sim.send(Dir::Original, seg(ACK, a + 5000, 5001, 1000, 10));
    assert_eq!(d, Decision::invalid(Note::SeqOver(a + 1000 + 1)));
    // Data starting just past the window: ignored, and counted as sent for the peer to
    // acknowledge.
    let d = sim.send(Dir::Original, seg(ACK, a + 1001, 5001, 1000, 8));
    assert_eq!(d, Decision::ignore(Some(Note::Overshot(10))));
    assert_eq!(sim.conn().win.sender[0].end, a + 1009);
    assert!(accepted(
        sim.send(Dir::Reply, seg(ACK, 5001, a + 1009, 1000, 0))
    ));
}

#[test]
fn sequence_numbers_wrap_at_2_pow_32() {
    let mut sim = Sim::new();
    let isn = u32::MAX - 4000;
    let [mut a, b] = open(&mut sim, isn, u32::MAX, None, None, false);
    assert_eq!(b, 0);
    for _ in 0..100 {
        assert!(accepted(
            sim.send(Dir::Original, seg(ACK, a, b, 1000, 1000))
        ));
        a = a.wrapping_add(1000);
        assert!(accepted(sim.send(Dir::Reply, seg(ACK, b, a, 1000, 0))));
    }
    assert!(a < isn);
    // Data acknowledged before the wrap, sent again: ignored.
    let d = sim.send(Dir::Original, seg(ACK, isn.wrapping_add(1), b, 1000, 1000));
    assert!(matches!(
        d,
        Decision::Ignore {
            note: Some(Note::SeqUnder(_))
        }
    ));
    // Acknowledging data not sent yet: invalid.
    let d = sim.send(Dir::Reply, seg(ACK, b, a.wrapping_add(1), 1000, 0));
    assert_eq!(d, Decision::invalid(Note::AckOver(a.wrapping_add(1))));
    // An acknowledgment from far behind: ignored.
    let d = sim.send(Dir::Reply, seg(ACK, b, a.wrapping_sub(70000), 1000, 0));
    assert!(matches!(
        d,
        Decision::Ignore {
            note: Some(Note::AckUnder(_))
        }
    ));
}

#[test]
fn sack_blocks_count_as_acknowledged() {
    for sack in [true, false] {
        let mut sim = Sim::new();
        let [a, b] = open(&mut sim, 100, 5000, None, None, sack);
        for i in 0..3 {
            assert!(accepted(
                sim.send(Dir::Original, seg(ACK, a + 300 * i, b, 1000, 300))
            ));
        }
        // The second segment is lost: the answer acknowledges the first and SACKs the third.
        let mut s = seg(ACK, b, a + 300, 1000, 0);
        s.sack = a + 900;
        assert!(accepted(sim.send(Dir::Reply, s)));
        let max_end = sim.conn().win.sender[0].max_end;
        let expected = if sack { a + 900 + 1000 } else { a + 300 + 1000 };
        assert_eq!(max_end, expected);
        // A SACK block past what was sent counts only when SACK is permitted.
        s.sack = a + 910;
        let d = sim.send(Dir::Reply, s);
        if sack {
            assert_eq!(d, Decision::invalid(Note::AckOver(a + 901)));
        } else {
            assert!(accepted(d));
        }
    }
}

#[test]
fn retransmissions_up_to_and_over_max_retrans() {
    let mut sim = Sim::new();
    let [a, b] = open(&mut sim, 100, 5000, None, None, false);
    let dup = seg(ACK, b, a, 999, 0);
    // The first copy, then three more: from the third repetition on, the shorter timeout.
    let timeouts: std::vec::Vec<u32> = (0..6).map(|_| timeout(sim.send(Dir::Reply, dup))).collect();
    assert_eq!(timeouts, [DAYS5, DAYS5, DAYS5, MIN5, MIN5, MIN5]);
    assert_eq!(sim.conn().state.tcp_retrans, 5);
    // Another segment starts the count again.
    assert_eq!(
        timeout(sim.send(Dir::Original, seg(ACK, a, b, 1000, 0))),
        DAYS5
    );
    assert_eq!(sim.conn().state.tcp_retrans, 0);
    // The knobs: a lower limit, and the timeout itself.
    sim.t.tcp_max_retrans.store(1, Relaxed);
    sim.t.tcp_retrans.store(77, Relaxed);
    assert_eq!(
        timeout(sim.send(Dir::Original, seg(ACK, a, b, 1000, 0))),
        77 * HZ
    );
}

#[test]
fn zero_windows() {
    let mut sim = Sim::new();
    let [a, b] = open(&mut sim, 100, 5000, None, None, false);
    // The answerer's window closes: the connection lives the retransmission timeout.
    assert_eq!(timeout(sim.send(Dir::Reply, seg(ACK, b, a, 0, 0))), MIN5);
    // What was allowed before stays allowed; the data is unacknowledged.
    assert_eq!(sim.conn().win.sender[0].max_end, a + 1000);
    assert_eq!(
        timeout(sim.send(Dir::Original, seg(ACK, a, b, 1000, 1))),
        MIN5
    );
    // The window opens and the data is acknowledged.
    assert_eq!(timeout(sim.send(Dir::Reply, seg(ACK, b, a, 1000, 0))), MIN5);
    assert_eq!(
        timeout(sim.send(Dir::Reply, seg(ACK, b, a + 1, 1000, 0))),
        DAYS5
    );

    // A window closed from the start lets a probe of one byte through, no more.
    let mut sim = Sim::new();
    sim.send(Dir::Original, seg(SYN, 100, 0, 1000, 0));
    sim.send(Dir::Reply, seg(SYN | ACK, 5000, 101, 0, 0));
    sim.send(Dir::Original, seg(ACK, 101, 5001, 1000, 0));
    assert_eq!(sim.conn().win.sender[0].max_end, 102);
    assert!(accepted(
        sim.send(Dir::Original, seg(ACK, 101, 5001, 1000, 1))
    ));
    let d = sim.send(Dir::Original, seg(ACK, 103, 5001, 1000, 10));
    assert_eq!(d, Decision::invalid(Note::SeqOver(103)));
}

#[test]
fn picked_up_connections_are_liberal() {
    let mut sim = Sim::new();
    assert!(accepted(
        sim.send(Dir::Original, seg(ACK, 1000, 50000, 500, 100))
    ));
    let f = sim.conn().win.flags;
    assert!(f
        .iter()
        .all(|f| f.has(SenderFlags::LIBERAL | SenderFlags::SACK_PERM)));
    assert!(accepted(
        sim.send(Dir::Reply, seg(ACK, 50000, 1100, 500, 0))
    ));
    // Anything goes from either side.
    assert!(accepted(
        sim.send(Dir::Original, seg(ACK, 3_000_000_000, 7, 500, 10))
    ));
    assert!(accepted(
        sim.send(Dir::Reply, seg(ACK, 9, 3_000_000_000, 500, 10))
    ));
}

#[test]
fn be_liberal_lets_out_of_window_segments_through() {
    let mut sim = Sim::new();
    let [a, b] = open(&mut sim, 100, 5000, None, None, false);
    sim.t.tcp_be_liberal.store(1, Relaxed);
    assert!(accepted(
        sim.send(Dir::Original, seg(ACK, a + 100_000, b, 1000, 10))
    ));
    // Resets below what the peer acknowledged stay invalid.
    assert_eq!(
        sim.send(Dir::Original, seg(RST, a - 10, 0, 0, 0)),
        Decision::invalid(Note::InvalidRst)
    );
}

#[test]
fn resets_must_be_exact() {
    let fresh = || {
        let mut sim = Sim::new();
        let next = open(&mut sim, 100, 5000, None, None, false);
        (sim, next)
    };
    // Exact: closes.
    let (mut sim, [a, b]) = fresh();
    assert_eq!(timeout(sim.send(Dir::Reply, seg(RST, b, 0, 0, 0))), 10 * HZ);
    assert_eq!(sim.state(), TcpState::Close);
    // In the window but inexact: passes, the connection stays open for the challenge ACK and
    // lives the unacknowledged timeout.
    let (mut sim, _) = fresh();
    assert_eq!(
        timeout(sim.send(Dir::Reply, seg(RST, b + 10, 0, 0, 0))),
        MIN5
    );
    assert_eq!(sim.state(), TcpState::Established);
    // Below what the peer acknowledged: invalid, unless invalid resets are to be let through.
    let (mut sim, _) = fresh();
    assert_eq!(
        sim.send(Dir::Reply, seg(RST, b - 1, 0, 0, 0)),
        Decision::invalid(Note::InvalidRst)
    );
    sim.t.tcp_ignore_invalid_rst.store(1, Relaxed);
    assert_eq!(
        timeout(sim.send(Dir::Reply, seg(RST, b - 1, 0, 0, 0))),
        MIN5
    );
    assert_eq!(sim.state(), TcpState::Established);
    // Out of the window: invalid, the state unchanged.
    let (mut sim, _) = fresh();
    let before = *sim.conn();
    let d = sim.send(Dir::Reply, seg(RST, b + 5000, 0, 0, 0));
    assert_eq!(d, Decision::invalid(Note::SeqOver(b + 1000 + 1)));
    assert_eq!(sim.state(), TcpState::Established);
    assert_eq!(sim.conn().win, before.win);
    // At the end of a train of data from the same side: closes.
    let (mut sim, _) = fresh();
    assert!(accepted(
        sim.send(Dir::Reply, seg(ACK | PSH, b, a, 1000, 19))
    ));
    assert!(accepted(sim.send(Dir::Reply, seg(RST, b + 19, 0, 0, 0))));
    assert_eq!(sim.state(), TcpState::Close);
    // A reset of sequence zero answering the SYN: the connection never opened.
    let mut sim = Sim::new();
    sim.send(Dir::Original, seg(SYN, 100, 0, 1000, 0));
    assert_eq!(
        sim.send(Dir::Reply, seg(RST | ACK, 0, 101, 0, 0)),
        Decision::Close
    );
    assert!(sim.conn.is_none());
}

#[test]
fn invalid_segments_leave_the_state_alone() {
    let mut sim = Sim::new();
    let [a, b] = open(&mut sim, 100, 5000, None, None, false);
    sim.wait(HZ);
    let before = *sim.conn();
    for s in [
        seg(ACK, a + 50_000, b, 1000, 10),
        seg(ACK, a, b + 10, 1000, 0),
        seg(SYN | ACK, a, b, 1000, 0),
        seg(ACK | PSH, a + 1_000_000, b, 1000, 10),
    ] {
        assert!(matches!(
            sim.send(Dir::Original, s),
            Decision::Invalid { .. }
        ));
        assert_eq!(*sim.conn(), before);
    }
}

#[test]
fn out_of_window_fin_and_reset_cut_an_assured_connection_short() {
    let mut sim = Sim::new();
    let [a, b] = open(&mut sim, 100, 5000, None, None, false);
    // A FIN out of window is invalid; nf_conntrack notes it as the last segment.
    let d = sim.send(Dir::Original, seg(FIN | ACK, a + 50_000, b, 1000, 0));
    assert_eq!(
        d,
        Decision::Invalid {
            note: Some(Note::SeqOver(a + 1001)),
            lowered_timeout: None
        }
    );
    assert_eq!(sim.conn().state.last_kind(), Kind::Fin);
    // The peer's reset out of window: the two ends have lost each other.
    let d = sim.send(Dir::Reply, seg(RST, b + 50_000, 0, 0, 0));
    assert_eq!(
        d,
        Decision::Invalid {
            note: Some(Note::SeqOver(b + 1001)),
            lowered_timeout: Some(MIN5)
        }
    );
    assert_eq!(sim.left(), MIN5);
    // Not again once that short.
    let d = sim.send(Dir::Reply, seg(RST, b + 50_000, 0, 0, 0));
    assert!(matches!(
        d,
        Decision::Invalid {
            lowered_timeout: None,
            ..
        }
    ));
}

#[test]
fn syn_and_synack_start_a_side_over() {
    // A SYN/ACK for an older attempt leaves SYN_SENT; one with higher sequence numbers starts
    // the answerer's side over.
    let mut sim = Sim::new();
    sim.send(Dir::Original, seg(SYN, 100, 0, 1000, 0));
    let d = sim.send(Dir::Reply, seg(SYN | ACK, 5000, 1_000_000, 900, 0));
    assert!(matches!(d, Decision::Invalid { .. }));
    assert_eq!(sim.state(), TcpState::SynSent);
    assert_eq!(sim.conn().win.sender[1].end, 5001);
    assert!(accepted(sim.send(
        Dir::Reply,
        syn_opts(seg(SYN | ACK, 9000, 101, 800, 0), None, true)
    )));
    let w = sim.conn().win;
    assert_eq!((w.sender[1].end, w.sender[1].max_win), (9001, 800));
    assert!(w.flags[1].has(SenderFlags::SACK_PERM));
    assert_eq!(sim.state(), TcpState::SynRecv);

    // A SYN sent again with a higher sequence number starts the opener's side over.
    let mut sim = Sim::new();
    sim.send(
        Dir::Original,
        syn_opts(seg(SYN, 100, 0, 1000, 0), Some(5), false),
    );
    let d = sim.send(Dir::Original, seg(SYN, 7000, 0, 2000, 0));
    assert_eq!(d, Decision::ignore(None));
    let w = sim.conn().win;
    assert_eq!((w.sender[0].end, w.sender[0].max_win), (7001, 2000));
    // Without options, it keeps what the first SYN announced.
    assert_eq!(w.flags[0].scale(), 5);
}
