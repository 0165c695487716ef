// SPDX-License-Identifier: GPL-2.0

//! Slab caches of objects of one type.
//!
//! C header: [`include/linux/slab.h`](srctree/include/linux/slab.h)

use super::bindings;
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::error::code::ENOMEM;
use kernel::prelude::*;
use kernel::str::CStr;

/// A slab cache (`struct kmem_cache`) of `T`s, each followed by a tail of a fixed number of
/// bytes its owner lays out; destroyed on drop.
///
/// # Invariants
///
/// `cache` is a live cache created by `with_tail`, of objects of `T`'s size rounded up to 8
/// bytes plus their tail, aligned to 8.
pub(crate) struct KmemCache<T> {
    cache: NonNull<bindings::kmem_cache>,
    _t: PhantomData<T>,
}

// SAFETY: Caches are used from any thread; objects are handed out as raw pointers, and `T`s
// move between threads only if they are `Send`.
unsafe impl<T: Send> Send for KmemCache<T> {}
// SAFETY: As above.
unsafe impl<T: Send> Sync for KmemCache<T> {}

impl<T> KmemCache<T> {
    /// Where the tail of an object starts.
    pub(crate) const TAIL: usize = core::mem::size_of::<T>().next_multiple_of(8);

    /// Creates a cache named `name` of objects with a tail of `tail` bytes.
    pub(crate) fn with_tail(name: &'static CStr, tail: usize) -> Result<Self> {
        const { assert!(core::mem::align_of::<T>() <= 8) };
        let size = u32::try_from(Self::TAIL + tail).map_err(|_| EINVAL)?;
        // SAFETY: `name` lives forever, as the cache requires.
        let cache = unsafe { bindings::rct_kmem_cache_create(name.as_char_ptr(), size) };
        // INVARIANT: A non-null return is a live cache of objects of `size` bytes, aligned to
        // 8 bytes.
        Ok(Self {
            cache: NonNull::new(cache).ok_or(ENOMEM)?,
            _t: PhantomData,
        })
    }

    /// Allocates an object holding `value`, without sleeping; the caller owns it. The tail is
    /// uninitialised.
    #[inline]
    pub(crate) fn alloc_atomic(&self, value: T) -> Option<NonNull<T>> {
        // SAFETY: The cache is live; `GFP_ATOMIC` allocations may run in any context.
        let obj =
            unsafe { bindings::rct_kmem_cache_alloc(self.cache.as_ptr(), bindings::GFP_ATOMIC) };
        let obj = NonNull::new(obj.cast::<T>())?;
        // SAFETY: A fresh object of the cache is valid for writing a `T` (type invariants).
        unsafe { obj.as_ptr().write(value) };
        Some(obj)
    }

    /// Frees an object, without dropping what it holds.
    ///
    /// # Safety
    ///
    /// `obj` must come from [`KmemCache::alloc_atomic`] on this cache and not be used afterwards.
    pub(crate) unsafe fn free(&self, obj: NonNull<T>) {
        // SAFETY: By the function's safety requirements.
        unsafe { bindings::kmem_cache_free(self.cache.as_ptr(), obj.as_ptr().cast()) };
    }
}

impl<T> Drop for KmemCache<T> {
    fn drop(&mut self) {
        // SAFETY: The cache is live; its owner frees every object before dropping it.
        unsafe { bindings::kmem_cache_destroy(self.cache.as_ptr()) };
    }
}
