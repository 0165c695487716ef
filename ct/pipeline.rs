// SPDX-License-Identifier: GPL-2.0

//! The packet path: tracking at PRE_ROUTING and LOCAL_OUT (as `nf_conntrack_in()`), confirming
//! at POST_ROUTING and LOCAL_IN (as `nf_conntrack_confirm()`).

use super::conn::{Conn, Counted, NewConn};
use super::events::{self, ipct};
use super::nat::bits as nat_bits;
use super::packet::{is_ipv4_fragment, parse, Invalid, Parsed, Segment};
use super::proto::{self, Decision, Note, ProtoState, Seen, TcpWindow};
use super::state::CtNet;
use super::status::{bits, CtInfo, Dir};
use super::sys::netfilter::{Hook, HookHandler, HookState, Verdict};
use super::sys::skb::Skb;
use super::sys::sync::Rcu;
use super::sys::time;
use super::table::InsertError;
use super::tuple::{ipproto, Tuple, L3};
use super::zone::Zone;
use core::sync::atomic::{AtomicBool, Ordering::Relaxed};
use kernel::types::ARef;

/// Whether hooks only count packets (the `hooks_only` parameter).
static HOOKS_ONLY: AtomicBool = AtomicBool::new(false);

/// Sets up what the packet path reads on every packet; before any hook is registered.
pub(crate) fn setup(hooks_only: bool) {
    HOOKS_ONLY.store(hooks_only, Relaxed);
}

/// Whether a clash of two new connections of protocol `proto` may be resolved by keeping the
/// first: for protocols without state of their own, as nf_conntrack.
fn allows_clash(proto: u8) -> bool {
    !matches!(proto, ipproto::TCP | ipproto::ICMP | ipproto::ICMPV6)
}

/// Whether the packet of `loser`, which lost the race to confirm, may join `winner`
/// (`__nf_ct_resolve_clash()`): the winner is not translated, or both are the same flow. A
/// translated winner of another flow means the loser's translation clashes: its packet is
/// dropped.
fn may_join(winner: &Conn, loser: &Conn) -> bool {
    let same = |dir| {
        winner.tuple(dir) == loser.tuple(dir) && winner.zone().id_of(dir) == loser.zone().id_of(dir)
    };
    winner.status() & nat_bits::NAT_DONE_MASK == 0 || (same(Dir::Original) && same(Dir::Reply))
}

impl HookHandler for CtNet {
    fn hook(&self, skb: &mut Skb, state: &HookState) -> Verdict {
        if HOOKS_ONLY.load(Relaxed) {
            return Verdict::Accept;
        }
        let (l3, hook) = (state.l3(), state.hook());
        self.hooks_seen.inc(|c| c.at(l3, hook));
        match hook {
            Hook::PreRouting | Hook::LocalOut => {
                track(self, l3, hook, skb, state.rcu(), Some(state))
            }
            Hook::PostRouting | Hook::LocalIn => confirm(skb),
            Hook::Forward => Verdict::Accept,
        }
    }
}

/// Where a packet is being tracked: its namespace's state, and the hook's, for logging.
struct At<'a> {
    ct: &'a CtNet,
    state: Option<&'a HookState>,
}

impl At<'_> {
    /// Logs a packet a tracker found invalid or ignored, if `nf_conntrack_log_invalid` asks for
    /// its protocol.
    fn log(&self, skb: &mut Skb, proto: u8, note: Option<Note>, lowered: bool) {
        let level = self.ct.log_invalid.load(Relaxed);
        if level == 0 || (level != proto && level != LOG_ANY) {
            return;
        }
        let Some(state) = self.state else { return };
        if let Some(note) = note {
            state.log_invalid(skb, proto, format_args!("{note}"));
        }
        if lowered {
            state.log_invalid(skb, proto, format_args!("lowered timeout to UNACK"));
        }
    }
}

/// `nf_conntrack_log_invalid` for every protocol (`IPPROTO_RAW`).
const LOG_ANY: u8 = 255;

