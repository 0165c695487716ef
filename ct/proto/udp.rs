// SPDX-License-Identifier: GPL-2.0

//! UDP: a flow that has seen a reply and is still active two seconds after it started is a
//! stream, which is assured and lives longer. UDP-Lite, with UDP's timeouts, is a stream as soon
//! as it is replied to, as in nf_conntrack.

use super::{Decision, ProtoState, Seen, Timeouts};
use crate::ct::status::bits;

/// How long after its first packet a replied flow becomes a stream, in seconds.
const STREAM_AFTER: u32 = 2;

#[inline]
pub(super) fn packet(seen: &Seen, state: &mut ProtoState, t: &Timeouts) -> Decision {
    if !seen.confirmed {
        state.word = seen.now.wrapping_add(STREAM_AFTER * seen.hz);
    }
    if seen.status & bits::SEEN_REPLY == 0 {
        return Decision::refresh(seen.secs(&t.udp));
    }
    if (seen.now.wrapping_sub(state.word) as i32) > 0 {
        Decision::Accept {
            timeout: seen.secs(&t.udp_stream),
            assure: seen.status & bits::ASSURED == 0,
        }
    } else {
        Decision::refresh(seen.secs(&t.udp))
    }
}

#[inline]
pub(super) fn lite_packet(seen: &Seen, t: &Timeouts) -> Decision {
    if seen.status & bits::SEEN_REPLY == 0 {
        return Decision::refresh(seen.secs(&t.udp));
    }
    Decision::Accept {
        timeout: seen.secs(&t.udp_stream),
        assure: seen.status & bits::ASSURED == 0,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{seen, HZ};
    use super::super::{track as track_with, TcpWindow};
    use super::*;
    use crate::ct::status::Dir;
    use crate::ct::tuple::ipproto::{UDP, UDPLITE};

    fn track(seen: &Seen, st: &mut ProtoState, t: &Timeouts) -> Decision {
        track_with(seen, st, &mut TcpWindow::default(), t)
    }

    #[test]
    fn udplite_is_a_stream_once_replied() {
        let t = Timeouts::new();
        let mut st = ProtoState::default();
        let d = track(&seen(UDPLITE, Dir::Original, false, 0, 1000), &mut st, &t);
        assert_eq!(d, Decision::refresh(30 * HZ));
        // The reply itself still sees no SEEN_REPLY.
        let c = bits::CONFIRMED;
        let d = track(&seen(UDPLITE, Dir::Reply, true, c, 1001), &mut st, &t);
        assert_eq!(d, Decision::refresh(30 * HZ));
        let r = c | bits::SEEN_REPLY;
        let d = track(&seen(UDPLITE, Dir::Original, true, r, 1002), &mut st, &t);
        assert_eq!(
            d,
            Decision::Accept {
                timeout: 120 * HZ,
                assure: true
            }
        );
        let d = track(
            &seen(UDPLITE, Dir::Reply, true, r | bits::ASSURED, 1003),
            &mut st,
            &t,
        );
        assert_eq!(
            d,
            Decision::Accept {
                timeout: 120 * HZ,
                assure: false
            }
        );
        assert_eq!(super::super::name(UDPLITE), "udplite");
    }

    #[test]
    fn unreplied_flow_lives_thirty_seconds() {
        let t = Timeouts::new();
        let mut st = ProtoState::default();
        let d = track(&seen(UDP, Dir::Original, false, 0, 1000), &mut st, &t);
        assert_eq!(
            d,
            Decision::Accept {
                timeout: 30 * HZ,
                assure: false
            }
        );
        assert_eq!(st.word, 1000 + 2 * HZ);
    }

    #[test]
    fn quick_exchange_is_not_a_stream() {
        let t = Timeouts::new();
        let mut st = ProtoState::default();
        track(&seen(UDP, Dir::Original, false, 0, 1000), &mut st, &t);
        // The reply itself: SEEN_REPLY is set only after the tracker ran.
        let d = track(
            &seen(UDP, Dir::Reply, true, bits::CONFIRMED, 1010),
            &mut st,
            &t,
        );
        assert_eq!(
            d,
            Decision::Accept {
                timeout: 30 * HZ,
                assure: false
            }
        );
        // Another packet within two seconds: still not a stream.
        let s = bits::CONFIRMED | bits::SEEN_REPLY;
        let d = track(
            &seen(UDP, Dir::Original, true, s, 1000 + 2 * HZ),
            &mut st,
            &t,
        );
        assert_eq!(
            d,
            Decision::Accept {
                timeout: 30 * HZ,
                assure: false
            }
        );
    }

    #[test]
    fn replied_flow_after_two_seconds_is_an_assured_stream() {
        let t = Timeouts::new();
        let mut st = ProtoState::default();
        track(
            &seen(UDP, Dir::Original, false, 0, u32::MAX - 10),
            &mut st,
            &t,
        );
        let s = bits::CONFIRMED | bits::SEEN_REPLY;
        let later = (u32::MAX - 10).wrapping_add(2 * HZ + 1);
        let d = track(&seen(UDP, Dir::Reply, true, s, later), &mut st, &t);
        assert_eq!(
            d,
            Decision::Accept {
                timeout: 120 * HZ,
                assure: true
            }
        );
        let d = track(
            &seen(UDP, Dir::Reply, true, s | bits::ASSURED, later),
            &mut st,
            &t,
        );
        assert_eq!(
            d,
            Decision::Accept {
                timeout: 120 * HZ,
                assure: false
            }
        );
    }
}
