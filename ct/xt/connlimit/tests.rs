// SPDX-License-Identifier: GPL-2.0

//! `connlimit` as xt_connlimit counts: keys under the mask, by source or destination and zone,
//! a list per key, the limit and its inversion, and packets that cannot be counted.

use super::*;
use crate::ct::nft::conncount::tests::Table;
use crate::ct::tuple::{ipproto, Tuple};
use crate::ct::zone::Zone;
use std::vec::Vec;

fn v4(a: [u8; 4]) -> [u8; 16] {
    let mut b = [0; 16];
    b[..4].copy_from_slice(&a);
    b
}

/// Lists by key, in the order the keys came.
#[derive(Default)]
struct Lists(Vec<(Key, Vec<Entry>, Pace)>);

impl KeyedLists for Lists {
    type List = Vec<Entry>;

    fn find(&mut self, key: &Key) -> Option<(&mut Vec<Entry>, &mut Pace)> {
        self.0
            .iter_mut()
            .find(|(k, _, _)| k == key)
            .map(|(_, l, p)| (l, p))
    }

    fn prune_near(
        &mut self,
        _key: &Key,
        max: usize,
        prune: &mut dyn FnMut(&mut Vec<Entry>, &mut Pace) -> bool,
    ) {
        let mut seen = 0;
        self.0.retain_mut(|(_, l, p)| {
            seen += 1;
            seen > max || !prune(l, p)
        });
    }

    fn insert(&mut self, key: Key, first: Entry) -> Result<(), ()> {
        let pace = Pace {
            last_gc: first.added,
            last_gc_count: 0,
        };
        self.0.push((key, std::vec![first], pace));
        Ok(())
    }
}

fn pkt(src: [u8; 4], port: u16) -> Packet {
    Packet {
        tuple: Tuple::new(L3::Ipv4, ipproto::TCP, v4(src), v4([10, 0, 2, 2]), port, 80),
        zone: Zone::DEFAULT,
        confirmed: false,
        assured: false,
    }
}

fn rule(limit: u32, mask: [u8; 4], f: u32) -> ConnlimitRule {
    ConnlimitRule {
        mask: v4(mask),
        limit,
        flags: f,
    }
}

/// Counts `p` as the match does, for rule `r`, a jiffy after the last packet, and says what it
/// answers.
fn answer(r: &ConnlimitRule, lists: &mut Lists, table: &mut Table, p: &Packet) -> Outcome {
    let t = &p.tuple;
    let key = r.key(L3::Ipv4, t.src(), t.dst(), p.zone.id);
    let now = 100 + table.0.len() as u32;
    let n = count(lists, key, table, p, now, 0);
    table.0.push((t.src_id(), false));
    r.outcome(n)
}

#[test]
fn keys_are_masked_addresses_and_zones() {
    let r = rule(2, [255, 255, 255, 0], 0);
    let a = r.key(L3::Ipv4, &v4([10, 0, 1, 1]), &v4([10, 0, 2, 2]), 0);
    let b = r.key(L3::Ipv4, &v4([10, 0, 1, 200]), &v4([10, 9, 9, 9]), 0);
    assert_eq!(a, b);
    assert_ne!(
        a,
        r.key(L3::Ipv4, &v4([10, 0, 3, 1]), &v4([10, 0, 2, 2]), 0)
    );
    assert_ne!(
        a,
        r.key(L3::Ipv4, &v4([10, 0, 1, 1]), &v4([10, 0, 2, 2]), 1)
    );
    assert_ne!(
        a.words(),
        r.key(L3::Ipv4, &v4([10, 0, 1, 1]), &[0; 16], 1).words()
    );
    let d = rule(2, [255; 4], flags::DADDR);
    assert_eq!(
        d.key(L3::Ipv4, &v4([1, 1, 1, 1]), &v4([10, 0, 2, 2]), 0),
        d.key(L3::Ipv4, &v4([2, 2, 2, 2]), &v4([10, 0, 2, 2]), 0)
    );
    // IPv6 keys take all sixteen bytes under the mask; IPv4 keys only four.
    let mut m6 = [0xff; 16];
    m6[8..].fill(0);
    let r6 = ConnlimitRule {
        mask: m6,
        limit: 1,
        flags: 0,
    };
    let mut s1 = [0xfd; 16];
    let k1 = r6.key(L3::Ipv6, &s1, &[0; 16], 0);
    s1[15] = 1;
    assert_eq!(k1, r6.key(L3::Ipv6, &s1, &[0; 16], 0));
    s1[7] = 1;
    assert_ne!(k1, r6.key(L3::Ipv6, &s1, &[0; 16], 0));
    let all = rule(1, [255; 4], 0);
    let mut junk = v4([10, 0, 1, 1]);
    junk[9] = 7;
    assert_eq!(
        all.key(L3::Ipv4, &junk, &[0; 16], 0),
        all.key(L3::Ipv4, &v4([10, 0, 1, 1]), &[0; 16], 0)
    );
}

