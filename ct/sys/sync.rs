// SPDX-License-Identifier: GPL-2.0

//! Locking the packet path can use: spinlocks that disable bottom halves, RCU, refcounts.
//!
//! C headers: [`include/linux/spinlock.h`](srctree/include/linux/spinlock.h),
//! [`include/linux/rcupdate.h`](srctree/include/linux/rcupdate.h),
//! [`include/linux/refcount.h`](srctree/include/linux/refcount.h)

use super::bindings;
use core::marker::PhantomData;
use kernel::types::Opaque;

/// A spinlock that guards no data of its own, taken with bottom halves disabled
/// (`spin_lock_bh()`), so that both process context and softirqs may take it.
#[repr(transparent)]
pub(crate) struct SpinLockBh(Opaque<bindings::spinlock_t>);

// SAFETY: A spinlock is meant to be shared between threads.
unsafe impl Sync for SpinLockBh {}
// SAFETY: An unlocked spinlock may move to another thread.
unsafe impl Send for SpinLockBh {}

/// Lock classes, for lockdep.
#[derive(Clone, Copy)]
pub(crate) enum LockClass {
    /// Locks of hash table buckets; two may be held at once, the second taken with
    /// [`SpinLockBh::lock_nested`].
    Bucket,
    /// The lock of one connection.
    Conn,
}

impl SpinLockBh {
    /// An uninitialised lock.
    ///
    /// # Safety
    ///
    /// [`SpinLockBh::init`] must be called before any other method.
    pub(crate) const unsafe fn uninit() -> Self {
        Self(Opaque::uninit())
    }

    /// Initialises the lock where it is.
    ///
    /// # Safety
    ///
    /// Must be called once, before any other method, and the lock must not move afterwards.
    pub(crate) unsafe fn init(&self, class: LockClass) {
        // SAFETY: The pointer is valid for writes; by the safety requirements nobody uses the
        // lock yet.
        unsafe {
            match class {
                LockClass::Bucket => bindings::rct_bucket_lock_init(self.0.get()),
                LockClass::Conn => bindings::rct_conn_lock_init(self.0.get()),
            }
        }
    }

    /// Takes the lock.
    pub(crate) fn lock(&self) -> SpinLockBhGuard<'_> {
        // SAFETY: The lock is initialised (`init`'s safety requirements).
        unsafe { bindings::rct_spin_lock_bh(self.0.get()) };
        SpinLockBhGuard {
            lock: self,
            _not_send: PhantomData,
        }
    }

    /// Takes the lock while holding another lock of the same class.
    pub(crate) fn lock_nested(&self) -> SpinLockBhGuard<'_> {
        // SAFETY: As for `lock`.
        unsafe { bindings::rct_spin_lock_bh_nested(self.0.get()) };
        SpinLockBhGuard {
            lock: self,
            _not_send: PhantomData,
        }
    }
}

impl SpinLockBhGuard<'_> {
    /// Holding the lock, bottom halves are off: an RCU read-side critical section.
    pub(crate) fn rcu(&self) -> &Rcu {
        &Rcu(())
    }
}

/// Proof that a [`SpinLockBh`] is held; releases it on drop.
pub(crate) struct SpinLockBhGuard<'a> {
    lock: &'a SpinLockBh,
    _not_send: PhantomData<*mut ()>,
}

impl Drop for SpinLockBhGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: The guard proves the lock is held by this thread.
        unsafe { bindings::rct_spin_unlock_bh(self.lock.0.get()) };
    }
}

/// Proof of being inside an RCU read-side critical section for as long as it is borrowed: from
/// an [`RcuGuard`], a hook call (`HookState::rcu`), or a held [`SpinLockBh`].
pub(crate) struct Rcu(());

impl Rcu {
    /// # Safety
    ///
    /// The caller must be inside an RCU read-side critical section for the returned lifetime.
    pub(crate) unsafe fn assume<'a>() -> &'a Rcu {
        &Rcu(())
    }
}

/// An RCU read-side critical section, from creation to drop.
pub(crate) struct RcuGuard(PhantomData<*mut ()>);

impl core::ops::Deref for RcuGuard {
    type Target = Rcu;

    fn deref(&self) -> &Rcu {
        &Rcu(())
    }
}

impl RcuGuard {
    /// Enters a read-side critical section.
    pub(crate) fn new() -> Self {
        // SAFETY: Always allowed; paired with the unlock in `drop`.
        unsafe { bindings::rct_rcu_read_lock() };
        Self(PhantomData)
    }
}

impl Drop for RcuGuard {
    fn drop(&mut self) {
        // SAFETY: Paired with the lock in `new`, on the same thread (the guard is not `Send`).
        unsafe { bindings::rct_rcu_read_unlock() };
    }
}

/// Waits until every RCU read-side critical section that started before has ended.
pub(crate) fn synchronize_rcu() {
    // SAFETY: Called from process context by the module's setup and teardown paths.
    unsafe { bindings::synchronize_rcu() };
}

/// Waits until every callback queued with [`RcuHead::call`] has run.
pub(crate) fn rcu_barrier() {
    // SAFETY: Called from process context by the module's teardown path.
    unsafe { bindings::rcu_barrier() };
}

/// Room for an RCU callback (`struct rcu_head`) inside an object.
#[repr(transparent)]
pub(crate) struct RcuHead(Opaque<bindings::callback_head>);

impl RcuHead {
    /// Runs `func(self)` once every RCU reader that might see the object has finished.
    ///
    /// # Safety
    ///
    /// The head must be valid and not queued; nothing but `func` may use it, or the object it
    /// is in, after the call. `func` must be safe to call with this head's address.
    pub(crate) unsafe fn call(&self, func: unsafe extern "C" fn(*mut bindings::callback_head)) {
        // SAFETY: By the function's safety requirements.
        unsafe { bindings::call_rcu(self.0.get(), Some(func)) };
    }
}

/// A reference count (`refcount_t`), saturating instead of overflowing.
#[repr(transparent)]
pub(crate) struct Refcount(Opaque<bindings::refcount_t>);

// SAFETY: A refcount is an atomic counter, for sharing between threads.
unsafe impl Sync for Refcount {}
// SAFETY: As above.
unsafe impl Send for Refcount {}

impl Refcount {
    /// Sets the count.
    ///
    /// # Safety
    ///
    /// No other thread may see the object yet.
    pub(crate) unsafe fn set(&self, n: i32) {
        // SAFETY: The pointer is valid.
        unsafe { bindings::rct_refcount_set(self.0.get(), n) };
    }

    /// The current count.
    pub(crate) fn read(&self) -> u32 {
        // SAFETY: The pointer is valid.
        unsafe { bindings::rct_refcount_read(self.0.get()) }
    }

    /// Takes a reference; the caller must already hold one.
    pub(crate) fn inc(&self) {
        // SAFETY: The pointer is valid.
        unsafe { bindings::refcount_inc(self.0.get()) };
    }

    /// Takes a reference unless the count has dropped to zero.
    pub(crate) fn inc_not_zero(&self) -> bool {
        // SAFETY: The pointer is valid.
        unsafe { bindings::rct_refcount_inc_not_zero(self.0.get()) }
    }

    /// Drops a reference; returns whether it was the last one.
    pub(crate) fn dec_and_test(&self) -> bool {
        // SAFETY: The pointer is valid.
        unsafe { bindings::refcount_dec_and_test(self.0.get()) }
    }
}
