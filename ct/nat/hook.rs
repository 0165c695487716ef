// SPDX-License-Identifier: GPL-2.0

//! NAT's hook function (`nf_nat_inet_fn()` and its per-hook wrappers): binds a connection's
//! first packet to the translation the NAT chains choose, or to none, and rewrites every packet
//! of a translated connection.

use super::icmp::{icmp_offset, translate_icmp_error};
use super::netns::{list, NatNet};
use super::network::{nat_packet, packet_address, NatConn};
use super::range::NatRange;
use super::setup::setup;
use super::{needs_binding, ManipType, NatHook};
use crate::ct::conn::Conn;
use crate::ct::status::{CtInfo, Dir};
use crate::ct::sys::netfilter::{Hook, HookState, Verdict};
use crate::ct::sys::skb::{Skb, SkbWriter};
use crate::ct::tuple::{ipproto, Tuple, L3};

fn nat_hook(hook: Hook) -> Option<NatHook> {
    match hook {
        Hook::PreRouting => Some(NatHook::PreRouting),
        Hook::LocalIn => Some(NatHook::LocalIn),
        Hook::LocalOut => Some(NatHook::LocalOut),
        Hook::PostRouting => Some(NatHook::PostRouting),
        Hook::Forward => None,
    }
}

/// Whether the packet's connection has its translation of `manip` decided.
fn bound(skb: &Skb, manip: ManipType) -> bool {
    Conn::of_skb(skb).map_or(true, |(c, _)| c.status() & manip.done_bit() != 0)
}

/// What a hook needs of the packet's connection once it is bound.
struct Bound {
    original: Tuple,
    reply: Tuple,
    status: usize,
    dir: Dir,
}

/// Runs NAT on a packet at one of its hooks.
pub(super) fn run(nat: &NatNet, skb: &mut Skb, state: &HookState) -> Verdict {
    let (hook, l3) = (state.hook(), state.l3());
    let Some(nh) = nat_hook(hook) else {
        return Verdict::Accept;
    };
    let manip = nh.manip();
    let Some((conn, info)) = Conn::of_skb(skb) else {
        return Verdict::Accept;
    };
    if conn.is_template() || info == CtInfo::Untracked {
        return Verdict::Accept;
    }
    let dir = info.dir();
    if matches!(info, CtInfo::Related | CtInfo::RelatedReply) {
        let status = conn.status();
        let (original, reply) = (conn.tuple(Dir::Original), conn.tuple(Dir::Reply));
        let mut pkt = SkbWriter::new(skb, hook, l3);
        if let Some(off) = icmp_offset(&pkt, l3) {
            let c = NatConn {
                original: &original,
                reply: &reply,
                status,
            };
            let mut summed = pkt.summed();
            let r = translate_icmp_error(&mut pkt, &mut summed, l3, off, &c, dir, nh);
            pkt.set_summed(summed);
            return if r.is_ok() {
                Verdict::Accept
            } else {
                Verdict::Drop
            };
        }
    }
    let Some((conn, _)) = Conn::of_skb(skb) else {
        return Verdict::Accept;
    };
    if needs_binding(info, conn.status(), manip) {
        if let Some(i) = list(l3, hook) {
            if let Some(v) = nat.chains.run(i, skb, state, |skb| bound(skb, manip)) {
                return Verdict::Other(v);
            }
        }
        // The chains may have changed the packet's connection: look again.
        let Some((conn, _)) = Conn::of_skb(skb) else {
            return Verdict::Accept;
        };
        if conn.status() & manip.done_bit() == 0 {
            let range = NatRange::null_binding(&conn.tuple(Dir::Reply), manip);
            if setup(conn, &range, manip) != Verdict::Accept {
                return Verdict::Drop;
            }
        }
    } else if oif_changed(conn, nh, dir, state) {
        conn.owner().table().kill(conn);
        return Verdict::Drop;
    }
    let Some((conn, _)) = Conn::of_skb(skb) else {
        return Verdict::Accept;
    };
    let status = conn.status();
    if status & manip.rewrite_bit(dir) == 0 {
        return Verdict::Accept;
    }
    let b = Bound {
        original: conn.tuple(Dir::Original),
        reply: conn.tuple(Dir::Reply),
        status,
        dir,
    };
    rewrite(skb, state, nh, l3, &b)
}

/// Whether a masqueraded connection's packet leaves by another device than its first did
/// (`nf_nat_oif_changed()`): its translation no longer holds.
fn oif_changed(conn: &Conn, nh: NatHook, dir: Dir, state: &HookState) -> bool {
    let masq = conn.masq_index();
    nh == NatHook::PostRouting
        && dir == Dir::Original
        && masq != 0
        && state.out_ifindex().is_some_and(|i| i != masq)
}

/// A drop with the error `e`, a negative errno (`NF_DROP_ERR()`).
fn drop_err(e: i32) -> u32 {
    ((e.unsigned_abs()) << 16) | Verdict::Drop.raw()
}

/// Rewrites a packet of a translated connection, then does what the hook needs once its
/// addresses changed: a new route, or a new socket.
fn rewrite(skb: &mut Skb, state: &HookState, nh: NatHook, l3: L3, b: &Bound) -> Verdict {
    let c = NatConn {
        original: &b.original,
        reply: &b.reply,
        status: b.status,
    };
    let manip = nh.manip();
    let mut pkt = SkbWriter::new(skb, state.hook(), l3);
    // Where the packet itself is looked at, before and after: the address of the end rewritten.
    let before = packet_address(&pkt, l3, manip);
    let mut summed = pkt.summed();
    let r = nat_packet(&mut pkt, &mut summed, &c, manip, b.dir);
    pkt.set_summed(summed);
    if r.is_err() {
        return Verdict::Drop;
    }
    let changed = before != packet_address(&pkt, l3, manip);
    let (this, other) = (c.tuple(b.dir), c.tuple(b.dir.other()));
    match nh {
        // The destination changed: the route looked up for the old one is wrong.
        NatHook::PreRouting if changed => skb.drop_route(),
        NatHook::LocalOut if this.dst() != other.src() => {
            if let Err(e) = skb.route_me_harder(state) {
                return Verdict::Other(drop_err(e));
            }
        }
        // The socket early demultiplexing found was for the old source.
        NatHook::LocalIn => {
            if let Some(sport) = skb.demuxed_sock_dport() {
                let port_changed = matches!(this.proto(), ipproto::TCP | ipproto::UDP)
                    && b.dir == Dir::Original
                    && other.dst_id() != sport;
                if changed || port_changed {
                    skb.orphan();
                }
            }
        }
        _ => {}
    }
    Verdict::Accept
}
