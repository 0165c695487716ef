// SPDX-License-Identifier: GPL-2.0

//! TCP, followed by its flags alone: the handshake, the closing exchange of FINs, resets, and a
//! new SYN reopening a closed connection. Sequence numbers and windows are not checked.

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
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
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
    /// Both sides have sent their FIN; the last ACK is due.
    LastAck = 6,
    /// Closed in order; lingering for late packets.
    TimeWait = 7,
    /// Closed by a reset.
    Close = 8,
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
            TcpState::LastAck => "LAST_ACK",
            TcpState::TimeWait => "TIME_WAIT",
            TcpState::Close => "CLOSE",
        }
    }

    fn timeout(self, t: &Timeouts) -> &AtomicI32 {
        match self {
            TcpState::None | TcpState::SynSent => &t.tcp_syn_sent,
            TcpState::SynRecv => &t.tcp_syn_recv,
            TcpState::Established => &t.tcp_established,
            TcpState::FinWait => &t.tcp_fin_wait,
            TcpState::LastAck => &t.tcp_last_ack,
            TcpState::TimeWait => &t.tcp_time_wait,
            TcpState::Close => &t.tcp_close,
        }
    }
}

/// The bit of `tcp_fin` for a direction.
fn fin_bit(dir: Dir) -> u8 {
    1 << dir.index()
}

#[inline]
pub(super) fn packet(seen: &Seen, state: &mut ProtoState, t: &Timeouts) -> Decision {
    use flags::*;
    let f = seen.tcp_flags;
    let (syn, ack, fin, rst) = (f & SYN != 0, f & ACK != 0, f & FIN != 0, f & RST != 0);
    let old = state.tcp;
    // A new SYN on a connection that has closed opens a new one in its place.
    if matches!(old, TcpState::TimeWait | TcpState::Close)
        && syn
        && !ack
        && seen.dir == Dir::Original
    {
        return Decision::Reopen;
    }
    let new = if rst {
        TcpState::Close
    } else {
        match (old, seen.dir) {
            (TcpState::None, _) if syn && !ack => TcpState::SynSent,
            // Picked up in the middle, as nf_conntrack does by default.
            (TcpState::None, _) => TcpState::Established,
            (TcpState::SynSent, Dir::Reply) if syn && ack => TcpState::SynRecv,
            (TcpState::SynSent, Dir::Reply) => TcpState::Established,
            (TcpState::SynRecv, Dir::Original) if ack && !syn => TcpState::Established,
            (TcpState::Established, dir) if fin => {
                state.tcp_fin |= fin_bit(dir);
                TcpState::FinWait
            }
            (TcpState::FinWait, dir) if fin && state.tcp_fin & fin_bit(dir) == 0 => {
                state.tcp_fin |= fin_bit(dir);
                TcpState::LastAck
            }
            // The ACK of the last FIN, from the side that closed first.
            (TcpState::LastAck, dir) if ack && !fin && state.tcp_fin & fin_bit(dir) != 0 => {
                TcpState::TimeWait
            }
            (s, _) => s,
        }
    };
    state.tcp = new;
    // Assured once open with both sides heard from, as nf_conntrack.
    let replied = seen.status & bits::SEEN_REPLY != 0 || seen.dir == Dir::Reply;
    let assure = new == TcpState::Established
        && seen.status & bits::ASSURED == 0
        && (old == TcpState::SynRecv || replied);
    Decision::Accept {
        timeout: seen.secs(new.timeout(t)),
        assure,
    }
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
        assert_eq!(st.tcp, TcpState::FinWait);
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
        let d = step(&mut st, &t, Dir::Original, 0, flags::ACK);
        assert_eq!(
            (st.tcp, d),
            (
                TcpState::Established,
                Decision::Accept {
                    timeout: 432000 * HZ,
                    assure: false
                }
            )
        );
        let d = step(&mut st, &t, Dir::Reply, bits::CONFIRMED, flags::ACK);
        assert_eq!(
            d,
            Decision::Accept {
                timeout: 432000 * HZ,
                assure: true
            }
        );
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
