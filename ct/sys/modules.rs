// SPDX-License-Identifier: GPL-2.0

//! Keeping a module from loading while this one is loaded.
//!
//! C header: [`include/linux/module.h`](srctree/include/linux/module.h)

use super::bindings;
use kernel::error::to_result;
use kernel::ffi::{c_int, c_ulong, c_void};
use kernel::prelude::*;
use kernel::types::Opaque;

/// The module that must not load alongside this one.
const BLOCKED: &[u8] = b"nf_conntrack";

/// A module notifier that refuses to let nf_conntrack load; removed on drop.
///
/// nf_conntrack would take over the kernel's conntrack hook (`nf_ct_hook`) and then be handed
/// connections it does not know.
///
/// # Invariants
///
/// `nb` is registered as a module notifier.
pub(crate) struct ModuleBlocker {
    nb: Pin<KBox<Opaque<bindings::notifier_block>>>,
}

// SAFETY: The notifier may be unregistered from any thread.
unsafe impl Send for ModuleBlocker {}
// SAFETY: `&ModuleBlocker` gives no access to anything.
unsafe impl Sync for ModuleBlocker {}

impl ModuleBlocker {
    /// Starts refusing.
    pub(crate) fn new() -> Result<Self> {
        let nb = KBox::pin_init(
            Opaque::ffi_init(|nb: *mut bindings::notifier_block| {
                // SAFETY: `nb` is valid for writes.
                unsafe {
                    nb.write(bindings::notifier_block {
                        notifier_call: Some(notify),
                        ..Default::default()
                    })
                };
            }),
            GFP_KERNEL,
        )?;
        // SAFETY: `nb` is initialised and pinned, and unregistered before it is freed.
        to_result(unsafe { bindings::register_module_notifier(nb.get()) })?;
        // INVARIANT: Registered just above.
        Ok(Self { nb })
    }
}

impl Drop for ModuleBlocker {
    fn drop(&mut self) {
        // SAFETY: Registered, by the type invariants.
        unsafe { bindings::unregister_module_notifier(self.nb.get()) };
    }
}

/// Vetoes nf_conntrack's arrival.
///
/// # Safety
///
/// For `MODULE_STATE_COMING`, `data` must be the module coming.
unsafe extern "C" fn notify(
    _nb: *mut bindings::notifier_block,
    action: c_ulong,
    data: *mut c_void,
) -> c_int {
    if action != bindings::module_state_MODULE_STATE_COMING as c_ulong {
        return bindings::NOTIFY_OK;
    }
    // SAFETY: For module state changes `data` is the module, alive for the call.
    let name = unsafe { &(*data.cast::<bindings::module>()).name };
    let len = name.iter().position(|&c| c == 0).unwrap_or(name.len());
    // CAST: `c_char` and `u8` have the same size.
    // SAFETY: `name[..len]` is initialised.
    let name = unsafe { core::slice::from_raw_parts(name.as_ptr().cast::<u8>(), len) };
    if name != BLOCKED {
        return bindings::NOTIFY_OK;
    }
    pr_err!(
        "nf_conntrack cannot load while rust_conntrack is loaded; unload rust_conntrack first\n"
    );
    bindings::NOTIFY_BUSY
}