#[test]
fn above_the_limit_per_key() {
    let r = rule(2, [255, 255, 255, 255], 0);
    let (mut lists, mut table) = (Lists::default(), Table::default());
    let a = [10, 0, 1, 1];
    assert_eq!(
        answer(&r, &mut lists, &mut table, &pkt(a, 1)),
        Outcome::NoMatch
    );
    assert_eq!(
        answer(&r, &mut lists, &mut table, &pkt(a, 2)),
        Outcome::NoMatch
    );
    assert_eq!(
        answer(&r, &mut lists, &mut table, &pkt(a, 3)),
        Outcome::Match
    );
    // Another source has a list of its own.
    assert_eq!(
        answer(&r, &mut lists, &mut table, &pkt([10, 0, 1, 2], 4)),
        Outcome::NoMatch
    );
    assert_eq!(lists.0.len(), 2);
    // A connection counted already is not counted again.
    let key = r.key(L3::Ipv4, &v4(a), &[0; 16], 0);
    assert_eq!(
        count(&mut lists, key, &mut table, &pkt(a, 3), 200, 0),
        Some(3)
    );
}

#[test]
fn upto_inverts() {
    let r = rule(1, [255, 255, 255, 0], flags::INVERT);
    let (mut lists, mut table) = (Lists::default(), Table::default());
    assert_eq!(
        answer(&r, &mut lists, &mut table, &pkt([10, 0, 1, 1], 1)),
        Outcome::Match
    );
    assert_eq!(
        answer(&r, &mut lists, &mut table, &pkt([10, 0, 1, 2], 2)),
        Outcome::NoMatch
    );
}

#[test]
fn closed_connections_stop_counting_and_empty_lists_go() {
    let r = rule(1, [255; 4], 0);
    let (mut lists, mut table) = (Lists::default(), Table::default());
    assert_eq!(
        answer(&r, &mut lists, &mut table, &pkt([10, 0, 1, 1], 1)),
        Outcome::NoMatch
    );
    // The connection closes; a later count for the key prunes it.
    table.0[0].1 = true;
    let key = r.key(L3::Ipv4, &v4([10, 0, 1, 1]), &[0; 16], 0);
    assert_eq!(
        count(&mut lists, key, &mut table, &pkt([10, 0, 1, 1], 2), 200, 0),
        Some(1)
    );
    // Another key's arrival prunes lists that have emptied.
    table.0.clear();
    let other = r.key(L3::Ipv4, &v4([10, 0, 1, 9]), &[0; 16], 0);
    assert_eq!(
        count(
            &mut lists,
            other,
            &mut table,
            &pkt([10, 0, 1, 9], 3),
            205,
            0
        ),
        Some(1)
    );
    assert_eq!(lists.0.len(), 1);
    assert_eq!(lists.0[0].0, other);
}

#[test]
fn packets_not_counted_are_dropped() {
    let r = rule(5, [255; 4], 0);
    assert_eq!(r.outcome(None), Outcome::Drop);
    assert_eq!(r.outcome(Some(0)), Outcome::Drop);
    assert_eq!(r.outcome(Some(5)), Outcome::NoMatch);
    assert_eq!(r.outcome(Some(6)), Outcome::Match);
}
