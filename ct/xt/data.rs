// SPDX-License-Identifier: GPL-2.0

//! Rule data in the uapi layouts userspace sends, read into the rules of `ct::xt`: addresses,
//! masks and ports as they lie in `union nf_inet_addr` and `union nf_conntrack_man_proto`.

use super::connlimit::ConnlimitRule;
use super::connmark::{mode_of, shift_of, ConnmarkRule, MarkRule, Shift};
use super::ct_target::{CtRule, NameField};
use super::ctstate::{ConntrackRule, Masked};
use super::nat_range::CompatRange;
use crate::ct::nat::range::NatRange;
use crate::ct::sys::bindings;

/// The bytes of an address, network order, from the words it lies in.
fn bytes(words: [u32; 4]) -> [u8; 16] {
    let mut b = [0; 16];
    for (chunk, word) in b.chunks_exact_mut(4).zip(words) {
        chunk.copy_from_slice(&word.to_ne_bytes());
    }
    b
}

fn addr(a: &bindings::nf_inet_addr) -> [u8; 16] {
    bytes(a.bindgen_union_field)
}

/// A port or identifier, host order.
fn port(p: &bindings::nf_conntrack_man_proto) -> u16 {
    u16::from_be(p.bindgen_union_field)
}

fn masked(a: &bindings::nf_inet_addr, m: &bindings::nf_inet_addr) -> Masked {
    Masked {
        addr: addr(a),
        mask: addr(m),
    }
}

/// The fields revisions 1 to 3 of `conntrack` share, with the masks and ports given.
macro_rules! conntrack_rule {
    ($i:expr, $state_mask:expr, $status_mask:expr, $ports:expr) => {
        ConntrackRule {
            match_flags: $i.match_flags,
            invert_flags: $i.invert_flags,
            state_mask: $state_mask,
            status_mask: $status_mask,
            l4proto: $i.l4proto,
            addrs: [
                masked(&$i.origsrc_addr, &$i.origsrc_mask),
                masked(&$i.origdst_addr, &$i.origdst_mask),
                masked(&$i.replsrc_addr, &$i.replsrc_mask),
                masked(&$i.repldst_addr, &$i.repldst_mask),
            ],
            ports: $ports,
            expires: ($i.expires_min, $i.expires_max),
        }
    };
}

/// A single port in network order, as revisions 1 and 2 give them, as a range of one.
fn single(p: u16) -> (u16, u16) {
    let p = u16::from_be(p);
    (p, p)
}

/// The single ports of revisions 1 and 2, as ranges of one.
macro_rules! single_ports {
    ($i:expr) => {
        [
            $i.origsrc_port,
            $i.origdst_port,
            $i.replsrc_port,
            $i.repldst_port,
        ]
        .map(single)
    };
}

/// Revision 1 (`struct xt_conntrack_mtinfo1`): single ports, 8-bit masks.
pub(crate) fn conntrack_v1(i: &bindings::xt_conntrack_mtinfo1) -> ConntrackRule {
    let ports = single_ports!(i);
    conntrack_rule!(i, i.state_mask.into(), i.status_mask.into(), ports)
}

/// Revision 2 (`struct xt_conntrack_mtinfo2`): single ports.
pub(crate) fn conntrack_v2(i: &bindings::xt_conntrack_mtinfo2) -> ConntrackRule {
    let ports = single_ports!(i);
    conntrack_rule!(i, i.state_mask, i.status_mask, ports)
}

/// Revision 3 (`struct xt_conntrack_mtinfo3`): port ranges, host order.
pub(crate) fn conntrack_v3(i: &bindings::xt_conntrack_mtinfo3) -> ConntrackRule {
    let ports = [
        (i.origsrc_port, i.origsrc_port_high),
        (i.origdst_port, i.origdst_port_high),
        (i.replsrc_port, i.replsrc_port_high),
        (i.repldst_port, i.repldst_port_high),
    ];
    conntrack_rule!(i, i.state_mask, i.status_mask, ports)
}

