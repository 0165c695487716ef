// SPDX-License-Identifier: GPL-2.0

//! TCP, reduced to two lifetimes: connections wait as `SYN_SENT` until both sides have spoken,
//! then live as `ESTABLISHED` and become assured once the opener speaks again.

use super::{Decision, ProtoState, Seen, Timeouts};
use crate::ct::status::{bits, Dir};

/// TCP connection states, numbered and named as nf_conntrack's.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
#[repr(u8)]
pub(crate) enum TcpState {
    /// Nothing seen yet.
    #[default]
    None = 0,
    /// Only the opener has spoken.
    SynSent = 1,
    /// Both sides have spoken.
    Established = 3,
    /// Closed by a reset.
    Close = 8,
}

impl TcpState {
    /// The name `/proc/net/nf_conntrack` prints.
    pub(crate) fn name(self) -> &'static str {
        match self {
            TcpState::None => "NONE",
            TcpState::SynSent => "SYN_SENT",
            TcpState::Established => "ESTABLISHED",
            TcpState::Close => "CLOSE",
        }
    }
}

pub(super) fn packet(seen: &Seen, state: &mut ProtoState, t: &Timeouts) -> Decision {
    if state.tcp == TcpState::Close {
        return Decision::refresh(seen.secs(&t.tcp_close));
    }
    let replied = seen.status & bits::SEEN_REPLY != 0 || seen.dir == Dir::Reply;
    if !replied {
        state.tcp = TcpState::SynSent;
        return Decision::refresh(seen.secs(&t.tcp_syn_sent));
    }
    state.tcp = TcpState::Established;
    let assure = seen.dir == Dir::Original && seen.status & bits::ASSURED == 0;
    Decision::Accept {
        timeout: seen.secs(&t.tcp_established),
        assure,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{seen, HZ};
    use super::super::track;
    use super::*;
    use crate::ct::tuple::ipproto::TCP;

    #[test]
    fn handshake_establishes_and_assures() {
        let t = Timeouts::new();
        let mut st = ProtoState::default();
        let d = track(&seen(TCP, Dir::Original, false, 0, 0), &mut st, &t);
        assert_eq!(
            (d, st.tcp),
            (
                Decision::Accept {
                    timeout: 120 * HZ,
                    assure: false
                },
                TcpState::SynSent
            )
        );
        let d = track(
            &seen(TCP, Dir::Reply, true, bits::CONFIRMED, 1),
            &mut st,
            &t,
        );
        assert_eq!(
            (d, st.tcp),
            (
                Decision::Accept {
                    timeout: 432000 * HZ,
                    assure: false
                },
                TcpState::Established
            )
        );
        let s = bits::CONFIRMED | bits::SEEN_REPLY;
        let d = track(&seen(TCP, Dir::Original, true, s, 2), &mut st, &t);
        assert_eq!(
            d,
            Decision::Accept {
                timeout: 432000 * HZ,
                assure: true
            }
        );
        assert_eq!(st.tcp.name(), "ESTABLISHED");
    }
}
