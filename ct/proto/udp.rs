// SPDX-License-Identifier: GPL-2.0

//! UDP: a flow that has seen a reply and is still active two seconds after it started is a
//! stream, which is assured and lives longer.

use super::{Decision, ProtoState, Seen, Timeouts};
use crate::ct::status::bits;

/// How long after its first packet a replied flow becomes a stream, in seconds.
const STREAM_AFTER: u32 = 2;

#[inline]
pub(super) fn packet(seen: &Seen, state: &mut ProtoState, t: &Timeouts) -> Decision {
    if !seen.confirmed {
        state.udp_stream_after = seen.now.wrapping_add(STREAM_AFTER * seen.hz);
    }
    if seen.status & bits::SEEN_REPLY == 0 {
        return Decision::refresh(seen.secs(&t.udp));
    }
    if (seen.now.wrapping_sub(state.udp_stream_after) as i32) > 0 {
        Decision::Accept {
            timeout: seen.secs(&t.udp_stream),
            assure: seen.status & bits::ASSURED == 0,
        }
    } else {
        Decision::refresh(seen.secs(&t.udp))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{seen, HZ};
    use super::super::track;
    use super::*;
    use crate::ct::status::Dir;
    use crate::ct::tuple::ipproto::UDP;

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
        assert_eq!(st.udp_stream_after, 1000 + 2 * HZ);
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
