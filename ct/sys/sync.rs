// SPDX-License-Identifier: GPL-2.0

//! Locking the packet path can use: spinlocks that disable bottom halves, RCU, refcounts.
//!
//! C headers: [`include/linux/spinlock.h`](srctree/include/linux/spinlock.h),
//! [`include/linux/rcupdate.h`](srctree/include/linux/rcupdate.h),
//! [`include/linux/refcount.h`](srctree/include/linux/refcount.h)

use super::bindings;
use core::marker::PhantomData;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicI32, Ordering};
use kernel::str::CStr;
use kernel::sync::LockClassKey;
use kernel::types::Opaque;

/// A spinlock that guards no data of its own, taken with bottom halves disabled
/// (`spin_lock_bh()`), so that both process context and softirqs may take it.
#[repr(transparent)]
pub(crate) struct SpinLockBh(Opaque<bindings::spinlock_t>);

// SAFETY: A spinlock is meant to be shared between threads.
unsafe impl Sync for SpinLockBh {}
// SAFETY: An unlocked spinlock may move to another thread.
unsafe impl Send for SpinLockBh {}

impl SpinLockBh {
    /// An uninitialised lock.
    ///
    /// # Safety
    ///
    /// [`SpinLockBh::init`] must be called before any other method.
    pub(crate) const unsafe fn uninit() -> Self {
        Self(Opaque::uninit())
    }

    /// Initialises the lock where it is, as one of lockdep's class `key` (from
    /// `kernel::static_lock_class!()`), named `name`.
    ///
    /// # Safety
    ///
    /// Must be called once, before any other method, and the lock must not move afterwards.
    pub(crate) unsafe fn init(&self, name: &'static CStr, key: &'static LockClassKey) {
        // CAST: `LockClassKey` is a transparent wrapper of `struct lock_class_key`.
        let key = (key as *const LockClassKey).cast_mut().cast();
        // SAFETY: The pointer is valid for writes; by the safety requirements nobody uses the
        // lock yet. `name` and `key` live forever, as lockdep requires.
        unsafe { bindings::__spin_lock_init(self.0.get(), name.as_char_ptr(), key) };
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

/// Data guarded by a spinlock taken with bottom halves disabled, for data that both process
/// context and softirqs change.
///
/// # Invariants
///
/// `lock` is initialised, and `data` is only reached through a guard of it.
pub(crate) struct BhLock<T> {
    lock: SpinLockBh,
    data: core::cell::UnsafeCell<T>,
}

// SAFETY: The data moves between threads only as `T` may.
unsafe impl<T: Send> Send for BhLock<T> {}
// SAFETY: The lock hands the data to one thread at a time.
unsafe impl<T: Send> Sync for BhLock<T> {}

impl<T> BhLock<T> {
    /// A lock of lockdep class `key` (from `kernel::static_lock_class!()`), named `name`,
    /// around `data`.
    pub(crate) fn new(
        data: T,
        name: &'static CStr,
        key: &'static LockClassKey,
    ) -> impl kernel::init::PinInit<Self> {
        let init = move |slot: *mut Self| {
            // SAFETY: `slot` is valid for writing a `Self`.
            let lock = unsafe { &raw mut (*slot).lock };
            // SAFETY: As above; `init` below follows before any use.
            unsafe { lock.write(SpinLockBh::uninit()) };
            // SAFETY: Once, before any use; the lock is pinned with the value.
            unsafe { (*lock).init(name, key) };
            // SAFETY: `slot` is valid for writing a `Self`.
            unsafe { (&raw mut (*slot).data).write(core::cell::UnsafeCell::new(data)) };
            // INVARIANT: The lock is initialised.
            Ok(())
        };
        // SAFETY: The closure initialises both fields in place and never fails.
        unsafe { kernel::init::pin_init_from_closure(init) }
    }

    /// Takes the lock.
    pub(crate) fn lock(&self) -> BhLockGuard<'_, T> {
        BhLockGuard {
            _guard: self.lock.lock(),
            data: &self.data,
        }
    }
}

/// The data of a held [`BhLock`]; releases it on drop.
pub(crate) struct BhLockGuard<'a, T> {
    _guard: SpinLockBhGuard<'a>,
    data: &'a core::cell::UnsafeCell<T>,
}

