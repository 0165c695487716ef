// SPDX-License-Identifier: GPL-2.0

//! A connection as ctnetlink describes it: plain data the kernel side reads off a connection.

use crate::ct::format::Counter;
use crate::ct::proto::TcpState;
use crate::ct::tuple::Tuple;

/// Zone directions (`NF_CT_ZONE_DIR_*`).
pub(crate) mod zone_dir {
    /// The zone applies to the original direction.
    pub(crate) const ORIG: u8 = 1 << 0;
    /// The zone applies to the reply direction.
    pub(crate) const REPL: u8 = 1 << 1;
    /// The zone applies to both (`NF_CT_DEFAULT_ZONE_DIR`).
    pub(crate) const BOTH: u8 = ORIG | REPL;
}

/// A connection's zone (`struct nf_conntrack_zone` without its flags).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Zone {
    /// Zone number; 0 is the default zone.
    pub(crate) id: u16,
    /// The directions it applies to ([`zone_dir`]).
    pub(crate) dir: u8,
}

impl Zone {
    /// The default zone.
    pub(crate) const DEFAULT: Self = Self {
        id: 0,
        dir: zone_dir::BOTH,
    };
}

impl Default for Zone {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// TCP flags of one direction in the protocol state (`IP_CT_TCP_FLAG_*`), all of them.
#[allow(dead_code)]
pub(crate) mod tcp_flags {
    /// The side announced window scaling.
    pub(crate) const WINDOW_SCALE: u8 = 0x01;
    /// The side allows selective acknowledgments.
    pub(crate) const SACK_PERM: u8 = 0x02;
    /// The side has closed.
    pub(crate) const CLOSE_INIT: u8 = 0x04;
    /// Window checks are skipped.
    pub(crate) const BE_LIBERAL: u8 = 0x08;
    /// Data from the side is not acknowledged yet.
    pub(crate) const DATA_UNACKNOWLEDGED: u8 = 0x10;
    /// The side's highest acknowledgment is known.
    pub(crate) const MAXACK_SET: u8 = 0x20;
}

/// TCP state of a connection, as `CTA_PROTOINFO_TCP` carries it.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) struct TcpInfo {
    /// Connection state.
    pub(crate) state: TcpState,
    /// Window scale of each direction (original, reply).
    pub(crate) wscale: [u8; 2],
    /// [`tcp_flags`] of each direction.
    pub(crate) flags: [u8; 2],
}

/// When a connection started and stopped, in nanoseconds of wall-clock time.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) struct Timestamp {
    /// Start.
    pub(crate) start: u64,
    /// Stop; 0 while the connection lives.
    pub(crate) stop: u64,
}

/// Sequence number adjustment of one direction (`struct nf_ct_seqadj`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) struct SeqAdj {
    /// Sequence number of the last change.
    pub(crate) correction_pos: u32,
    /// Offset before it.
    pub(crate) offset_before: i32,
    /// Offset after it.
    pub(crate) offset_after: i32,
}

/// SYN proxy state (`struct nf_conn_synproxy`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) struct Synproxy {
    /// Initial sequence number.
    pub(crate) isn: u32,
    /// Initial timestamp.
    pub(crate) its: u32,
    /// Timestamp offset.
    pub(crate) tsoff: u32,
}

/// Everything ctnetlink tells of a connection.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Snapshot {
    /// Tuple of the original direction.
    pub(crate) orig: Tuple,
    /// Tuple of the reply direction.
    pub(crate) reply: Tuple,
    /// Zone.
    pub(crate) zone: Zone,
    /// Status bits ([`super::ips`]); bits above nf_conntrack's are not sent.
    pub(crate) status: u32,
    /// Whole seconds before the connection expires.
    pub(crate) timeout_secs: u32,
    /// Connection mark.
    pub(crate) mark: u32,
    /// Identifier, as `nf_ct_get_id` computes it.
    pub(crate) id: u32,
    /// References held on the connection.
    pub(crate) use_count: u32,
    /// Original tuple of the master connection, for expected connections.
    pub(crate) master: Option<Tuple>,
    /// Counters of each direction, when the connection counts.
    pub(crate) counters: Option<[Counter; 2]>,
    /// TCP state, for TCP connections.
    pub(crate) tcp: Option<TcpInfo>,
    /// Start and stop times, when the connection keeps them.
    pub(crate) timestamp: Option<Timestamp>,
    /// Sequence adjustment of each direction, when the connection has room for it.
    pub(crate) seq_adj: Option<[SeqAdj; 2]>,
    /// SYN proxy state, when the connection has room for it.
    pub(crate) synproxy: Option<Synproxy>,
}

impl Snapshot {
    /// A connection of `orig` and `reply` with nothing else known: default zone, no status,
    /// no optional parts.
    pub(crate) fn new(orig: Tuple, reply: Tuple) -> Self {
        Self {
            orig,
            reply,
            zone: Zone::DEFAULT,
            status: 0,
            timeout_secs: 0,
            mark: 0,
            id: 0,
            use_count: 0,
            master: None,
            counters: None,
            tcp: None,
            timestamp: None,
            seq_adj: None,
            synproxy: None,
        }
    }
}
