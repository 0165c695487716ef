// SPDX-License-Identifier: GPL-2.0

//! Files in a namespace's `/proc/net`, read through `seq_file`.
//!
//! C header: [`include/linux/seq_file.h`](srctree/include/linux/seq_file.h)

use super::bindings;
use super::net::Net;
use super::sync::Rcu;
use core::fmt;
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::error::code::ENOMEM;
use kernel::ffi::{c_int, c_void};
use kernel::init::Zeroable;
use kernel::prelude::*;
use kernel::str::CStr;

/// Output of a `seq_file` `show` call.
pub(crate) struct SeqWriter<'a> {
    seq: *mut bindings::seq_file,
    _p: PhantomData<&'a mut bindings::seq_file>,
}

impl fmt::Write for SeqWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // SAFETY: `seq` is the file being shown, valid for the writer's life.
        match unsafe { bindings::seq_write(self.seq, s.as_ptr().cast(), s.len()) } {
            0 => Ok(()),
            // Out of room: `seq_file` retries this record with a larger buffer or in the next
            // read.
            _ => Err(fmt::Error),
        }
    }
}

/// A file of records, one per line, read from a `State` and listed through a cursor that
/// persists between reads.
///
/// `seek`, `next` and `show` run within one RCU read-side critical section per read.
pub(crate) trait SeqTable: 'static {
    /// What the records are read from.
    type State: Sync + 'static;
    /// Where a reader is; all-zero bytes are its start.
    type Cursor: Zeroable;

    /// Moves to record `pos`; returns false if there is none.
    fn seek(cursor: &mut Self::Cursor, state: &Self::State, pos: u64, rcu: &Rcu) -> bool;

    /// Moves to the next record; returns false if there is none.
    fn next(cursor: &mut Self::Cursor, state: &Self::State, rcu: &Rcu) -> bool;

    /// Writes the record the cursor is on.
    fn show(
        cursor: &mut Self::Cursor,
        state: &Self::State,
        rcu: &Rcu,
        out: &mut SeqWriter<'_>,
    ) -> fmt::Result;
}

/// A file written in one go from a `State`.
pub(crate) trait SeqSingle: 'static {
    /// What the file is written from.
    type State: Sync + 'static;

    /// Writes the whole file.
    fn show(state: &Self::State, out: &mut SeqWriter<'_>) -> fmt::Result;
}

#[repr(C)]
struct Private<C> {
    // `seq_file_net()` reads the namespace from the start of the private area.
    net: bindings::seq_net_private,
    cursor: C,
}

struct TableOps<T>(PhantomData<T>);

impl<T: SeqTable> TableOps<T> {
    const OPS: bindings::seq_operations = bindings::seq_operations {
        start: Some(Self::start),
        stop: Some(Self::stop),
        next: Some(Self::next),
        show: Some(Self::show),
    };

    /// # Safety
    ///
    /// `seq` must be a file created by [`ProcEntry::table`] for `T`.
    unsafe fn parts<'a>(seq: *mut bindings::seq_file) -> (&'a mut T::Cursor, &'a T::State) {
        // SAFETY: By the safety requirements `private` is a zero-initialised `Private`, used by
        // one reader at a time (`seq_file` serialises reads).
        let private = unsafe { (*seq).private.cast::<Private<T::Cursor>>() };
        // SAFETY: The file's data is the state it was created with, which outlives the file
        // (`ProcEntry::table`'s safety requirements).
        let state = unsafe { &*bindings::rct_seq_pde_data(seq).cast::<T::State>() };
        // SAFETY: As above, the cursor is this reader's alone.
        (unsafe { &mut (*private).cursor }, state)
    }

    /// # Safety
    ///
    /// `seq` must be a file of `T` (see `parts`) and `pos` valid.
    unsafe extern "C" fn start(seq: *mut bindings::seq_file, pos: *mut i64) -> *mut c_void {
        // SAFETY: Paired with the unlock in `stop`, which `seq_file` always calls after `start`.
        unsafe { bindings::rct_rcu_read_lock() };
        // SAFETY: `seq_file` calls this with its file.
        let (cursor, state) = unsafe { Self::parts(seq) };
        // SAFETY: `seq_file` passes a valid position.
        let pos = unsafe { *pos };
        // SAFETY: Locked just above, until `stop`.
        let rcu = unsafe { Rcu::assume() };
        match T::seek(cursor, state, pos as u64, rcu) {
            true => (cursor as *mut T::Cursor).cast(),
            false => core::ptr::null_mut(),
        }
    }

    /// # Safety
    ///
    /// As for `start`.
    unsafe extern "C" fn next(
        seq: *mut bindings::seq_file,
        _v: *mut c_void,
        pos: *mut i64,
    ) -> *mut c_void {
        // SAFETY: As in `start`.
        let (cursor, state) = unsafe { Self::parts(seq) };
        // SAFETY: `pos` is valid.
        unsafe { *pos += 1 };
        // SAFETY: `start` locked, and `stop` has not run.
        let rcu = unsafe { Rcu::assume() };
        match T::next(cursor, state, rcu) {
            true => (cursor as *mut T::Cursor).cast(),
            false => core::ptr::null_mut(),
        }
    }

    /// # Safety
    ///
    /// Called once after each `start`, on the same thread.
    unsafe extern "C" fn stop(_seq: *mut bindings::seq_file, _v: *mut c_void) {
        // SAFETY: Paired with the lock in `start`.
        unsafe { bindings::rct_rcu_read_unlock() };
    }

    /// # Safety
    ///
    /// As for `start`.
    unsafe extern "C" fn show(seq: *mut bindings::seq_file, _v: *mut c_void) -> c_int {
        // SAFETY: As in `start`.
        let (cursor, state) = unsafe { Self::parts(seq) };
        let mut out = SeqWriter {
            seq,
            _p: PhantomData,
        };
        // SAFETY: `start` locked, and `stop` has not run.
        let rcu = unsafe { Rcu::assume() };
        // A record that does not fit is dropped from this read and shown again in the next.
        let _ = T::show(cursor, state, rcu, &mut out);
        0
    }
}