impl<T> core::ops::Deref for BhLockGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: The lock is held for as long as the guard (type invariants of `BhLock`).
        unsafe { &*self.data.get() }
    }
}

impl<T> core::ops::DerefMut for BhLockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: As above; the guard is borrowed mutably.
        unsafe { &mut *self.data.get() }
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

/// A cookie for the grace period that follows this call, which RCU is told to start if it is
/// not due already (`start_poll_synchronize_rcu()`): see [`gp_elapsed`]. With interrupts
/// enabled.
pub(crate) fn gp_start() -> usize {
    // SAFETY: Takes RCU's node lock with interrupts saved and may wake its kthread; callers run
    // with interrupts enabled, as the kernel asks.
    unsafe { bindings::start_poll_synchronize_rcu() as usize }
}

/// Whether a full grace period has elapsed since [`gp_start`] returned `cookie`: callbacks
/// queued before then are due (`poll_state_synchronize_rcu()`).
pub(crate) fn gp_elapsed(cookie: usize) -> bool {
    // SAFETY: Compares the cookie with RCU's grace-period counter; any context, any value.
    unsafe { bindings::poll_state_synchronize_rcu(cookie as _) }
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
    /// A head, all zeroes, ready to be queued.
    pub(crate) const fn new() -> Self {
        Self(Opaque::new(bindings::callback_head {
            next: core::ptr::null_mut(),
            func: None,
        }))
    }
}

/// An object freed after an RCU grace period: one that lockless readers may still be reading
/// when it is unlinked.
///
/// # Safety
///
/// `RCU_HEAD` must be the offset of an [`RcuHead`] field of `Self`.
pub(crate) unsafe trait RcuFree: Sized {
    /// Offset of the object's [`RcuHead`].
    const RCU_HEAD: usize;

    /// Frees the object.
    ///
    /// # Safety
    ///
    /// `this` must be unreachable: no reader may use it any more.
    unsafe fn rcu_free(this: NonNull<Self>);
}

/// Frees `obj` with [`RcuFree::rcu_free`] once every RCU read-side critical section that might
/// have found it has ended. Readers that found it before the call may go on reading it until
/// then; the caller must not use it any more.
///
/// # Safety
///
/// `obj` must be live and unreachable for readers that start from now on, and its head must
/// not be queued already.
pub(crate) unsafe fn defer_free<T: RcuFree>(obj: NonNull<T>) {
    // SAFETY: `RCU_HEAD` is the offset of a head inside the live object (`RcuFree`'s safety
    // requirements).
    let head = unsafe { obj.as_ptr().cast::<u8>().add(T::RCU_HEAD) }.cast::<RcuHead>();
    // SAFETY: The head is not queued (the function's safety requirements); the callback runs
    // once, after the grace period.
    unsafe {
        bindings::call_rcu(
            Opaque::raw_get(head.cast_const().cast()),
            Some(rcu_free_entry::<T>),
        )
    };
}

/// Runs [`RcuFree::rcu_free`] on the object a queued head belongs to.
///
/// # Safety
///
/// `head` must be the head of a `T` queued by [`defer_free`], whose grace period has ended.
unsafe extern "C" fn rcu_free_entry<T: RcuFree>(head: *mut bindings::callback_head) {
    // SAFETY: `head` is `T::RCU_HEAD` bytes into a `T` (`defer_free`).
    let obj = unsafe { head.cast::<u8>().sub(T::RCU_HEAD) }.cast::<T>();
    // SAFETY: The grace period has ended: no reader can still see the object. `obj` is not null,
    // since it is derived from a live object's address.
    unsafe { T::rcu_free(NonNull::new_unchecked(obj)) };
}

/// A reference count (`refcount_t`), saturating instead of overflowing.
#[repr(transparent)]
pub(crate) struct Refcount(Opaque<bindings::refcount_t>);

