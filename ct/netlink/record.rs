// SPDX-License-Identifier: GPL-2.0

//! Reading connection records and events back into snapshots, as `conntrack` reads them: for
//! round trips in tests, for fixtures captured from nf_conntrack, and for fuzzing.
//!
//! Every attribute must be one the encoder writes: anything else is `EOPNOTSUPP`, so that a
//! fixture with more than a snapshot holds is noticed rather than half read.

use super::attr::{Attr, Attrs};
use super::change::tcp_state;
use super::cta;
use super::errno::Errno;
use super::msg::Header;
use super::snapshot::{zone_dir, SeqAdj, Snapshot, Synproxy, TcpInfo, Timestamp};
use crate::ct::format::Counter;
use crate::ct::tuple::{Tuple, L3};

/// A message read back.
pub(crate) struct Record {
    /// Its headers.
    pub(crate) header: Header,
    /// The connection it describes.
    pub(crate) conn: Snapshot,
}

/// Reads a record or event message.
pub(crate) fn read(msg: &[u8]) -> Result<Record, Errno> {
    let (header, body) = Header::parse(msg)?;
    let empty = Tuple::new(L3::Ipv4, 0, [0; 16], [0; 16], 0, 0);
    let mut conn = Snapshot::new(empty, empty);
    let (mut orig, mut reply) = (None, None);
    for a in Attrs::new(body) {
        match a.kind() {
            cta::TUPLE_ORIG => orig = Some(read_dir_tuple(&a, &mut conn, zone_dir::ORIG)?),
            cta::TUPLE_REPLY => reply = Some(read_dir_tuple(&a, &mut conn, zone_dir::REPL)?),
            cta::ZONE => {
                conn.zone.id = a.be16();
                conn.zone.dir = zone_dir::BOTH;
            }
            cta::STATUS => conn.status = a.be32(),
            cta::MARK => conn.mark = a.be32(),
            cta::ID => conn.id = a.ne32(),
            cta::USE => conn.use_count = a.be32(),
            cta::TIMEOUT => conn.timeout_secs = a.be32(),
            cta::TUPLE_MASTER => conn.master = Some(read_tuple(&a)?),
            cta::PROTOINFO => conn.tcp = Some(read_tcp(&a)?),
            cta::COUNTERS_ORIG => counters(&mut conn)[0] = read_counter(&a)?,
            cta::COUNTERS_REPLY => counters(&mut conn)[1] = read_counter(&a)?,
            cta::TIMESTAMP => conn.timestamp = Some(read_timestamp(&a)?),
            cta::SEQ_ADJ_ORIG => seq_adj(&mut conn)[0] = read_seq_adj(&a)?,
            cta::SEQ_ADJ_REPLY => seq_adj(&mut conn)[1] = read_seq_adj(&a)?,
            cta::SYNPROXY => conn.synproxy = Some(read_synproxy(&a)?),
            _ => return Err(Errno::EOPNOTSUPP),
        }
    }
    conn.orig = orig.ok_or(Errno::EINVAL)?;
    conn.reply = reply.ok_or(Errno::EINVAL)?;
    Ok(Record { header, conn })
}

fn counters(c: &mut Snapshot) -> &mut [Counter; 2] {
    c.counters.get_or_insert_with(Default::default)
}

fn seq_adj(c: &mut Snapshot) -> &mut [SeqAdj; 2] {
    c.seq_adj.get_or_insert_with(Default::default)
}

/// Reads `CTA_TUPLE_ORIG` or `CTA_TUPLE_REPLY`, with its zone of direction `dir`.
fn read_dir_tuple(a: &Attr<'_>, conn: &mut Snapshot, dir: u8) -> Result<Tuple, Errno> {
    if let Some(z) = a.nested().find(|n| n.kind() == cta::tuple::ZONE) {
        conn.zone.id = z.be16();
        conn.zone.dir = dir;
    }
    read_tuple(a)
}

