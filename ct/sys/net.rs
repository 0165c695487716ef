// SPDX-License-Identifier: GPL-2.0

//! Network namespaces, and state kept for each of them.
//!
//! C header: [`include/net/net_namespace.h`](srctree/include/net/net_namespace.h)

use super::bindings;
use core::marker::PhantomData;
use core::pin::Pin;
use kernel::error::{from_result, to_result};
use kernel::ffi::{c_int, c_uint};
use kernel::prelude::*;
use kernel::types::Opaque;

/// A network namespace (`struct net`), borrowed while the caller knows it to be alive.
#[repr(transparent)]
pub(crate) struct Net(Opaque<bindings::net>);

impl Net {
    /// # Safety
    ///
    /// `ptr` must point to a valid network namespace that stays alive for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *const bindings::net) -> &'a Self {
        // CAST: `Self` is `repr(transparent)` over the C struct.
        // SAFETY: By the function's safety requirements.
        unsafe { &*ptr.cast() }
    }

    /// The raw pointer, for C calls.
    pub(crate) fn as_ptr(&self) -> *mut bindings::net {
        self.0.get()
    }

    /// The initial namespace, which lives as long as the kernel.
    #[cfg(kunit)]
    pub(crate) fn init() -> &'static Self {
        // SAFETY: `init_net` is never freed.
        unsafe { Self::from_raw(bindings::rct_init_net()) }
    }

    /// Whether this is the initial namespace.
    pub(crate) fn is_init(&self) -> bool {
        // SAFETY: The namespace is alive.
        unsafe { bindings::rct_net_is_init(self.as_ptr()) }
    }

    /// The state `T` keeps for this namespace; `None` while `init` sets it up, if that failed,
    /// or once `exit` is done.
    ///
    /// # Safety
    ///
    /// `T`'s operations must be registered, and `init` must have been called for this
    /// namespace: the caller holds something of `T`'s in it (a connection, a file, a hook), or
    /// knows registration complete and not yet undone (see [`PernetRegistration`]).
    pub(crate) unsafe fn state<T: Pernet>(&self) -> Option<&T> {
        // SAFETY: The namespace is alive, and `T::id()` indexes its generic data, set up for `T`
        // (the function's safety requirements).
        let slot = unsafe { bindings::rct_net_generic(self.as_ptr(), *T::id().0.get()) };
        // SAFETY: The slot is `T`'s: `size_of::<Slot<T>>()` bytes, zeroed by the kernel, then
        // written only by `init` and `exit`: the state is set before `start` makes it reachable,
        // and taken after `exit`, once nothing reaches it.
        let slot = unsafe { &*slot.cast::<Slot<T>>() };
        slot.as_deref()
    }
}

/// Where the kernel stores the index of a pernet state (`pernet_operations.id`).
pub(crate) struct PernetId(Opaque<c_uint>);

// SAFETY: The kernel writes the id once, at registration, before anything reads it.
unsafe impl Sync for PernetId {}

impl PernetId {
    /// A new, unassigned id.
    pub(crate) const fn new() -> Self {
        Self(Opaque::new(0))
    }
}

/// State kept for every network namespace, created when a namespace appears (or, for the
/// existing ones, at registration) and destroyed when it goes.
pub(crate) trait Pernet: Send + Sync + Sized + 'static {
    /// Where the kernel stores this state's index.
    fn id() -> &'static PernetId;

    /// Creates the state of `net`.
    fn init(net: &Net) -> Result<Pin<KBox<Self>>>;

    /// Puts the state of `net` to use, once [`Net::state`] finds it. On failure, `exit` runs.
    fn start(this: &Self, net: &Net) -> Result;

    /// Tears down the state of `net`. While it runs, [`Net::state`] still finds it.
    fn exit(this: &Self, net: &Net);
}

type Slot<T> = Option<Pin<KBox<T>>>;

/// Registered pernet operations for `T`; unregistered, tearing down every namespace's state, on
/// drop.
///
/// # Invariants
///
/// `ops` is registered with the kernel.
pub(crate) struct PernetRegistration<T: Pernet> {
    ops: Pin<KBox<Opaque<bindings::pernet_operations>>>,
    _t: PhantomData<T>,
}

// SAFETY: The registration only holds a pointer to operations that any thread may unregister.
unsafe impl<T: Pernet> Send for PernetRegistration<T> {}
// SAFETY: `&PernetRegistration` gives no access to anything.
unsafe impl<T: Pernet> Sync for PernetRegistration<T> {}

impl<T: Pernet> PernetRegistration<T> {
    /// Registers `T`: creates its state in every existing namespace and in every new one.
    pub(crate) fn new() -> Result<Self> {
        let ops = KBox::pin_init(
            Opaque::ffi_init(|ops: *mut bindings::pernet_operations| {
                // SAFETY: `ops` is valid for writes.
                unsafe {
                    ops.write(bindings::pernet_operations {
                        init: Some(init_entry::<T>),
                        exit: Some(exit_entry::<T>),
                        id: T::id().0.get(),
                        size: core::mem::size_of::<Slot<T>>(),
                        ..Default::default()
                    })
                };
            }),
            GFP_KERNEL,
        )?;
        // SAFETY: `ops` is initialised and pinned; it is unregistered before it is freed.
        to_result(unsafe { bindings::register_pernet_subsys(ops.get()) })?;
        // INVARIANT: Registered just above.
        Ok(Self {
            ops,
            _t: PhantomData,
        })
    }
}

impl<T: Pernet> Drop for PernetRegistration<T> {
    fn drop(&mut self) {
        // SAFETY: Registered, by the type invariants.
        unsafe { bindings::unregister_pernet_subsys(self.ops.get()) };
    }
}

fn slot<T: Pernet>(net: &Net) -> *mut Slot<T> {
    // SAFETY: As in `Net::state`.
    unsafe { bindings::rct_net_generic(net.as_ptr(), *T::id().0.get()).cast() }
}

/// Sets up `T` in a namespace.
///
/// # Safety
///
/// Called by the kernel with a namespace being set up, once.
unsafe extern "C" fn init_entry<T: Pernet>(net: *mut bindings::net) -> c_int {
    // SAFETY: The kernel calls this with a namespace being set up.
    let net = unsafe { Net::from_raw(net) };
    from_result(|| {
        let state = T::init(net)?;
        // SAFETY: The slot is `T`'s, zeroed (`None`), and nothing else writes it during `init`.
        let state = unsafe { (*slot::<T>(net)).insert(state) };
        if let Err(e) = T::start(state, net) {
            T::exit(state, net);
            // SAFETY: As above; `exit` is done with the state.
            drop(unsafe { (*slot::<T>(net)).take() });
            return Err(e);
        }
        Ok(0)
    })
}

/// Tears `T` down in a namespace.
///
/// # Safety
///
/// Called by the kernel with a namespace going away, once, after `init_entry`.
unsafe extern "C" fn exit_entry<T: Pernet>(net: *mut bindings::net) {
    // SAFETY: The kernel calls this with a namespace going away.
    let net = unsafe { Net::from_raw(net) };
    // SAFETY: The slot is `T`'s; `init` succeeded for this namespace, or exit is not called.
    if let Some(state) = unsafe { &*slot::<T>(net) } {
        T::exit(state, net);
    }
    // SAFETY: `exit` is done: nothing uses the state any more.
    drop(unsafe { (*slot::<T>(net)).take() });
}
