// SPDX-License-Identifier: GPL-2.0

//! Network namespaces, and state kept for each of them together with what reaches it: hooks,
//! files and sysctls, registered once the state is in place and unregistered before it goes.
//!
//! C header: [`include/net/net_namespace.h`](srctree/include/net/net_namespace.h)

use super::bindings;
use super::defrag::Defrag;
use super::netfilter::{HookHandler, HookRegistration, HookSpec};
use super::proc::{ProcDir, ProcEntry, SeqSingle, SeqTable};
use super::sync::{synchronize_rcu, Rcu};
use super::sysctl::{Entry, SysctlTable};
use core::marker::PhantomData;
use core::pin::Pin;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::error::{from_result, to_result};
use kernel::ffi::{c_int, c_uint};
use kernel::prelude::*;
use kernel::str::CStr;
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

    /// As [`Net::state`], for a caller that holds the namespace and the module (`_held`) rather
    /// than an RCU read-side critical section.
    pub(crate) fn state_held<'a, T: Pernet>(&'a self, _held: &'a Held) -> Option<&'a T> {
        // SAFETY: The caller holds the namespace and the module for `'a`: the state is neither
        // torn down nor unregistered meanwhile.
        self.state::<T>(unsafe { Rcu::assume() })
    }

    /// The state `T` keeps for this namespace, while `T` is registered; `None` while `init`
    /// sets it up, if that failed, or once `exit` is done.
    pub(crate) fn state<'a, T: Pernet>(&'a self, _rcu: &'a Rcu) -> Option<&'a T> {
        if !T::id().ready.load(Ordering::Acquire) {
            return None;
        }
        // SAFETY: `T` is registered, so `init` was called for every live namespace, and within
        // this RCU read-side section the registration is not undone: `PernetRegistration`'s
        // drop clears `ready` and waits for such sections before unregistering.
        let slot = unsafe { slot::<T>(self) };
        // SAFETY: The slot is written only by `init_entry` before the state is made reachable
        // and by `exit_entry` once nothing reaches it: reads in between see it whole.
        unsafe { (*slot).state.as_deref() }
    }
}

/// Proof, for as long as it is borrowed, that the namespace at hand stays alive and this module
/// loaded: given to callbacks of objects this module registered, which hold the module, about
/// a namespace they are called for.
pub(crate) struct Held(PhantomData<*mut ()>);

impl Held {
    /// # Safety
    ///
    /// The namespace the caller works on and this module must stay alive for `'a`.
    pub(crate) unsafe fn assume<'a>() -> &'a Held {
        &Held(PhantomData)
    }
}

/// Where the kernel stores the index of a pernet state (`pernet_operations.id`), and whether
/// the state is registered.
pub(crate) struct PernetId {
    id: Opaque<c_uint>,
    ready: AtomicBool,
}

// SAFETY: The kernel writes the id once, at registration, before anything reads it; `ready` is
// atomic.
unsafe impl Sync for PernetId {}

impl PernetId {
    /// A new, unassigned id.
    pub(crate) const fn new() -> Self {
        Self {
            id: Opaque::new(0),
            ready: AtomicBool::new(false),
        }
    }
}

/// State kept for every network namespace, created when a namespace appears (or, for the
/// existing ones, at registration) and destroyed when it goes.
pub(crate) trait Pernet: Send + Sync + Sized + 'static {
    /// Where the kernel stores this state's index.
    fn id() -> &'static PernetId;

    /// Creates the state of `net`.
    fn init(net: &Net) -> Result<Pin<KBox<Self>>>;

    /// Registers, through `reg`, what reaches the state of `net` ([`Registrar::state`]), once
    /// [`Net::state`] finds it. On failure what was registered goes and `exit` runs.
    fn start(net: &Net, reg: &mut Registrar<'_, Self>) -> Result;

    /// Tears down the state of `net`, after what was registered for it is gone. While it runs,
    /// [`Net::state`] still finds it.
    fn exit(this: &Self, net: &Net);
}

