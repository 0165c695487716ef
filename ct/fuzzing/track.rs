// SPDX-License-Identifier: GPL-2.0

//! The protocol logic as fuzz targets drive it: packets in byte slices, parsed and run through
//! their connection's tracker over a small table kept as the kernel's packet path keeps it.

use crate::ct::format::{write_entry, Entry};
use crate::ct::packet::{parse, Parsed};
use crate::ct::proto::{track, Decision, ProtoState, Seen, TcpWindow, Timeouts};
use crate::ct::status::{bits, Dir};
use crate::ct::tuple::{Tuple, L3};
use core::fmt::{self, Write};
use core::sync::atomic::Ordering::Relaxed;

/// Connections the table holds at most; a new one takes the place of the oldest.
const SLOTS: usize = 8;

/// Jiffies per second.
const HZ: u32 = 250;

/// One connection and what its trackers keep.
struct Conn {
    orig: Tuple,
    reply: Tuple,
    state: ProtoState,
    window: TcpWindow,
    status: usize,
    deadline: u32,
}

/// What a packet did.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Outcome {
    /// It could not be parsed, or its tracker found it invalid.
    Invalid,
    /// An ICMP error about a tracked connection.
    Related,
    /// An ICMP error about nothing tracked, or malformed.
    Error,
    /// Left untracked by design.
    Untracked,
    /// It opened a connection.
    New,
    /// It was tracked as part of a connection.
    Tracked,
    /// It closed its connection, or replaced it with a new one.
    Closed,
}

/// A small connection table in one network namespace.
pub struct Tracker {
    timeouts: Timeouts,
    conns: [Option<Conn>; SLOTS],
    next_slot: usize,
    now: u32,
}

/// Discards what is written, so that formatting runs in full.
struct Sink;

impl Write for Sink {
    fn write_str(&mut self, _: &str) -> fmt::Result {
        Ok(())
    }
}

impl Tracker {
    /// A table with nf_conntrack's defaults, changed by `switches`: bit 0 turns
    /// `tcp_loose` off, bit 1 turns `tcp_be_liberal` on, bit 2 `tcp_ignore_invalid_rst`,
    /// and the high nibble sets `tcp_max_retrans`.
    pub fn new(switches: u8) -> Self {
        let timeouts = Timeouts::new();
        timeouts
            .tcp_loose
            .store(u8::from(switches & 1 == 0), Relaxed);
        timeouts.tcp_be_liberal.store(switches >> 1 & 1, Relaxed);
        timeouts
            .tcp_ignore_invalid_rst
            .store(switches >> 2 & 1, Relaxed);
        timeouts.tcp_max_retrans.store(switches >> 4, Relaxed);
        Self {
            timeouts,
            conns: Default::default(),
            next_slot: 0,
            // Close to the wrap of the jiffies clock.
            now: u32::MAX - 1000 * HZ,
        }
    }

    /// Runs one packet, from its network header on, `elapsed` jiffies after the last.
    /// `reverse` makes it count as sent the other way: its tuple is inverted before the
    /// lookup.
    pub fn packet(
        &mut self,
        ipv6: bool,
        bytes: &[u8],
        verify_checksum: bool,
        reverse: bool,
        elapsed: u32,
    ) -> Outcome {
        self.now = self.now.wrapping_add(elapsed);
        self.expire();
        let l3 = if ipv6 { L3::Ipv6 } else { L3::Ipv4 };
        let (tuple, tcp) = match parse(bytes, l3, verify_checksum) {
            Ok(Parsed::Flow { tuple, tcp, .. }) => (tuple, tcp),
            Ok(Parsed::Error { quoted, dst }) => {
                // The quoted packet went the other way: its connection has the inverse
                // tuple, whose sender the error must come back to.
                let related = quoted
                    .invert()
                    .and_then(|t| self.find(&t))
                    .and_then(|(i, dir)| self.conns[i].as_ref().map(|c| c.tuple(dir)))
                    .is_some_and(|t| t.dst() == &dst);
                return if related {
                    Outcome::Related
                } else {
                    Outcome::Error
                };
            }
            Ok(Parsed::Untracked) => return Outcome::Untracked,
            Err(_) => return Outcome::Invalid,
        };
        let tuple = match reverse {
            true => match tuple.invert() {
                Some(t) => t,
                None => return Outcome::Invalid,
            },
            false => tuple,
        };
        let Some((i, dir)) = self.find(&tuple) else {
            return self.create(&tuple, tcp);
        };
        let now = self.now;
        let Some(conn) = self.conns[i].as_mut() else {
            return Outcome::Invalid;
        };
        let left = conn.deadline.wrapping_sub(now);
        let seen = Seen {
            proto: tuple.proto(),
            orig_icmp_type: conn.orig.icmp_type(),
            tcp,
            dir,
            confirmed: true,
            status: conn.status,
            now,
            expires: if (left as i32) > 0 { left } else { 0 },
            hz: HZ,
        };
        let decision = track(&seen, &mut conn.state, &mut conn.window, &self.timeouts);
        let outcome = match decision {
            Decision::Accept { timeout, assure } => {
                conn.deadline = now.wrapping_add(timeout);
                if assure {
                    conn.status |= bits::ASSURED;
                }
                Outcome::Tracked
            }
            Decision::Ignore { note } => {
                let _ = note.map(|n| write!(Sink, "{n}"));
                Outcome::Tracked
            }
            Decision::Invalid {
                note,
                lowered_timeout,
            } => {
                let _ = note.map(|n| write!(Sink, "{n}"));
                if let Some(t) = lowered_timeout {
                    conn.deadline = now.wrapping_add(t);
                }
                return Outcome::Invalid;
            }
            Decision::Close => {
                self.conns[i] = None;
                return Outcome::Closed;
            }
            Decision::Reopen => {
                self.conns[i] = None;
                self.create(&tuple, tcp);
                return Outcome::Closed;
            }
        };
        if dir == Dir::Reply {
            conn.status |= bits::SEEN_REPLY;
        }
        self.show(i);
        outcome
    }

