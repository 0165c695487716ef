// SPDX-License-Identifier: GPL-2.0

//! nftables expressions provided by this module: registration of an expression type, and the
//! context, attributes, registers and packet an expression works with.
//!
//! C header: [`include/net/netfilter/nf_tables.h`](srctree/include/net/netfilter/nf_tables.h)

use super::bindings;
use super::hook_list::HookOps;
use super::net::{Held, Net};
use super::netfilter::HookState;
use super::skb::Skb;
use core::marker::PhantomData;
use core::mem::size_of;
use kernel::error::{from_result, to_result};
use kernel::ffi::{c_int, c_uint};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::types::Opaque;
use kernel::ThisModule;

/// Registers of 32 bits (`NFT_REG32_NUM`).
pub(crate) const REG32_NUM: usize = 20;

/// The verdict that ends the evaluation of the current rule (`NFT_BREAK`).
pub(crate) const BREAK: u32 = bindings::nft_verdicts_NFT_BREAK as u32;

/// The error of an attribute this module does not support (`EOPNOTSUPP`).
pub(crate) fn not_supported() -> kernel::error::Error {
    kernel::error::Error::from_errno(-(bindings::EOPNOTSUPP as i32))
}

/// Register file of one rule evaluation (`struct nft_regs`): 32-bit data registers, the first
/// four of which hold the verdict.
#[repr(transparent)]
pub(crate) struct Regs(Opaque<bindings::nft_regs>);

const _: () = assert!(size_of::<bindings::nft_regs>() == REG32_NUM * 4);

impl Regs {
    /// The data registers.
    pub(crate) fn data(&mut self) -> &mut [u32; REG32_NUM] {
        // CAST: The union of `struct nft_regs` starts with `u32 data[NFT_REG32_NUM]`.
        // SAFETY: The registers are the evaluation's, borrowed mutably for `'_`; any bits are
        // valid `u32`s.
        unsafe { &mut *self.0.get().cast::<[u32; REG32_NUM]>() }
    }

    /// Sets the verdict code: `BREAK`, or a netfilter verdict such as `NF_DROP`.
    pub(crate) fn set_verdict(&mut self, code: u32) {
        // The code is the verdict's first field, at the start of the registers.
        self.data()[0] = code;
    }
}

/// The packet an expression is evaluated for (`struct nft_pktinfo`).
#[repr(transparent)]
pub(crate) struct PktInfo(Opaque<bindings::nft_pktinfo>);

impl PktInfo {
    /// The packet.
    pub(crate) fn skb(&mut self) -> &mut Skb {
        // SAFETY: nf_tables evaluates rules on an skb it owns for the length of the evaluation,
        // which the caller borrows mutably; nothing else of ours refers to it meanwhile.
        unsafe { Skb::from_raw((*self.0.get()).skb) }
    }

    /// The packet and the hook it is at, together.
    pub(crate) fn skb_state(&mut self) -> (&mut Skb, &HookState) {
        // SAFETY: As in `skb` and `state`; the two are distinct objects.
        unsafe {
            let raw = self.0.get();
            (Skb::from_raw((*raw).skb), HookState::from_raw((*raw).state))
        }
    }

    /// The hook the packet is at.
    pub(crate) fn state(&self) -> &HookState {
        // SAFETY: The hook state is valid for the length of the evaluation.
        unsafe { HookState::from_raw((*self.0.get()).state) }
    }
}

/// The context of a rule being added or removed (`struct nft_ctx`).
#[repr(transparent)]
pub(crate) struct Ctx(Opaque<bindings::nft_ctx>);

impl Ctx {
    fn raw(&self) -> &bindings::nft_ctx {
        // SAFETY: The context is valid and not written while an expression's callback runs.
        unsafe { &*self.0.get() }
    }

    /// The table's family (`NFPROTO_*`).
    pub(crate) fn family(&self) -> u8 {
        self.raw().family
    }

    /// The namespace.
    pub(crate) fn net(&self) -> &Net {
        // SAFETY: The namespace is alive while a rule of it is changed.
        unsafe { Net::from_raw(self.raw().net) }
    }

