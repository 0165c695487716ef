// SPDX-License-Identifier: GPL-2.0

//! Connection events told to the multicast groups, as `ctnetlink_conntrack_event` tells them.

use super::conns::snapshot;
use super::event;
use super::msg::Group as EventGroup;
use super::sink::SkbSink;
use super::write::{Measure, Sink};
use crate::ct::conn::Conn;
use crate::ct::events::{Listener, Lost, Origin};
use crate::ct::sys::nfnetlink::{self, ConntrackGroup, Msg};
use crate::ct::sys::time;

/// The listener ctnetlink registers: each event becomes a message to its group.
pub(crate) struct Notifier;

/// The nfnetlink group of a codec group.
fn group(g: EventGroup) -> ConntrackGroup {
    match g {
        EventGroup::New => ConntrackGroup::New,
        EventGroup::Update => ConntrackGroup::Update,
        EventGroup::Destroy => ConntrackGroup::Destroy,
    }
}

impl Listener for Notifier {
    fn deliver(&self, conn: &Conn, events: u32, origin: Origin) -> Result<(), Lost> {
        let Some(g) = event::group(events).map(group) else {
            return Ok(());
        };
        let net = conn.owner().net();
        if !origin.report && !nfnetlink::has_listeners(net, g) {
            return Ok(());
        }
        let snap = snapshot(conn, time::now());
        let mut size = Measure::default();
        let msg = event::write(&mut size, &snap, events, origin.portid)
            .ok()
            .and_then(|_| Msg::new(Sink::len(&size), true).ok())
            .and_then(|mut msg| {
                event::write(&mut SkbSink(msg.buf()), &snap, events, origin.portid).ok()?;
                Some(msg)
            });
        let Some(msg) = msg else {
            // As netlink tells of messages it could not queue: every listener hears that it
            // missed one.
            return if nfnetlink::report_loss(net, g) {
                Err(Lost)
            } else {
                Ok(())
            };
        };
        nfnetlink::multicast(msg, net, origin.portid, g, origin.report).map_err(|_| Lost)
    }
}
