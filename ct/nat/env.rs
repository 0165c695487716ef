// SPDX-License-Identifier: GPL-2.0

//! What choosing a translation needs from the kernel side: the connection being bound, and the
//! table, random numbers and zone through [`NatEnv`].

use crate::ct::proto::TcpState;
use crate::ct::status::Dir;
use crate::ct::tuple::Tuple;

/// How far a TCP connection has got, for the choice of evicting a closed one from its port.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct TcpProgress {
    /// The tracker's state.
    pub(crate) state: TcpState,
    /// The end of the highest sequence number the original side has sent (`td_end`).
    pub(crate) end: u32,
}

/// The connection being bound to a translation, not yet in the table.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Unbound {
    /// Its reply tuple as it stands: the inverse of its packets' tuple after the translations
    /// already decided.
    pub(crate) reply: Tuple,
    /// Its status bits.
    pub(crate) status: usize,
    /// Its TCP progress, or `None` for other protocols or when it is not known; without it no
    /// connection is evicted to free a port.
    pub(crate) tcp: Option<TcpProgress>,
}

/// A connection found in the table.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Found<E> {
    /// What holds the connection while it is looked at, for [`NatEnv::kill`].
    pub(crate) entry: E,
    /// The direction of the connection's tuple that matched.
    pub(crate) dir: Dir,
    /// The connection's status bits.
    pub(crate) status: usize,
    /// The connection's original tuple.
    pub(crate) original: Tuple,
    /// The connection's TCP progress, when it is a TCP connection and known.
    pub(crate) tcp: Option<TcpProgress>,
}

/// The kernel side's table and services, as the choice of a translation uses them.
///
/// Lookups are in the network namespace and zone of the connection being bound.
pub(crate) trait NatEnv {
    /// A reference that holds a found connection while it is looked at.
    type Entry;

    /// Whether a connection other than the one being bound has `tuple` as either of its tuples
    /// (`nf_conntrack_tuple_taken`). A connection whose original tuple equals the bound one's
    /// does not count: it is the same flow, met twice, which confirmation sorts out; nor does an
    /// expired one.
    fn tuple_taken(&mut self, tuple: &Tuple) -> bool;

    /// The connection with `tuple` as either of its tuples (`nf_conntrack_find_get`).
    fn find(&mut self, tuple: &Tuple) -> Option<Found<Self::Entry>>;

    /// Removes a connection [`NatEnv::find`] returned; whether this call removed it
    /// (`nf_ct_kill`).
    fn kill(&mut self, entry: &Self::Entry) -> bool;

    /// Calls `visit` with the original and reply tuples of each source-translated connection
    /// in the chain where those with `orig`'s source address, port and protocol are kept (the
    /// `bysource` hash), until `visit` returns true.
    fn visit_source_mappings<F: FnMut(&Tuple, &Tuple) -> bool>(&mut self, orig: &Tuple, visit: F);

    /// A random number (`get_random_u16`).
    fn random_u16(&mut self) -> u16;

    /// The zone id of the connection being bound, mixed into the choice of an address.
    fn zone_id(&self) -> u16;
}
