// SPDX-License-Identifier: GPL-2.0

//! Rate limits for log messages.

use super::bindings;

/// Whether a networking message may be logged now (`net_ratelimit()`: 10 per 5 seconds by
/// default).
pub(crate) fn net() -> bool {
    // SAFETY: Always allowed.
    unsafe { bindings::net_ratelimit() != 0 }
}
