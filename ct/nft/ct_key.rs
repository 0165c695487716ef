// SPDX-License-Identifier: GPL-2.0

//! The keys of nftables' `ct` expression: which a rule may load or set, how many bytes of
//! registers each takes, and the values they load, as nft_ct defines them.

use crate::ct::status::{CtInfo, Dir};
use crate::ct::tuple::{Tuple, L3};
use crate::ct::zone::Zone;

/// Error numbers `ct` expressions answer a bad rule with.
pub(crate) mod errno {
    /// A malformed combination of attributes.
    pub(crate) const EINVAL: i32 = 22;
    /// A key this kernel does not provide.
    pub(crate) const EOPNOTSUPP: i32 = 95;
    /// A key that needs an address family the table does not have.
    pub(crate) const EAFNOSUPPORT: i32 = 97;
}

/// Netfilter family numbers, as tables have them.
mod family {
    pub(super) const INET: u8 = 1;
    pub(super) const IPV4: u8 = 2;
    pub(super) const IPV6: u8 = 10;
}

/// A `ct` key (`enum nft_ct_keys`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub(crate) enum CtKey {
    State = 0,
    Direction = 1,
    Status = 2,
    Mark = 3,
    Secmark = 4,
    Expiration = 5,
    Helper = 6,
    L3Protocol = 7,
    Src = 8,
    Dst = 9,
    Protocol = 10,
    ProtoSrc = 11,
    ProtoDst = 12,
    Labels = 13,
    Pkts = 14,
    Bytes = 15,
    Avgpkt = 16,
    Zone = 17,
    Eventmask = 18,
    SrcIp = 19,
    DstIp = 20,
    SrcIp6 = 21,
    DstIp6 = 22,
    Id = 23,
}

impl CtKey {
    /// The key numbered `n`, if there is one.
    pub(crate) fn from_u32(n: u32) -> Option<Self> {
        use CtKey::*;
        const ALL: [CtKey; 24] = [
            State, Direction, Status, Mark, Secmark, Expiration, Helper, L3Protocol, Src, Dst,
            Protocol, ProtoSrc, ProtoDst, Labels, Pkts, Bytes, Avgpkt, Zone, Eventmask, SrcIp,
            DstIp, SrcIp6, DstIp6, Id,
        ];
        ALL.get(usize::try_from(n).ok()?).copied()
    }
}

/// The length of a helper's name, as `ct helper` loads it (`NF_CT_HELPER_NAME_LEN`).
const HELPER_NAME_LEN: u32 = 16;
/// The length of the labels, as `ct label` loads them (`NF_CT_LABELS_MAX_SIZE`).
const LABELS_LEN: u32 = 16;

/// The bytes of registers a `ct` key loads, given whether a direction was named and the table's
/// family; an error number for a rule nft_ct refuses.
pub(crate) fn get_len(key: CtKey, has_dir: bool, table_family: u8) -> Result<u32, i32> {
    use CtKey::*;
    let no_dir = |len| if has_dir { Err(errno::EINVAL) } else { Ok(len) };
    let dir = |len| if has_dir { Ok(len) } else { Err(errno::EINVAL) };
    match key {
        Direction => no_dir(1),
        State | Status | Mark | Expiration | Id => no_dir(4),
        Labels => no_dir(LABELS_LEN),
        Helper => no_dir(HELPER_NAME_LEN),
        // A direction is allowed, for compatibility, and ignored.
        L3Protocol | Protocol => Ok(1),
        Src | Dst => dir(match table_family {
            family::IPV4 => 4,
            family::IPV6 | family::INET => 16,
            _ => return Err(errno::EAFNOSUPPORT),
        }),
        SrcIp | DstIp => dir(4),
        SrcIp6 | DstIp6 => dir(16),
        ProtoSrc | ProtoDst => dir(2),
        Pkts | Bytes | Avgpkt => Ok(8),
        Zone => Ok(2),
        // This kernel has no security marks; events are not a key to load.
        Secmark | Eventmask => Err(errno::EOPNOTSUPP),
    }
}

/// The bytes of registers a `ct ... set` statement takes for `key`, given whether a direction
/// was named; an error number for one that cannot be set.
pub(crate) fn set_len(key: CtKey, has_dir: bool) -> Result<u32, i32> {
    match key {
        CtKey::Mark if !has_dir => Ok(4),
        CtKey::Zone => Ok(2),
        CtKey::Mark => Err(errno::EINVAL),
        // Labels, security marks and event masks cannot be set on this tracker.
        _ => Err(errno::EOPNOTSUPP),
    }
}