    /// Checks that the rule is in a NAT chain (`type nat`) at one of the hooks `hooks`, a mask
    /// of `1 << NF_INET_*`.
    pub(crate) fn validate_nat_chain(&self, hooks: u32) -> Result {
        let chain = self.raw().chain;
        // SAFETY: The chain of a rule being validated is valid.
        to_result(unsafe {
            bindings::nft_chain_validate_dependency(
                chain,
                bindings::nft_chain_types_NFT_CHAIN_T_NAT,
            )
        })?;
        // SAFETY: As above.
        to_result(unsafe { bindings::nft_chain_validate_hooks(chain, hooks) })
    }

    /// Parses `attr` as the source register of a `len`-byte value, set by an earlier
    /// expression.
    pub(crate) fn load_register(&self, attr: Attr<'_>, len: u32) -> Result<u8> {
        let mut reg = 0u8;
        // SAFETY: The context and the attribute are valid for the call.
        to_result(unsafe {
            bindings::nft_parse_register_load(self.0.get(), attr.0, &mut reg, len)
        })?;
        Ok(reg)
    }

    /// Parses `attr` as the destination register of a `len`-byte value.
    pub(crate) fn store_register(&self, attr: Attr<'_>, len: u32) -> Result<u8> {
        let mut reg = 0u8;
        // SAFETY: As above; no data is given, the value type is plain data.
        to_result(unsafe {
            bindings::nft_parse_register_store(
                self.0.get(),
                attr.0,
                &mut reg,
                core::ptr::null(),
                bindings::nft_data_types_NFT_DATA_VALUE,
                len,
            )
        })?;
        Ok(reg)
    }
}

/// A netlink attribute of an expression, validated by its type's policy.
#[derive(Clone, Copy)]
pub(crate) struct Attr<'a>(*const bindings::nlattr, PhantomData<&'a ()>);

impl Attr<'_> {
    /// The attribute's payload.
    pub(crate) fn payload(&self) -> &[u8] {
        // SAFETY: nf_tables hands out attributes that lie within the message and whose length
        // covers their header; the message outlives the attribute.
        let len = usize::from(unsafe { (*self.0).nla_len });
        let hdr = size_of::<bindings::nlattr>();
        // SAFETY: As above: `len` bytes from the header are within the message.
        unsafe {
            core::slice::from_raw_parts(self.0.cast::<u8>().add(hdr), len.saturating_sub(hdr))
        }
    }

    /// A big-endian 32-bit payload (`nla_get_be32()` with `ntohl()`).
    pub(crate) fn be32(&self) -> Result<u32> {
        let p = self.payload();
        Ok(u32::from_be_bytes(
            p.get(..4).ok_or(EINVAL)?.try_into().map_err(|_| EINVAL)?,
        ))
    }

    /// An 8-bit payload.
    pub(crate) fn u8(&self) -> Result<u8> {
        self.payload().first().copied().ok_or(EINVAL)
    }
}

/// The attributes of an expression, by number.
pub(crate) struct Attrs<'a> {
    tb: &'a [*const bindings::nlattr],
}

impl<'a> Attrs<'a> {
    /// Attribute `n`, if present.
    pub(crate) fn get(&self, n: u32) -> Option<Attr<'a>> {
        let a = *self.tb.get(n as usize)?;
        (!a.is_null()).then_some(Attr(a, PhantomData))
    }
}

/// Where an expression writes its attributes for `nft list ruleset`.
#[repr(transparent)]
pub(crate) struct Dump(Opaque<bindings::sk_buff>);

impl Dump {
    /// Adds attribute `n` with `data`.
    pub(crate) fn put(&mut self, n: u16, data: &[u8]) -> Result {
        // SAFETY: The netlink message being built is valid; `data` is valid for its length.
        to_result(unsafe {
            bindings::nla_put(
                self.0.get(),
                c_int::from(n),
                data.len() as c_int,
                data.as_ptr().cast(),
            )
        })
    }

    /// Adds attribute `n` holding `v` in network byte order.
    pub(crate) fn put_be32(&mut self, n: u16, v: u32) -> Result {
        self.put(n, &v.to_be_bytes())
    }

    /// Adds attribute `n` holding `v`.
    pub(crate) fn put_u8(&mut self, n: u16, v: u8) -> Result {
        self.put(n, &[v])
    }