/// What was registered for a namespace's state. Dropped in field order: packets stop first,
/// then the files and sysctls go.
#[derive(Default)]
struct Registered {
    hooks: KVec<HookRegistration>,
    defrag: KVec<Defrag>,
    proc: KVec<ProcEntry>,
    sysctls: KVec<SysctlTable>,
}

/// Registers what reaches a namespace's state; all of it is unregistered before the state is
/// torn down.
pub(crate) struct Registrar<'a, T> {
    net: &'a Net,
    state: &'a T,
    done: &'a mut Registered,
}

impl<'a, T: Pernet> Registrar<'a, T> {
    /// The state being registered.
    pub(crate) fn state(&self) -> &'a T {
        self.state
    }

    /// Runs the state's [`HookHandler::hook`] at each hook of `specs`.
    pub(crate) fn hooks(&mut self, specs: &[HookSpec]) -> Result
    where
        T: HookHandler,
    {
        // SAFETY: The state outlives the registration: it is dropped only after everything
        // registered through `self` is (`exit_entry`).
        let hooks = unsafe { HookRegistration::new(self.net, specs, self.state)? };
        Ok(self.done.hooks.push(hooks, GFP_KERNEL)?)
    }

    /// Enables IPv4 and IPv6 defragmentation ahead of the hooks.
    pub(crate) fn defrag(&mut self) -> Result {
        let defrag = Defrag::new(self.net)?;
        Ok(self.done.defrag.push(defrag, GFP_KERNEL)?)
    }

    /// Registers sysctls under `path`, whose values the entries borrow for as long as the
    /// state lives.
    pub(crate) fn sysctls(&mut self, path: &'static CStr, entries: &[Entry<'a>]) -> Result {
        // SAFETY: The entries' values outlive `'a`, the state's lifetime, and the table goes
        // before the state does.
        let table = unsafe { SysctlTable::new(self.net, path, entries)? };
        Ok(self.done.sysctls.push(table, GFP_KERNEL)?)
    }

    /// Creates a `/proc/net` file listing the records of `F`, read from the state.
    pub(crate) fn proc_table<F: SeqTable<State = T>>(
        &mut self,
        dir: ProcDir,
        name: &'static CStr,
        mode: u16,
        netns_root: bool,
    ) -> Result {
        // SAFETY: The state outlives the file, which goes before it does.
        let entry = unsafe { ProcEntry::table::<F>(self.net, dir, name, mode, self.state)? };
        let entry = if netns_root {
            entry.owned_by_namespace_root(self.net)
        } else {
            entry
        };
        Ok(self.done.proc.push(entry, GFP_KERNEL)?)
    }

    /// Creates a `/proc/net` file written in one go by `F` from the state.
    pub(crate) fn proc_single<F: SeqSingle<State = T>>(
        &mut self,
        dir: ProcDir,
        name: &'static CStr,
        mode: u16,
    ) -> Result {
        // SAFETY: As in `proc_table`.
        let entry = unsafe { ProcEntry::single::<F>(self.net, dir, name, mode, self.state)? };
        Ok(self.done.proc.push(entry, GFP_KERNEL)?)
    }
}

/// The generic data of a namespace for `T`: its state and what reaches it.
struct Slot<T> {
    state: Option<Pin<KBox<T>>>,
    registered: Registered,
}

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
                        id: T::id().id.get(),
                        size: core::mem::size_of::<Slot<T>>(),
                        ..Default::default()
                    })
                };
            }),
            GFP_KERNEL,
        )?;
        // SAFETY: `ops` is initialised and pinned; it is unregistered before it is freed.
        to_result(unsafe { bindings::register_pernet_subsys(ops.get()) })?;
        T::id().ready.store(true, Ordering::Release);
        // INVARIANT: Registered just above.
        Ok(Self {
            ops,
            _t: PhantomData,
        })
    }
}