/// Reads the addresses and protocol part of a tuple.
fn read_tuple(a: &Attr<'_>) -> Result<Tuple, Errno> {
    let mut l3 = None;
    let (mut src, mut dst) = ([0u8; 16], [0u8; 16]);
    let (mut proto, mut src_id, mut ty, mut code, mut dst_port) = (None, 0, 0, 0, None);
    for part in a.nested() {
        match part.kind() {
            cta::tuple::IP => {
                for ip in part.nested() {
                    let (family, addr, len) = match ip.kind() {
                        cta::ip::V4_SRC => (L3::Ipv4, &mut src, 4),
                        cta::ip::V4_DST => (L3::Ipv4, &mut dst, 4),
                        cta::ip::V6_SRC => (L3::Ipv6, &mut src, 16),
                        cta::ip::V6_DST => (L3::Ipv6, &mut dst, 16),
                        _ => return Err(Errno::EOPNOTSUPP),
                    };
                    if ip.payload().len() != len {
                        return Err(Errno::EINVAL);
                    }
                    l3 = Some(family);
                    let bytes: [u8; 16] = ip.bytes();
                    if let (Some(to), Some(from)) = (addr.get_mut(..len), bytes.get(..len)) {
                        to.copy_from_slice(from);
                    }
                }
            }
            cta::tuple::PROTO => {
                for p in part.nested() {
                    match p.kind() {
                        cta::proto::NUM => proto = Some(p.u8()),
                        cta::proto::SRC_PORT | cta::proto::ICMP_ID | cta::proto::ICMPV6_ID => {
                            src_id = p.be16()
                        }
                        cta::proto::DST_PORT => dst_port = Some(p.be16()),
                        cta::proto::ICMP_TYPE | cta::proto::ICMPV6_TYPE => ty = p.u8(),
                        cta::proto::ICMP_CODE | cta::proto::ICMPV6_CODE => code = p.u8(),
                        _ => return Err(Errno::EOPNOTSUPP),
                    }
                }
            }
            cta::tuple::ZONE => {}
            _ => return Err(Errno::EOPNOTSUPP),
        }
    }
    let dst_id = dst_port.unwrap_or(u16::from_be_bytes([ty, code]));
    Ok(Tuple::new(
        l3.ok_or(Errno::EINVAL)?,
        proto.ok_or(Errno::EINVAL)?,
        src,
        dst,
        src_id,
        dst_id,
    ))
}

fn read_tcp(a: &Attr<'_>) -> Result<TcpInfo, Errno> {
    let mut tcp = TcpInfo::default();
    for info in a.nested() {
        if info.kind() != cta::protoinfo::TCP {
            return Err(Errno::EOPNOTSUPP);
        }
        for f in info.nested() {
            match f.kind() {
                cta::tcp::STATE => tcp.state = tcp_state(f.u8()).ok_or(Errno::EINVAL)?,
                cta::tcp::WSCALE_ORIGINAL => tcp.wscale[0] = f.u8(),
                cta::tcp::WSCALE_REPLY => tcp.wscale[1] = f.u8(),
                cta::tcp::FLAGS_ORIGINAL => tcp.flags[0] = f.u8(),
                cta::tcp::FLAGS_REPLY => tcp.flags[1] = f.u8(),
                _ => return Err(Errno::EOPNOTSUPP),
            }
        }
    }
    Ok(tcp)
}

fn read_counter(a: &Attr<'_>) -> Result<Counter, Errno> {
    let mut c = Counter::default();
    for f in a.nested() {
        match f.kind() {
            cta::counters::PACKETS => c.packets = f.be64(),
            cta::counters::BYTES => c.bytes = f.be64(),
            _ => return Err(Errno::EOPNOTSUPP),
        }
    }
    Ok(c)
}

fn read_timestamp(a: &Attr<'_>) -> Result<Timestamp, Errno> {
    let mut t = Timestamp::default();
    for f in a.nested() {
        match f.kind() {
            cta::timestamp::START => t.start = f.be64(),
            cta::timestamp::STOP => t.stop = f.be64(),
            _ => return Err(Errno::EOPNOTSUPP),
        }
    }
    Ok(t)
}

fn read_seq_adj(a: &Attr<'_>) -> Result<SeqAdj, Errno> {
    let mut s = SeqAdj::default();
    for f in a.nested() {
        match f.kind() {
            cta::seqadj::CORRECTION_POS => s.correction_pos = f.be32(),
            cta::seqadj::OFFSET_BEFORE => s.offset_before = f.be32() as i32,
            cta::seqadj::OFFSET_AFTER => s.offset_after = f.be32() as i32,
            _ => return Err(Errno::EOPNOTSUPP),
        }
    }
    Ok(s)
}

fn read_synproxy(a: &Attr<'_>) -> Result<Synproxy, Errno> {
    let mut s = Synproxy::default();
    for f in a.nested() {
        match f.kind() {
            cta::synproxy::ISN => s.isn = f.be32(),
            cta::synproxy::ITS => s.its = f.be32(),
            cta::synproxy::TSOFF => s.tsoff = f.be32(),
            _ => return Err(Errno::EOPNOTSUPP),
        }
    }
    Ok(s)
}
