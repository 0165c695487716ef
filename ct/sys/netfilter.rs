// SPDX-License-Identifier: GPL-2.0

//! Netfilter hooks: registration in one network namespace, hook state and verdicts.
//!
//! C header: [`include/linux/netfilter.h`](srctree/include/linux/netfilter.h)

use super::bindings;
use super::net::Net;
use super::skb::Skb;
use super::sync::Rcu;
use crate::ct::tuple::L3;
use core::fmt;
use core::marker::PhantomData;
use kernel::error::to_result;
use kernel::ffi::{c_uint, c_void};
use kernel::prelude::*;
use kernel::sync::Mutex;
use kernel::types::Opaque;

/// A point in the IP stack where hooks run (`enum nf_inet_hooks`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub(crate) enum Hook {
    /// Packets arriving, before routing.
    PreRouting = 0,
    /// Packets for this host, after routing.
    LocalIn = 1,
    /// Packets routed through this host.
    Forward = 2,
    /// Packets this host sends.
    LocalOut = 3,
    /// Packets leaving, after routing.
    PostRouting = 4,
}

impl Hook {
    /// All hooks, in order.
    pub(crate) const ALL: [Hook; 5] = [
        Hook::PreRouting,
        Hook::LocalIn,
        Hook::Forward,
        Hook::LocalOut,
        Hook::PostRouting,
    ];

    /// The name netfilter's documentation uses.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Hook::PreRouting => "PRE_ROUTING",
            Hook::LocalIn => "LOCAL_IN",
            Hook::Forward => "FORWARD",
            Hook::LocalOut => "LOCAL_OUT",
            Hook::PostRouting => "POST_ROUTING",
        }
    }

    fn from_raw(v: u8) -> Option<Self> {
        Self::ALL.get(usize::from(v)).copied()
    }
}

/// What happens to a packet after a hook (`NF_ACCEPT`, `NF_DROP`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Verdict {
    /// The packet goes on.
    Accept,
    /// The packet is freed.
    Drop,
    /// What another hook function decided, passed on as it is (queued, stolen, dropped with an
    /// error).
    Other(c_uint),
}

impl Verdict {
    /// The value netfilter expects from a hook function.
    pub(crate) fn raw(self) -> c_uint {
        match self {
            Verdict::Accept => bindings::NF_ACCEPT as c_uint,
            Verdict::Drop => bindings::NF_DROP as c_uint,
            Verdict::Other(v) => v,
        }
    }
}

/// The state a hook function is called with (`struct nf_hook_state`).
///
/// Only ever borrowed for the length of one hook call.
#[repr(transparent)]
pub(crate) struct HookState(Opaque<bindings::nf_hook_state>);

impl HookState {
    /// # Safety
    ///
    /// `ptr` must point to a valid `struct nf_hook_state` that outlives `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *const bindings::nf_hook_state) -> &'a Self {
        // CAST: `Self` is `repr(transparent)` over the C struct.
        // SAFETY: By the function's safety requirements.
        unsafe { &*ptr.cast() }
    }

    /// The raw pointer, for C calls.
    pub(crate) fn as_ptr(&self) -> *const bindings::nf_hook_state {
        self.0.get()
    }

    fn raw(&self) -> &bindings::nf_hook_state {
        // SAFETY: The hook state is valid and not written for the length of the hook call.
        unsafe { &*self.0.get() }
    }

    /// The namespace the packet is in.
    pub(crate) fn net(&self) -> &Net {
        // SAFETY: The namespace is alive while packets in it are processed.
        unsafe { Net::from_raw(self.raw().net) }
    }

    /// The hook being run.
    pub(crate) fn hook(&self) -> Hook {
        // Netfilter only calls hooks registered at the points `Hook` names.
        Hook::from_raw(self.raw().hook).unwrap_or(Hook::Forward)
    }

    /// Netfilter runs hooks within an RCU read-side critical section.
    pub(crate) fn rcu(&self) -> &Rcu {
        // SAFETY: `nf_hook_slow()` holds the RCU read lock around every hook call, and the state
        // is only borrowed for the length of one.
        unsafe { Rcu::assume() }
    }

    /// Logs `skb` as invalid for protocol `proto`, with `msg`, through the namespace's packet
    /// logger, as nf_conntrack logs invalid packets.
    pub(crate) fn log_invalid(&self, skb: &mut Skb, proto: u8, msg: fmt::Arguments<'_>) {
        let mut text = [0u8; 160];
        let mut w = CText {
            buf: &mut text,
            len: 0,
        };
        // A message that does not fit is cut short.
        let _ = fmt::write(&mut w, msg);
        // SAFETY: The state and the skb are valid for the length of the hook call; `text` ends
        // with a NUL, which `write_str` leaves in place.
        unsafe {
            bindings::rct_log_invalid(self.0.get(), skb.as_raw(), proto, text.as_ptr().cast())
        };
    }

    /// The index of the device the packet leaves through, if known at this hook.
    pub(crate) fn out_ifindex(&self) -> Option<i32> {
        let out = self.raw().out;
        // SAFETY: A device in the hook state is alive for the length of the hook call.
        (!out.is_null()).then(|| unsafe { bindings::rct_dev_ifindex(out) })
    }

    /// The network protocol of the packet.
    pub(crate) fn l3(&self) -> L3 {
        match u32::from(self.raw().pf) {
            bindings::NFPROTO_IPV6 => L3::Ipv6,
            _ => L3::Ipv4,
        }
    }
}