    /// Adds attribute `n` naming register `reg` as userspace numbers it.
    pub(crate) fn put_register(&mut self, n: u16, reg: u8) -> Result {
        // SAFETY: The message is valid.
        to_result(unsafe {
            bindings::nft_dump_register(self.0.get(), c_uint::from(n), c_uint::from(reg))
        })
    }
}

/// An nftables expression, kept in the private area of each instance in a rule.
pub(crate) trait Expr: Sized + Send + Sync + 'static {
    /// Builds the expression from its attributes, when a rule is added.
    fn init(ctx: &Ctx, attrs: &Attrs<'_>) -> Result<Self>;

    /// Evaluates the expression for a packet.
    fn eval(&self, regs: &mut Regs, pkt: &mut PktInfo);

    /// Writes the attributes `init` was given.
    fn dump(&self, out: &mut Dump) -> Result;

    /// Checks that the expression may be where its rule is (its chain's type and hooks).
    fn validate(&self, _ctx: &Ctx) -> Result {
        Ok(())
    }

    /// Undoes what `init` did beyond the expression, when the rule goes; the expression is
    /// dropped after.
    fn destroy(&self, _ctx: &Ctx) {}
}

/// An expression that keeps state, and may live in set elements, where each element has a copy
/// of its own (`NFT_EXPR_STATEFUL`, `NFT_EXPR_GC`).
pub(crate) trait StatefulExpr: Expr {
    /// A fresh copy for a new element; made in any context, without sleeping.
    fn fresh(&self) -> Result<Self>;

    /// Collects what is stale; returns whether the element may go.
    fn gc(&self, net: &Net) -> bool;
}

/// The policy of the `ct` expression's attributes.
pub(crate) fn ct_policy() -> &'static [bindings::nla_policy] {
    // SAFETY: A constant table, never written.
    unsafe { &bindings::rct_nft_ct_policy }
}

/// The policy of the `connlimit` expression's attributes.
pub(crate) fn connlimit_policy() -> &'static [bindings::nla_policy] {
    // SAFETY: A constant table, never written.
    unsafe { &bindings::rct_nft_connlimit_policy }
}

/// The policy of the `nat` expression's attributes.
pub(crate) fn nat_policy() -> &'static [bindings::nla_policy] {
    // SAFETY: A constant table, never written.
    unsafe { &bindings::rct_nft_nat_policy }
}

/// The policy of the `masq` expression's attributes.
pub(crate) fn masq_policy() -> &'static [bindings::nla_policy] {
    // SAFETY: A constant table, never written.
    unsafe { &bindings::rct_nft_masq_policy }
}

/// The policy of the `redir` expression's attributes.
pub(crate) fn redir_policy() -> &'static [bindings::nla_policy] {
    // SAFETY: A constant table, never written.
    unsafe { &bindings::rct_nft_redir_policy }
}

/// What an expression type is called, which attributes it takes, and for which family.
pub(crate) struct ExprDesc {
    /// The name rules use for it (`NFTA_EXPR_NAME`).
    pub(crate) name: &'static CStr,
    /// Its attribute policy, `maxattr + 1` entries.
    pub(crate) policy: &'static [bindings::nla_policy],
    /// The tables' family it serves (`NFPROTO_*`), or 0 for every family.
    pub(crate) family: u8,
}

/// An expression type and its operations, as nf_tables holds them.
#[repr(C)]
struct TypeAndOps {
    ty: bindings::nft_expr_type,
    ops: bindings::nft_expr_ops,
}

/// An expression type registered with nf_tables; unregistered on drop.
///
/// # Invariants
///
/// `inner` holds a type registered with nf_tables whose operations, also in `inner`, are those
/// of one [`Expr`] implementation.
pub(crate) struct ExprRegistration {
    inner: Pin<KBox<Opaque<TypeAndOps>>>,
}

// SAFETY: The registration may be dropped on any thread.
unsafe impl Send for ExprRegistration {}
// SAFETY: `&ExprRegistration` gives no access to anything.
unsafe impl Sync for ExprRegistration {}

impl ExprRegistration {
    /// Registers expression type `desc`, evaluated by `E`.
    pub(crate) fn new<E: Expr>(module: &'static ThisModule, desc: &ExprDesc) -> Result<Self> {
        Self::register(module, desc, plain_ops::<E>(), 0)
    }

