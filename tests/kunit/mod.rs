// SPDX-License-Identifier: GPL-2.0

//! KUnit suites, built into the module with `make KUNIT=1`; they run when it loads.
//!
//! Each case works on a connection tracking state of its own ([`TestState`]), made for the
//! initial namespace but in no namespace's hooks: nothing a case does reaches live traffic, and
//! live traffic does not reach the case.

mod packet;
mod table;

use crate::ct::state::CtNet;
use crate::ct::sys::net::Net;
use crate::ct::sys::sync::rcu_barrier;
use crate::ct::sys::time::sleep_ms;
use core::sync::atomic::Ordering;
use kernel::prelude::*;

/// A state of a test's own; emptied and freed on drop, once its connections are.
pub(crate) struct TestState(Option<Pin<KBox<CtNet>>>);

impl TestState {
    /// A state of its own, in the shared table.
    pub(crate) fn new() -> Option<Self> {
        let state = KBox::pin_init(CtNet::new(Net::init()).ok()?, GFP_KERNEL).ok()?;
        Some(Self(Some(state)))
    }

    /// The state.
    pub(crate) fn ct(&self) -> &CtNet {
        // Set from `new` to `drop`.
        self.0.as_deref().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for TestState {
    fn drop(&mut self) {
        let Some(state) = self.0.take() else { return };
        state.table().flush();
        // Connections leave after a grace period; the state may only go after them.
        for _ in 0..1000 {
            rcu_barrier();
            if state.count.load(Ordering::Acquire) == 0 {
                return;
            }
            sleep_ms(10);
        }
        // A connection still held points at the state: keep it, and say so.
        pr_err!("a test left connections behind; its state stays allocated\n");
        core::mem::forget(state);
    }
}
