// SPDX-License-Identifier: GPL-2.0

//! Addresses the stack chooses for a packet: the source masquerade gives it, from its output
//! device and route, and the address redirect sends it to, on its input device.

use super::bindings;
use super::netfilter::HookState;
use super::skb::Skb;

/// The address a packet leaving by the hook's output device takes as its source
/// (`inet_select_addr()` towards its next hop, `ipv6_dev_get_saddr()`), laid out as a
/// [`crate::ct::nat::range::NatRange`] holds one; `None` if the device has none.
pub(crate) fn masquerade_source(state: &HookState, skb: &mut Skb) -> Option<[u8; 16]> {
    let mut addr = [0u8; 16];
    // SAFETY: The state and skb are the hook call's; `addr` has room for an IPv6 address.
    let r = unsafe { bindings::rct_masq_source(state.as_ptr(), skb.as_raw(), addr.as_mut_ptr()) };
    (r == 0).then_some(addr)
}

/// The address a packet redirected as it arrives goes to: its input device's first address (for
/// IPv6, the first usable one of the scope of its destination); `None` if it has none.
pub(crate) fn redirect_target(state: &HookState, skb: &mut Skb) -> Option<[u8; 16]> {
    let mut addr = [0u8; 16];
    // SAFETY: As above.
    let r = unsafe { bindings::rct_redirect_addr(state.as_ptr(), skb.as_raw(), addr.as_mut_ptr()) };
    (r == 0).then_some(addr)
}
