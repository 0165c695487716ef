// SPDX-License-Identifier: GPL-2.0

//! The NAT statements, as nft_nat, nft_masq and nft_redir provide them: `snat` and `dnat`
//! (`nat`), `masquerade` (`masq`) and `redirect` (`redir`). Each binds the connection of the
//! packet its NAT chain sees first to a translation, and ends the chain with the verdict of
//! that binding.

use super::nat_stmt::{ports, NatStmt, RegPair, Words};
use crate::ct::conn::Conn;
use crate::ct::nat::network::packet_address;
use crate::ct::nat::range::{flags, NatRange};
use crate::ct::nat::setup::setup;
use crate::ct::nat::ManipType;
use crate::ct::status::Dir;
use crate::ct::sys::bindings;
use crate::ct::sys::netfilter::{Hook, HookState, Verdict};
use crate::ct::sys::nftables::{self, Attr, Attrs, Ctx, Dump, Expr, PktInfo, Regs};
use crate::ct::sys::route;
use crate::ct::sys::skb::{Skb, SkbWriter};
use crate::ct::tuple::L3;
use kernel::error::Error;
use kernel::prelude::*;

/// Hooks as the bits of a chain's hook mask.
const PRE_ROUTING: u32 = 1 << bindings::nf_inet_hooks_NF_INET_PRE_ROUTING;
const LOCAL_IN: u32 = 1 << bindings::nf_inet_hooks_NF_INET_LOCAL_IN;
const LOCAL_OUT: u32 = 1 << bindings::nf_inet_hooks_NF_INET_LOCAL_OUT;
const POST_ROUTING: u32 = 1 << bindings::nf_inet_hooks_NF_INET_POST_ROUTING;

/// Bytes of a port in a register (`sizeof_field(struct nf_nat_range, min_proto.all)`).
const PORT_LEN: u32 = 2;

fn l3_of(family: u32) -> Option<L3> {
    match family {
        bindings::NFPROTO_IPV4 => Some(L3::Ipv4),
        bindings::NFPROTO_IPV6 => Some(L3::Ipv6),
        _ => None,
    }
}

fn addr_len(l3: L3) -> u32 {
    match l3 {
        L3::Ipv4 => 4,
        L3::Ipv6 => 16,
    }
}

/// Parses a pair of source registers, the high end defaulting to the low.
fn reg_pair(ctx: &Ctx, min: Attr<'_>, max: Option<Attr<'_>>, len: u32) -> Result<RegPair> {
    let min = ctx.load_register(min, len)?;
    let max = max.map(|a| ctx.load_register(a, len)).transpose()?;
    Ok(RegPair::new(min, max))
}

fn dump_pair(out: &mut Dump, min: u32, max: u32, pair: Option<RegPair>) -> Result {
    if let Some(p) = pair {
        out.put_register(min as u16, p.min)?;
        out.put_register(max as u16, p.max)?;
    }
    Ok(())
}

/// The registers of an evaluation, as words.
fn words(regs: &mut Regs) -> Words {
    *regs.data()
}

/// The connection a NAT chain sees the packet of, bound to `range` for end `manip`.
pub(crate) fn bind(skb: &Skb, range: &NatRange, manip: ManipType) -> Verdict {
    match Conn::of_skb(skb) {
        Some((conn, _)) => setup(conn, range, manip),
        // NAT chains run from NAT's hook, for packets with a connection only.
        None => Verdict::Drop,
    }
}

/// An `snat` or `dnat` statement (`nat`).
pub(crate) struct NatExpr {
    manip: ManipType,
    /// `NFTA_NAT_FAMILY`: of the addresses, and which packets an `inet` rule translates.
    family: u32,
    stmt: NatStmt,
}

