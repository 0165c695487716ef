// SPDX-License-Identifier: GPL-2.0

//! ctnetlink's registration: the connection and expectation subsystems of nfnetlink, and the
//! listener that tells connection events to their multicast groups.

use super::answer;
use super::expect;
use super::msg::SUBSYS_CTNETLINK;
use super::notify::Notifier;
use crate::ct::events::{Listener, ListenerRegistration};
use crate::ct::sys::nfnetlink::{Request, Subsystem, SubsystemRegistration};
use kernel::c_str;
use kernel::prelude::*;
use kernel::str::CStr;

/// The connection subsystem (`NFNL_SUBSYS_CTNETLINK`).
struct Conntrack;

impl Subsystem for Conntrack {
    const ID: u8 = SUBSYS_CTNETLINK;
    const NAME: &'static CStr = c_str!("conntrack");
    /// `IPCTNL_MSG_MAX`.
    const OPS: u8 = 8;

    fn call(req: &Request<'_>) -> Result {
        answer::answer(req)
    }
}

/// The expectation subsystem (`NFNL_SUBSYS_CTNETLINK_EXP`).
struct Expectations;

impl Subsystem for Expectations {
    const ID: u8 = SUBSYS_CTNETLINK + 1;
    const NAME: &'static CStr = c_str!("conntrack_expect");
    const OPS: u8 = expect::OPS;

    fn call(req: &Request<'_>) -> Result {
        expect::answer(req)
    }
}

/// The listener of connection events.
static NOTIFIER: &dyn Listener = &Notifier;

/// ctnetlink, while registered; dropped in field order: requests stop, then events.
pub(crate) struct Ctnetlink {
    _conntrack: SubsystemRegistration<Conntrack>,
    _expectations: SubsystemRegistration<Expectations>,
    _events: ListenerRegistration,
}

impl Ctnetlink {
    /// Registers ctnetlink; `EBUSY` if nf_conntrack_netlink (or another) has its subsystems.
    pub(crate) fn new() -> Result<Self> {
        let events = ListenerRegistration::new(&NOTIFIER)?;
        let expectations = SubsystemRegistration::new()?;
        Ok(Self {
            _conntrack: SubsystemRegistration::new()?,
            _expectations: expectations,
            _events: events,
        })
    }
}
