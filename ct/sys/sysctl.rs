// SPDX-License-Identifier: GPL-2.0

//! Sysctl tables of one network namespace.
//!
//! C header: [`include/linux/sysctl.h`](srctree/include/linux/sysctl.h)

use super::bindings;
use super::net::Net;
use crate::ct::limits;
use core::marker::PhantomData;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicI32, AtomicU8, Ordering::Relaxed};
use kernel::error::code::{EINVAL, ENOMEM};
use kernel::ffi::{c_int, c_uint, c_void};
use kernel::prelude::*;
use kernel::str::CStr;

/// How a sysctl reads and writes its value.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    /// An `int` in `min..=max`; other writes fail with `EINVAL` and change nothing.
    Int {
        /// Smallest value accepted.
        min: c_int,
        /// Largest value accepted.
        max: c_int,
    },
    /// A `u8` in `min..=max`; other writes fail with `EINVAL` and change nothing.
    U8 {
        /// Smallest value accepted.
        min: u8,
        /// Largest value accepted.
        max: u8,
    },
    /// A namespace's own limit below the host's `host` ([`limits`]): reads the limit the
    /// namespace works with; a write [`limits::may_set_own`] refuses fails with `EINVAL`.
    OwnLimit {
        /// The host's limit.
        host: *mut c_void,
    },
}

/// One sysctl, whose value it borrows for `'a`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry<'a> {
    /// File name.
    name: &'static CStr,
    /// The value, an `int` or a `u8` as `kind` says. Written by the kernel on a successful
    /// write, with a single store.
    data: *mut c_void,
    /// Value type and limits.
    kind: Kind,
    /// Whether root may write it.
    writable: bool,
    _value: PhantomData<&'a ()>,
}

impl<'a> Entry<'a> {
    /// An `int` sysctl of `value`, in `min..=max`.
    pub(crate) fn int(
        name: &'static CStr,
        value: &'a AtomicI32,
        min: c_int,
        max: c_int,
        writable: bool,
    ) -> Self {
        Self {
            name,
            data: value.as_ptr().cast(),
            kind: Kind::Int { min, max },
            writable,
            _value: PhantomData,
        }
    }

    /// A namespace's own limit `own`, below the host's `host` ([`Kind::OwnLimit`]).
    pub(crate) fn own_limit(
        name: &'static CStr,
        own: &'a AtomicI32,
        host: &'static AtomicI32,
    ) -> Self {
        Self {
            name,
            data: own.as_ptr().cast(),
            kind: Kind::OwnLimit {
                host: host.as_ptr().cast(),
            },
            writable: true,
            _value: PhantomData,
        }
    }

    /// A writable `u8` sysctl of `value`, in `min..=max`.
    pub(crate) fn u8(name: &'static CStr, value: &'a AtomicU8, min: u8, max: u8) -> Self {
        Self {
            name,
            data: value.as_ptr().cast(),
            kind: Kind::U8 { min, max },
            writable: true,
            _value: PhantomData,
        }
    }
}

/// A registered table; unregistered on drop.
///
/// # Invariants
///
/// `header` is the registration of `table`, whose entries point into `limits`.
pub(crate) struct SysctlTable {
    header: NonNull<bindings::ctl_table_header>,
    _table: KVec<bindings::ctl_table>,
    _limits: KVec<[c_uint; 2]>,
}

// SAFETY: The registration may be dropped on any thread.
unsafe impl Send for SysctlTable {}
// SAFETY: `&SysctlTable` gives no access to anything.
unsafe impl Sync for SysctlTable {}