    /// Registers expression type `desc`, evaluated by stateful `E`.
    pub(crate) fn new_stateful<E: StatefulExpr>(
        module: &'static ThisModule,
        desc: &ExprDesc,
    ) -> Result<Self> {
        let mut ops = plain_ops::<E>();
        ops.clone = Some(clone_entry::<E>);
        ops.destroy_clone = Some(destroy_clone_entry::<E>);
        ops.gc = Some(gc_entry::<E>);
        let flags = (bindings::NFT_EXPR_STATEFUL | bindings::NFT_EXPR_GC) as u8;
        Self::register(module, desc, ops, flags)
    }

    fn register(
        module: &'static ThisModule,
        desc: &ExprDesc,
        ops: bindings::nft_expr_ops,
        flags: u8,
    ) -> Result<Self> {
        let (policy, maxattr) = (desc.policy.as_ptr(), desc.policy.len().saturating_sub(1));
        let name = desc.name.as_char_ptr();
        let inner = KBox::pin_init(
            Opaque::ffi_init(|p: *mut TypeAndOps| {
                // SAFETY: `p` is valid for writes. The type points to the operations next to it
                // and back, at the addresses they keep while pinned.
                unsafe {
                    p.write(TypeAndOps {
                        ty: bindings::nft_expr_type {
                            ops: &raw const (*p).ops,
                            name,
                            owner: module.as_ptr(),
                            policy,
                            maxattr: maxattr as c_uint,
                            family: desc.family,
                            flags,
                            ..Default::default()
                        },
                        ops: bindings::nft_expr_ops {
                            type_: &raw const (*p).ty,
                            ..ops
                        },
                    })
                };
            }),
            GFP_KERNEL,
        )?;
        // SAFETY: The type is initialised and pinned until `drop` unregisters it.
        to_result(unsafe { bindings::nft_register_expr(&raw mut (*inner.get()).ty) })?;
        // INVARIANT: Registered just above, with `E`'s operations.
        Ok(Self { inner })
    }
}

impl Drop for ExprRegistration {
    fn drop(&mut self) {
        // SAFETY: Registered (type invariants). nf_tables holds a reference on the module
        // while any expression of the type exists, so none does any more.
        unsafe { bindings::nft_unregister_expr(&raw mut (*self.inner.get()).ty) };
    }
}

/// The operations of `E`, without those of stateful expressions.
fn plain_ops<E: Expr>() -> bindings::nft_expr_ops {
    bindings::nft_expr_ops {
        eval: Some(eval_entry::<E>),
        // `NFT_EXPR_SIZE()`: the header and the private area, rounded to the header's alignment.
        size: (size_of::<bindings::nft_expr>()
            + size_of::<E>().next_multiple_of(core::mem::align_of::<bindings::nft_expr>()))
            as c_uint,
        init: Some(init_entry::<E>),
        destroy: Some(destroy_entry::<E>),
        dump: Some(dump_entry::<E>),
        validate: Some(validate_entry::<E>),
        ..Default::default()
    }
}

/// The private area of `expr`, where its `E` lives.
///
/// # Safety
///
/// `expr` must be an expression of `E`'s operations.
unsafe fn private<E: Expr>(expr: *const bindings::nft_expr) -> *mut E {
    const { assert!(core::mem::align_of::<E>() <= 8) };
    // CAST: The private area follows the header, aligned to 8 bytes, and is `size` bytes long,
    // room for an `E` (`plain_ops`).
    // SAFETY: `expr` is valid, so is its private area.
    unsafe { (&raw const (*expr).data).cast::<E>().cast_mut() }
}

/// # Safety
///
/// Called by nf_tables with an expression of `E`'s operations, its registers and packet.
unsafe extern "C" fn eval_entry<E: Expr>(
    expr: *const bindings::nft_expr,
    regs: *mut bindings::nft_regs,
    pkt: *const bindings::nft_pktinfo,
) {
    // SAFETY: The expression was initialised by `init_entry`; the registers and the packet are
    // the evaluation's, not used by anything else while this runs.
    let (e, regs, pkt) = unsafe {
        (
            &*private::<E>(expr),
            &mut *regs.cast::<Regs>(),
            &mut *pkt.cast_mut().cast::<PktInfo>(),
        )
    };
    e.eval(regs, pkt);
}

