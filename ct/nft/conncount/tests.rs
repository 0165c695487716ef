// SPDX-License-Identifier: GPL-2.0

//! Counting as nf_conncount counts: duplicates, gone and closed connections, other CPUs'
//! connections not confirmed yet, the pruning pace.

use super::*;
use crate::ct::tuple::{ipproto, L3};
use std::vec::Vec;

impl Entries for Vec<Entry> {
    fn len(&self) -> usize {
        Vec::len(self)
    }
    fn get(&self, i: usize) -> Option<&Entry> {
        self.as_slice().get(i)
    }
    fn swap_remove(&mut self, i: usize) {
        Vec::swap_remove(self, i);
    }
    fn push(&mut self, e: Entry) -> Result<(), ()> {
        Vec::push(self, e);
        Ok(())
    }
}

/// A table of connections by source port: open, or closed.
#[derive(Default)]
pub(crate) struct Table(pub(crate) Vec<(u16, Closed)>);

impl Lookup for Table {
    fn find(&mut self, t: &Tuple, _zone: Zone) -> Option<Closed> {
        self.0
            .iter()
            .find(|(p, _)| *p == t.src_id())
            .map(|&(_, c)| c)
    }
}

fn tuple(port: u16) -> Tuple {
    Tuple::new(L3::Ipv4, ipproto::TCP, [1; 16], [2; 16], port, 80)
}

fn pkt(port: u16) -> Packet {
    Packet {
        tuple: tuple(port),
        zone: Zone::DEFAULT,
        confirmed: false,
        assured: false,
    }
}

#[test]
fn counts_each_connection_once() {
    let (mut list, mut pace) = (Vec::new(), Pace::default());
    let mut table = Table(Vec::new());
    for port in [1, 2, 3] {
        assert_eq!(
            add(&mut list, &mut pace, &mut table, &pkt(port), 10, 0),
            Ok(())
        );
        table.0.push((port, false));
    }
    assert_eq!(list.len(), 3);
    // A retransmitted first packet of a connection counted already, a jiffy later.
    assert_eq!(
        add(&mut list, &mut pace, &mut table, &pkt(2), 11, 0),
        Ok(())
    );
    assert_eq!(list.len(), 3);
    // A set-up connection is not counted again.
    let mut assured = pkt(2);
    assured.confirmed = true;
    assured.assured = true;
    assert_eq!(
        add(&mut list, &mut pace, &mut table, &assured, 12, 0),
        Err(NotAdded::Assured)
    );
}

#[test]
fn gone_and_closed_connections_stop_counting() {
    let (mut list, mut pace) = (Vec::new(), Pace::default());
    let mut table = Table(Vec::new());
    for port in [1, 2, 3] {
        add(&mut list, &mut pace, &mut table, &pkt(port), 10, 0).unwrap();
        table.0.push((port, false));
    }
    table.0.retain(|&(p, _)| p != 1);
    table.0[0].1 = true;
    add(&mut list, &mut pace, &mut table, &pkt(4), 11, 0).unwrap();
    let mut ports: Vec<u16> = list.iter().map(|e| e.tuple.src_id()).collect();
    ports.sort();
    assert_eq!(ports, [3, 4]);
}

#[test]
fn another_cpus_new_connection_is_not_pruned_at_once() {
    let (mut list, mut pace) = (Vec::new(), Pace::default());
    let mut table = Table(Vec::new());
    // Added by CPU 1, not in the table yet (unconfirmed).
    add(&mut list, &mut pace, &mut table, &pkt(1), 10, 1).unwrap();
    add(&mut list, &mut pace, &mut table, &pkt(2), 11, 0).unwrap();
    assert_eq!(list.len(), 2);
    // Two jiffies on, it is surely gone.
    add(&mut list, &mut pace, &mut table, &pkt(3), 12, 0).unwrap();
    assert_eq!(list.iter().filter(|e| e.tuple.src_id() == 1).count(), 0);
    // The same tuple from another CPU, still maybe unconfirmed: counted once.
    add(&mut list, &mut pace, &mut table, &pkt(9), 20, 1).unwrap();
    add(&mut list, &mut pace, &mut table, &pkt(9), 21, 0).unwrap();
    assert_eq!(list.iter().filter(|e| e.tuple.src_id() == 9).count(), 1);
}

#[test]
fn within_a_jiffy_new_connections_are_added_without_a_pass() {
    let (mut list, mut pace) = (Vec::new(), Pace::default());
    let mut table = Table(Vec::new());
    add(&mut list, &mut pace, &mut table, &pkt(1), 10, 0).unwrap();
    assert_eq!(pace.last_gc, 10);
    // Gone, but within the same jiffy nothing is checked.
    add(&mut list, &mut pace, &mut table, &pkt(2), 10, 0).unwrap();
    assert_eq!(list.len(), 2);
    assert!(!gc(&mut list, &mut pace, &mut table, 10, 0));
    assert!(gc(&mut list, &mut pace, &mut table, 11, 0));
    assert_eq!(list.len(), 0);
}