impl<T: Pernet> Drop for PernetRegistration<T> {
    fn drop(&mut self) {
        // Nothing looks the state up any more once readers that saw it registered are done.
        T::id().ready.store(false, Ordering::Release);
        synchronize_rcu();
        // SAFETY: Registered, by the type invariants.
        unsafe { bindings::unregister_pernet_subsys(self.ops.get()) };
    }
}

/// The generic data of `net` for `T`.
///
/// # Safety
///
/// `T`'s operations must be registered and set up for `net`, which must be alive.
unsafe fn slot<T: Pernet>(net: &Net) -> *mut Slot<T> {
    // SAFETY: `T::id()` was assigned at registration; the data of its index is `Slot<T>`'s
    // size, zeroed by the kernel before `init`.
    unsafe { bindings::rct_net_generic(net.as_ptr(), *T::id().id.get()).cast() }
}

/// Undoes what was registered for a state.
fn unregister_all(registered: &mut Registered) {
    drop(core::mem::take(registered));
}

/// Sets up `T` in a namespace.
///
/// # Safety
///
/// Called by the kernel with a namespace being set up, once.
unsafe extern "C" fn init_entry<T: Pernet>(net: *mut bindings::net) -> c_int {
    // SAFETY: The kernel calls this with a namespace being set up.
    let net = unsafe { Net::from_raw(net) };
    // SAFETY: Called for `T`'s registered operations, with a live namespace.
    let slot = unsafe { slot::<T>(net) };
    from_result(|| {
        let state = T::init(net)?;
        // SAFETY: The slot is `Slot<T>`'s zeroed memory, written by nothing else while `init`
        // runs; nothing reads it until `start` makes the state reachable. Writing never reads
        // the zeroed contents.
        unsafe {
            slot.write(Slot {
                state: Some(state),
                registered: Registered::default(),
            })
        };
        // SAFETY: Written just above; from now on only shared references are formed until
        // `exit_entry`, and `registered` is only touched here and there.
        let (state, registered) = unsafe { ((*slot).state.as_deref(), &mut (*slot).registered) };
        let Some(state) = state else {
            return Err(EINVAL);
        };
        let mut reg = Registrar {
            net,
            state,
            done: registered,
        };
        if let Err(e) = T::start(net, &mut reg) {
            unregister_all(registered);
            T::exit(state, net);
            // SAFETY: Nothing reaches the state any more.
            unsafe { clear(slot) };
            return Err(e);
        }
        Ok(0)
    })
}

/// Tears `T` down in a namespace.
///
/// # Safety
///
/// Called by the kernel with a namespace going away, once, after `init_entry` succeeded.
unsafe extern "C" fn exit_entry<T: Pernet>(net: *mut bindings::net) {
    // SAFETY: The kernel calls this with a namespace going away.
    let net = unsafe { Net::from_raw(net) };
    // SAFETY: Called for `T`'s registered operations, with a live namespace.
    let slot = unsafe { slot::<T>(net) };
    // SAFETY: `init_entry` succeeded, so the slot is set; nothing else writes it.
    unregister_all(unsafe { &mut (*slot).registered });
    // SAFETY: As above; nothing but this call uses `registered`.
    if let Some(state) = unsafe { (*slot).state.as_deref() } {
        T::exit(state, net);
    }
    // SAFETY: `exit` is done and nothing reaches the state any more.
    unsafe { clear(slot) };
}

/// Drops the state and the list of what was registered for it, leaving the slot empty.
///
/// # Safety
///
/// The slot must be set, and nothing may reach the state or use the list any more.
unsafe fn clear<T: Pernet>(slot: *mut Slot<T>) {
    // SAFETY: The slot is set, and no reference to its fields is held (the function's safety
    // requirements); what is replaced is dropped once.
    let (state, registered) = unsafe {
        (
            core::ptr::replace(&raw mut (*slot).state, None),
            core::ptr::replace(&raw mut (*slot).registered, Registered::default()),
        )
    };
    drop(registered);
    drop(state);
}
