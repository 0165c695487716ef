// SPDX-License-Identifier: GPL-2.0

//! NAT as fuzz targets drive it: a packet and a range from bytes, the packet's connection bound
//! to a translation over a table where some tuples are taken, and the packet and ICMP errors
//! rewritten with it.

use crate::ct::nat::checksum::Summed;
use crate::ct::nat::choose::bind;
use crate::ct::nat::env::{Found, NatEnv, Unbound};
use crate::ct::nat::icmp::{icmp_offset, translate_icmp_error};
use crate::ct::nat::network::{nat_packet, NatConn};
use crate::ct::nat::range::{flags, NatRange};
use crate::ct::nat::{ManipType, NatHook};
use crate::ct::packet::{parse, Parsed};
use crate::ct::status::Dir;
use crate::ct::tuple::{Tuple, L3};

/// A table in which a tuple is taken when its hash falls under a threshold, so that every port
/// search meets clashes, and a range can be full.
struct Crowded {
    /// Out of 256: how many tuples are taken.
    taken: u8,
    /// The state of the random numbers, a xorshift.
    random: u32,
}

impl Crowded {
    fn taken(&self, t: &Tuple) -> bool {
        let raw = t.to_raw();
        let h = raw
            .iter()
            .fold(0u64, |h, w| (h ^ w).wrapping_mul(0x100_0000_01b3));
        ((h >> 32) as u8) < self.taken
    }
}

impl NatEnv for Crowded {
    type Entry = ();

    fn tuple_taken(&mut self, tuple: &Tuple) -> bool {
        self.taken(tuple)
    }

    fn find(&mut self, _tuple: &Tuple) -> Option<Found<()>> {
        None
    }

    fn kill(&mut self, _entry: &()) -> bool {
        false
    }

    fn visit_source_mappings<F: FnMut(&Tuple, &Tuple) -> bool>(&mut self, _: &Tuple, _: F) {}

    fn random_u16(&mut self) -> u16 {
        self.random ^= self.random << 13;
        self.random ^= self.random >> 17;
        self.random ^= self.random << 5;
        self.random as u16
    }

    fn zone_id(&self) -> u16 {
        0
    }
}

/// What a run found wrong: a rewrite that broke a checksum that was good.
#[derive(Debug, PartialEq, Eq)]
pub enum Broken {
    /// The packet's checksums were good before its rewrite and are not after.
    Checksum,
    /// The chosen tuple lies outside the range asked for.
    OutOfRange,
}

/// Input: a control byte (bit 0 IPv6, bit 1 destination NAT, bit 2 the packet as a reply, bits
/// 3-4 the checksum state, bits 5-7 how crowded the table is), range flags, four bytes of
/// address and four of ports (low and high ends), then the packet from its network header on.
pub fn run(data: &[u8]) -> Result<(), Broken> {
    let Some((head, packet)) = data.split_first_chunk::<10>() else {
        return Ok(());
    };
    let ctl = head[0];
    let l3 = if ctl & 1 != 0 { L3::Ipv6 } else { L3::Ipv4 };
    let manip = if ctl & 2 != 0 {
        ManipType::Destination
    } else {
        ManipType::Source
    };
    let range = range_of(l3, head);
    let mut env = Crowded {
        taken: (ctl >> 5) * 36,
        random: u32::from_le_bytes([head[2], head[3], head[8], 1]),
    };
    let (tuple, checked) = match parse(packet, l3, true) {
        Ok(Parsed::Flow { tuple, .. }) => (tuple, true),
        Ok(Parsed::Error { quoted, .. }) => (quoted, false),
        _ => match parse(packet, l3, false) {
            Ok(Parsed::Flow { tuple, .. }) => (tuple, false),
            Ok(Parsed::Error { quoted, .. }) => (quoted, false),
            _ => return Ok(()),
        },
    };
    let Some(reply) = tuple.invert() else {
        return Ok(());
    };
    let unbound = Unbound {
        reply,
        status: 0,
        tcp: None,
    };
    let Ok(binding) = bind(&unbound, &range, manip, &mut env) else {
        return Ok(());
    };
    let reply = binding.reply.unwrap_or(reply);
    if binding.reply.is_some() && !in_range(&reply, &range, manip) {
        return Err(Broken::OutOfRange);
    }
    let conn = NatConn {
        original: &tuple,
        reply: &reply,
        status: binding.status,
    };
    let dir = if ctl & 4 != 0 {
        Dir::Reply
    } else {
        Dir::Original
    };
    let mut summed = match (ctl >> 3) & 3 {
        0 => Summed::None,
        1 => Summed::Unnecessary,
        2 => Summed::Partial,
        _ => Summed::Complete {
            csum: u32::from_le_bytes([head[4], head[5], head[6], head[7]]),
            sw_valid: false,
        },
    };
    let mut copy = [0u8; 2048];
    let Some(buf) = copy.get_mut(..packet.len()) else {
        return Ok(());
    };
    buf.copy_from_slice(packet);
    if let Some(off) = icmp_offset(&*buf, l3) {
        let hook = match manip {
            ManipType::Source => NatHook::PostRouting,
            ManipType::Destination => NatHook::PreRouting,
        };
        let _ = translate_icmp_error(buf, &mut summed, l3, off, &conn, dir, hook);
    }
    buf.copy_from_slice(packet);
    let plain = summed == Summed::None;
    if nat_packet(buf, &mut summed, &conn, manip, dir).is_ok()
        && checked
        && plain
        && dir == Dir::Original
        && !matches!(parse(&*buf, l3, true), Ok(Parsed::Flow { .. }))
    {
        return Err(Broken::Checksum);
    }
    Ok(())
}