impl SysctlTable {
    /// Registers `entries` under `path` (such as `net/netfilter`) in `net`.
    ///
    /// # Safety
    ///
    /// The values the entries borrow must stay valid until the table is dropped.
    pub(crate) unsafe fn new(
        net: &Net,
        path: &'static CStr,
        entries: &[Entry<'_>],
    ) -> Result<Self> {
        let mut limits = KVec::with_capacity(entries.len(), GFP_KERNEL)?;
        for e in entries {
            let l = match e.kind {
                Kind::Int { min, max } => [min as c_uint, max as c_uint],
                Kind::U8 { min, max } => [c_uint::from(min), c_uint::from(max)],
                Kind::OwnLimit { .. } => [0, 0],
            };
            limits.push(l, GFP_KERNEL)?;
        }
        let mut table = KVec::with_capacity(entries.len(), GFP_KERNEL)?;
        for (e, l) in entries.iter().zip(limits.iter_mut()) {
            let (maxlen, handler): (usize, bindings::proc_handler) = match e.kind {
                Kind::Int { .. } => (
                    core::mem::size_of::<c_int>(),
                    Some(bindings::proc_dointvec_minmax),
                ),
                Kind::U8 { .. } => (1, Some(bindings::proc_dou8vec_minmax)),
                Kind::OwnLimit { .. } => (core::mem::size_of::<c_int>(), Some(own_limit_handler)),
            };
            let (extra1, extra2) = match e.kind {
                Kind::OwnLimit { host } => (host, core::ptr::null_mut()),
                _ => (
                    (&mut l[0] as *mut c_uint).cast(),
                    (&mut l[1] as *mut c_uint).cast(),
                ),
            };
            table.push(
                bindings::ctl_table {
                    procname: e.name.as_char_ptr(),
                    data: e.data,
                    maxlen: maxlen as c_int,
                    mode: if e.writable { 0o644 } else { 0o444 },
                    proc_handler: handler,
                    extra1,
                    extra2,
                    ..Default::default()
                },
                GFP_KERNEL,
            )?;
        }
        // SAFETY: The table and its limits live in heap memory owned by the returned value, which
        // unregisters before freeing them; the data pointers are valid by the safety
        // requirements.
        let header = unsafe {
            bindings::register_net_sysctl_sz(
                net.as_ptr(),
                path.as_char_ptr(),
                table.as_mut_ptr(),
                table.len(),
            )
        };
        // INVARIANT: A non-null return registers `table`.
        Ok(Self {
            header: NonNull::new(header).ok_or(ENOMEM)?,
            _table: table,
            _limits: limits,
        })
    }
}

/// The handler of a [`Kind::OwnLimit`] entry: `data` is the namespace's own limit and `extra1`
/// the host's, both `int`s read and written with single atomic accesses.
///
/// # Safety
///
/// Called by the sysctl core for an entry [`SysctlTable::new`] made from an
/// [`Entry::own_limit`], with the core's valid buffer, length and position.
unsafe extern "C" fn own_limit_handler(
    table: *const bindings::ctl_table,
    write: c_int,
    buffer: *mut c_void,
    lenp: *mut usize,
    ppos: *mut bindings::loff_t,
) -> c_int {
    // SAFETY: The core passes the registered entry, valid during the call.
    let entry = unsafe { &*table };
    // SAFETY: An `OwnLimit` entry's `data` and `extra1` point to `AtomicI32`s that outlive the
    // registration (the safety requirements of `SysctlTable::new`).
    let (own, host) = unsafe {
        (
            AtomicI32::from_ptr(entry.data.cast()),
            AtomicI32::from_ptr(entry.extra1.cast()),
        )
    };
    let (host, current) = (host.load(Relaxed), own.load(Relaxed));
    let mut value: c_int = limits::effective_max(host, current);
    let copy = bindings::ctl_table {
        data: (&mut value as *mut c_int).cast(),
        maxlen: core::mem::size_of::<c_int>() as c_int,
        extra1: core::ptr::null_mut(),
        extra2: core::ptr::null_mut(),
        ..*entry
    };
    // SAFETY: `copy` describes the local `int`, live across the call; the other arguments are
    // the core's, valid by the safety requirements.
    let ret = unsafe { bindings::proc_dointvec(&copy, write, buffer, lenp, ppos) };
    if ret != 0 || write == 0 {
        return ret;
    }
    // SAFETY: `capable()` may be called from any process context.
    let privileged = unsafe { bindings::capable(bindings::CAP_NET_ADMIN) };
    if !limits::may_set_own(host, current, value, privileged) {
        return EINVAL.to_errno();
    }
    own.store(value, Relaxed);
    0
}

impl Drop for SysctlTable {
    fn drop(&mut self) {
        // SAFETY: The table is registered; on return no handler runs any more.
        unsafe { bindings::unregister_net_sysctl_table(self.header.as_ptr()) };
    }
}