/// Shows a file written in one go.
///
/// # Safety
///
/// `seq` must be a file created by [`ProcEntry::single`] for `T`.
unsafe extern "C" fn single_show<T: SeqSingle>(
    seq: *mut bindings::seq_file,
    _v: *mut c_void,
) -> c_int {
    // SAFETY: The file's data is the state it was created with, which outlives the file
    // (`ProcEntry::single`'s safety requirements).
    let state = unsafe { &*bindings::rct_seq_pde_data(seq).cast::<T::State>() };
    let mut out = SeqWriter {
        seq,
        _p: PhantomData,
    };
    let _ = T::show(state, &mut out);
    0
}

/// Where in `/proc/net` a file goes.
#[derive(Clone, Copy)]
pub(crate) enum ProcDir {
    /// `/proc/net`.
    Net,
    /// `/proc/net/stat`.
    Stat,
}

/// A file in a namespace's `/proc/net`; removed on drop.
///
/// # Invariants
///
/// `entry` is a live proc entry.
pub(crate) struct ProcEntry {
    entry: NonNull<bindings::proc_dir_entry>,
}

// SAFETY: Proc entries may be removed from any thread.
unsafe impl Send for ProcEntry {}
// SAFETY: `&ProcEntry` gives no access to anything.
unsafe impl Sync for ProcEntry {}

impl ProcEntry {
    /// Creates `name` in `net`, listing the records of `T` read from `state`.
    ///
    /// # Safety
    ///
    /// `state` must outlive the entry.
    pub(crate) unsafe fn table<T: SeqTable>(
        net: &Net,
        dir: ProcDir,
        name: &'static CStr,
        mode: u16,
        state: &T::State,
    ) -> Result<Self> {
        // SAFETY: The operations live forever, the private area is sized for `Private`, `name`
        // outlives the entry and `state` does too (the function's safety requirements).
        let entry = unsafe {
            bindings::proc_create_net_data(
                name.as_char_ptr(),
                mode,
                bindings::rct_net_proc(net.as_ptr(), matches!(dir, ProcDir::Stat)),
                &TableOps::<T>::OPS,
                core::mem::size_of::<Private<T::Cursor>>() as u32,
                (state as *const T::State).cast_mut().cast(),
            )
        };
        // INVARIANT: A non-null return is a live entry.
        Ok(Self {
            entry: NonNull::new(entry).ok_or(ENOMEM)?,
        })
    }

    /// Creates `name` in `net`, written by `T` in one go from `state`.
    ///
    /// # Safety
    ///
    /// `state` must outlive the entry.
    pub(crate) unsafe fn single<T: SeqSingle>(
        net: &Net,
        dir: ProcDir,
        name: &'static CStr,
        mode: u16,
        state: &T::State,
    ) -> Result<Self> {
        // SAFETY: The show function lives forever; `name` and `state` outlive the entry.
        let entry = unsafe {
            bindings::proc_create_net_single(
                name.as_char_ptr(),
                mode,
                bindings::rct_net_proc(net.as_ptr(), matches!(dir, ProcDir::Stat)),
                Some(single_show::<T>),
                (state as *const T::State).cast_mut().cast(),
            )
        };
        // INVARIANT: A non-null return is a live entry.
        Ok(Self {
            entry: NonNull::new(entry).ok_or(ENOMEM)?,
        })
    }
}

impl ProcEntry {
    /// Gives the file to the root user of the namespace's user namespace (a container's root).
    pub(crate) fn owned_by_namespace_root(self, net: &Net) -> Self {
        // SAFETY: The entry is live and `net` is alive.
        unsafe { bindings::rct_proc_set_netns_root(self.entry.as_ptr(), net.as_ptr()) };
        self
    }
}

impl Drop for ProcEntry {
    fn drop(&mut self) {
        // SAFETY: The entry is live; on return no reader is inside its callbacks.
        unsafe { bindings::proc_remove(self.entry.as_ptr()) };
    }
}
