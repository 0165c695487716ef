// SPDX-License-Identifier: GPL-2.0

//! The text of `/proc/net/nf_conntrack` and `/proc/net/stat/nf_conntrack`, in nf_conntrack's
//! exact formats.

use super::proto::{self, TcpState};
use super::status::bits;
use super::tuple::{ipproto, Tuple, L3};
use super::zone::Zone;
use core::fmt::{self, Write};

/// Packet and byte counters of one direction.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub(crate) struct Counter {
    /// Packets seen.
    pub(crate) packets: u64,
    /// Bytes seen, network header included.
    pub(crate) bytes: u64,
}

/// What one line of `/proc/net/nf_conntrack` shows of a connection.
pub(crate) struct Entry<'a> {
    /// Tuple of the original direction.
    pub(crate) orig: &'a Tuple,
    /// Tuple of the reply direction.
    pub(crate) reply: &'a Tuple,
    /// Whole seconds left before the connection expires.
    pub(crate) expires_secs: u32,
    /// State of a TCP connection.
    pub(crate) tcp: Option<TcpState>,
    /// Status bits.
    pub(crate) status: usize,
    /// Counters of both directions, when accounting was on as the connection started.
    pub(crate) acct: Option<[Counter; 2]>,
    /// Connection mark, on kernels built with marks.
    pub(crate) mark: Option<u32>,
    /// Zone, on kernels built with zones.
    pub(crate) zone: Option<Zone>,
    /// Whole seconds since the connection started, when it records its start.
    pub(crate) delta_time: Option<u64>,
    /// References held on the connection.
    pub(crate) refs: u32,
}

/// Writes one line, newline included.
pub(crate) fn write_entry(w: &mut impl Write, e: &Entry<'_>) -> fmt::Result {
    let l3 = e.orig.l3();
    let proto = e.orig.proto();
    write!(
        w,
        "{:<8} {} {:<8} {} {} ",
        l3.name(),
        l3 as u8,
        proto::name(proto),
        proto,
        e.expires_secs
    )?;
    if let Some(state) = e.tcp {
        write!(w, "{} ", state.name())?;
    }
    write_tuple(w, e.orig)?;
    write_zone(w, e.zone, Zone::ORIGINAL)?;
    write_acct(w, e, 0)?;
    if e.status & bits::SEEN_REPLY == 0 {
        w.write_str("[UNREPLIED] ")?;
    }
    write_tuple(w, e.reply)?;
    write_zone(w, e.zone, Zone::REPLY)?;
    write_acct(w, e, 1)?;
    if e.status & bits::ASSURED != 0 {
        w.write_str("[ASSURED] ")?;
    }
    if let Some(mark) = e.mark {
        write!(w, "mark={mark} ")?;
    }
    write_zone(w, e.zone, Zone::BOTH)?;
    if let Some(secs) = e.delta_time {
        write!(w, "delta-time={secs} ")?;
    }
    writeln!(w, "use={}", e.refs)
}

/// Writes the zone where it goes: after the tuple of the one direction it applies to, or at the
/// end if it applies to both.
fn write_zone(w: &mut impl Write, zone: Option<Zone>, here: u8) -> fmt::Result {
    match zone {
        Some(z) if z.dirs == here => match here {
            Zone::ORIGINAL => write!(w, "zone-orig={} ", z.id),
            Zone::REPLY => write!(w, "zone-reply={} ", z.id),
            _ => write!(w, "zone={} ", z.id),
        },
        _ => Ok(()),
    }
}

fn write_acct(w: &mut impl Write, e: &Entry<'_>, dir: usize) -> fmt::Result {
    match e.acct {
        Some(c) => write!(w, "packets={} bytes={} ", c[dir].packets, c[dir].bytes),
        None => Ok(()),
    }
}

fn write_tuple(w: &mut impl Write, t: &Tuple) -> fmt::Result {
    w.write_str("src=")?;
    write_addr(w, t.l3(), t.src())?;
    w.write_str(" dst=")?;
    write_addr(w, t.l3(), t.dst())?;
    w.write_char(' ')?;
    match t.proto() {
        ipproto::TCP | ipproto::UDP | ipproto::UDPLITE => {
            write!(w, "sport={} dport={} ", t.src_id(), t.dst_id())
        }
        ipproto::ICMP | ipproto::ICMPV6 => {
            write!(
                w,
                "type={} code={} id={} ",
                t.icmp_type(),
                t.icmp_code(),
                t.src_id()
            )
        }
        _ => Ok(()),
    }
}

