// SPDX-License-Identifier: GPL-2.0

//! Helpers of the tests: hex dumps, message builders, a growable sink, sample connections.

use super::super::attr::{F_NESTED, HDR_LEN};
use super::super::cta;
use super::super::snapshot::{tcp_flags, Snapshot, TcpInfo, Zone};
use super::super::write::{NoRoom, Sink};
use crate::ct::format::Counter;
use crate::ct::proto::TcpState;
use crate::ct::tuple::{ipproto, Tuple, L3};
use std::string::String;
use std::vec::Vec;

/// Where the fixtures are, from the crate's directory.
pub(crate) const FIXTURES: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/ctnetlink");

/// The bytes of a hex dump: pairs of hex digits; `#` starts a comment.
pub(crate) fn hex(text: &str) -> Vec<u8> {
    let digits: String = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .flat_map(|l| l.chars())
        .filter(|c| !c.is_whitespace())
        .collect();
    assert!(digits.len().is_multiple_of(2), "odd number of hex digits");
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).expect("hex digit"))
        .collect()
}

/// The value of a `# NAME: value` line of a fixture.
pub(crate) fn directive<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.lines().find_map(|l| {
        let rest = l.trim_start().strip_prefix('#')?.trim_start();
        Some(rest.strip_prefix(name)?.strip_prefix(':')?.trim())
    })
}

/// The fixture files of a subdirectory, sorted, with their text.
pub(crate) fn fixture_files(dir: &str) -> Vec<(String, String)> {
    let Ok(entries) = std::fs::read_dir(std::format!("{FIXTURES}/{dir}")) else {
        return Vec::new();
    };
    let mut files: Vec<(String, String)> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "hex"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("readable fixture");
            (std::format!("{}", p.display()), text)
        })
        .collect();
    files.sort();
    files
}

/// A sink over a vector, holding at most `cap` bytes.
pub(crate) struct VecSink {
    pub(crate) buf: Vec<u8>,
    pub(crate) cap: usize,
}

impl VecSink {
    pub(crate) fn new() -> Self {
        Self::with_cap(usize::MAX)
    }

    pub(crate) fn with_cap(cap: usize) -> Self {
        Self {
            buf: Vec::new(),
            cap,
        }
    }
}

impl Sink for VecSink {
    fn len(&self) -> usize {
        self.buf.len()
    }

    fn append(&mut self, bytes: &[u8]) -> Result<(), NoRoom> {
        if self.buf.len() + bytes.len() > self.cap {
            return Err(NoRoom);
        }
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    fn overwrite(&mut self, offset: usize, bytes: &[u8]) {
        if let Some(dst) = self.buf.get_mut(offset..offset + bytes.len()) {
            dst.copy_from_slice(bytes);
        }
    }

    fn truncate(&mut self, len: usize) {
        self.buf.truncate(len);
    }
}

/// An attribute with an exact header: `len` is the header's length field.
pub(crate) fn raw_attr(len: u16, kind: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&len.to_ne_bytes());
    v.extend_from_slice(&kind.to_ne_bytes());
    v.extend_from_slice(payload);
    while v.len() % 4 != 0 {
        v.push(0);
    }
    v
}

/// A well-formed attribute.
pub(crate) fn attr(kind: u16, payload: &[u8]) -> Vec<u8> {
    raw_attr((HDR_LEN + payload.len()) as u16, kind, payload)
}

/// A nested attribute holding `inner`, with `NLA_F_NESTED`.
pub(crate) fn nest(kind: u16, inner: &[Vec<u8>]) -> Vec<u8> {
    attr(kind | F_NESTED, &inner.concat())
}

/// A request: headers of operation `op` with `flags` and `family`, then `attrs`.
pub(crate) fn request(op: u8, flags: u16, family: u8, attrs: &[Vec<u8>]) -> Vec<u8> {
    let body = attrs.concat();
    let mut m = Vec::new();
    m.extend_from_slice(&((20 + body.len()) as u32).to_ne_bytes());
    m.extend_from_slice(&(0x100u16 | u16::from(op)).to_ne_bytes());
    m.extend_from_slice(&flags.to_ne_bytes());
    m.extend_from_slice(&1u32.to_ne_bytes());
    m.extend_from_slice(&0u32.to_ne_bytes());
    m.extend_from_slice(&[family, 0, 0, 0]);
    m.extend_from_slice(&body);
    m
}