impl Expr for NatExpr {
    fn init(ctx: &Ctx, attrs: &Attrs<'_>) -> Result<Self> {
        use bindings::{
            nft_nat_attributes_NFTA_NAT_FAMILY, nft_nat_attributes_NFTA_NAT_FLAGS,
            nft_nat_attributes_NFTA_NAT_REG_ADDR_MAX, nft_nat_attributes_NFTA_NAT_REG_ADDR_MIN,
            nft_nat_attributes_NFTA_NAT_REG_PROTO_MAX, nft_nat_attributes_NFTA_NAT_REG_PROTO_MIN,
            nft_nat_attributes_NFTA_NAT_TYPE, nft_nat_types_NFT_NAT_DNAT,
            nft_nat_types_NFT_NAT_SNAT, NFPROTO_INET,
        };
        let get = |n| attrs.get(n);
        let ty = get(nft_nat_attributes_NFTA_NAT_TYPE).ok_or(EINVAL)?;
        let addr_min = get(nft_nat_attributes_NFTA_NAT_REG_ADDR_MIN);
        let proto_min = get(nft_nat_attributes_NFTA_NAT_REG_PROTO_MIN);
        if addr_min.is_none() && proto_min.is_none() {
            return Err(EINVAL);
        }
        let manip = match ty.be32()? {
            t if t == nft_nat_types_NFT_NAT_SNAT => ManipType::Source,
            t if t == nft_nat_types_NFT_NAT_DNAT => ManipType::Destination,
            _ => return Err(nftables::not_supported()),
        };
        let family = get(nft_nat_attributes_NFTA_NAT_FAMILY)
            .ok_or(EINVAL)?
            .be32()?;
        if u32::from(ctx.family()) != NFPROTO_INET && u32::from(ctx.family()) != family {
            return Err(nftables::not_supported());
        }
        let l3 = l3_of(family);
        let mut flags = 0;
        let addr = match (addr_min, l3) {
            (None, _) => None,
            (Some(_), None) => return Err(Error::from_errno(-(bindings::EAFNOSUPPORT as i32))),
            (Some(min), Some(l3)) => {
                flags |= flags::MAP_IPS;
                let max = get(nft_nat_attributes_NFTA_NAT_REG_ADDR_MAX);
                Some(reg_pair(ctx, min, max, addr_len(l3))?)
            }
        };
        let proto = match proto_min {
            None => None,
            Some(min) => {
                flags |= flags::PROTO_SPECIFIED;
                let max = get(nft_nat_attributes_NFTA_NAT_REG_PROTO_MAX);
                Some(reg_pair(ctx, min, max, PORT_LEN)?)
            }
        };
        if let Some(f) = get(nft_nat_attributes_NFTA_NAT_FLAGS) {
            flags |= f.be32()?;
        }
        Ok(Self {
            manip,
            family,
            stmt: NatStmt {
                l3,
                addr,
                proto,
                flags,
            },
        })
    }

    fn eval(&self, regs: &mut Regs, pkt: &mut PktInfo) {
        let l3 = pkt.state().l3();
        if self.stmt.l3.is_some_and(|f| f != l3) {
            // An `inet` rule's statement for the other family.
            return;
        }
        let words = words(regs);
        let (skb, state) = pkt.skb_state();
        let mut current = [0; 16];
        if self.stmt.flags & flags::NETMAP != 0 {
            let view = SkbWriter::new(skb, state.hook(), l3);
            current = packet_address(&view, l3, self.manip).unwrap_or_default();
        }
        let range = self.stmt.range(&words, &current);
        regs.set_verdict(bind(skb, &range, self.manip).raw());
    }

