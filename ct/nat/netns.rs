// SPDX-License-Identifier: GPL-2.0

//! NAT in each network namespace: the nftables NAT chains of each hook, run from NAT's own
//! hooks, which are registered while a family has chains.

use super::hook;
use super::masquerade::Masquerade;
use crate::ct::sys::addr_events::AddrEventsRegistration;
use crate::ct::sys::bindings;
use crate::ct::sys::hook_list::{ChainHook, HookLists, HookOps};
use crate::ct::sys::net::{Held, Net, Pernet, PernetId, PernetRegistration, Registrar};
use crate::ct::sys::netfilter::{
    impl_has_lazy_hooks, Hook, HookHandler, HookSpec, HookState, LazyHooks, Verdict,
};
use crate::ct::sys::nftables::{ChainOps, ChainTypeRegistration};
use crate::ct::sys::skb::Skb;
use crate::ct::tuple::L3;
use kernel::prelude::*;

/// Where the kernel keeps the index of each namespace's [`NatNet`].
static ID: PernetId = PernetId::new();

/// Priority of destination NAT, before filtering (`NF_IP_PRI_NAT_DST`).
const NAT_DST: i32 = -100;
/// Priority of source NAT, after filtering (`NF_IP_PRI_NAT_SRC`).
const NAT_SRC: i32 = 100;

/// NAT's hooks of each family: destination NAT on the way in and out, source NAT after.
const HOOKS: [[HookSpec; 4]; 2] = {
    const fn family(l3: L3) -> [HookSpec; 4] {
        [
            HookSpec {
                l3,
                hook: Hook::PreRouting,
                priority: NAT_DST,
            },
            HookSpec {
                l3,
                hook: Hook::LocalOut,
                priority: NAT_DST,
            },
            HookSpec {
                l3,
                hook: Hook::PostRouting,
                priority: NAT_SRC,
            },
            HookSpec {
                l3,
                hook: Hook::LocalIn,
                priority: NAT_SRC,
            },
        ]
    }
    [family(L3::Ipv4), family(L3::Ipv6)]
};

/// The families NAT serves, as indexes.
fn families(pf: u8) -> &'static [L3] {
    match u32::from(pf) {
        bindings::NFPROTO_IPV4 => &[L3::Ipv4],
        bindings::NFPROTO_IPV6 => &[L3::Ipv6],
        bindings::NFPROTO_INET => &[L3::Ipv4, L3::Ipv6],
        _ => &[],
    }
}

fn family_index(l3: L3) -> usize {
    match l3 {
        L3::Ipv4 => 0,
        L3::Ipv6 => 1,
    }
}

/// The list of the chains of `hook` in family `l3`.
pub(super) fn list(l3: L3, hook: Hook) -> Option<usize> {
    let h = match hook {
        Hook::PreRouting => 0,
        Hook::LocalIn => 1,
        Hook::LocalOut => 2,
        Hook::PostRouting => 3,
        Hook::Forward => return None,
    };
    Some(family_index(l3) * 4 + h)
}

fn hook_of(n: u32) -> Option<Hook> {
    Hook::ALL.into_iter().find(|h| *h as u32 == n)
}

/// NAT's state in one namespace.
#[pin_data]
pub(crate) struct NatNet {
    /// NAT's own hooks, per family; first, so that dropping the state unregisters them before
    /// anything they use goes.
    #[pin]
    hooks: LazyHooks<NatNet, 2>,
    /// The NAT chains, per family and hook (see [`list`]).
    #[pin]
    pub(super) chains: HookLists<8>,
}

impl_has_lazy_hooks!(NatNet, hooks, 2);

impl HookHandler for NatNet {
    fn hook(&self, skb: &mut Skb, state: &HookState) -> Verdict {
        hook::run(self, skb, state)
    }
}

impl Pernet for NatNet {
    fn id() -> &'static PernetId {
        &ID
    }

    fn init(_net: &Net) -> Result<Pin<KBox<Self>>> {
        KBox::pin_init(
            try_pin_init!(Self {
                hooks <- LazyHooks::new(),
                chains <- HookLists::new(),
            }? Error),
            GFP_KERNEL,
        )
    }

    fn start(_net: &Net, _reg: &mut Registrar<'_, Self>) -> Result {
        Ok(())
    }

    fn exit(_nat: &Self, _net: &Net) {}
}

/// How nftables' NAT chains register with NAT.
pub(crate) struct NatChains;

impl ChainOps for NatChains {
    fn register(net: &Net, held: &Held, ops: &HookOps) -> Result {
        let nat = net.state_held::<NatNet>(held).ok_or(ENOENT)?;
        let hook = hook_of(ops.hooknum()).ok_or(EINVAL)?;
        // SAFETY: nf_tables keeps a base chain's operations until it unregisters them.
        let chain = unsafe { ChainHook::new(ops) };
        for &l3 in families(ops.pf()) {
            let i = list(l3, hook).ok_or(EINVAL)?;
            nat.chains.insert(i, chain)?;
            if let Err(e) = nat
                .hooks
                .set(family_index(l3), net, Some(&HOOKS[family_index(l3)]))
            {
                nat.chains.remove(i, ops);
                return Err(e);
            }
        }
        Ok(())
    }

    fn unregister(net: &Net, held: &Held, ops: &HookOps) {
        // Gone with its namespace: so are its hooks.
        let Some(nat) = net.state_held::<NatNet>(held) else {
            return;
        };
        let Some(hook) = hook_of(ops.hooknum()) else {
            return;
        };
        for &l3 in families(ops.pf()) {
            let Some(i) = list(l3, hook) else { continue };
            nat.chains.remove(i, ops);
            let base = family_index(l3) * 4;
            if (base..base + 4).all(|j| nat.chains.is_empty(j)) {
                let _ = nat.hooks.set(family_index(l3), net, None);
            }
        }
    }
}

/// NAT, registered: its state in every namespace, and nftables' `nat` chain types of the
/// families it serves, whose chains it runs.
pub(crate) struct NatRegistration {
    // Dropped first: no chain of these types exists once they can go.
    _chain_types: KVec<ChainTypeRegistration>,
    _addr_events: AddrEventsRegistration<Masquerade>,
    _pernet: PernetRegistration<NatNet>,
}

impl NatRegistration {
    /// Sets NAT up in every namespace, and registers the `nat` chain types of `ip`, `ip6` and
    /// `inet`.
    pub(crate) fn new(module: &'static ThisModule) -> Result<Self> {
        let pernet = PernetRegistration::new()?;
        let addr_events = AddrEventsRegistration::new()?;
        let mut chain_types = KVec::with_capacity(3, GFP_KERNEL)?;
        for family in [
            bindings::NFPROTO_IPV4,
            bindings::NFPROTO_IPV6,
            bindings::NFPROTO_INET,
        ] {
            let ty = ChainTypeRegistration::nat::<NatChains>(module, family as u8)?;
            chain_types.push(ty, GFP_KERNEL)?;
        }
        Ok(Self {
            _chain_types: chain_types,
            _addr_events: addr_events,
            _pernet: pernet,
        })
    }
}
