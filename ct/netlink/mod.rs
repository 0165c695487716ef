// SPDX-License-Identifier: GPL-2.0

//! ctnetlink's messages: what `conntrack` sends and what it is answered, as
//! nf_conntrack_netlink in Linux 6.12 reads and writes them.
//!
//! The kernel side registers the nfnetlink subsystem, hands each request here whole, and acts
//! on what [`request::Request::action`] asks: it looks connections up, changes or creates them
//! through [`change::ConnState`], and describes each connection it answers with as a
//! [`snapshot::Snapshot`], which [`encode::record`] and [`event::write`] turn into messages in
//! a [`write::Sink`] it implements over an skb. Dumps and flushes select connections with
//! [`filter::Filter::matches`]; statistics have their records in [`stats`].
//!
//! In the module, `subsys` registers the subsystems and the event listener; `answer`, `create`
//! and `dumps` act on requests, `conns` reads and changes connections, and `notify` tells
//! events.

pub(crate) mod attr;
pub(crate) mod change;
pub(crate) mod cta;
pub(crate) mod encode;
pub(crate) mod errno;
pub(crate) mod event;
pub(crate) mod filter;
pub(crate) mod ips;
pub(crate) mod msg;
// NAT ranges are read once the module has NAT to bind them (see `create`).
#[cfg(not(MODULE))]
pub(crate) mod nat;
pub(crate) mod policy;
pub(crate) mod request;
pub(crate) mod snapshot;
pub(crate) mod stats;
pub(crate) mod tuple;
pub(crate) mod write;

#[cfg(MODULE)]
mod answer;
#[cfg(MODULE)]
mod conns;
#[cfg(MODULE)]
mod create;
#[cfg(MODULE)]
mod dumps;
#[cfg(MODULE)]
mod expect;
#[cfg(MODULE)]
mod notify;
#[cfg(MODULE)]
mod sink;
#[cfg(MODULE)]
mod subsys;
#[cfg(MODULE)]
pub(crate) use subsys::Ctnetlink;

#[cfg(not(MODULE))]
pub(crate) mod fuzz;
#[cfg(not(MODULE))]
pub(crate) mod record;

#[cfg(test)]
mod tests;