/// A NUL-terminated text being written into a buffer.
struct CText<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl fmt::Write for CText<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // Room for the bytes and the NUL after them.
        let room = self.buf.len().saturating_sub(self.len + 1);
        let n = s.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        if n < s.len() {
            return Err(fmt::Error);
        }
        Ok(())
    }
}

/// Code that runs at hooks.
pub(crate) trait HookHandler: Sync {
    /// Called for every packet at each hook the handler is registered at.
    fn hook(&self, skb: &mut Skb, state: &HookState) -> Verdict;
}

/// One hook to register.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HookSpec {
    /// Network protocol.
    pub(crate) l3: L3,
    /// Where in the stack.
    pub(crate) hook: Hook,
    /// Order among the hooks at the same point: lower runs first.
    pub(crate) priority: i32,
}

/// Hooks registered in one network namespace; unregistered on drop.
///
/// # Invariants
///
/// `ops` holds hook entries registered in `net`, whose `priv` points to a handler that
/// outlives this registration.
pub(crate) struct HookRegistration {
    ops: KVec<bindings::nf_hook_ops>,
    net: *mut bindings::net,
}

// SAFETY: The registration only holds pointers that are valid from any thread, and unregistering
// may happen on any thread.
unsafe impl Send for HookRegistration {}
// SAFETY: `&HookRegistration` gives no access to anything.
unsafe impl Sync for HookRegistration {}

impl HookRegistration {
    /// Registers `handler` at each hook of `specs` in `net`.
    ///
    /// # Safety
    ///
    /// `handler` must stay valid and unmoved until the registration is dropped.
    pub(crate) unsafe fn new<T: HookHandler>(
        net: &Net,
        specs: &[HookSpec],
        handler: &T,
    ) -> Result<Self> {
        let mut ops = KVec::with_capacity(specs.len(), GFP_KERNEL)?;
        for spec in specs {
            ops.push(
                bindings::nf_hook_ops {
                    hook: Some(hook_entry::<T>),
                    priv_: (handler as *const T).cast_mut().cast::<c_void>(),
                    pf: spec.l3 as u8,
                    hooknum: c_uint::from(spec.hook as u8),
                    priority: spec.priority,
                    ..Default::default()
                },
                GFP_KERNEL,
            )?;
        }
        // SAFETY: `ops` holds initialised entries whose `priv` outlives the registration, by the
        // safety requirements; the vector's storage stays where it is until `drop`.
        to_result(unsafe {
            bindings::nf_register_net_hooks(net.as_ptr(), ops.as_ptr(), ops.len() as c_uint)
        })?;
        // INVARIANT: The hooks are registered in `net` with `handler` as `priv`.
        Ok(Self {
            ops,
            net: net.as_ptr(),
        })
    }
}

impl Drop for HookRegistration {
    fn drop(&mut self) {
        // SAFETY: By the type invariants the hooks are registered in `net`. On return no hook
        // function is running any more.
        unsafe {
            bindings::nf_unregister_net_hooks(self.net, self.ops.as_ptr(), self.ops.len() as c_uint)
        };
    }
}