    fn dump(&self, out: &mut Dump) -> Result {
        use bindings::{
            nft_nat_attributes_NFTA_NAT_FAMILY, nft_nat_attributes_NFTA_NAT_FLAGS,
            nft_nat_attributes_NFTA_NAT_REG_ADDR_MAX, nft_nat_attributes_NFTA_NAT_REG_ADDR_MIN,
            nft_nat_attributes_NFTA_NAT_REG_PROTO_MAX, nft_nat_attributes_NFTA_NAT_REG_PROTO_MIN,
            nft_nat_attributes_NFTA_NAT_TYPE, nft_nat_types_NFT_NAT_DNAT,
            nft_nat_types_NFT_NAT_SNAT,
        };
        let ty = match self.manip {
            ManipType::Source => nft_nat_types_NFT_NAT_SNAT,
            ManipType::Destination => nft_nat_types_NFT_NAT_DNAT,
        };
        out.put_be32(nft_nat_attributes_NFTA_NAT_TYPE as u16, ty)?;
        out.put_be32(nft_nat_attributes_NFTA_NAT_FAMILY as u16, self.family)?;
        let (amin, amax) = (
            nft_nat_attributes_NFTA_NAT_REG_ADDR_MIN,
            nft_nat_attributes_NFTA_NAT_REG_ADDR_MAX,
        );
        dump_pair(out, amin, amax, self.stmt.addr)?;
        let (pmin, pmax) = (
            nft_nat_attributes_NFTA_NAT_REG_PROTO_MIN,
            nft_nat_attributes_NFTA_NAT_REG_PROTO_MAX,
        );
        dump_pair(out, pmin, pmax, self.stmt.proto)?;
        if self.stmt.flags != 0 {
            out.put_be32(nft_nat_attributes_NFTA_NAT_FLAGS as u16, self.stmt.flags)?;
        }
        Ok(())
    }

    fn validate(&self, ctx: &Ctx) -> Result {
        match u32::from(ctx.family()) {
            bindings::NFPROTO_IPV4 | bindings::NFPROTO_IPV6 | bindings::NFPROTO_INET => {}
            _ => return Err(nftables::not_supported()),
        }
        ctx.validate_nat_chain(match self.manip {
            ManipType::Source => POST_ROUTING | LOCAL_IN,
            ManipType::Destination => PRE_ROUTING | LOCAL_OUT,
        })
    }
}

/// The flags and ports of a `masquerade` or `redirect` statement.
struct PortStmt {
    flags: u32,
    proto: Option<RegPair>,
}

impl PortStmt {
    fn init(ctx: &Ctx, attrs: &Attrs<'_>, [flags_attr, min, max]: [u32; 3]) -> Result<Self> {
        let flags = attrs
            .get(flags_attr)
            .map(|a| a.be32())
            .transpose()?
            .unwrap_or(0);
        let proto = attrs
            .get(min)
            .map(|a| reg_pair(ctx, a, attrs.get(max), PORT_LEN))
            .transpose()?;
        Ok(Self { flags, proto })
    }

    fn ports(&self, regs: &mut Regs) -> Option<core::ops::RangeInclusive<u16>> {
        let words = words(regs);
        self.proto.map(|p| ports(&words, p))
    }

    fn dump(&self, out: &mut Dump, [flags_attr, min, max]: [u32; 3]) -> Result {
        if self.flags != 0 {
            out.put_be32(flags_attr as u16, self.flags)?;
        }
        dump_pair(out, min, max, self.proto)
    }
}

const MASQ_ATTRS: [u32; 3] = [
    bindings::nft_masq_attributes_NFTA_MASQ_FLAGS,
    bindings::nft_masq_attributes_NFTA_MASQ_REG_PROTO_MIN,
    bindings::nft_masq_attributes_NFTA_MASQ_REG_PROTO_MAX,
];

const REDIR_ATTRS: [u32; 3] = [
    bindings::nft_redir_attributes_NFTA_REDIR_FLAGS,
    bindings::nft_redir_attributes_NFTA_REDIR_REG_PROTO_MIN,
    bindings::nft_redir_attributes_NFTA_REDIR_REG_PROTO_MAX,
];

/// A `masquerade` statement (`masq`): source NAT to the address of the device the packet
/// leaves by, undone when that device goes down or loses the address.
pub(crate) struct MasqExpr(PortStmt);