/// # Safety
///
/// Called by nf_tables with a new expression of `E`'s operations, its context and the
/// attribute table of the type's policy.
unsafe extern "C" fn init_entry<E: Expr>(
    ctx: *const bindings::nft_ctx,
    expr: *const bindings::nft_expr,
    tb: *const *const bindings::nlattr,
) -> c_int {
    from_result(|| {
        // SAFETY: The context is valid for the call.
        let ctx = unsafe { &*ctx.cast::<Ctx>() };
        // SAFETY: The table has `maxattr + 1` entries, as the type's policy (`register`); the
        // operations are reached only through the type, so the type is `E`'s.
        let maxattr = unsafe { (*(*(*expr).ops).type_).maxattr } as usize;
        // SAFETY: As above.
        let tb = unsafe { core::slice::from_raw_parts(tb, maxattr + 1) };
        let e = E::init(ctx, &Attrs { tb })?;
        // SAFETY: The private area is room for an `E`, not initialised yet.
        unsafe { private::<E>(expr).write(e) };
        Ok(0)
    })
}

/// # Safety
///
/// Called by nf_tables once with an expression `init_entry` initialised, about to be freed.
unsafe extern "C" fn destroy_entry<E: Expr>(
    ctx: *const bindings::nft_ctx,
    expr: *const bindings::nft_expr,
) {
    // SAFETY: The context is valid for the call.
    let ctx = unsafe { &*ctx.cast::<Ctx>() };
    // SAFETY: Initialised by `init_entry`, and no evaluation uses it any more.
    let e = unsafe { private::<E>(expr) };
    // SAFETY: As above.
    unsafe { (*e).destroy(ctx) };
    // SAFETY: Dropped once; nf_tables frees the memory after.
    unsafe { core::ptr::drop_in_place(e) };
}

/// # Safety
///
/// Called by nf_tables with an initialised expression and the context of its rule.
unsafe extern "C" fn validate_entry<E: Expr>(
    ctx: *const bindings::nft_ctx,
    expr: *const bindings::nft_expr,
) -> c_int {
    // SAFETY: The context is valid for the call; the expression was initialised.
    let (ctx, e) = unsafe { (&*ctx.cast::<Ctx>(), &*private::<E>(expr)) };
    match e.validate(ctx) {
        Ok(()) => 0,
        Err(err) => err.to_errno(),
    }
}

/// # Safety
///
/// Called by nf_tables with an initialised expression and a message being built.
unsafe extern "C" fn dump_entry<E: Expr>(
    skb: *mut bindings::sk_buff,
    expr: *const bindings::nft_expr,
    _reset: bool,
) -> c_int {
    // SAFETY: Initialised by `init_entry`; the message is nf_tables', borrowed for the call.
    let (e, out) = unsafe { (&*private::<E>(expr), &mut *skb.cast::<Dump>()) };
    match e.dump(out) {
        Ok(()) => 0,
        Err(_) => -1,
    }
}

/// # Safety
///
/// Called by nf_tables with an initialised expression `src` and room `dst` for a copy.
unsafe extern "C" fn clone_entry<E: StatefulExpr>(
    dst: *mut bindings::nft_expr,
    src: *const bindings::nft_expr,
    _gfp: bindings::gfp_t,
) -> c_int {
    // SAFETY: `src` was initialised by `init_entry`.
    let copy = match unsafe { (*private::<E>(src)).fresh() } {
        Ok(copy) => copy,
        Err(e) => return e.to_errno(),
    };
    // SAFETY: `dst`'s private area is room for an `E`, not initialised yet.
    unsafe { private::<E>(dst).write(copy) };
    0
}

/// # Safety
///
/// Called by nf_tables once with a copy made by `clone_entry`, about to be freed.
unsafe extern "C" fn destroy_clone_entry<E: StatefulExpr>(
    _ctx: *const bindings::nft_ctx,
    expr: *const bindings::nft_expr,
) {
    // SAFETY: Initialised by `clone_entry`, no longer used, dropped once.
    unsafe { core::ptr::drop_in_place(private::<E>(expr)) };
}