// SAFETY: A refcount is an atomic counter, for sharing between threads.
unsafe impl Sync for Refcount {}
// SAFETY: As above.
unsafe impl Send for Refcount {}

impl Refcount {
    /// A count of `n`.
    pub(crate) const fn new(n: i32) -> Self {
        Self(Opaque::new(bindings::refcount_t {
            refs: bindings::atomic_t { counter: n },
        }))
    }

    /// The counter, for the atomic operations C's `refcount_t` helpers perform on it.
    #[inline(always)]
    fn counter(&self) -> &AtomicI32 {
        // SAFETY: `refcount_t` is an `atomic_t`, an `int` that C only reads and writes with
        // atomic operations; `AtomicI32` has its size and alignment, and is only used here for
        // atomic operations too. The reference lives no longer than `self`.
        unsafe { AtomicI32::from_ptr(self.0.get().cast::<i32>()) }
    }

    /// The current count.
    pub(crate) fn read(&self) -> u32 {
        self.counter().load(Ordering::Relaxed) as u32
    }

    /// Takes a reference; the caller must already hold one.
    pub(crate) fn inc(&self) {
        // SAFETY: The pointer is valid.
        unsafe { bindings::refcount_inc(self.0.get()) };
    }

    /// Takes a reference unless the count has dropped to zero (`refcount_inc_not_zero()`, here
    /// rather than behind a call, since every packet of a known connection takes one).
    #[inline]
    pub(crate) fn inc_not_zero(&self) -> bool {
        let counter = self.counter();
        let mut old = counter.load(Ordering::Relaxed);
        while old != 0 {
            match counter.compare_exchange_weak(
                old,
                old.wrapping_add(1),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                Err(now) => old = now,
            }
        }
        if old < 0 || old.wrapping_add(1) < 0 {
            // Saturated or about to overflow: C's warning, which pins the count at saturation.
            // SAFETY: The pointer is valid.
            unsafe {
                bindings::refcount_warn_saturate(
                    self.0.get(),
                    bindings::refcount_saturation_type_REFCOUNT_ADD_NOT_ZERO_OVF,
                )
            };
        }
        old != 0
    }

    /// Drops a reference; returns whether it was the last one.
    pub(crate) fn dec_and_test(&self) -> bool {
        // SAFETY: The pointer is valid.
        unsafe { bindings::refcount_dec_and_test(self.0.get()) }
    }
}

/// A place for a reference to a `'static` object, set and cleared at run time; readers find the
/// object or nothing.
pub(crate) struct StaticSlot<T: Sync + 'static> {
    ptr: core::sync::atomic::AtomicPtr<T>,
}

impl<T: Sync + 'static> StaticSlot<T> {
    /// An empty slot.
    pub(crate) const fn new() -> Self {
        Self {
            ptr: core::sync::atomic::AtomicPtr::new(core::ptr::null_mut()),
        }
    }

    /// Puts `v` in the slot if it is empty; whether it was.
    pub(crate) fn set(&self, v: &'static T) -> bool {
        self.ptr
            .compare_exchange(
                core::ptr::null_mut(),
                (v as *const T).cast_mut(),
                Ordering::AcqRel,
                Ordering::Relaxed,
            )
            .is_ok()
    }

    /// Empties the slot if it holds `v`, then waits for readers that may have found it
    /// (process context).
    pub(crate) fn clear(&self, v: &'static T) {
        let _ = self.ptr.compare_exchange(
            (v as *const T).cast_mut(),
            core::ptr::null_mut(),
            Ordering::AcqRel,
            Ordering::Relaxed,
        );
        synchronize_rcu();
    }

    /// The object in the slot.
    #[inline]
    pub(crate) fn get(&self) -> Option<&'static T> {
        let p = self.ptr.load(core::sync::atomic::Ordering::Acquire);
        // SAFETY: Only `&'static T`s are stored (`set`), so a non-null pointer is one.
        unsafe { p.as_ref() }
    }
}