/// Writes an address as the kernel's `%pI4` and `%pI6` do: IPv6 in full, without `::`.
fn write_addr(w: &mut impl Write, l3: L3, a: &[u8; 16]) -> fmt::Result {
    match l3 {
        L3::Ipv4 => write!(w, "{}.{}.{}.{}", a[0], a[1], a[2], a[3]),
        L3::Ipv6 => {
            for (i, g) in a.chunks(2).enumerate() {
                if i > 0 {
                    w.write_char(':')?;
                }
                write!(w, "{:02x}{:02x}", g[0], g[1])?;
            }
            Ok(())
        }
    }
}

/// Per-CPU statistics of one network namespace, as nf_conntrack counts them.
#[repr(C)]
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub(crate) struct Stats {
    /// Lookups that found an entry (nf_conntrack counts these for NAT only).
    pub(crate) found: u32,
    /// Packets that could not be tracked.
    pub(crate) invalid: u32,
    /// Entries inserted by request rather than by a packet.
    pub(crate) insert: u32,
    /// Entries that could not be confirmed.
    pub(crate) insert_failed: u32,
    /// Packets dropped.
    pub(crate) drop: u32,
    /// Entries evicted to make room.
    pub(crate) early_drop: u32,
    /// ICMP errors about nothing tracked, or malformed ICMP.
    pub(crate) error: u32,
    /// Lookups restarted.
    pub(crate) search_restart: u32,
    /// Insert races resolved.
    pub(crate) clash_resolve: u32,
    /// Inserts refused because a bucket's chain was too long.
    pub(crate) chaintoolong: u32,
}

/// The header line of `/proc/net/stat/nf_conntrack`.
pub(crate) const STATS_HEADER: &str =
    "entries  clashres found new invalid ignore delete chainlength insert \
insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart\n";

