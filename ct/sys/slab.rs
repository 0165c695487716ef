// SPDX-License-Identifier: GPL-2.0

//! Slab caches of fixed-size objects.
//!
//! C header: [`include/linux/slab.h`](srctree/include/linux/slab.h)

use super::bindings;
use core::ptr::NonNull;
use kernel::error::code::ENOMEM;
use kernel::prelude::*;
use kernel::str::CStr;

/// A slab cache (`struct kmem_cache`) of objects of one size; destroyed on drop.
///
/// # Invariants
///
/// `cache` is a live cache created by `new`.
pub(crate) struct KmemCache {
    cache: NonNull<bindings::kmem_cache>,
}

// SAFETY: Caches are used from any thread.
unsafe impl Send for KmemCache {}
// SAFETY: As above.
unsafe impl Sync for KmemCache {}

impl KmemCache {
    /// Creates a cache named `name`, as `/proc/slabinfo` shows it, of `size`-byte objects aligned
    /// to 8 bytes.
    pub(crate) fn new(name: &'static CStr, size: usize) -> Result<Self> {
        // SAFETY: `name` lives forever, as the cache requires.
        let cache = unsafe { bindings::rct_kmem_cache_create(name.as_char_ptr(), size as u32) };
        // INVARIANT: A non-null return is a live cache.
        Ok(Self {
            cache: NonNull::new(cache).ok_or(ENOMEM)?,
        })
    }

    /// Allocates an uninitialised object, without sleeping.
    pub(crate) fn alloc_atomic(&self) -> Option<NonNull<u8>> {
        // SAFETY: The cache is live; `GFP_ATOMIC` allocations may run in any context.
        NonNull::new(
            unsafe { bindings::rct_kmem_cache_alloc(self.cache.as_ptr(), bindings::GFP_ATOMIC) }
                .cast(),
        )
    }

    /// Frees an object.
    ///
    /// # Safety
    ///
    /// `obj` must come from [`KmemCache::alloc`] on this cache and not be used afterwards.
    pub(crate) unsafe fn free(&self, obj: NonNull<u8>) {
        // SAFETY: By the function's safety requirements.
        unsafe { bindings::kmem_cache_free(self.cache.as_ptr(), obj.as_ptr().cast()) };
    }
}

impl Drop for KmemCache {
    fn drop(&mut self) {
        // SAFETY: The cache is live; its owner frees every object before dropping it.
        unsafe { bindings::kmem_cache_destroy(self.cache.as_ptr()) };
    }
}
