// SPDX-License-Identifier: GPL-2.0

//! Connection tracking's life in each network namespace: its state made when the namespace
//! appears, the hooks, files and sysctls through which it is used, and the teardown.

use super::state::CtNet;
use super::sys::net::{Net, Pernet, PernetId, Registrar};
use super::sys::netfilter::{Hook, HookSpec};
use super::tuple::L3;
use super::{procfs, sysctl};
use core::sync::atomic::Ordering;
use kernel::c_str;
use kernel::prelude::*;

/// Where the kernel keeps the index of each namespace's [`CtNet`].
static ID: PernetId = PernetId::new();

/// Where conntrack hooks in: at PRE_ROUTING and LOCAL_OUT to track, at POST_ROUTING and LOCAL_IN
/// to confirm, for IPv4 and IPv6, at nf_conntrack's priorities.
const HOOKS: [HookSpec; 8] = {
    const TRACK: i32 = -200;
    const CONFIRM: i32 = i32::MAX;
    const fn spec(l3: L3, hook: Hook, priority: i32) -> HookSpec {
        HookSpec { l3, hook, priority }
    }
    [
        spec(L3::Ipv4, Hook::PreRouting, TRACK),
        spec(L3::Ipv4, Hook::LocalOut, TRACK),
        spec(L3::Ipv4, Hook::PostRouting, CONFIRM),
        spec(L3::Ipv4, Hook::LocalIn, CONFIRM),
        spec(L3::Ipv6, Hook::PreRouting, TRACK),
        spec(L3::Ipv6, Hook::LocalOut, TRACK),
        spec(L3::Ipv6, Hook::PostRouting, CONFIRM),
        // As nf_conntrack, one below the last priority on IPv6 input.
        spec(L3::Ipv6, Hook::LocalIn, CONFIRM - 1),
    ]
};

impl Pernet for CtNet {
    fn id() -> &'static PernetId {
        &ID
    }

    fn init(net: &Net) -> Result<Pin<KBox<Self>>> {
        KBox::pin_init(CtNet::new(net)?, GFP_KERNEL)
    }

    fn start(net: &Net, reg: &mut Registrar<'_, Self>) -> Result {
        let ct = reg.state();
        // Packets come last, once the files and sysctls that show the table are there.
        reg.sysctls(c_str!("net/netfilter"), &sysctl::entries(ct, net))?;
        procfs::create(reg)?;
        reg.defrag()?;
        reg.hooks(&HOOKS)?;
        Ok(())
    }

    fn exit(ct: &Self, _net: &Net) {
        // Nobody hears of the namespace's connections any more.
        ct.events.stop();
        // No packet reaches the table any more; connections that skbs still hold go when the
        // skbs do.
        ct.table().flush();
        let mut waited = 0u32;
        while ct.count.load(Ordering::Acquire) > 0 || ct.templates.load(Ordering::Acquire) > 0 {
            super::sys::time::sleep_ms(10);
            ct.events.release();
            waited += 1;
            if waited % 100 == 0 {
                // A packet confirmed by another namespace's hooks may have brought one in.
                ct.table().flush();
            }
            if waited % 1000 == 0 {
                pr_warn!(
                    "namespace teardown waits for {} connections still held by packets\n",
                    ct.count.load(Ordering::Relaxed)
                );
            }
        }
    }
}