/// An IPv4 address in a tuple's layout.
pub(crate) fn v4(a: [u8; 4]) -> [u8; 16] {
    let mut b = [0; 16];
    b[..4].copy_from_slice(&a);
    b
}

/// An IPv6 address `fd00::last`.
pub(crate) fn v6(last: u8) -> [u8; 16] {
    let mut b = [0; 16];
    b[0] = 0xfd;
    b[15] = last;
    b
}

/// `CTA_TUPLE_IP` of an IPv4 tuple.
pub(crate) fn ip4(src: [u8; 4], dst: [u8; 4]) -> Vec<u8> {
    nest(
        cta::tuple::IP,
        &[attr(cta::ip::V4_SRC, &src), attr(cta::ip::V4_DST, &dst)],
    )
}

/// `CTA_TUPLE_PROTO` with ports.
pub(crate) fn ports(proto: u8, sport: u16, dport: u16) -> Vec<u8> {
    nest(
        cta::tuple::PROTO,
        &[
            attr(cta::proto::NUM, &[proto]),
            attr(cta::proto::SRC_PORT, &sport.to_be_bytes()),
            attr(cta::proto::DST_PORT, &dport.to_be_bytes()),
        ],
    )
}

/// A whole tuple attribute of type `kind`: TCP over IPv4.
pub(crate) fn tcp4_tuple(kind: u16, src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16) -> Vec<u8> {
    nest(kind, &[ip4(src, dst), ports(ipproto::TCP, sport, dport)])
}

/// The connection of `records/tcp4_established.hex`.
pub(crate) fn tcp4_established() -> Snapshot {
    let orig = Tuple::new(
        L3::Ipv4,
        ipproto::TCP,
        v4([10, 0, 0, 1]),
        v4([10, 0, 0, 2]),
        40000,
        80,
    );
    let mut c = Snapshot::new(orig, orig.invert().unwrap());
    c.status = 0x0e;
    c.timeout_secs = 431_999;
    c.mark = 42;
    c.id = 0x1234_5678;
    c.use_count = 1;
    let flags = tcp_flags::WINDOW_SCALE | tcp_flags::SACK_PERM | tcp_flags::MAXACK_SET;
    c.tcp = Some(TcpInfo {
        state: TcpState::Established,
        wscale: [7, 7],
        flags: [flags, flags],
    });
    c.counters = Some([
        Counter {
            packets: 5,
            bytes: 300,
        },
        Counter {
            packets: 4,
            bytes: 1200,
        },
    ]);
    c
}

/// The connection of `records/udp6_zone_new_event.hex`.
pub(crate) fn udp6_zone() -> Snapshot {
    let orig = Tuple::new(L3::Ipv6, ipproto::UDP, v6(1), v6(2), 5353, 53);
    let mut c = Snapshot::new(orig, orig.invert().unwrap());
    c.zone = Zone { id: 5, dir: 3 };
    c.status = 0x0a;
    c.timeout_secs = 25;
    c.id = 0xdead_beef;
    c.use_count = 1;
    c
}

/// The connection of `records/icmp4_orig_zone_get.hex`.
pub(crate) fn icmp4_orig_zone() -> Snapshot {
    let a = v4([192, 168, 1, 1]);
    let b = v4([192, 168, 1, 2]);
    let orig = Tuple::new(L3::Ipv4, ipproto::ICMP, a, b, 0x1234, 8 << 8);
    let mut c = Snapshot::new(orig, orig.invert().unwrap());
    c.zone = Zone { id: 7, dir: 1 };
    c.status = 0x0a;
    c.timeout_secs = 29;
    c.mark = 16;
    c.id = 1;
    c.use_count = 1;
    c
}