/// The value of `ct state` for a packet: its state in its connection, or that it is untracked,
/// or invalid (`NF_CT_STATE_BIT()`).
pub(crate) fn state_bits(ctinfo: Option<CtInfo>, untracked: bool) -> u32 {
    match ctinfo {
        Some(c) => 1 << (c as u32 % 3 + 1),
        None if untracked => 1 << 6,
        None => 1 << 0,
    }
}

/// What a `ct` expression reads of a connection.
pub(crate) struct View<'a> {
    /// The tuples, by direction.
    pub(crate) tuples: [&'a Tuple; 2],
    /// The packet's direction.
    pub(crate) dir: Dir,
    /// Status bits.
    pub(crate) status: u32,
    /// Mark.
    pub(crate) mark: u32,
    /// Zone.
    pub(crate) zone: Zone,
    /// Milliseconds until it expires.
    pub(crate) expires_ms: u32,
    /// Packets and bytes per direction, if it counts them.
    pub(crate) counters: Option<[[u64; 2]; 2]>,
    /// Its identifier.
    pub(crate) id: u32,
}

/// The first `len` bytes of an address.
fn prefix(a: &[u8; 16], len: u32) -> &[u8] {
    a.get(..len as usize).unwrap_or(a)
}

/// Copies `bytes` into the registers from their start, as `memcpy()` does.
fn put(regs: &mut [u32], bytes: &[u8]) {
    for (r, chunk) in regs.iter_mut().zip(bytes.chunks(4)) {
        let mut w = [0u8; 4];
        w[..chunk.len()].copy_from_slice(chunk);
        *r = u32::from_ne_bytes(w);
    }
}

/// Loads `key` of the connection `v` into `regs`, `len` bytes as [`get_len`] gave them, for the
/// direction `dir` if the rule named one; `false` if the key has no value for it, which ends the
/// rule (`NFT_BREAK`). [`CtKey::State`] is [`state_bits`]' business.
pub(crate) fn load(key: CtKey, dir: Option<Dir>, len: u32, v: &View<'_>, regs: &mut [u32]) -> bool {
    use CtKey::*;
    let count = |what: usize| -> u64 {
        let c = v.counters.unwrap_or_default();
        match dir {
            Some(d) => c[d.index()][what],
            None => c[0][what].wrapping_add(c[1][what]),
        }
    };
    let t = v.tuples[dir.unwrap_or(Dir::Original).index()];
    let l3 = t.l3();
    match key {
        Direction => put(regs, &[v.dir.index() as u8]),
        Status => put(regs, &v.status.to_ne_bytes()),
        Mark => put(regs, &v.mark.to_ne_bytes()),
        Expiration => put(regs, &v.expires_ms.to_ne_bytes()),
        Id => put(regs, &v.id.to_ne_bytes()),
        // No connection has labels or a helper on this tracker: no labels, no helper.
        Labels => put(regs, &[0; LABELS_LEN as usize]),
        Helper => return false,
        L3Protocol => put(regs, &[l3 as u8]),
        Protocol => put(regs, &[t.proto()]),
        Pkts => put(regs, &count(0).to_ne_bytes()),
        Bytes => put(regs, &count(1).to_ne_bytes()),
        Avgpkt => {
            let (p, b) = (count(0), count(1));
            put(regs, &b.checked_div(p).unwrap_or(0).to_ne_bytes())
        }
        Zone => {
            let id = match dir {
                Some(d) => v.zone.id_of(d),
                None => v.zone.id,
            };
            put(regs, &id.to_ne_bytes())
        }
        Src => put(regs, prefix(t.src(), len)),
        Dst => put(regs, prefix(t.dst(), len)),
        ProtoSrc => put(regs, &t.src_id().to_be_bytes()),
        ProtoDst => put(regs, &t.dst_id().to_be_bytes()),
        SrcIp | DstIp if l3 != L3::Ipv4 => return false,
        SrcIp6 | DstIp6 if l3 != L3::Ipv6 => return false,
        SrcIp | SrcIp6 => put(regs, prefix(t.src(), len)),
        DstIp | DstIp6 => put(regs, prefix(t.dst(), len)),
        State | Secmark | Eventmask => return false,
    }
    true
}

#[cfg(test)]
#[path = "ct_key/tests.rs"]
mod tests;
