// SPDX-License-Identifier: GPL-2.0

//! Requests to the connection subsystem, and what each asks the kernel side to do
//! (`ctnetlink_get_conntrack`, `ctnetlink_del_conntrack`, `ctnetlink_new_conntrack`, the
//! statistics and list requests).

use super::attr::{self, Attrs, Mode};
use super::change::{self, ConnState, CtTable};
use super::cta::{self, filter_flags};
use super::errno::Errno;
use super::filter::{self, Filter};
use super::msg::{flags, Header, Op, SUBSYS_CTNETLINK};
#[cfg(not(MODULE))]
use super::nat::{self, Manip, NatRange};
use super::policy;
use super::snapshot::Zone;
use super::tuple;
use crate::ct::tuple::Tuple;

/// A connection to look up, as `nf_conntrack_find_get` looks it up: a connection either of
/// whose tuples equals `tuple` (its direction mark aside), and whose zone, for the direction
/// of the tuple found, is `zone`'s for that direction.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Key {
    /// The tuple, marked with the direction the request named.
    pub(crate) tuple: Tuple,
    /// The zone.
    pub(crate) zone: Zone,
}

/// What a request asks for.
pub(crate) enum Action<'a> {
    /// Create or change a connection.
    New(NewConn<'a>),
    /// Answer with the record of one connection (`ENOENT` if there is none); read its counters
    /// and zero them if `zero_counters`.
    Get {
        /// The connection.
        key: Key,
        /// Whether the counters are zeroed as they are read.
        zero_counters: bool,
    },
    /// Dump the records of the table's connections that `filter` admits (all without one),
    /// each flagged as filtered when there is a filter.
    Dump {
        /// The filter.
        filter: Option<Filter>,
        /// Whether the counters are zeroed as they are read.
        zero_counters: bool,
    },
    /// Delete one connection (`ENOENT` if there is none, or if `id` is given and is not its
    /// identifier).
    Delete {
        /// The connection.
        key: Key,
        /// Its identifier, as the request gives it.
        id: Option<u32>,
    },
    /// Delete the connections that `filter` admits, all without one.
    Flush {
        /// The filter.
        filter: Option<Filter>,
    },
    /// Dump one record of statistics per possible CPU.
    DumpStatsCpu,
    /// Answer with the table-wide statistics.
    Stats,
    /// Dump the records of the connections being destroyed, of address family `family` (all
    /// if 0).
    DumpDying {
        /// The address family.
        family: u8,
    },
    /// Start a dump that has no records.
    DumpNothing,
    /// Nothing to do: succeed.
    Nothing,
}

/// A request, its attributes checked against ctnetlink's top-level policy.
pub(crate) struct Request<'a> {
    /// The message's headers.
    pub(crate) header: Header,
    /// The operation.
    pub(crate) op: Op,
    /// The top-level attributes.
    attrs: CtTable<'a>,
}

impl<'a> Request<'a> {
    /// Reads a whole netlink message (its `nlmsg_len` bytes) addressed to the connection
    /// subsystem.
    pub(crate) fn parse(msg: &'a [u8]) -> Result<Self, Errno> {
        let (header, body) = Header::parse(msg)?;
        let [subsys, op] = header.msg_type.to_be_bytes();
        if subsys != SUBSYS_CTNETLINK {
            return Err(Errno::EINVAL);
        }
        let op = Op::from_u8(op).ok_or(Errno::EINVAL)?;
        // Only the connection operations declare attributes; the others read none.
        let body = match op {
            Op::New | Op::Get | Op::Delete | Op::GetCtrZero => body,
            _ => &[],
        };
        let attrs = attr::parse(Attrs::new(body), &policy::CT, Mode::Liberal)?;
        Ok(Self { header, op, attrs })
    }

    /// Whether changes are to be reported back to the requester (`nlmsg_report`).
    pub(crate) fn report(&self) -> bool {
        self.header.flags & flags::ECHO != 0
    }

