// SPDX-License-Identifier: GPL-2.0

//! The entry points of the ctnetlink fuzz target.

/// Decodes `data` as a ctnetlink request and runs every step it asks for.
pub fn request(data: &[u8]) {
    crate::ct::netlink::fuzz::request(data);
}

/// Reads `data` as a connection record and checks that it writes back stably.
pub fn record(data: &[u8]) {
    crate::ct::netlink::fuzz::record(data);
}