/// The range of the input's head: its flags, and an address span and port span of its bytes.
fn range_of(l3: L3, head: &[u8; 10]) -> NatRange {
    let mut min_addr = [0u8; 16];
    let len = match l3 {
        L3::Ipv4 => 4,
        L3::Ipv6 => 16,
    };
    min_addr[..len].fill(10);
    min_addr[len - 2] = head[2];
    min_addr[len - 1] = head[3];
    let mut max_addr = min_addr;
    max_addr[len - 1] = head[3].saturating_add(head[4] & 7);
    let (a, b) = (
        u16::from_be_bytes([head[5], head[6]]),
        u16::from_be_bytes([head[7], head[8]]),
    );
    NatRange {
        flags: u32::from(head[1]) & flags::MASK,
        min_addr,
        max_addr,
        min_proto: a.min(b),
        max_proto: a.max(b),
        base_proto: u16::from(head[9]),
    }
}

/// Whether `reply`, a bound connection's reply tuple, is in `range` for the end translated.
fn in_range(reply: &Tuple, range: &NatRange, manip: ManipType) -> bool {
    if !range.has(flags::MAP_IPS) || range.has(flags::NETMAP) {
        return true;
    }
    let addr = match manip {
        ManipType::Source => reply.dst(),
        ManipType::Destination => reply.src(),
    };
    (range.min_addr..=range.max_addr).contains(addr)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::{fs, path::Path};

    #[test]
    fn the_seeds_bind_and_rewrite_cleanly() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/nat");
        let mut n = 0;
        for entry in fs::read_dir(dir).expect("seeds") {
            let data = fs::read(entry.expect("seed").path()).expect("seed");
            assert_eq!(super::run(&data), Ok(()));
            n += 1;
        }
        assert!(n >= 12);
    }

    #[test]
    fn an_echo_reply_rewritten_to_zeros_gets_a_checksum_of_all_ones() {
        // Destination NAT over a crowded table: the reply's identifier becomes zero, which
        // leaves the message all zeros but its checksum.
        let head = [0x42, 0x01, 0x02, 0x02, 0x00, 0x1f, 0x90, 0x1f, 0x90, 0x00];
        let ip = [
            0x45, 0x00, 0x00, 0x34, 0x7a, 0x01, 0x00, 0x00, 0x40, 0x01, 0x63, 0x00, 0xc2, 0x02,
            0x05, 0x00, 0xc6, 0x00, 0x00, 0xff,
        ];
        // An echo reply of identifier all ones, sequence zero, checksum all ones.
        let echo = [0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00];
        let data = [&head[..], &ip, &echo].concat();
        let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/nat/zeroed-echo-reply");
        assert_eq!(fs::read(seed).expect("seed"), data);
        assert_eq!(super::run(&data), Ok(()));
    }
}
