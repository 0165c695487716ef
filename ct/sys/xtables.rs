// SPDX-License-Identifier: GPL-2.0

//! xtables matches and targets provided by this module: registration with x_tables, the
//! parameters of their checks and evaluations, and the rule data they keep.
//!
//! x_tables finds an extension by name, revision and family, for iptables-legacy's tables and
//! for nft_compat, which runs iptables-nft's `-m` matches and `-j` targets. Either copies the
//! rule's data (`matchsize` or `targetsize` bytes, laid out as the extension's uapi struct)
//! into memory of its own, calls `checkentry` on it once, then the extension for packets, and
//! `destroy` once when the rule goes.
//!
//! C header: [`include/linux/netfilter/x_tables.h`](srctree/include/linux/netfilter/x_tables.h)

use super::bindings;
use super::netfilter::{HookState, Verdict};
use super::skb::Skb;
use core::marker::PhantomData;
use core::mem::{align_of, needs_drop, size_of};
use core::ptr::NonNull;
use kernel::ffi::{c_char, c_int, c_uint};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::types::Opaque;
use kernel::ThisModule;

/// Rule data as userspace lays it out: a C struct of integers, unions of integers, and at most
/// a pointer field that only the kernel fills.
///
/// # Safety
///
/// Every bit pattern of the type's size must be a valid value of it.
pub(crate) unsafe trait RuleData: Sized + 'static {}

// SAFETY: Integers, and unions and arrays of integers.
unsafe impl RuleData for bindings::xt_conntrack_mtinfo1 {}
// SAFETY: As above.
unsafe impl RuleData for bindings::xt_conntrack_mtinfo2 {}
// SAFETY: As above.
unsafe impl RuleData for bindings::xt_conntrack_mtinfo3 {}
// SAFETY: As above.
unsafe impl RuleData for bindings::xt_state_info {}
// SAFETY: As above.
unsafe impl RuleData for bindings::xt_connmark_mtinfo1 {}
// SAFETY: As above.
unsafe impl RuleData for bindings::xt_connmark_tginfo1 {}
// SAFETY: As above.
unsafe impl RuleData for bindings::xt_connmark_tginfo2 {}
// SAFETY: As above.
unsafe impl RuleData for bindings::nf_nat_ipv4_multi_range_compat {}
// SAFETY: As above.
unsafe impl RuleData for bindings::nf_nat_range {}
// SAFETY: As above.
unsafe impl RuleData for bindings::nf_nat_range2 {}
// SAFETY: Integers and a raw pointer, valid with any bits (it is never read as userspace sent
// it).
unsafe impl RuleData for bindings::xt_connlimit_info {}
// SAFETY: As above.
unsafe impl RuleData for bindings::xt_ct_target_info {}
// SAFETY: As above.
unsafe impl RuleData for bindings::xt_ct_target_info_v1 {}
// SAFETY: No data at all, for targets without any.
unsafe impl RuleData for () {}

/// What an extension is registered as.
pub(crate) struct ExtDesc {
    /// The name rules use (`-m NAME`, `-j NAME`).
    pub(crate) name: &'static CStr,
    /// The revision of its data's layout.
    pub(crate) revision: u8,
    /// The family whose tables may use it (`NFPROTO_*`), or 0 for every one.
    pub(crate) family: u8,
    /// The only table it may be used in, if one.
    pub(crate) table: Option<&'static CStr>,
    /// The hooks it may be used from, as a mask of `1 << NF_INET_*`; 0 for any.
    pub(crate) hooks: u32,
}

/// The parameters of a rule being checked (`struct xt_mtchk_param`, `struct xt_tgchk_param`)
/// that extensions read.
pub(crate) struct Checked {
    family: u8,
}

impl Checked {
    /// The family of the rule's table (`NFPROTO_*`).
    pub(crate) fn family(&self) -> u8 {
        self.family
    }
}

/// A match (`-m`), evaluated for the packets its rule sees.
pub(crate) trait Match: 'static {
    /// The rule's data.
    type Data: RuleData;
    /// What a rule keeps beyond its data, made by `check`, dropped when the rule goes.
    type State: Send + Sync + 'static;
    /// Where in `Data` the pointer to the state is kept, a field userspace leaves to the kernel
    /// (then the bytes from it on are not shown back to userspace); `None` if `State` is `()`.
    const STATE_FIELD: Option<usize> = None;

    /// Checks a new rule and makes its state; an error refuses the rule.
    fn check(par: &Checked, data: &Self::Data) -> Result<Self::State>;

    /// Whether the packet matches.
    fn matches(data: &Self::Data, state: &Self::State, pkt: &mut MatchPacket<'_>) -> bool;
}

/// What a target's evaluation says of the packet.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum TargetVerdict {
    /// The next rule follows (`XT_CONTINUE`).
    Continue,
    /// The rules end with this verdict.
    Verdict(Verdict),
}

