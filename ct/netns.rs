// SPDX-License-Identifier: GPL-2.0

//! Connection tracking in one network namespace: its table, counters and settings, and the
//! hooks, files and sysctls through which it is used.

use super::conn::Conn;
use super::format::Stats;
use super::pacer::GcPacer;
use super::proto::Timeouts;
use super::sys::defrag::Defrag;
use super::sys::net::{Net, Pernet, PernetId};
use super::sys::netfilter::{Hook, HookRegistration, HookSpec};
use super::sys::percpu::PerCpu;
use super::sys::proc::ProcEntry;
use super::sys::sync::{synchronize_rcu, Rcu};
use super::sys::sysctl::SysctlTable;
use super::sys::work::DelayedWork;
use super::table::Table;
use super::tuple::L3;
use super::{procfs, sysctl};
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU8, Ordering};
use kernel::c_str;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::Mutex;

/// Where the kernel keeps the index of each namespace's [`CtNet`].
static ID: PernetId = PernetId::new();

/// The most connections a namespace may hold, zero for no limit (`nf_conntrack_max`); set from
/// the init namespace.
pub(crate) static MAX: AtomicI32 = AtomicI32::new(0);
/// Buckets in each namespace's table (`nf_conntrack_buckets`).
pub(crate) static BUCKETS: AtomicI32 = AtomicI32::new(0);

/// Packets seen at each hook, per network protocol: `[l3][hook]`.
#[derive(Clone, Copy, Default)]
#[repr(C)]
pub(crate) struct HookCounts(pub(crate) [[u32; 5]; 2]);

impl HookCounts {
    /// Byte offset of the counter of `hook` for `l3`.
    pub(crate) fn offset(l3: L3, hook: Hook) -> usize {
        let row = match l3 {
            L3::Ipv4 => 0,
            L3::Ipv6 => 1,
        };
        (row * 5 + hook as usize) * core::mem::size_of::<u32>()
    }
}

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

/// What makes a namespace's tracking reachable; dropped first at teardown.
struct Surfaces {
    // Drop order: packets stop first, then the files and sysctls that show the table.
    _hooks: HookRegistration<8>,
    _defrag: Defrag,
    _proc: KVec<ProcEntry>,
    _sysctl: SysctlTable,
}

/// Connection tracking state of one network namespace.
#[pin_data]
pub(crate) struct CtNet {
    /// The namespace.
    net: *mut super::sys::bindings::net,
    /// The connections.
    pub(crate) table: Table,
    /// Connections allocated and not yet freed (`nf_conntrack_count`).
    pub(crate) count: AtomicI32,
    /// Per-CPU statistics.
    pub(crate) stats: PerCpu<Stats>,
    /// Per-CPU packets seen at each hook.
    pub(crate) hooks_seen: PerCpu<HookCounts>,
    /// Protocol timeouts, in seconds.
    pub(crate) timeouts: Timeouts,
    /// Whether new connections count packets and bytes (`nf_conntrack_acct`).
    pub(crate) acct: AtomicU8,
    /// Whether checksums are verified on input (`nf_conntrack_checksum`).
    pub(crate) checksum: AtomicU8,
    /// The garbage collector's work item.
    pub(crate) gc_work: DelayedWork,
    /// Where the garbage collector is; only its work function touches it.
    pub(crate) gc: UnsafeCell<GcPacer>,
    #[pin]
    surfaces: Mutex<Option<Surfaces>>,
}

// SAFETY: The namespace pointer is valid from any thread; `gc` is only used by the work item,
// which never runs concurrently with itself; everything else is atomic or synchronised.
unsafe impl Send for CtNet {}
// SAFETY: As above.
unsafe impl Sync for CtNet {}

impl CtNet {
    fn new(net: &Net) -> Result<impl PinInit<Self, Error> + use<>> {
        let net = net.as_ptr();
        let table = Table::new(BUCKETS.load(Ordering::Relaxed) as usize)?;
        let (stats, hooks_seen) = (PerCpu::new()?, PerCpu::new()?);
        Ok(try_pin_init!(Self {
            net,
            table,
            count: AtomicI32::new(0),
            stats,
            hooks_seen,
            timeouts: Timeouts::new(),
            acct: AtomicU8::new(u8::from(super::sys::params::acct())),
            checksum: AtomicU8::new(1),
            // SAFETY: `start` initialises it first; nothing else uses it before.
            gc_work: unsafe { DelayedWork::uninit() },
            gc: UnsafeCell::new(GcPacer::new()),
            surfaces <- new_mutex!(None),
        }? Error))
    }

