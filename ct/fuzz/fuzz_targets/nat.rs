// SPDX-License-Identifier: GPL-2.0

//! A packet's connection bound to a translation from a fuzzed range over a crowded table, then
//! the packet and ICMP errors rewritten: nothing may panic, overflow or read out of bounds, a
//! chosen address must lie in its range, and a packet whose checksums were good keeps them good.
//! The input format is that of `rust_conntrack_ct::fuzzing::nat::run`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rust_conntrack_ct::fuzzing::nat;

fuzz_target!(|data: &[u8]| {
    if let Err(broken) = nat::run(data) {
        panic!("{broken:?}");
    }
});