/// A target (`-j`), applied to the packets its rule matches.
pub(crate) trait Target: 'static {
    /// The rule's data.
    type Data: RuleData;
    /// As [`Match::State`].
    type State: Send + Sync + 'static;
    /// As [`Match::STATE_FIELD`].
    const STATE_FIELD: Option<usize> = None;

    /// Checks a new rule and makes its state; an error refuses the rule.
    fn check(par: &Checked, data: &Self::Data) -> Result<Self::State>;

    /// Applies the target to the packet.
    fn target(data: &Self::Data, state: &Self::State, pkt: &mut TargetPacket<'_>) -> TargetVerdict;
}

/// The packet a match is evaluated for, and how the evaluation went.
pub(crate) struct MatchPacket<'a> {
    skb: &'a Skb,
    state: &'a HookState,
    hotdrop: bool,
}

impl MatchPacket<'_> {
    /// The packet.
    pub(crate) fn skb(&self) -> &Skb {
        self.skb
    }

    /// The hook it is at.
    pub(crate) fn state(&self) -> &HookState {
        self.state
    }

    /// Drops the packet at once, whatever the match answers (`hotdrop`).
    pub(crate) fn hotdrop(&mut self) {
        self.hotdrop = true;
    }
}

/// The packet a target is applied to.
pub(crate) struct TargetPacket<'a> {
    skb: &'a mut Skb,
    state: &'a HookState,
}

impl TargetPacket<'_> {
    /// The packet, and the hook it is at.
    pub(crate) fn skb_state(&mut self) -> (&mut Skb, &HookState) {
        (self.skb, self.state)
    }
}

/// How an extension's state is kept with its rule's data: `S` behind the pointer at byte
/// `field` of `D`, or nowhere if `field` is `None` (then `S` is zero-sized and needs no drop).
struct Slot<D, S>(PhantomData<(D, S)>);

impl<D: RuleData, S: Send + Sync + 'static> Slot<D, S> {
    /// Checks at build time that `field` is a pointer field inside `D`, or that `S` needs no
    /// room.
    const fn check(field: Option<usize>) {
        // The data lies where x_tables keeps extension data: aligned to 8 bytes.
        assert!(align_of::<D>() <= 8);
        match field {
            None => assert!(size_of::<S>() == 0 && !needs_drop::<S>()),
            Some(at) => {
                assert!(at % align_of::<*mut S>() == 0);
                assert!(at + size_of::<*mut S>() <= size_of::<D>());
            }
        }
    }

    /// Keeps `state` with the data at `data`.
    ///
    /// # Safety
    ///
    /// `data` must be valid for writes of a `D`, and not be read through a reference meanwhile.
    unsafe fn store(data: *mut D, field: Option<usize>, state: S) -> Result {
        let Some(at) = field else {
            // Zero-sized and without drop (`check`): nothing to keep.
            core::mem::forget(state);
            return Ok(());
        };
        let ptr = KBox::into_raw(KBox::new(state, GFP_KERNEL)?);
        // CAST: A pointer field at `at` inside `D` (`check`).
        let slot = data.cast::<u8>().wrapping_add(at).cast::<*mut S>();
        // SAFETY: `slot` is inside the data, aligned (`check`), and writable by the function's
        // safety requirements.
        unsafe { slot.write(ptr) };
        Ok(())
    }

    /// The state kept with the data at `data`.
    ///
    /// # Safety
    ///
    /// `store` must have kept a state there, not yet taken by `take`, and the state must not be
    /// taken for `'a`.
    unsafe fn get<'a>(data: *const D, field: Option<usize>) -> &'a S {
        let Some(at) = field else {
            // SAFETY: `S` is zero-sized (`check`): any aligned non-null pointer is valid.
            return unsafe { NonNull::<S>::dangling().as_ref() };
        };
        // CAST: As in `store`.
        let slot = data.cast::<u8>().wrapping_add(at).cast::<*mut S>();
        // SAFETY: `store` wrote the pointer there; the rule's data is not written after checks.
        let ptr = unsafe { slot.read() };
        // SAFETY: The pointer is to a live state, by the function's safety requirements.
        unsafe { &*ptr }
    }

    /// Takes the state kept with the data at `data`, to drop it.
    ///
    /// # Safety
    ///
    /// `store` must have kept a state there, not yet taken, and no `get` reference may be used
    /// after.
    unsafe fn take(data: *const D, field: Option<usize>) {
        let Some(at) = field else {
            return;
        };
        // CAST: As in `store`.
        let slot = data.cast::<u8>().wrapping_add(at).cast::<*mut S>();
        // SAFETY: As in `get`.
        let ptr = unsafe { slot.read() };
        // SAFETY: `store` made the pointer with `KBox::into_raw`, and it is taken once.
        drop(unsafe { KBox::from_raw(ptr) });
    }
}

