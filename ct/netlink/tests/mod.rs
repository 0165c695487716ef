// SPDX-License-Identifier: GPL-2.0

//! Tests of the ctnetlink codec: byte-for-byte fixtures, round trips, and malformed input.

mod attrs;
mod changes;
mod filters;
mod fixtures;
mod records;
mod requests;
mod support;