/// Tracks one packet entering the stack or leaving this host. `state` is the hook's, for
/// logging.
///
/// Not inlined into the hook: the confirming hooks, which run as often, would pay for its
/// frame.
#[inline(never)]
pub(crate) fn track(
    ct: &CtNet,
    l3: L3,
    hook: Hook,
    skb: &mut Skb,
    rcu: &Rcu,
    state: Option<&HookState>,
) -> Verdict {
    let at = At { ct, state };
    // A packet looped back carries its connection already; one marked untracked stays so. A
    // template (`ct zone set`) is taken off: the packet's connection gets its settings, and the
    // template goes once the packet is tracked.
    let mut zone = Zone::DEFAULT;
    let _template = match Conn::of_skb(skb) {
        None if skb.nfct() == 0 => None,
        Some((c, _)) if c.is_template() => {
            zone = c.zone();
            Conn::detach(skb)
        }
        _ => return Verdict::Accept,
    };
    let pkt = skb.network(hook, l3);
    // As nf_conntrack: an IPv4 fragment leaving this host (a socket asked not to defragment)
    // passes untracked.
    if hook == Hook::LocalOut && l3 == L3::Ipv4 && is_ipv4_fragment(&pkt) {
        return Verdict::Accept;
    }
    let verify = hook == Hook::PreRouting && ct.checksum.load(Relaxed) != 0;
    match parse(&pkt, l3, verify) {
        Ok(Parsed::Flow { tuple, tcp, .. }) => track_flow(&at, skb, &tuple, zone, &tcp, rcu),
        Ok(Parsed::Error { quoted, dst }) => {
            track_error(ct, skb, &quoted, zone, &dst, rcu);
            Verdict::Accept
        }
        Ok(Parsed::Untracked) => {
            skb.set_nfct(CtInfo::Untracked as usize);
            Verdict::Accept
        }
        Err(Invalid::Icmp) => {
            ct.stats.inc(|s| &s.error);
            Verdict::Accept
        }
        Err(_) => {
            ct.stats.inc(|s| &s.invalid);
            Verdict::Accept
        }
    }
}

fn track_flow(
    at: &At<'_>,
    skb: &mut Skb,
    tuple: &Tuple,
    zone: Zone,
    seg: &Segment,
    rcu: &Rcu,
) -> Verdict {
    let ct = at.ct;
    let now = time::now();
    let hash = ct.hash(tuple, zone.id_of(Dir::Original));
    let found = ct.find_hashed(tuple, zone, hash, now, rcu);
    let Some((conn, dir)) = found else {
        return track_new(at, skb, tuple, zone, seg, hash, now);
    };
    let status = conn.status();
    let confirmed = status & bits::CONFIRMED != 0;
    let seen = Seen {
        proto: tuple.proto(),
        orig_icmp_type: conn.tuple(Dir::Original).icmp_type(),
        tcp: *seg,
        dir,
        confirmed,
        status,
        now,
        // An unconfirmed connection holds its lifetime, not its deadline.
        expires: if confirmed {
            conn.expires_in(now)
        } else {
            conn.timeout()
        },
        hz: time::HZ,
    };
    let mut set = 0;
    let mut moved = false;
    let decision = conn.with_proto(|state, window| {
        let before = state.tcp;
        let d = proto::track(&seen, state, window, &ct.timeouts);
        moved = state.tcp != before;
        d
    });
    match decision {
        Decision::Accept { timeout, assure } => {
            let timeout = if assure || status & bits::ASSURED != 0 {
                timeout
            } else {
                ct.unassured_timeout(timeout)
            };
            let deadline = now.wrapping_add(timeout);
            conn.set_timeout(deadline);
            ct.expires_at(now, deadline);
            conn.account(dir, skb.len());
            if assure {
                set |= bits::ASSURED;
            }
        }
        Decision::Ignore { note } => at.log(skb, tuple.proto(), note, false),
        Decision::Close => {
            conn.account(dir, skb.len());
            ct.table().kill(&conn);
        }
        Decision::Invalid {
            note,
            lowered_timeout,
        } => {
            if let Some(t) = lowered_timeout {
                conn.set_timeout(now.wrapping_add(t));
            }
            ct.stats.inc(|s| &s.invalid);
            at.log(skb, tuple.proto(), note, lowered_timeout.is_some());
            return Verdict::Accept;
        }
        Decision::Reopen => {
            // The old connection closed: this packet starts its successor.
            ct.table().kill(&conn);
            drop(conn);
            return track_new(at, skb, tuple, zone, seg, hash, now);
        }
    }
    if dir == Dir::Reply && status & bits::SEEN_REPLY == 0 {
        set |= bits::SEEN_REPLY;
    }
    let mut raised = if moved { ipct::PROTOINFO } else { 0 };
    if set != 0 {
        raised |= status_events(set & !conn.set_status(set));
    }
    if raised != 0 {
        events::raise(&conn, raised);
    }
    Conn::attach(skb, conn, CtInfo::of_packet(dir, status));
    Verdict::Accept
}