/// Runs a handler at a hook.
///
/// # Safety
///
/// `priv_` must be the handler a live registration was made with; `skb` and `state` what
/// netfilter passes to hook functions.
unsafe extern "C" fn hook_entry<T: HookHandler>(
    priv_: *mut c_void,
    skb: *mut bindings::sk_buff,
    state: *const bindings::nf_hook_state,
) -> c_uint {
    // SAFETY: `priv_` is the handler this hook was registered with, valid while the hook is
    // registered (type invariant of `HookRegistration`).
    let handler = unsafe { &*priv_.cast::<T>() };
    // SAFETY: Netfilter passes a valid skb it owns for the length of the call, and a valid state.
    let (skb, state) = unsafe { (Skb::from_raw(skb), HookState::from_raw(state)) };
    handler.hook(skb, state).raw()
}

/// Hooks a `T` registers and unregisters as it needs them, `N` sets of them, each running
/// `T`'s handler; all are unregistered when this is dropped.
///
/// # Invariants
///
/// The registrations in `regs` have as handler the `T` this lives in (`HasLazyHooks`).
#[pin_data(PinnedDrop)]
pub(crate) struct LazyHooks<T, const N: usize> {
    #[pin]
    regs: Mutex<[Option<HookRegistration>; N]>,
    _t: PhantomData<T>,
}

/// Where a type keeps its [`LazyHooks`]; implemented with [`impl_has_lazy_hooks!`].
///
/// # Safety
///
/// `OFFSET` must be the offset of a `LazyHooks<Self, N>` field of `Self`, and `Self` must drop
/// that field before any other its handler uses: declared first.
pub(crate) unsafe trait HasLazyHooks<const N: usize>: HookHandler + Sized {
    /// Offset of the hooks.
    const OFFSET: usize;
}

/// Makes field `$field` of `$t` the lazily registered hooks of `$t`, `$n` sets of them; the
/// field must be declared first.
macro_rules! impl_has_lazy_hooks {
    ($t:ty, $field:ident, $n:literal) => {
        // SAFETY: The offset is that of `$field`, a `LazyHooks<$t, $n>` (checked just below),
        // which the caller declares first.
        unsafe impl $crate::ct::sys::netfilter::HasLazyHooks<$n> for $t {
            const OFFSET: usize = {
                let _: fn(&$t) -> &$crate::ct::sys::netfilter::LazyHooks<$t, $n> = |t| &t.$field;
                core::mem::offset_of!($t, $field)
            };
        }
    };
}
pub(crate) use impl_has_lazy_hooks;

impl<T: HasLazyHooks<N>, const N: usize> LazyHooks<T, N> {
    /// No hooks registered.
    pub(crate) fn new() -> impl PinInit<Self> {
        // INVARIANT: Nothing registered.
        pin_init!(Self {
            regs <- kernel::new_mutex!([const { None }; N]),
            _t: PhantomData,
        })
    }

    /// Registers set `i` at `specs` in `net`, unless it is registered already; with `None`,
    /// unregisters it.
    pub(crate) fn set(&self, i: usize, net: &Net, specs: Option<&[HookSpec]>) -> Result {
        let mut regs = self.regs.lock();
        let slot = regs.get_mut(i).ok_or(EINVAL)?;
        match specs {
            Some(specs) if slot.is_none() => {
                // CAST: This lives `T::OFFSET` bytes into a `T` (`HasLazyHooks`).
                let owner = (self as *const Self)
                    .cast::<u8>()
                    .wrapping_sub(T::OFFSET)
                    .cast::<T>();
                // SAFETY: `owner` is the live `T` this is in, pinned as this is; it drops this,
                // unregistering the hooks, before anything the handler uses (`HasLazyHooks`).
                let reg = unsafe { HookRegistration::new(net, specs, &*owner)? };
                // INVARIANT: The handler is the `T` this is in.
                *slot = Some(reg);
            }
            Some(_) => {}
            None => *slot = None,
        }
        Ok(())
    }
}

#[pinned_drop]
impl<T, const N: usize> PinnedDrop for LazyHooks<T, N> {
    fn drop(self: Pin<&mut Self>) {
        // Unregistering waits for hook functions still running.
        for slot in self.regs.lock().iter_mut() {
            *slot = None;
        }
    }
}