/// A `connmark` match.
pub(crate) fn connmark_match(i: &bindings::xt_connmark_mtinfo1) -> MarkRule {
    MarkRule {
        mark: i.mark,
        mask: i.mask,
        invert: i.invert != 0,
    }
}

/// A `CONNMARK` target of revision 1, which does not shift; `None` for an unknown mode, which
/// does nothing.
pub(crate) fn connmark_v1(i: &bindings::xt_connmark_tginfo1) -> Option<ConnmarkRule> {
    Some(ConnmarkRule {
        mode: mode_of(i.mode)?,
        ctmark: i.ctmark,
        ctmask: i.ctmask,
        nfmask: i.nfmask,
        shift: Shift::Left,
        shift_bits: 0,
    })
}

/// A `CONNMARK` target of revision 2; an error number for a shift the kernel refuses, `None`
/// inside for an unknown mode.
pub(crate) fn connmark_v2(i: &bindings::xt_connmark_tginfo2) -> Result<Option<ConnmarkRule>, i32> {
    let (shift, shift_bits) = shift_of(i.shift_dir, i.shift_bits)?;
    Ok(mode_of(i.mode).map(|mode| ConnmarkRule {
        mode,
        ctmark: i.ctmark,
        ctmask: i.ctmask,
        nfmask: i.nfmask,
        shift,
        shift_bits,
    }))
}

/// A `connlimit` match.
pub(crate) fn connlimit(i: &bindings::xt_connlimit_info) -> ConnlimitRule {
    ConnlimitRule {
        // The union's only member in the kernel is the address.
        mask: bytes(i.__bindgen_anon_1.bindgen_union_field),
        limit: i.limit,
        flags: i.flags,
    }
}

/// The name field's state.
fn name(field: &[kernel::ffi::c_char]) -> NameField {
    let mut bytes = [0u8; 32];
    for (b, &c) in bytes.iter_mut().zip(field) {
        *b = c;
    }
    NameField::of(&bytes[..field.len().min(bytes.len())])
}

/// The fields of every revision of `CT`, with the timeout given.
macro_rules! ct_rule {
    ($i:expr, $timeout:expr) => {
        CtRule {
            flags: $i.flags,
            zone: $i.zone,
            ct_events: $i.ct_events,
            exp_events: $i.exp_events,
            helper: name(&$i.helper),
            timeout: $timeout,
        }
    };
}

/// A `CT` target of revision 0, which has no timeout.
pub(crate) fn ct_v0(i: &bindings::xt_ct_target_info) -> CtRule {
    ct_rule!(i, NameField::None)
}

/// A `CT` target of revision 1 or 2.
pub(crate) fn ct_v1(i: &bindings::xt_ct_target_info_v1) -> CtRule {
    ct_rule!(i, name(&i.timeout))
}

/// A range of the old IPv4 layout, of which only the first counts.
pub(crate) fn compat_range(i: &bindings::nf_nat_ipv4_multi_range_compat) -> CompatRange {
    let r = &i.range[0];
    CompatRange {
        rangesize: i.rangesize,
        flags: r.flags,
        min_ip: r.min_ip.to_ne_bytes(),
        max_ip: r.max_ip.to_ne_bytes(),
        min: port(&r.min),
        max: port(&r.max),
    }
}

/// A range of revision 1 (`struct nf_nat_range`): one without a base port.
pub(crate) fn range_v1(i: &bindings::nf_nat_range) -> NatRange {
    NatRange {
        flags: i.flags,
        min_addr: addr(&i.min_addr),
        max_addr: addr(&i.max_addr),
        min_proto: port(&i.min_proto),
        max_proto: port(&i.max_proto),
        base_proto: 0,
    }
}

/// A range of revision 2 (`struct nf_nat_range2`).
pub(crate) fn range_v2(i: &bindings::nf_nat_range2) -> NatRange {
    NatRange {
        flags: i.flags,
        min_addr: addr(&i.min_addr),
        max_addr: addr(&i.max_addr),
        min_proto: port(&i.min_proto),
        max_proto: port(&i.max_proto),
        base_proto: port(&i.base_proto),
    }
}
