// SPDX-License-Identifier: GPL-2.0

//! IP defragmentation before conntrack, by the kernel's nf_defrag_ipv4 and nf_defrag_ipv6.
//!
//! C headers: [`include/net/netfilter/ipv4/nf_defrag_ipv4.h`](srctree/include/net/netfilter/ipv4/nf_defrag_ipv4.h),
//! [`include/net/netfilter/ipv6/nf_defrag_ipv6.h`](srctree/include/net/netfilter/ipv6/nf_defrag_ipv6.h)

use super::bindings;
use super::net::Net;
use kernel::error::to_result;
use kernel::prelude::*;

/// Defragmentation enabled in one namespace, at PRE_ROUTING and LOCAL_OUT ahead of conntrack;
/// disabled on drop.
///
/// # Invariants
///
/// `net` holds one user of each of IPv4 and IPv6 defragmentation on behalf of this value.
pub(crate) struct Defrag {
    net: *mut bindings::net,
}

// SAFETY: Disabling may happen on any thread.
unsafe impl Send for Defrag {}
// SAFETY: `&Defrag` gives no access to anything.
unsafe impl Sync for Defrag {}

impl Defrag {
    /// Enables defragmentation of IPv4 and IPv6 in `net`.
    pub(crate) fn new(net: &Net) -> Result<Self> {
        // SAFETY: `net` is alive; paired with the disable in `drop`.
        to_result(unsafe { bindings::nf_defrag_ipv4_enable(net.as_ptr()) })?;
        // SAFETY: As above.
        if let Err(e) = to_result(unsafe { bindings::nf_defrag_ipv6_enable(net.as_ptr()) }) {
            // SAFETY: Undoes the enable above.
            unsafe { bindings::nf_defrag_ipv4_disable(net.as_ptr()) };
            return Err(e);
        }
        // INVARIANT: Both enabled just above.
        Ok(Self { net: net.as_ptr() })
    }
}

impl Drop for Defrag {
    fn drop(&mut self) {
        // SAFETY: Both were enabled for this value (type invariants); the namespace is alive
        // until its state is torn down, which drops this first.
        unsafe {
            bindings::nf_defrag_ipv6_disable(self.net);
            bindings::nf_defrag_ipv4_disable(self.net);
        }
    }
}