/// # Safety
///
/// Called by nf_tables with an initialised expression of a set element of namespace `net`.
unsafe extern "C" fn gc_entry<E: StatefulExpr>(
    net: *mut bindings::net,
    expr: *const bindings::nft_expr,
) -> bool {
    // SAFETY: The namespace is alive while its sets are collected; the expression is
    // initialised.
    let (net, e) = unsafe { (Net::from_raw(net), &*private::<E>(expr)) };
    e.gc(net)
}

/// How a chain type's base chains register their hooks: with this module, which runs them from
/// hooks of its own, rather than with netfilter.
pub(crate) trait ChainOps: 'static {
    /// A base chain's hook, `ops`, is added in `net`; `ops` stays valid until unregistered.
    fn register(net: &Net, held: &Held, ops: &HookOps) -> Result;

    /// A base chain's hook goes.
    fn unregister(net: &Net, held: &Held, ops: &HookOps);
}

/// A chain type registered with nf_tables; unregistered on drop.
///
/// # Invariants
///
/// `ty` is registered, with `T`'s operations.
pub(crate) struct ChainTypeRegistration {
    ty: Pin<KBox<Opaque<bindings::nft_chain_type>>>,
}

// SAFETY: The registration may be dropped on any thread.
unsafe impl Send for ChainTypeRegistration {}
// SAFETY: `&ChainTypeRegistration` gives no access to anything.
unsafe impl Sync for ChainTypeRegistration {}

impl ChainTypeRegistration {
    /// Registers the `nat` chain type of family `family`, at the four hooks NAT runs at, whose
    /// chains `T` runs.
    pub(crate) fn nat<T: ChainOps>(module: &'static ThisModule, family: u8) -> Result<Self> {
        let hooks = [
            bindings::nf_inet_hooks_NF_INET_PRE_ROUTING,
            bindings::nf_inet_hooks_NF_INET_LOCAL_IN,
            bindings::nf_inet_hooks_NF_INET_LOCAL_OUT,
            bindings::nf_inet_hooks_NF_INET_POST_ROUTING,
        ];
        let mut ty = bindings::nft_chain_type {
            name: kernel::c_str!("nat").as_char_ptr(),
            type_: bindings::nft_chain_types_NFT_CHAIN_T_NAT,
            family: c_int::from(family),
            owner: module.as_ptr(),
            hook_mask: hooks.iter().fold(0, |m, h| m | 1 << h),
            ops_register: Some(chain_register_entry::<T>),
            ops_unregister: Some(chain_unregister_entry::<T>),
            ..Default::default()
        };
        for h in hooks {
            ty.hooks[h as usize] = Some(bindings::rct_nft_nat_do_chain);
        }
        let ty = KBox::pin(Opaque::new(ty), GFP_KERNEL)?;
        // SAFETY: The type is initialised and pinned until `drop` unregisters it.
        unsafe { bindings::nft_register_chain_type(ty.get()) };
        // INVARIANT: Registered just above.
        Ok(Self { ty })
    }
}

impl Drop for ChainTypeRegistration {
    fn drop(&mut self) {
        // SAFETY: Registered (type invariants); nf_tables holds the module while a chain of the
        // type exists, so none does any more.
        unsafe { bindings::nft_unregister_chain_type(self.ty.get()) };
    }
}

/// # Safety
///
/// Called by nf_tables with a live namespace and a base chain's valid hook operations.
unsafe extern "C" fn chain_register_entry<T: ChainOps>(
    net: *mut bindings::net,
    ops: *const bindings::nf_hook_ops,
) -> c_int {
    // SAFETY: As the function's safety requirements; the operations stay valid until
    // `chain_unregister_entry` is called for them.
    let (net, ops) = unsafe { (Net::from_raw(net), HookOps::from_raw(ops)) };
    // SAFETY: nf_tables holds the module while a chain of its type exists, and the namespace
    // whose chain changes for the call.
    let held = unsafe { Held::assume() };
    match T::register(net, held, ops) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// Called by nf_tables with a live namespace and hook operations registered before.
unsafe extern "C" fn chain_unregister_entry<T: ChainOps>(
    net: *mut bindings::net,
    ops: *const bindings::nf_hook_ops,
) {
    // SAFETY: As the function's safety requirements.
    let (net, ops) = unsafe { (Net::from_raw(net), HookOps::from_raw(ops)) };
    // SAFETY: As in `chain_register_entry`.
    let held = unsafe { Held::assume() };
    T::unregister(net, held, ops);
}