    /// The namespace.
    pub(crate) fn net(&self) -> &Net {
        // SAFETY: The namespace outlives its state.
        unsafe { Net::from_raw(self.net) }
    }

    /// Adds one to the statistic at byte offset `offset` of [`Stats`].
    pub(crate) fn stat(&self, offset: usize) {
        self.stats.inc(offset);
    }

    fn start(&self) -> Result {
        let net = self.net();
        // SAFETY: `self` is pinned in its namespace's slot and outlives the work item, which
        // `stop` cancels.
        unsafe { self.gc_work.init(super::gc::run) };
        // SAFETY: The sysctls point into `self`, which outlives them (`stop` drops them).
        let sysctl =
            unsafe { SysctlTable::new(net, c_str!("net/netfilter"), &sysctl::entries(self, net))? };
        let proc = procfs::create(net)?;
        let defrag = Defrag::new(net)?;
        // SAFETY: `self` outlives the registration, which `stop` drops.
        let hooks = unsafe { HookRegistration::new(net, &HOOKS, self)? };
        *self.surfaces.lock() = Some(Surfaces {
            _hooks: hooks,
            _defrag: defrag,
            _proc: proc,
            _sysctl: sysctl,
        });
        self.gc_work.queue(super::sys::time::HZ);
        Ok(())
    }

    fn stop(&self) {
        drop(self.surfaces.lock().take());
        self.gc_work.cancel_sync();
        // No packet reaches the table any more; connections that skbs still hold go when the
        // skbs do.
        self.table.flush();
        let mut waited = 0u32;
        while self.count.load(Ordering::Acquire) > 0 {
            super::sys::time::sleep_ms(10);
            waited += 1;
            if waited % 100 == 0 {
                // A packet confirmed by another namespace's hooks may have brought one in.
                self.table.flush();
            }
            if waited % 1000 == 0 {
                pr_warn!(
                    "namespace teardown waits for {} connections still held by packets\n",
                    self.count.load(Ordering::Relaxed)
                );
            }
        }
    }
}

impl Pernet for CtNet {
    fn id() -> &'static PernetId {
        &ID
    }

    fn init(net: &Net) -> Result<Pin<KBox<Self>>> {
        KBox::pin_init(Self::new(net)?, GFP_KERNEL)
    }

    fn start(this: &Self, _net: &Net) -> Result {
        this.start()
    }

    fn exit(this: &Self, _net: &Net) {
        this.stop();
    }
}

/// Whether every namespace has its state: from the end of the pernet registration to the start
/// of its removal. Callers that may meet any namespace check it within an RCU read-side section.
static READY: AtomicBool = AtomicBool::new(false);

/// Marks the registration complete (`true`), or about to be undone (`false`; then waits for
/// readers that saw it complete).
pub(crate) fn set_ready(ready: bool) {
    READY.store(ready, Ordering::Release);
    if !ready {
        synchronize_rcu();
    }
}

impl CtNet {
    /// The state of `net`, for a caller that may meet any namespace.
    pub(crate) fn of_any<'a>(net: &'a Net, _rcu: &'a Rcu) -> Option<&'a CtNet> {
        if !READY.load(Ordering::Acquire) {
            return None;
        }
        // SAFETY: Registration is complete and, within this RCU read-side section, not undone:
        // `set_ready(false)` waits for the section to end before unregistering.
        unsafe { net.state::<CtNet>() }
    }

    /// The state of the namespace a live connection belongs to.
    pub(crate) fn of_conn(conn: &Conn) -> Option<&CtNet> {
        // SAFETY: A connection exists only in a namespace whose state is set up, and the
        // namespace's teardown waits for its connections to go.
        unsafe { conn.net().state::<CtNet>() }
    }
}

/// A connection of `net` has been freed.
///
/// # Safety
///
/// `net` must be the namespace of a connection just freed, which counted in its state.
pub(crate) unsafe fn released(net: &Net) {
    // SAFETY: The state counted the connection, and its teardown waits for the count to reach
    // zero: it is set up and alive.
    if let Some(ct) = unsafe { net.state::<CtNet>() } {
        ct.count.fetch_sub(1, Ordering::Release);
    }
}
