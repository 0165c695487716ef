// SPDX-License-Identifier: GPL-2.0

//! Fuzzes the ctnetlink codec: requests as nfnetlink hands them over, and records read back.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rust_conntrack_ct::fuzzing::netlink as netlink_fuzz;

fuzz_target!(|data: &[u8]| {
    netlink_fuzz::request(data);
    netlink_fuzz::record(data);
});