/// # Safety
///
/// Called by x_tables with the parameters of a check of a rule of `M`, whose data is valid.
unsafe extern "C" fn match_check_entry<M: Match>(par: *const bindings::xt_mtchk_param) -> c_int {
    // SAFETY: The parameters are valid for the call.
    let par = unsafe { &*par };
    let data = par.matchinfo.cast::<M::Data>();
    let checked = Checked { family: par.family };
    // SAFETY: The data is `matchsize` bytes, room for an `M::Data` (`MatchRegistration::new`),
    // aligned to 8 bytes, and any bits are valid (`RuleData`).
    let state = match M::check(&checked, unsafe { &*data }) {
        Ok(state) => state,
        Err(e) => return e.to_errno(),
    };
    // SAFETY: The data is the check's to write; the reference above is gone.
    match unsafe { Slot::<M::Data, M::State>::store(data, M::STATE_FIELD, state) } {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// Called by x_tables with a packet and the parameters of a rule of `M` that passed its check.
unsafe extern "C" fn match_entry<M: Match>(
    skb: *const bindings::sk_buff,
    par: *mut bindings::xt_action_param,
) -> bool {
    // SAFETY: The parameters are valid for the call and ours to write.
    let par = unsafe { &mut *par };
    // SAFETY: The second union holds `matchinfo` for matches.
    let data = unsafe { par.__bindgen_anon_2.matchinfo }.cast::<M::Data>();
    // SAFETY: The rule passed its check, which kept its state; the rule and its data outlive
    // the evaluation.
    let state = unsafe { Slot::<M::Data, M::State>::get(data, M::STATE_FIELD) };
    // SAFETY: As in `match_check_entry`; the data is no longer written.
    let data = unsafe { &*data };
    let mut pkt = MatchPacket {
        // SAFETY: The packet is valid for the call.
        skb: unsafe { Skb::from_raw_ref(skb) },
        // SAFETY: The hook state is valid for the call.
        state: unsafe { HookState::from_raw(par.state) },
        hotdrop: false,
    };
    let matched = M::matches(data, state, &mut pkt);
    if pkt.hotdrop {
        par.hotdrop = true;
    }
    matched
}

/// # Safety
///
/// Called by x_tables once for a rule of `M` that passed its check, after its last evaluation.
unsafe extern "C" fn match_destroy_entry<M: Match>(par: *const bindings::xt_mtdtor_param) {
    // SAFETY: The parameters are valid for the call; the data holds the state its check kept.
    unsafe { Slot::<M::Data, M::State>::take((*par).matchinfo.cast::<M::Data>(), M::STATE_FIELD) };
}

/// # Safety
///
/// As [`match_check_entry`], for targets.
unsafe extern "C" fn target_check_entry<T: Target>(par: *const bindings::xt_tgchk_param) -> c_int {
    // SAFETY: The parameters are valid for the call.
    let par = unsafe { &*par };
    let data = par.targinfo.cast::<T::Data>();
    let checked = Checked { family: par.family };
    // SAFETY: As in `match_check_entry`, with `targetsize`.
    let state = match T::check(&checked, unsafe { &*data }) {
        Ok(state) => state,
        Err(e) => return e.to_errno(),
    };
    // SAFETY: As in `match_check_entry`.
    match unsafe { Slot::<T::Data, T::State>::store(data, T::STATE_FIELD, state) } {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// As [`match_entry`], for targets.
unsafe extern "C" fn target_entry<T: Target>(
    skb: *mut bindings::sk_buff,
    par: *const bindings::xt_action_param,
) -> c_uint {
    // SAFETY: The parameters are valid for the call.
    let par = unsafe { &*par };
    // SAFETY: The second union holds `targinfo` for targets.
    let data = unsafe { par.__bindgen_anon_2.targinfo }.cast::<T::Data>();
    // SAFETY: As in `match_entry`.
    let state = unsafe { Slot::<T::Data, T::State>::get(data, T::STATE_FIELD) };
    // SAFETY: As in `match_entry`.
    let data = unsafe { &*data };
    let mut pkt = TargetPacket {
        // SAFETY: The packet is the caller's, lent to the target for the call.
        skb: unsafe { Skb::from_raw(skb) },
        // SAFETY: The hook state is valid for the call.
        state: unsafe { HookState::from_raw(par.state) },
    };
    match T::target(data, state, &mut pkt) {
        TargetVerdict::Continue => bindings::XT_CONTINUE,
        TargetVerdict::Verdict(v) => v.raw(),
    }
}

/// # Safety
///
/// As [`match_destroy_entry`], for targets.
unsafe extern "C" fn target_destroy_entry<T: Target>(par: *const bindings::xt_tgdtor_param) {
    // SAFETY: As in `match_destroy_entry`.
    unsafe { Slot::<T::Data, T::State>::take((*par).targinfo.cast::<T::Data>(), T::STATE_FIELD) };
}

/// The name field of an extension, from `desc`.
fn name_field(desc: &ExtDesc) -> Result<[c_char; bindings::XT_EXTENSION_MAXNAMELEN as usize]> {
    let mut name = [0; bindings::XT_EXTENSION_MAXNAMELEN as usize];
    let bytes = desc.name.as_bytes();
    // The last byte stays NUL.
    if bytes.len() >= name.len() {
        return Err(EINVAL);
    }
    for (dst, &b) in name.iter_mut().zip(bytes) {
        *dst = b as c_char;
    }
    Ok(name)
}

fn table_ptr(desc: &ExtDesc) -> *const c_char {
    desc.table.map_or(core::ptr::null(), |t| t.as_char_ptr())
}

/// The size of data userspace sees back, and that of the whole: up to the state's pointer.
fn sizes<D>(field: Option<usize>) -> (c_uint, c_uint) {
    (field.unwrap_or(0) as c_uint, size_of::<D>() as c_uint)
}

/// A match registered with x_tables; unregistered on drop.
///
/// # Invariants
///
/// `m` is registered.
pub(crate) struct MatchRegistration {
    m: Pin<KBox<Opaque<bindings::xt_match>>>,
}

// SAFETY: The registration may be dropped on any thread.
unsafe impl Send for MatchRegistration {}
// SAFETY: `&MatchRegistration` gives no access to anything.
unsafe impl Sync for MatchRegistration {}

impl MatchRegistration {
    /// Registers match `desc`, evaluated by `M`.
    pub(crate) fn new<M: Match>(module: &'static ThisModule, desc: &ExtDesc) -> Result<Self> {
        const { Slot::<M::Data, M::State>::check(M::STATE_FIELD) };
        let (usersize, matchsize) = sizes::<M::Data>(M::STATE_FIELD);
        let m = bindings::xt_match {
            name: name_field(desc)?,
            revision: desc.revision,
            match_: Some(match_entry::<M>),
            checkentry: Some(match_check_entry::<M>),
            destroy: Some(match_destroy_entry::<M>),
            me: module.as_ptr(),
            table: table_ptr(desc),
            matchsize,
            usersize,
            hooks: desc.hooks,
            family: desc.family.into(),
            ..Default::default()
        };
        let m = KBox::pin(Opaque::new(m), GFP_KERNEL)?;
        // SAFETY: The match is initialised and pinned until `drop` unregisters it.
        kernel::error::to_result(unsafe { bindings::xt_register_match(m.get()) })?;
        // INVARIANT: Registered just above.
        Ok(Self { m })
    }
}

impl Drop for MatchRegistration {
    fn drop(&mut self) {
        // SAFETY: Registered (type invariants). x_tables holds a reference on the module while
        // a rule uses the match, so none does any more.
        unsafe { bindings::xt_unregister_match(self.m.get()) };
    }
}

/// A target registered with x_tables; unregistered on drop.
///
/// # Invariants
///
/// `t` is registered.
pub(crate) struct TargetRegistration {
    t: Pin<KBox<Opaque<bindings::xt_target>>>,
}

// SAFETY: The registration may be dropped on any thread.
unsafe impl Send for TargetRegistration {}
// SAFETY: `&TargetRegistration` gives no access to anything.
unsafe impl Sync for TargetRegistration {}

impl TargetRegistration {
    /// Registers target `desc`, applied by `T`.
    pub(crate) fn new<T: Target>(module: &'static ThisModule, desc: &ExtDesc) -> Result<Self> {
        const { Slot::<T::Data, T::State>::check(T::STATE_FIELD) };
        let (usersize, targetsize) = sizes::<T::Data>(T::STATE_FIELD);
        let t = bindings::xt_target {
            name: name_field(desc)?,
            revision: desc.revision,
            target: Some(target_entry::<T>),
            checkentry: Some(target_check_entry::<T>),
            destroy: Some(target_destroy_entry::<T>),
            me: module.as_ptr(),
            table: table_ptr(desc),
            targetsize,
            usersize,
            hooks: desc.hooks,
            family: desc.family.into(),
            ..Default::default()
        };
        let t = KBox::pin(Opaque::new(t), GFP_KERNEL)?;
        // SAFETY: The target is initialised and pinned until `drop` unregisters it.
        kernel::error::to_result(unsafe { bindings::xt_register_target(t.get()) })?;
        // INVARIANT: Registered just above.
        Ok(Self { t })
    }
}

impl Drop for TargetRegistration {
    fn drop(&mut self) {
        // SAFETY: As for matches.
        unsafe { bindings::xt_unregister_target(self.t.get()) };
    }
}
