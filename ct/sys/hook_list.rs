// SPDX-License-Identifier: GPL-2.0

//! Private lists of hook functions, kept sorted by priority, that a hook of this module runs
//! itself: as nf_nat runs the NAT chains of nftables from its own hooks.
//!
//! C header: [`include/linux/netfilter.h`](srctree/include/linux/netfilter.h)

use super::bindings;
use super::netfilter::{HookState, Verdict};
use super::skb::Skb;
use kernel::error::to_result;
use kernel::ffi::c_uint;
use kernel::prelude::*;
use kernel::sync::Mutex;
use kernel::types::Opaque;

/// A hook function another subsystem registered with this module: `struct nf_hook_ops`, owned
/// by that subsystem, which passes it again to unregister it.
#[repr(transparent)]
pub(crate) struct HookOps(Opaque<bindings::nf_hook_ops>);

impl HookOps {
    /// # Safety
    ///
    /// `ptr` must point to valid hook operations that live for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *const bindings::nf_hook_ops) -> &'a Self {
        // CAST: `Self` is a transparent wrapper of the C struct.
        // SAFETY: By the function's safety requirements.
        unsafe { &*ptr.cast() }
    }

    fn raw(&self) -> &bindings::nf_hook_ops {
        // SAFETY: The operations are valid and not written while registered.
        unsafe { &*self.0.get() }
    }

    /// The family they are for (`NFPROTO_*`).
    pub(crate) fn pf(&self) -> u8 {
        self.raw().pf
    }

    /// The hook they are for.
    pub(crate) fn hooknum(&self) -> u32 {
        self.raw().hooknum
    }
}

/// Hook operations nf_tables registered with this module (see `nftables::ChainOps`), valid
/// until it unregisters them.
#[derive(Clone, Copy)]
pub(crate) struct ChainHook(*const bindings::nf_hook_ops);

impl ChainHook {
    /// # Safety
    ///
    /// `ops` must stay valid until it is unregistered.
    pub(crate) unsafe fn new(ops: &HookOps) -> Self {
        Self(ops.0.get())
    }
}

/// `N` lists of hook functions, each run in order of priority; empty at first. Lists are
/// changed under a mutex and read under RCU.
///
/// # Invariants
///
/// Each entry of `entries` is null or a `struct nf_hook_entries` built by
/// `nf_hook_entries_insert_raw()` from the operations of the same index of `listed`, which stay
/// valid while listed; it is replaced under RCU, with `listed` locked, and freed by the kernel
/// after a grace period.
#[pin_data(PinnedDrop)]
pub(crate) struct HookLists<const N: usize> {
    entries: [Opaque<*mut bindings::nf_hook_entries>; N],
    #[pin]
    listed: Mutex<[KVec<Option<ChainHook>>; N]>,
}

// SAFETY: Readers follow the pointers under RCU; writers hold the mutex; the listed operations
// are valid from any thread.
unsafe impl<const N: usize> Send for HookLists<N> {}
// SAFETY: As above.
unsafe impl<const N: usize> Sync for HookLists<N> {}

impl<const N: usize> HookLists<N> {
    /// `N` empty lists.
    pub(crate) fn new() -> impl PinInit<Self> {
        // INVARIANT: All null, nothing listed.
        pin_init!(Self {
            entries: [const { Opaque::new(core::ptr::null_mut()) }; N],
            listed <- kernel::new_mutex!([const { KVec::new() }; N]),
        })
    }

    /// Adds `hook` to list `i`; returns how many it holds now.
    pub(crate) fn insert(&self, i: usize, hook: ChainHook) -> Result<usize> {
        let mut listed = self.listed.lock();
        let (Some(list), Some(entries)) = (listed.get_mut(i), self.entries.get(i)) else {
            return Err(EINVAL);
        };
        let slot = match list.iter().position(Option::is_none) {
            Some(s) => s,
            None => {
                list.push(None, GFP_KERNEL)?;
                list.len() - 1
            }
        };
        // SAFETY: The pointer is list `i`'s, changed with `listed` locked; `hook` stays valid
        // while listed (`ChainHook`).
        to_result(unsafe { bindings::nf_hook_entries_insert_raw(entries.get(), hook.0) })?;
        // INVARIANT: Listed.
        list.as_mut_slice()[slot] = Some(hook);
        Ok(list.iter().flatten().count())
    }

    /// Whether list `i` holds no hook function.
    pub(crate) fn is_empty(&self, i: usize) -> bool {
        self.listed
            .lock()
            .get(i)
            .map_or(true, |l| l.iter().all(Option::is_none))
    }

    /// Removes `ops` from list `i`, if there; returns how many it holds now.
    pub(crate) fn remove(&self, i: usize, ops: &HookOps) -> usize {
        let mut listed = self.listed.lock();
        let (Some(list), Some(entries)) = (listed.get_mut(i), self.entries.get(i)) else {
            return 0;
        };
        if let Some(slot) = list
            .iter_mut()
            .find(|s| s.is_some_and(|h| h.0 == ops.0.get()))
        {
            // SAFETY: As in `insert`: the operations are listed, hence valid.
            unsafe { bindings::nf_hook_entries_delete_raw(entries.get(), ops.0.get()) };
            *slot = None;
        }
        list.iter().flatten().count()
    }

    /// Runs the hook functions of list `i` in order on `skb` until one returns other than
    /// accept (that verdict is returned) or `done` says to stop.
    pub(crate) fn run(
        &self,
        i: usize,
        skb: &mut Skb,
        state: &HookState,
        mut done: impl FnMut(&mut Skb) -> bool,
    ) -> Option<u32> {
        let entries = self.entries.get(i)?;
        let _rcu = state.rcu();
        // SAFETY: Hooks run in an RCU read-side critical section (`_rcu`): the entries, once
        // read, stay valid until it ends.
        let e = unsafe { bindings::rct_hook_entries_deref(entries.get()) };
        // SAFETY: As above; `e` is null or valid.
        let count = unsafe { bindings::rct_hook_entries_count(e) };
        for i in 0..count {
            // SAFETY: `i` is below the count of `e`'s entries; the skb and state are the hook's.
            let verdict = unsafe {
                bindings::rct_hook_entries_run(e, i as c_uint, skb.as_raw(), state.as_ptr())
            };
            if verdict != Verdict::Accept.raw() {
                return Some(verdict);
            }
            if done(skb) {
                break;
            }
        }
        None
    }
}

#[pinned_drop]
impl<const N: usize> PinnedDrop for HookLists<N> {
    fn drop(self: Pin<&mut Self>) {
        let listed = self.listed.lock();
        for (list, entries) in listed.iter().zip(self.entries.iter()) {
            for hook in list.iter().flatten() {
                // SAFETY: Listed operations are valid (type invariants); the kernel frees the
                // entries after a grace period.
                unsafe { bindings::nf_hook_entries_delete_raw(entries.get(), hook.0) };
            }
        }
    }
}