    /// The slot and direction of the connection `tuple` belongs to.
    fn find(&self, tuple: &Tuple) -> Option<(usize, Dir)> {
        self.conns.iter().enumerate().find_map(|(i, c)| {
            let c = c.as_ref()?;
            if &c.orig == tuple {
                Some((i, Dir::Original))
            } else if &c.reply == tuple {
                Some((i, Dir::Reply))
            } else {
                None
            }
        })
    }

    fn create(&mut self, tuple: &Tuple, tcp: crate::ct::packet::Segment) -> Outcome {
        let Some(reply) = tuple.invert() else {
            return Outcome::Invalid;
        };
        let mut state = ProtoState::default();
        let mut window = TcpWindow::default();
        let seen = Seen {
            proto: tuple.proto(),
            orig_icmp_type: tuple.icmp_type(),
            tcp,
            dir: Dir::Original,
            confirmed: false,
            status: 0,
            now: self.now,
            expires: 0,
            hz: HZ,
        };
        let Decision::Accept { timeout, assure } =
            track(&seen, &mut state, &mut window, &self.timeouts)
        else {
            return Outcome::Invalid;
        };
        let slot = self.next_slot;
        self.next_slot = (slot + 1) % SLOTS;
        self.conns[slot] = Some(Conn {
            orig: *tuple,
            reply,
            state,
            window,
            status: bits::CONFIRMED | if assure { bits::ASSURED } else { 0 },
            deadline: self.now.wrapping_add(timeout),
        });
        self.show(slot);
        Outcome::New
    }

    /// Removes the connections whose time is up.
    fn expire(&mut self) {
        let now = self.now;
        for c in self.conns.iter_mut() {
            if c.as_ref()
                .is_some_and(|c| (now.wrapping_sub(c.deadline) as i32) >= 0)
            {
                *c = None;
            }
        }
    }

    /// Formats the connection's `/proc/net/nf_conntrack` line.
    fn show(&self, slot: usize) {
        let Some(c) = self.conns.get(slot).and_then(Option::as_ref) else {
            return;
        };
        let tcp = (c.orig.proto() == crate::ct::tuple::ipproto::TCP).then_some(c.state.tcp);
        let entry = Entry {
            orig: &c.orig,
            reply: &c.reply,
            expires_secs: c.deadline.wrapping_sub(self.now) / HZ,
            tcp,
            status: c.status,
            acct: None,
            mark: None,
            zone: None,
            delta_time: None,
            refs: 1,
        };
        let _ = write_entry(&mut Sink, &entry);
    }
}

impl Conn {
    fn tuple(&self, dir: Dir) -> &Tuple {
        match dir {
            Dir::Original => &self.orig,
            Dir::Reply => &self.reply,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Outcome, Tracker};
    use std::vec::Vec;

    /// An IPv4 TCP segment from 10.0.0.1:40000 to 10.0.0.2:80.
    fn segment(flags: u8, seq: u32, ack: u32) -> Vec<u8> {
        let mut p = std::vec![0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
        p.extend_from_slice(&40000u16.to_be_bytes());
        p.extend_from_slice(&80u16.to_be_bytes());
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&ack.to_be_bytes());
        p.extend_from_slice(&[5 << 4, flags, 0xff, 0xff, 0, 0, 0, 0]);
        p
    }

    #[test]
    fn the_fuzzing_table_tracks_both_directions() {
        let mut t = Tracker::new(0);
        let run = |t: &mut Tracker, p: &[u8], reverse| t.packet(false, p, false, reverse, 1);
        assert_eq!(run(&mut t, &segment(0x02, 100, 0), false), Outcome::New);
        assert_eq!(
            run(&mut t, &segment(0x12, 900, 101), true),
            Outcome::Tracked
        );
        assert_eq!(
            run(&mut t, &segment(0x10, 101, 901), false),
            Outcome::Tracked
        );
        // Acknowledging what was never sent.
        assert_eq!(
            run(&mut t, &segment(0x10, 101, 90_000), false),
            Outcome::Invalid
        );
        assert_eq!(run(&mut t, &segment(0x04, 901, 0), true), Outcome::Tracked);
        assert_eq!(run(&mut t, &segment(0x03, 1, 0), false), Outcome::Invalid);
    }
}
