// SPDX-License-Identifier: GPL-2.0

//! ICMP and ICMPv6 queries: only a request opens a connection; every packet renews it.

use super::{Decision, Seen, Timeouts};
use crate::ct::tuple::{icmp, icmpv6, ipproto};

#[inline]
pub(super) fn packet(seen: &Seen, t: &Timeouts) -> Decision {
    let (opens, timeout) = if seen.proto == ipproto::ICMP {
        let opens = matches!(
            seen.orig_icmp_type,
            icmp::ECHO | icmp::TIMESTAMP | icmp::INFO_REQUEST | icmp::ADDRESS
        );
        (opens, &t.icmp)
    } else {
        (
            matches!(seen.orig_icmp_type, icmpv6::ECHO_REQUEST | icmpv6::NI_QUERY),
            &t.icmpv6,
        )
    };
    if !opens {
        return Decision::Invalid {
            note: None,
            lowered_timeout: None,
        };
    }
    Decision::refresh(seen.secs(timeout))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{seen, HZ};
    use super::super::{track as track_with, ProtoState, TcpWindow};
    use super::*;

    fn track(seen: &Seen, st: &mut ProtoState, t: &Timeouts) -> Decision {
        track_with(seen, st, &mut TcpWindow::default(), t)
    }
    use crate::ct::status::Dir;

    #[test]
    fn requests_open_and_replies_renew() {
        let t = Timeouts::new();
        let mut st = ProtoState::default();
        for (proto, ty) in [
            (ipproto::ICMP, 8),
            (ipproto::ICMP, 13),
            (ipproto::ICMPV6, 128),
            (ipproto::ICMPV6, 139),
        ] {
            let mut s = seen(proto, Dir::Original, false, 0, 0);
            s.orig_icmp_type = ty;
            assert_eq!(
                track(&s, &mut st, &t),
                Decision::Accept {
                    timeout: 30 * HZ,
                    assure: false
                }
            );
            s.dir = Dir::Reply;
            s.confirmed = true;
            assert_eq!(
                track(&s, &mut st, &t),
                Decision::Accept {
                    timeout: 30 * HZ,
                    assure: false
                }
            );
        }
    }

    #[test]
    fn a_lone_reply_is_invalid() {
        let t = Timeouts::new();
        for (proto, ty) in [
            (ipproto::ICMP, 0),
            (ipproto::ICMP, 14),
            (ipproto::ICMPV6, 129),
        ] {
            let mut s = seen(proto, Dir::Original, false, 0, 0);
            s.orig_icmp_type = ty;
            assert!(matches!(
                track(&s, &mut ProtoState::default(), &t),
                Decision::Invalid { note: None, .. }
            ));
        }
    }
}