/// Binds the packet's connection to the source address of its output device
/// (`nf_nat_masquerade_ipv4()`, `nf_nat_masquerade_ipv6()`).
pub(crate) fn masquerade(
    skb: &mut Skb,
    state: &HookState,
    flags: u32,
    ports: Option<core::ops::RangeInclusive<u16>>,
) -> Verdict {
    let Some((conn, _)) = Conn::of_skb(skb) else {
        return Verdict::Drop;
    };
    if NatRange::masquerade_skips(&conn.tuple(Dir::Original)) {
        return Verdict::Accept;
    }
    let Some(addr) = route::masquerade_source(state, skb) else {
        return Verdict::Drop;
    };
    let Some((conn, _)) = Conn::of_skb(skb) else {
        return Verdict::Drop;
    };
    if let Some(out) = state.out_ifindex() {
        conn.set_masq_index(out);
    }
    setup(
        conn,
        &NatRange::masquerade(addr, flags, ports),
        ManipType::Source,
    )
}

impl Expr for MasqExpr {
    fn init(ctx: &Ctx, attrs: &Attrs<'_>) -> Result<Self> {
        PortStmt::init(ctx, attrs, MASQ_ATTRS).map(Self)
    }

    fn eval(&self, regs: &mut Regs, pkt: &mut PktInfo) {
        let ports = self.0.ports(regs);
        let (skb, state) = pkt.skb_state();
        regs.set_verdict(masquerade(skb, state, self.0.flags, ports).raw());
    }

    fn dump(&self, out: &mut Dump) -> Result {
        self.0.dump(out, MASQ_ATTRS)
    }

    fn validate(&self, ctx: &Ctx) -> Result {
        ctx.validate_nat_chain(POST_ROUTING)
    }
}

/// A `redirect` statement (`redir`): destination NAT to this host, on the address the packet
/// came in by, or loopback for packets it sends itself.
pub(crate) struct RedirExpr(PortStmt);

/// Binds the packet's connection to this host: to loopback for a packet it sends itself, else
/// to the first address of the device it came in by (`nf_nat_redirect_ipv4()`,
/// `nf_nat_redirect_ipv6()`).
pub(crate) fn redirect(
    skb: &mut Skb,
    state: &HookState,
    flags: u32,
    ports: Option<core::ops::RangeInclusive<u16>>,
) -> Verdict {
    let target = match state.hook() {
        Hook::LocalOut => Some(NatRange::redirect_local_address(state.l3())),
        _ => route::redirect_target(state, skb),
    };
    match target {
        Some(addr) => bind(
            skb,
            &NatRange::redirect(addr, flags, ports),
            ManipType::Destination,
        ),
        None => Verdict::Drop,
    }
}

impl Expr for RedirExpr {
    fn init(ctx: &Ctx, attrs: &Attrs<'_>) -> Result<Self> {
        let mut stmt = PortStmt::init(ctx, attrs, REDIR_ATTRS)?;
        // As nft_redir: ports make the range's ports specified, unless flags are given, which
        // say all there is.
        if stmt.proto.is_some() && attrs.get(REDIR_ATTRS[0]).is_none() {
            stmt.flags |= flags::PROTO_SPECIFIED;
        }
        Ok(Self(stmt))
    }

    fn eval(&self, regs: &mut Regs, pkt: &mut PktInfo) {
        let ports = self.0.ports(regs);
        let (skb, state) = pkt.skb_state();
        regs.set_verdict(redirect(skb, state, self.0.flags, ports).raw());
    }

    fn dump(&self, out: &mut Dump) -> Result {
        self.0.dump(out, REDIR_ATTRS)
    }

    fn validate(&self, ctx: &Ctx) -> Result {
        ctx.validate_nat_chain(PRE_ROUTING | LOCAL_OUT)
    }
}
