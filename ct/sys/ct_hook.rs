// SPDX-License-Identifier: GPL-2.0

//! Being the kernel's connection tracker: the callbacks core networking code makes through
//! `nf_ct_hook` on packets that carry a connection.
//!
//! C header: [`include/linux/netfilter.h`](srctree/include/linux/netfilter.h)

use super::bindings;
use super::net::Net;
use super::netfilter::Verdict;
use super::skb::Skb;
use super::sync::Rcu;
use crate::ct::tuple::Tuple;
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::error::code::EBUSY;
use kernel::ffi::c_int;
use kernel::prelude::*;

/// A connection type whose objects begin with a `struct nf_conntrack`.
///
/// # Safety
///
/// While a [`CtHookRegistration`] of a hook with this type is installed, every
/// `struct nf_conntrack` that core networking code holds is the head of a `Self`.
pub(crate) unsafe trait NfConn: Sync + 'static {}

/// The callbacks of `struct nf_ct_hook`.
pub(crate) trait CtHook: 'static {
    /// The connections packets carry.
    type Conn: NfConn;

    /// The last reference to `conn` is gone: free it.
    ///
    /// # Safety
    ///
    /// `conn` must be a connection whose reference count has just dropped to zero.
    unsafe fn destroy(conn: NonNull<Self::Conn>);

    /// `new` is an ICMP error or reset answering `old`: attach it to `old`'s connection.
    fn attach(new: &mut Skb, old: &Skb);

    /// The tuple of the packet's direction in its connection, if it is tracked; called within
    /// an RCU read-side critical section.
    fn tuple_of(skb: &Skb, rcu: &Rcu) -> Option<Tuple>;

    /// A reset was sent for `conn`'s connection.
    fn set_closing(conn: &Self::Conn);

    /// Confirms the packet's connection, for paths that bypass the confirm hooks.
    fn confirm(skb: &mut Skb) -> Verdict;

    /// A queued packet is reinjected: bring its connection up to date.
    fn update(net: &Net, skb: &mut Skb) -> Verdict;
}

struct VTable<T>(PhantomData<T>);

impl<T: CtHook> VTable<T> {
    const HOOK: bindings::nf_ct_hook = bindings::nf_ct_hook {
        update: Some(Self::update),
        destroy: Some(Self::destroy),
        get_tuple_skb: Some(Self::get_tuple_skb),
        attach: Some(Self::attach),
        set_closing: Some(Self::set_closing),
        confirm: Some(Self::confirm),
    };

    /// # Safety
    ///
    /// `net` must be a live namespace and `skb` an skb the caller owns.
    unsafe extern "C" fn update(net: *mut bindings::net, skb: *mut bindings::sk_buff) -> c_int {
        // SAFETY: nfnetlink_queue passes a live namespace and the skb it owns.
        let (net, skb) = unsafe { (Net::from_raw(net), Skb::from_raw(skb)) };
        T::update(net, skb).raw() as c_int
    }

    /// # Safety
    ///
    /// `nfct` must be a connection of this module whose count has dropped to zero.
    unsafe extern "C" fn destroy(nfct: *mut bindings::nf_conntrack) {
        // CAST: The connection begins with its `nf_conntrack` (`NfConn`).
        if let Some(conn) = NonNull::new(nfct.cast::<T::Conn>()) {
            // SAFETY: `nf_conntrack_put()` calls this when the count has dropped to zero.
            unsafe { T::destroy(conn) };
        }
    }

    /// # Safety
    ///
    /// `dst` must be valid for writing a tuple and `skb` a live skb.
    unsafe extern "C" fn get_tuple_skb(
        dst: *mut bindings::nf_conntrack_tuple,
        skb: *const bindings::sk_buff,
    ) -> bool {
        // SAFETY: The caller passes a live skb.
        let skb = unsafe { Skb::from_raw_ref(skb) };
        // SAFETY: `nf_ct_get_tuple_skb()`, the only caller, holds the RCU read lock around the
        // call.
        let rcu = unsafe { Rcu::assume() };
        match T::tuple_of(skb, rcu) {
            Some(t) => {
                // CAST: `Tuple` has the layout of `struct nf_conntrack_tuple`.
                // SAFETY: `dst` is valid for writing one tuple.
                unsafe { dst.cast::<Tuple>().write(t) };
                true
            }
            None => false,
        }
    }

    /// # Safety
    ///
    /// `new` must be an skb the caller owns and `old` a live skb.
    unsafe extern "C" fn attach(new: *mut bindings::sk_buff, old: *const bindings::sk_buff) {
        // SAFETY: The caller owns `new` and passes a live `old`.
        let (new, old) = unsafe { (Skb::from_raw(new), Skb::from_raw_ref(old)) };
        T::attach(new, old);
    }

    /// # Safety
    ///
    /// `nfct` must be null or a connection of this module on which the caller holds a reference.
    unsafe extern "C" fn set_closing(nfct: *mut bindings::nf_conntrack) {
        // CAST: The connection begins with its `nf_conntrack` (`NfConn`).
        let conn = nfct.cast::<T::Conn>();
        if !conn.is_null() {
            // SAFETY: A connection of `T`'s (`NfConn`), on which the caller holds a reference
            // for the length of the call.
            T::set_closing(unsafe { &*conn });
        }
    }

    /// # Safety
    ///
    /// `skb` must be an skb the caller owns.
    unsafe extern "C" fn confirm(skb: *mut bindings::sk_buff) -> c_int {
        // SAFETY: The caller owns the skb.
        let skb = unsafe { Skb::from_raw(skb) };
        T::confirm(skb).raw() as c_int
    }
}

/// `T` installed as the kernel's conntrack hook; removed on drop.
///
/// # Invariants
///
/// `nf_ct_hook` points to `hook`.
pub(crate) struct CtHookRegistration<T: CtHook> {
    hook: &'static bindings::nf_ct_hook,
    _t: PhantomData<T>,
}

// SAFETY: The registration only refers to a constant table.
unsafe impl<T: CtHook> Send for CtHookRegistration<T> {}
// SAFETY: As above.
unsafe impl<T: CtHook> Sync for CtHookRegistration<T> {}

impl<T: CtHook> CtHookRegistration<T> {
    /// Installs `T`, unless another conntrack (nf_conntrack) holds the hook.
    pub(crate) fn new() -> Result<Self> {
        // The address installed is the one removed later: keep it.
        let hook: &'static bindings::nf_ct_hook = &VTable::<T>::HOOK;
        // SAFETY: The table lives forever.
        if unsafe { bindings::rct_ct_hook_claim(hook) } != 0 {
            return Err(EBUSY);
        }
        // INVARIANT: Claimed just above.
        Ok(Self {
            hook,
            _t: PhantomData,
        })
    }
}

impl<T: CtHook> Drop for CtHookRegistration<T> {
    fn drop(&mut self) {
        // SAFETY: The hook is ours, by the type invariants.
        unsafe { bindings::rct_ct_hook_release(self.hook) };
        // Callers that read the hook before the release may still be running it.
        super::sync::synchronize_rcu();
    }
}
