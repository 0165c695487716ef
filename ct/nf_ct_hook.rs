// SPDX-License-Identifier: GPL-2.0

//! This module as the kernel's connection tracker: what core networking code asks of it
//! through `nf_ct_hook` about packets that carry a connection.

use super::conn::Conn;
use super::packet::{parse, Parsed};
use super::pipeline;
use super::proto::TcpState;
use super::state::CtNet;
use super::status::{bits, CtInfo, Dir};
use super::sys::ct_hook::CtHook;
use super::sys::net::Net;
use super::sys::netfilter::{Hook, Verdict};
use super::sys::skb::Skb;
use super::sys::sync::Rcu;
use super::sys::time::{self, HZ};
use super::tuple::{ipproto, Tuple, L3};
use super::zone::Zone;
use core::ptr::NonNull;
use core::sync::atomic::Ordering::Relaxed;

/// The callbacks.
pub(crate) struct Provider;

impl CtHook for Provider {
    type Conn = Conn;

    unsafe fn destroy(conn: NonNull<Conn>) {
        // SAFETY: Its count has dropped to zero (the function's safety requirements).
        unsafe { Conn::destroy(conn) };
    }

    fn attach(new: &mut Skb, old: &Skb) {
        // The answer goes the other way. As nf_conntrack, the state values from
        // `EstablishedReply` on count as replies, `Untracked` among them.
        let ctinfo = if old.nfct() & CtInfo::MASK >= CtInfo::EstablishedReply as usize {
            CtInfo::Related
        } else {
            CtInfo::RelatedReply
        };
        match Conn::of_skb(old).and_then(|(conn, _)| conn.try_get()) {
            Some(conn) => Conn::attach(new, conn, ctinfo),
            // An untracked packet: the answer is related to nothing.
            None => new.set_nfct(ctinfo as usize),
        }
    }

    fn tuple_of(skb: &Skb, rcu: &Rcu) -> Option<Tuple> {
        if let Some((conn, ctinfo)) = Conn::of_skb(skb) {
            return Some(conn.tuple(ctinfo.dir()));
        }
        // Untracked here: look the IPv4 packet up, and answer with the other direction.
        let ct = skb.dev_net()?.state::<CtNet>(rcu)?;
        let Ok(Parsed::Flow { tuple, .. }) =
            parse(&skb.network(Hook::PostRouting, L3::Ipv4), L3::Ipv4, false)
        else {
            return None;
        };
        let (conn, dir) = ct.find(&tuple, Zone::DEFAULT, time::now(), rcu)?;
        Some(conn.tuple(dir.other()))
    }

    fn set_closing(conn: &Conn) {
        // As nf_conntrack: a reset closes confirmed TCP connections only.
        if conn.status() & bits::CONFIRMED == 0 || conn.tuple(Dir::Original).proto() != ipproto::TCP
        {
            return;
        }
        let ct = conn.owner();
        let close = ct.timeouts.tcp_close.load(Relaxed).max(0) as u32 * HZ;
        conn.with_proto(|s, _| {
            if s.tcp != TcpState::Close {
                s.tcp = TcpState::Close;
                let now = time::now();
                let deadline = now.wrapping_add(close);
                conn.set_timeout(deadline);
                ct.expires_at(now, deadline);
            }
        });
    }

    fn confirm(skb: &mut Skb) -> Verdict {
        pipeline::confirm(skb)
    }

    fn update(_net: &Net, _skb: &mut Skb) -> Verdict {
        // No helpers and no NAT: a reinjected packet needs nothing redone.
        Verdict::Accept
    }
}
