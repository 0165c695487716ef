// SPDX-License-Identifier: GPL-2.0

//! Devices going down and addresses leaving them, as masquerade must hear of them.
//!
//! C headers: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h),
//! [`include/linux/inetdevice.h`](srctree/include/linux/inetdevice.h),
//! [`include/net/addrconf.h`](srctree/include/net/addrconf.h)

use super::bindings;
use super::net::{Held, Net};
use core::marker::PhantomData;
use kernel::error::to_result;
use kernel::ffi::{c_int, c_ulong, c_void};
use kernel::prelude::*;
use kernel::types::Opaque;

/// What is told of devices and addresses.
pub(crate) trait AddrEvents: 'static {
    /// Device `ifindex` of `net` went down.
    fn device_down(net: &Net, held: &Held, ifindex: i32);

    /// Address `addr` (the first four bytes for IPv4) left device `ifindex` of `net`, which
    /// stays up. `may_sleep` says whether the caller may sleep.
    fn address_removed(net: &Net, held: &Held, ifindex: i32, addr: &[u8; 16], may_sleep: bool);
}

/// The notifiers of [`AddrEventsRegistration`]: devices, IPv4 and IPv6 addresses.
const DEVICES: usize = 0;
const INET: usize = 1;
const INET6: usize = 2;

/// `T` told of device and address events; unregistered on drop.
///
/// # Invariants
///
/// Each of `nbs` is registered with its chain, and calls `T`.
pub(crate) struct AddrEventsRegistration<T: AddrEvents> {
    nbs: Pin<KBox<[Opaque<bindings::notifier_block>; 3]>>,
    _t: PhantomData<T>,
}

// SAFETY: The notifiers may be unregistered from any thread.
unsafe impl<T: AddrEvents> Send for AddrEventsRegistration<T> {}
// SAFETY: `&AddrEventsRegistration` gives no access to anything.
unsafe impl<T: AddrEvents> Sync for AddrEventsRegistration<T> {}

fn block(call: bindings::notifier_fn_t) -> Opaque<bindings::notifier_block> {
    Opaque::new(bindings::notifier_block {
        notifier_call: call,
        ..Default::default()
    })
}

impl<T: AddrEvents> AddrEventsRegistration<T> {
    /// Starts telling `T`.
    pub(crate) fn new() -> Result<Self> {
        let nbs = KBox::pin(
            [
                block(Some(device_event::<T>)),
                block(Some(inet_event::<T>)),
                block(Some(inet6_event::<T>)),
            ],
            GFP_KERNEL,
        )?;
        // SAFETY: The blocks are initialised and pinned; each is unregistered before it is
        // freed (here on failure, in `drop` otherwise).
        unsafe {
            to_result(bindings::register_netdevice_notifier(nbs[DEVICES].get()))?;
            if let Err(e) = to_result(bindings::register_inetaddr_notifier(nbs[INET].get())) {
                bindings::unregister_netdevice_notifier(nbs[DEVICES].get());
                return Err(e);
            }
            if let Err(e) = to_result(bindings::register_inet6addr_notifier(nbs[INET6].get())) {
                bindings::unregister_inetaddr_notifier(nbs[INET].get());
                bindings::unregister_netdevice_notifier(nbs[DEVICES].get());
                return Err(e);
            }
        }
        // INVARIANT: All three registered just above.
        Ok(Self {
            nbs,
            _t: PhantomData,
        })
    }
}

impl<T: AddrEvents> Drop for AddrEventsRegistration<T> {
    fn drop(&mut self) {
        // SAFETY: Registered (type invariants); unregistering waits for running calls.
        unsafe {
            bindings::unregister_inet6addr_notifier(self.nbs[INET6].get());
            bindings::unregister_inetaddr_notifier(self.nbs[INET].get());
            bindings::unregister_netdevice_notifier(self.nbs[DEVICES].get());
        }
    }
}

/// # Safety
///
/// Called by the netdevice notifier chain with a `struct netdev_notifier_info`.
unsafe extern "C" fn device_event<T: AddrEvents>(
    _nb: *mut bindings::notifier_block,
    event: c_ulong,
    ptr: *mut c_void,
) -> c_int {
    let mut net = core::ptr::null_mut();
    // SAFETY: `ptr` is the event's information, as the function's safety requirements say.
    let ifindex = unsafe { bindings::rct_netdev_down(event, ptr, &mut net) };
    if ifindex != 0 {
        // SAFETY: The device's namespace outlives the event about it; the module stays loaded
        // while its notifier runs.
        let (net, held) = unsafe { (Net::from_raw(net), Held::assume()) };
        T::device_down(net, held, ifindex);
    }
    bindings::NOTIFY_DONE as c_int
}

/// What the C side reads from an address event: the device's index (0 for other events), its
/// namespace and the address.
type AddressRemoved =
    unsafe extern "C" fn(c_ulong, *mut c_void, *mut *mut bindings::net, *mut u8) -> c_int;

/// Tells `T` of an address that `removed` finds in the event `ptr`.
///
/// # Safety
///
/// `ptr` must be the information of an event of the chain `removed` reads the events of.
unsafe fn address_event<T: AddrEvents>(
    event: c_ulong,
    ptr: *mut c_void,
    removed: AddressRemoved,
    may_sleep: bool,
) -> c_int {
    let (mut net, mut addr) = (core::ptr::null_mut(), [0u8; 16]);
    // SAFETY: As the function's safety requirements say; `addr` has room for an address.
    let ifindex = unsafe { removed(event, ptr, &mut net, addr.as_mut_ptr()) };
    if ifindex != 0 {
        // SAFETY: As in `device_event`.
        let (net, held) = unsafe { (Net::from_raw(net), Held::assume()) };
        T::address_removed(net, held, ifindex, &addr, may_sleep);
    }
    bindings::NOTIFY_DONE as c_int
}

/// # Safety
///
/// Called by the IPv4 address notifier chain, in process context, with a `struct in_ifaddr`.
unsafe extern "C" fn inet_event<T: AddrEvents>(
    _nb: *mut bindings::notifier_block,
    event: c_ulong,
    ptr: *mut c_void,
) -> c_int {
    // SAFETY: An event of the IPv4 address chain, as the function's safety requirements say.
    unsafe { address_event::<T>(event, ptr, bindings::rct_inetaddr_removed, true) }
}

/// # Safety
///
/// Called by the IPv6 address notifier chain, which may be atomic, with a
/// `struct inet6_ifaddr`.
unsafe extern "C" fn inet6_event<T: AddrEvents>(
    _nb: *mut bindings::notifier_block,
    event: c_ulong,
    ptr: *mut c_void,
) -> c_int {
    // SAFETY: An event of the IPv6 address chain, as the function's safety requirements say.
    unsafe { address_event::<T>(event, ptr, bindings::rct_inet6addr_removed, false) }
}
