// SPDX-License-Identifier: GPL-2.0

//! Masqueraded connections end with what they were translated to (`nf_nat_masquerade`'s
//! notifiers): those leaving by a device that goes down, and those translated to an address
//! the device loses, are removed, so that new ones take the device's new address.
//!
//! The table of the device's namespace is walked once per event, as nf_conntrack's cleanup
//! walks it.

use crate::ct::state::CtNet;
use crate::ct::status::Dir;
use crate::ct::sys::addr_events::AddrEvents;
use crate::ct::sys::net::{Held, Net};

/// What masquerade does when devices and addresses change.
pub(crate) struct Masquerade;

impl AddrEvents for Masquerade {
    fn device_down(net: &Net, held: &Held, ifindex: i32) {
        if let Some(ct) = net.state_held::<CtNet>(held) {
            ct.table().kill_where(true, |c| c.masq_index() == ifindex);
        }
    }

    fn address_removed(net: &Net, held: &Held, ifindex: i32, addr: &[u8; 16], may_sleep: bool) {
        if let Some(ct) = net.state_held::<CtNet>(held) {
            ct.table().kill_where(may_sleep, |c| {
                c.masq_index() == ifindex && c.tuple(Dir::Reply).dst() == addr
            });
        }
    }
}