/// The first packet of a connection: a new, unconfirmed entry travels with the packet until the
/// confirm hook puts it in the table.
fn track_new(
    at: &At<'_>,
    skb: &mut Skb,
    tuple: &Tuple,
    zone: Zone,
    seg: &Segment,
    hash: u32,
    now: u32,
) -> Verdict {
    let ct = at.ct;
    let Some(reply) = tuple.invert() else {
        ct.stats.inc(|s| &s.invalid);
        return Verdict::Accept;
    };
    let (mut state, mut window) = (ProtoState::default(), TcpWindow::default());
    let seen = Seen {
        proto: tuple.proto(),
        orig_icmp_type: tuple.icmp_type(),
        tcp: *seg,
        dir: Dir::Original,
        confirmed: false,
        status: 0,
        now,
        expires: 0,
        hz: time::HZ,
    };
    let (timeout, assure) = match proto::track(&seen, &mut state, &mut window, &ct.timeouts) {
        Decision::Accept { timeout, assure } => (timeout, assure),
        Decision::Invalid { note, .. } | Decision::Ignore { note } => {
            ct.stats.inc(|s| &s.invalid);
            at.log(skb, tuple.proto(), note, false);
            return Verdict::Accept;
        }
        Decision::Close | Decision::Reopen => {
            ct.stats.inc(|s| &s.invalid);
            return Verdict::Accept;
        }
    };
    let conn = create(
        ct,
        NewConn {
            orig: *tuple,
            reply,
            hashes: [hash, ct.hash(&reply, zone.id_of(Dir::Reply))],
            zone,
            proto: state,
            window,
            timeout: if assure {
                timeout
            } else {
                ct.unassured_timeout(timeout)
            },
            status: if assure { bits::ASSURED } else { 0 },
            acct: ct.acct.load(Relaxed) != 0,
        },
    );
    let Some(conn) = conn else {
        ct.stats.inc(|s| &s.drop);
        return Verdict::Drop;
    };
    conn.account(Dir::Original, skb.len());
    let mut raised = status_events(if assure { bits::ASSURED } else { 0 });
    if tuple.proto() == ipproto::TCP {
        raised |= ipct::PROTOINFO;
    }
    events::raise(&conn, raised);
    Conn::attach(skb, conn, CtInfo::New);
    Verdict::Accept
}

/// The events of status bits newly set.
fn status_events(set: usize) -> u32 {
    let mut e = 0;
    if set & bits::SEEN_REPLY != 0 {
        e |= ipct::REPLY;
    }
    if set & bits::ASSURED != 0 {
        e |= ipct::ASSURED;
    }
    e
}

/// Creates an unconfirmed connection in `ct`, making room for it if the namespace is full;
/// `None` if there is none to make, or no memory.
pub(crate) fn create(ct: &CtNet, n: NewConn) -> Option<ARef<Conn>> {
    Conn::new(Counted::take(ct, n.hashes[0])?, n)
}

/// An ICMP error in `zone`: relates it to the connection of the packet it quotes.
fn track_error(ct: &CtNet, skb: &mut Skb, quoted: &Tuple, zone: Zone, dst: &[u8; 16], rcu: &Rcu) {
    // The quoted packet went the other way: its connection has the inverse tuple.
    let Some(inner) = quoted.invert() else {
        ct.stats.inc(|s| &s.error);
        return;
    };
    let hash = ct.hash(&inner, zone.id_of(Dir::Original));
    match ct.table().find(&inner, zone, hash, time::now(), rcu) {
        Some((conn, dir)) if conn.tuple(dir).dst() == dst => {
            Conn::attach(skb, conn, CtInfo::related(dir))
        }
        _ => ct.stats.inc(|s| &s.error),
    }
}

/// Puts the packet's new connection in the table for its namespace: the one it was made in,
/// which the packet may have left since.
pub(crate) fn confirm(skb: &mut Skb) -> Verdict {
    let Some((conn, ctinfo)) = Conn::of_skb(skb) else {
        return Verdict::Accept;
    };
    if conn.status() & bits::CONFIRMED != 0 || ctinfo.dir() != Dir::Original {
        events::deliver_cached(conn);
        return Verdict::Accept;
    }
    let ct = conn.owner();
    if let Some(ts) = conn.timestamps() {
        ts.started(time::real_ns());
    }
    let now = time::now();
    match ct.table().insert(conn, now) {
        Ok(()) => {
            ct.expires_at(now, conn.timeout());
            events::raise(conn, ipct::NEW);
            events::deliver_cached(conn);
            Verdict::Accept
        }
        Err(InsertError::Confirmed) => {
            events::deliver_cached(conn);
            Verdict::Accept
        }
        Err(InsertError::Clash(winner))
            if allows_clash(conn.tuple(Dir::Original).proto()) && may_join(&winner, conn) =>
        {
            // Two packets raced to create the same connection: the later one joins the first,
            // bringing its count along.
            ct.stats.inc(|s| &s.clash_resolve);
            winner.account(ctinfo.dir(), skb.len());
            events::deliver_cached(&winner);
            Conn::attach(skb, winner, ctinfo);
            Verdict::Accept
        }
        Err(InsertError::Clash(_)) => {
            ct.stats.inc(|s| &s.drop);
            ct.stats.inc(|s| &s.insert_failed);
            Verdict::Drop
        }
        Err(InsertError::ChainTooLong) => {
            ct.stats.inc(|s| &s.chaintoolong);
            ct.stats.inc(|s| &s.insert_failed);
            Verdict::Drop
        }
        Err(InsertError::Dying | InsertError::Foreign) => {
            ct.stats.inc(|s| &s.insert_failed);
            Verdict::Drop
        }
    }
}