    /// Whether the request asks for a dump.
    pub(crate) fn is_dump(&self) -> bool {
        self.header.flags & flags::DUMP != 0
    }

    /// What the request asks for.
    pub(crate) fn action(&self) -> Result<Action<'_>, Errno> {
        let family = self.header.family;
        match self.op {
            Op::New => Ok(Action::New(self.new_conn()?)),
            Op::Get | Op::GetCtrZero => {
                let zero_counters = self.op == Op::GetCtrZero;
                if self.is_dump() {
                    return Ok(Action::Dump {
                        filter: self.filter(family)?,
                        zero_counters,
                    });
                }
                let mut zone = self.zone();
                let (kind, attr) = [cta::TUPLE_ORIG, cta::TUPLE_REPLY]
                    .into_iter()
                    .find_map(|k| Some((k, self.attrs.get(k)?)))
                    .ok_or(Errno::EINVAL)?;
                let tuple = tuple::parse(&attr, kind, family, Some(&mut zone), filter_flags::ALL)?;
                Ok(Action::Get {
                    key: Key { tuple, zone },
                    zero_counters,
                })
            }
            Op::Delete => {
                let mut zone = self.zone();
                let found = if self.attrs.has(cta::FILTER) {
                    None
                } else {
                    [cta::TUPLE_ORIG, cta::TUPLE_REPLY]
                        .into_iter()
                        .find_map(|k| Some((k, self.attrs.get(k)?)))
                };
                let Some((kind, attr)) = found else {
                    let all_families = self.header.version == 0 && !self.attrs.has(cta::FILTER);
                    let family = if all_families { 0 } else { family };
                    return Ok(Action::Flush {
                        filter: self.filter(family)?,
                    });
                };
                let tuple = tuple::parse(&attr, kind, family, Some(&mut zone), filter_flags::ALL)?;
                Ok(Action::Delete {
                    key: Key { tuple, zone },
                    id: self.attrs.get(cta::ID).map(|a| a.ne32()),
                })
            }
            Op::GetStatsCpu if self.is_dump() => Ok(Action::DumpStatsCpu),
            Op::GetStatsCpu => Ok(Action::Nothing),
            Op::GetStats => Ok(Action::Stats),
            Op::GetDying if self.is_dump() => Ok(Action::DumpDying { family }),
            Op::GetUnconfirmed if self.is_dump() => Ok(Action::DumpNothing),
            Op::GetDying | Op::GetUnconfirmed => Err(Errno::EOPNOTSUPP),
        }
    }

    /// The zone of `CTA_ZONE`, applying to both directions (`ctnetlink_parse_zone`).
    fn zone(&self) -> Zone {
        Zone {
            id: self.attrs.get(cta::ZONE).map_or(0, |a| a.be16()),
            ..Zone::DEFAULT
        }
    }

    /// The filter of a dump or flush of address family `family`, if it needs one.
    fn filter(&self, family: u8) -> Result<Option<Filter>, Errno> {
        if !filter::needed(family, &self.attrs) {
            return Ok(None);
        }
        Filter::parse(family, &self.attrs).map(Some)
    }

    /// Reads the zone and tuples of a `CT_NEW` request.
    fn new_conn(&self) -> Result<NewConn<'_>, Errno> {
        let mut zone = self.zone();
        let family = self.header.family;
        let mut tuples = [None, None];
        for (kind, slot) in [cta::TUPLE_ORIG, cta::TUPLE_REPLY]
            .into_iter()
            .zip(tuples.iter_mut())
        {
            if let Some(attr) = self.attrs.get(kind) {
                *slot = Some(tuple::parse(
                    &attr,
                    kind,
                    family,
                    Some(&mut zone),
                    filter_flags::ALL,
                )?);
            }
        }
        let [orig, reply] = tuples;
        Ok(NewConn {
            zone,
            orig,
            reply,
            flags: self.header.flags,
            family,
            attrs: &self.attrs,
        })
    }
}

