// SPDX-License-Identifier: GPL-2.0

//! rust_conntrack: connection tracking for netfilter, in Rust.
//!
//! Tracks the connections of every network namespace as nf_conntrack does, with the same
//! tuples, states, timeouts, `/proc` files and sysctls, and takes nf_conntrack's place as the
//! kernel's connection tracker: the two cannot be loaded together.

use kernel::prelude::*;

mod ct;
#[cfg(kunit)]
#[path = "tests/kunit/mod.rs"]
mod kunit_tests;

use core::sync::atomic::Ordering::Relaxed;
use ct::conn::Caches;
use ct::nf_ct_hook::Provider;
use ct::shared::Shared;
use ct::state::{CtNet, BUCKETS, MAX};
use ct::sys::{
    ct_hook::CtHookRegistration, modules::ModuleBlocker, net::PernetRegistration, params,
};

module! {
    type: RustConntrack,
    name: "rust_conntrack",
    author: "rust_conntrack developers",
    description: "Connection tracking for netfilter",
    license: "GPL",
}

struct RustConntrack {
    /// The xtables matches and targets; `None` once unregistered, first of all.
    xt: Option<ct::xt::Extensions>,
    /// The nftables expressions; `None` once unregistered, next.
    nft: Option<ct::nft::Expressions>,
    /// NAT and its chain types; `None` once unregistered, next.
    nat: Option<ct::nat::netns::NatRegistration>,
    /// ctnetlink; `None` once torn down, next.
    ctnetlink: Option<ct::netlink::Ctnetlink>,
    /// Per-namespace tracking; `None` once torn down.
    pernet: Option<PernetRegistration<CtNet>>,
    // Dropped after `pernet` (see `Drop`), in this order.
    _ct_hook: CtHookRegistration<Provider>,
    shared: Pin<KBox<Shared>>,
    caches: KBox<Caches>,
    _blocker: ModuleBlocker,
}

/// Buckets in the table and the connection limit, as nf_conntrack sizes them: from memory (an
/// eighth of a percent of it in buckets, at least 1024, 65536 above 1 GiB, 262144 above 4 GiB,
/// one connection per bucket), or from the `hashsize` parameter with eight per bucket.
fn table_size() -> (usize, usize) {
    const ROUND: usize = 512;
    let requested = params::hashsize() as usize;
    if requested != 0 {
        let buckets = requested.div_ceil(ROUND) * ROUND;
        return (buckets, 8 * buckets);
    }
    let bytes = params::totalram_pages() * kernel::page::PAGE_SIZE;
    let buckets = if bytes > 4 << 30 {
        262144
    } else if bytes > 1 << 30 {
        65536
    } else {
        (bytes / 16384 / core::mem::size_of::<usize>()).max(1024)
    };
    let buckets = buckets.div_ceil(ROUND) * ROUND;
    (buckets, buckets)
}

impl kernel::Module for RustConntrack {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let blocker = ModuleBlocker::new()?;
        let ct_hook = CtHookRegistration::new().inspect_err(|_| {
            pr_err!("nf_conntrack is loaded: unload it (rmmod nf_conntrack and its users) first\n");
        })?;
        // SAFETY: The only install; `Drop` uninstalls once every connection is freed.
        let caches = unsafe { Caches::install()? };
        let (buckets, max) = table_size();
        BUCKETS.store(buckets as i32, Relaxed);
        MAX.store(max as i32, Relaxed);
        ct::state::set_hash_key(ct::sys::random::key());
        ct::pipeline::setup(params::hooks_only());
        // SAFETY: The only install, before any namespace state; every way out below and `Drop`
        // uninstall it once the states are gone.
        let shared = unsafe { Shared::install(buckets) }.inspect_err(|_| {
            Caches::uninstall(&caches);
        })?;
        let pernet = PernetRegistration::new().inspect_err(|e| {
            pr_err!("setting up network namespaces failed: {:?}\n", e);
            Shared::uninstall(&shared);
            // Namespaces set up before the failure were torn down: wait for their last frees.
            ct::sys::sync::rcu_barrier();
            Caches::uninstall(&caches);
        })?;
        let fail = |what: &str, e: Error, pernet: PernetRegistration<CtNet>| {
            pr_err!("registering {} failed: {:?}\n", what, e);
            drop(pernet);
            Shared::uninstall(&shared);
            ct::sys::sync::rcu_barrier();
            Caches::uninstall(&caches);
            e
        };
        let ctnetlink = match ct::netlink::Ctnetlink::new() {
            Ok(ctnetlink) => ctnetlink,
            Err(e) => return Err(fail("ctnetlink", e, pernet)),
        };
        let nat = match ct::nat::netns::NatRegistration::new(module) {
            Ok(nat) => nat,
            Err(e) => {
                drop(ctnetlink);
                return Err(fail("NAT", e, pernet));
            }
        };
        let nft = match ct::nft::Expressions::register(module) {
            Ok(nft) => nft,
            Err(e) => {
                drop(nat);
                drop(ctnetlink);
                return Err(fail("the nftables expressions", e, pernet));
            }
        };
        let xt = match ct::xt::Extensions::register(module) {
            Ok(xt) => xt,
            Err(e) => {
                drop(nft);
                drop(nat);
                return Err(fail("the xtables extensions", e, pernet));
            }
        };
        pr_info!(
            "tracking connections: {} buckets, at most {} per namespace\n",
            buckets,
            max
        );
        Ok(Self {
            xt: Some(xt),
            nft: Some(nft),
            nat: Some(nat),
            ctnetlink: Some(ctnetlink),
            pernet: Some(pernet),
            _ct_hook: ct_hook,
            shared,
            caches,
            _blocker: blocker,
        })
    }
}

impl Drop for RustConntrack {
    fn drop(&mut self) {
        // No rule uses the extensions or the expressions (x_tables and nf_tables hold the
        // module while one does)...
        drop(self.xt.take());
        drop(self.nft.take());
        // ...nor a NAT chain: NAT's hooks go with its namespaces' state...
        drop(self.nat.take());
        // ...no request reaches the tables any more, and no event leaves them...
        drop(self.ctnetlink.take());
        // ...every namespace's hooks go, its connections leave the table and are freed...
        drop(self.pernet.take());
        Shared::uninstall(&self.shared);
        // ...the last of them after a grace period: wait for those frees.
        ct::sys::sync::rcu_barrier();
        Caches::uninstall(&self.caches);
    }
}
