// SPDX-License-Identifier: GPL-2.0

//! The packet path on real skbs: the state each packet gets, and two packets racing to create
//! one connection.
//!
//! As the table suite, in the initial namespace with 198.51.100.0/24 (TEST-NET-2) addresses.

use crate::ct::conn::Conn;
use crate::ct::format::Stats;
use crate::ct::netns::CtNet;
use crate::ct::pipeline::confirm;
use crate::ct::status::{bits, CtInfo};
use crate::ct::sys::kunit::{check, check_eq, kunit_suite};
use crate::ct::sys::net::Net;
use crate::ct::sys::netfilter::{Hook, Verdict};
use crate::ct::sys::skb::OwnedSkb;
use crate::ct::sys::sync::RcuGuard;
use crate::ct::tuple::{ipproto, L3};
use core::mem::offset_of;

fn ct() -> &'static CtNet {
    // SAFETY: The module is loaded: its state is set up in every namespace.
    unsafe { Net::init().state::<CtNet>() }.expect("the initial namespace is tracked")
}

/// An IPv4 packet of protocol `proto` from 198.51.100.`src` to 198.51.100.`dst`, with ports.
fn packet(proto: u8, src: u8, dst: u8, sport: u16, dport: u16) -> Option<OwnedSkb> {
    let mut p = [0u8; 40];
    p[0] = 0x45;
    p[2..4].copy_from_slice(&40u16.to_be_bytes());
    p[8] = 64;
    p[9] = proto;
    p[12..16].copy_from_slice(&[198, 51, 100, src]);
    p[16..20].copy_from_slice(&[198, 51, 100, dst]);
    p[20..22].copy_from_slice(&sport.to_be_bytes());
    p[22..24].copy_from_slice(&dport.to_be_bytes());
    match proto {
        ipproto::UDP => p[24..26].copy_from_slice(&20u16.to_be_bytes()),
        // A bare ACK with a five-word header.
        _ => {
            p[32] = 5 << 4;
            p[33] = 0x10;
        }
    }
    OwnedSkb::new(&p)
}

/// Tracks `skb` as leaving this host; returns the verdict.
fn track(skb: &mut OwnedSkb) -> Verdict {
    let rcu = RcuGuard::new();
    ct().track(L3::Ipv4, Hook::LocalOut, skb.skb(), &rcu)
}

fn stat(field: usize) -> u32 {
    ct().stats
        .each()
        .map(|s| {
            // SAFETY: `field` is the offset of a `u32` in `Stats`, which has no padding.
            unsafe { *(&raw const s).cast::<u8>().add(field).cast::<u32>() }
        })
        .fold(0, u32::wrapping_add)
}

kunit_suite!("rust_conntrack_packet", t => {
    fn packets_get_their_state_in_the_connection() {
        let (Some(mut out), Some(mut back), Some(mut again)) = (
            packet(ipproto::UDP, 1, 2, 1000, 53),
            packet(ipproto::UDP, 2, 1, 53, 1000),
            packet(ipproto::UDP, 1, 2, 1000, 53),
        ) else {
            return check!(t, false);
        };
        check_eq!(t, track(&mut out), Verdict::Accept);
        let first = Conn::of_skb(out.skb()).map(|(c, i)| (c.as_nfct(), i));
        check_eq!(t, first.map(|f| f.1), Some(CtInfo::New));
        check_eq!(t, confirm(out.skb(), Some(ct())), Verdict::Accept);
        track(&mut back);
        let reply = Conn::of_skb(back.skb()).map(|(c, i)| (c.as_nfct(), i, c.status()));
        check_eq!(t, reply.map(|r| r.1), Some(CtInfo::EstablishedReply));
        check_eq!(t, reply.map(|r| r.0), first.map(|f| f.0));
        check!(t, reply.is_some_and(|r| r.2 & bits::SEEN_REPLY != 0));
        track(&mut again);
        check_eq!(t, Conn::of_skb(again.skb()).map(|(_, i)| i), Some(CtInfo::Established));
        if let Some((c, _)) = Conn::of_skb(out.skb()) {
            ct().table.kill(c);
        }
    }

    fn racing_udp_packets_join_the_first_connection() {
        let (Some(mut a), Some(mut b)) = (packet(ipproto::UDP, 3, 4, 1000, 53), packet(ipproto::UDP, 3, 4, 1000, 53))
        else {
            return check!(t, false);
        };
        // Both miss the table before either is confirmed.
        track(&mut a);
        track(&mut b);
        let (ca, cb) = match (Conn::of_skb(a.skb()), Conn::of_skb(b.skb())) {
            (Some((x, _)), Some((y, _))) => (x.as_nfct(), y.as_nfct()),
            _ => return check!(t, false),
        };
        check!(t, ca != cb);
        let resolved = stat(offset_of!(Stats, clash_resolve));
        check_eq!(t, confirm(a.skb(), Some(ct())), Verdict::Accept);
        check_eq!(t, confirm(b.skb(), Some(ct())), Verdict::Accept);
        check_eq!(t, Conn::of_skb(b.skb()).map(|(c, _)| c.as_nfct()), Some(ca));
        check_eq!(t, stat(offset_of!(Stats, clash_resolve)), resolved.wrapping_add(1));
        if let Some((c, _)) = Conn::of_skb(a.skb()) {
            ct().table.kill(c);
        }
    }

    fn racing_tcp_packets_drop_the_second() {
        let (Some(mut a), Some(mut b)) = (packet(ipproto::TCP, 5, 6, 1000, 80), packet(ipproto::TCP, 5, 6, 1000, 80))
        else {
            return check!(t, false);
        };
        track(&mut a);
        track(&mut b);
        let failed = stat(offset_of!(Stats, insert_failed));
        check_eq!(t, confirm(a.skb(), Some(ct())), Verdict::Accept);
        check_eq!(t, confirm(b.skb(), Some(ct())), Verdict::Drop);
        check_eq!(t, stat(offset_of!(Stats, insert_failed)), failed.wrapping_add(1));
        if let Some((c, _)) = Conn::of_skb(a.skb()) {
            ct().table.kill(c);
        }
    }

    fn packets_already_carrying_a_state_are_left_alone() {
        let Some(mut p) = packet(ipproto::UDP, 7, 8, 1000, 53) else { return check!(t, false) };
        p.skb().set_nfct(CtInfo::Untracked as usize);
        let count = ct().count.load(core::sync::atomic::Ordering::Relaxed);
        check_eq!(t, track(&mut p), Verdict::Accept);
        check_eq!(t, p.skb().nfct(), CtInfo::Untracked as usize);
        check_eq!(t, ct().count.load(core::sync::atomic::Ordering::Relaxed), count);
    }

    fn a_packet_dropped_before_confirmation_leaves_nothing() {
        let count = ct().count.load(core::sync::atomic::Ordering::Relaxed);
        {
            let Some(mut p) = packet(ipproto::UDP, 9, 10, 1000, 53) else { return check!(t, false) };
            track(&mut p);
            check_eq!(t, ct().count.load(core::sync::atomic::Ordering::Relaxed), count + 1);
        }
        check_eq!(t, ct().count.load(core::sync::atomic::Ordering::Relaxed), count);
    }
});