/// A `CT_NEW` request: create a connection, or change the one it names.
///
/// The kernel side looks up [`NewConn::key`]. If a connection is found, it checks
/// [`NewConn::may_change`], then applies [`NewConn::update`] to the connection and reports
/// [`super::event::CHANGED`]. If none is found, it creates one in nf_conntrack's order:
/// 1. [`NewConn::create`] gives the tuples; the connection is allocated (`ENOMEM` if it
///    cannot be);
/// 2. [`NewConn::check_create`];
/// 3. if [`NewConn::has_nat`], NAT is set up (`EOPNOTSUPP` without NAT), destination then
///    source, each from [`NewConn::nat`] or a null binding where it gives none;
/// 4. [`NewConn::init`] sets the rest up;
/// 5. [`NewConn::master`], if given, must be found (`ENOENT`), in the request's zone, and the
///    connection becomes expected by it;
/// 6. the connection is inserted (`EEXIST` if either tuple is taken), and
///    [`super::event::CREATED`] reported with `NEW` (or `RELATED` if expected).
pub(crate) struct NewConn<'a> {
    /// The zone the connection is in.
    pub(crate) zone: Zone,
    /// The original tuple, if given.
    pub(crate) orig: Option<Tuple>,
    /// The reply tuple, if given.
    pub(crate) reply: Option<Tuple>,
    /// The request's `NLM_F_*` flags.
    flags: u16,
    /// The request's address family.
    family: u8,
    /// The request's attributes.
    attrs: &'a CtTable<'a>,
}

impl NewConn<'_> {
    /// The connection to look up: by the original tuple if given, else by the reply tuple.
    pub(crate) fn key(&self) -> Option<Key> {
        let tuple = self.orig.or(self.reply)?;
        Some(Key {
            tuple,
            zone: self.zone,
        })
    }

    /// The tuples of the connection to create when none is found: `ENOENT` unless the request
    /// allows creation, `EINVAL` unless it has both tuples, of one protocol.
    pub(crate) fn create(&self) -> Result<(Tuple, Tuple), Errno> {
        if self.flags & flags::CREATE == 0 {
            return Err(Errno::ENOENT);
        }
        match (self.orig, self.reply) {
            (Some(o), Some(r)) if o.proto() == r.proto() => Ok((o, r)),
            _ => Err(Errno::EINVAL),
        }
    }

    /// Whether the connection found may be changed: not if the request is exclusive.
    pub(crate) fn may_change(&self) -> Result<(), Errno> {
        if self.flags & flags::EXCL != 0 {
            Err(Errno::EEXIST)
        } else {
            Ok(())
        }
    }

    /// Changes a connection found, `hz` jiffies a second.
    pub(crate) fn update(&self, s: &mut ConnState, hz: u32) -> Result<(), Errno> {
        change::update(self.attrs, s, hz)
    }

    /// Checks the request before a connection is set up from it.
    pub(crate) fn check_create(&self) -> Result<(), Errno> {
        change::check_create(self.attrs)
    }

    /// Whether the request gives a NAT range of either kind.
    pub(crate) fn has_nat(&self) -> bool {
        self.attrs.has(cta::NAT_SRC) || self.attrs.has(cta::NAT_DST)
    }

    /// The NAT range of kind `manip`, if given.
    #[cfg(not(MODULE))]
    pub(crate) fn nat(&self, manip: Manip) -> Result<Option<NatRange>, Errno> {
        self.attrs
            .get(manip.attr())
            .map(|a| nat::parse(&a, self.family))
            .transpose()
    }

    /// Sets up a connection being created, `hz` jiffies a second.
    pub(crate) fn init(&self, s: &mut ConnState, hz: u32) -> Result<(), Errno> {
        change::init(self.attrs, s, hz)
    }

    /// The original tuple of the master connection, if given.
    pub(crate) fn master(&self) -> Result<Option<Tuple>, Errno> {
        self.attrs
            .get(cta::TUPLE_MASTER)
            .map(|a| tuple::parse(&a, cta::TUPLE_MASTER, self.family, None, filter_flags::ALL))
            .transpose()
    }
}