/// Writes the line of one CPU's statistics; `entries` is the namespace's connection count.
pub(crate) fn write_stats(w: &mut impl Write, entries: u32, s: &Stats) -> fmt::Result {
    let cols = [
        s.clash_resolve,
        s.found,
        0,
        s.invalid,
        0,
        0,
        s.chaintoolong,
        s.insert,
        s.insert_failed,
        s.drop,
        s.early_drop,
        s.error,
    ];
    write!(w, "{entries:08x} ")?;
    for c in cols {
        write!(w, " {c:08x}")?;
    }
    // No expectations: expect_new, expect_create and expect_delete stay zero.
    writeln!(
        w,
        "  {:08x} {:08x} {:08x} {:08x}",
        0, 0, 0, s.search_restart
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;

    fn v4(a: [u8; 4]) -> [u8; 16] {
        let mut b = [0; 16];
        b[..4].copy_from_slice(&a);
        b
    }

    fn line(e: &Entry<'_>) -> String {
        let mut s = String::new();
        write_entry(&mut s, e).unwrap();
        s
    }

    #[test]
    fn tcp_line_matches_nf_conntrack() {
        let orig = Tuple::new(
            L3::Ipv4,
            ipproto::TCP,
            v4([10, 0, 0, 1]),
            v4([10, 0, 0, 2]),
            36486,
            443,
        );
        let reply = orig.invert().unwrap();
        let e = Entry {
            orig: &orig,
            reply: &reply,
            expires_secs: 431999,
            tcp: Some(TcpState::Established),
            status: bits::SEEN_REPLY | bits::ASSURED | bits::CONFIRMED,
            acct: None,
            mark: Some(0),
            zone: Some(Zone::DEFAULT),
            delta_time: None,
            refs: 2,
        };
        assert_eq!(
            line(&e),
            "ipv4     2 tcp      6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=36486 dport=443 \
             src=10.0.0.2 dst=10.0.0.1 sport=443 dport=36486 [ASSURED] mark=0 zone=0 use=2\n"
        );
    }

    #[test]
    fn unreplied_udp_with_counters() {
        let orig = Tuple::new(
            L3::Ipv4,
            ipproto::UDP,
            v4([10, 0, 0, 1]),
            v4([10, 0, 0, 2]),
            5000,
            53,
        );
        let reply = orig.invert().unwrap();
        let c = Counter {
            packets: 3,
            bytes: 180,
        };
        let e = Entry {
            orig: &orig,
            reply: &reply,
            expires_secs: 29,
            tcp: None,
            status: bits::CONFIRMED,
            acct: Some([c, Counter::default()]),
            mark: None,
            zone: None,
            delta_time: None,
            refs: 1,
        };
        assert_eq!(
            line(&e),
            "ipv4     2 udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=5000 dport=53 packets=3 bytes=180 \
             [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=53 dport=5000 packets=0 bytes=0 use=1\n"
        );
    }

    #[test]
    fn icmpv6_addresses_print_in_full() {
        let mut a = [0u8; 16];
        a[0] = 0xfd;
        a[15] = 1;
        let mut b = a;
        b[15] = 0x2a;
        let orig = Tuple::new(L3::Ipv6, ipproto::ICMPV6, a, b, 7, 128 << 8);
        let reply = orig.invert().unwrap();
        let e = Entry {
            orig: &orig,
            reply: &reply,
            expires_secs: 29,
            tcp: None,
            status: bits::SEEN_REPLY,
            acct: None,
            mark: Some(0),
            zone: Some(Zone::DEFAULT),
            delta_time: None,
            refs: 2,
        };
        assert_eq!(
            line(&e),
            "ipv6     10 icmpv6   58 29 src=fd00:0000:0000:0000:0000:0000:0000:0001 \
             dst=fd00:0000:0000:0000:0000:0000:0000:002a type=128 code=0 id=7 \
             src=fd00:0000:0000:0000:0000:0000:0000:002a dst=fd00:0000:0000:0000:0000:0000:0000:0001 \
             type=129 code=0 id=7 mark=0 zone=0 use=2\n"
        );
    }

    #[test]
    fn the_age_of_a_timestamped_connection_comes_before_its_use_count() {
        let orig = Tuple::new(L3::Ipv4, 47, v4([1, 2, 3, 4]), v4([5, 6, 7, 8]), 0, 0);
        let reply = orig.invert().unwrap();
        let e = Entry {
            orig: &orig,
            reply: &reply,
            expires_secs: 500,
            tcp: None,
            status: bits::SEEN_REPLY,
            acct: None,
            mark: Some(0),
            zone: Some(Zone::DEFAULT),
            delta_time: Some(42),
            refs: 1,
        };
        assert!(line(&e).ends_with(" mark=0 zone=0 delta-time=42 use=1\n"));
    }

    #[test]
    fn generic_prints_addresses_only() {
        let orig = Tuple::new(L3::Ipv4, 47, v4([1, 2, 3, 4]), v4([5, 6, 7, 8]), 0, 0);
        let reply = orig.invert().unwrap();
        let e = Entry {
            orig: &orig,
            reply: &reply,
            expires_secs: 599,
            tcp: None,
            status: 0,
            acct: None,
            mark: Some(0),
            zone: Some(Zone::DEFAULT),
            delta_time: None,
            refs: 2,
        };
        assert_eq!(
            line(&e),
            "ipv4     2 unknown  47 599 src=1.2.3.4 dst=5.6.7.8 [UNREPLIED] src=5.6.7.8 dst=1.2.3.4 \
             mark=0 zone=0 use=2\n"
        );
    }

    #[test]
    fn stats_line_has_nf_conntrack_columns() {
        let s = Stats {
            invalid: 0x1f,
            error: 2,
            search_restart: 9,
            clash_resolve: 1,
            ..Default::default()
        };
        let mut out = String::new();
        write_stats(&mut out, 0x10, &s).unwrap();
        assert_eq!(
            out,
            "00000010  00000001 00000000 00000000 0000001f 00000000 00000000 00000000 00000000 \
             00000000 00000000 00000000 00000002  00000000 00000000 00000000 00000009\n"
        );
        assert_eq!(STATS_HEADER.split_whitespace().count(), 17);
        assert_eq!(out.split_whitespace().count(), 17);
    }

    #[test]
    fn zones_show_where_nf_conntrack_shows_them() {
        let (o, r) = (
            Tuple::new(
                L3::Ipv4,
                ipproto::UDP,
                v4([1, 1, 1, 1]),
                v4([2, 2, 2, 2]),
                5,
                53,
            ),
            Tuple::new(
                L3::Ipv4,
                ipproto::UDP,
                v4([2, 2, 2, 2]),
                v4([1, 1, 1, 1]),
                53,
                5,
            ),
        );
        let line_in = |zone| {
            line(&Entry {
                orig: &o,
                reply: &r,
                expires_secs: 1,
                tcp: None,
                status: bits::SEEN_REPLY,
                acct: None,
                mark: Some(3),
                zone: Some(zone),
                delta_time: None,
                refs: 1,
            })
        };
        let both = line_in(Zone {
            id: 9,
            dirs: Zone::BOTH,
        });
        assert!(both.ends_with("dport=5 mark=3 zone=9 use=1\n"), "{both}");
        let orig = line_in(Zone {
            id: 9,
            dirs: Zone::ORIGINAL,
        });
        assert!(orig.contains("dport=53 zone-orig=9 src=2.2.2.2"), "{orig}");
        assert!(orig.ends_with("mark=3 use=1\n"), "{orig}");
        let reply = line_in(Zone {
            id: 9,
            dirs: Zone::REPLY,
        });
        assert!(reply.contains("dport=5 zone-reply=9 mark=3"), "{reply}");
    }
}
