// SPDX-License-Identifier: GPL-2.0

//! nfnetlink: subsystems answering netfilter's netlink messages, dumps that answer in several
//! parts, and messages sent to one socket or to a multicast group.
//!
//! C headers: [`include/linux/netfilter/nfnetlink.h`](srctree/include/linux/netfilter/nfnetlink.h),
//! [`include/linux/netlink.h`](srctree/include/linux/netlink.h)

use super::bindings;
use super::net::Net;
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::ptr::NonNull;
use kernel::error::{code::ENOMEM, from_result, to_result};
use kernel::ffi::{c_int, c_long};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::types::Opaque;

/// The bytes of the netlink message at `nlh`, its header included.
///
/// # Safety
///
/// `nlh` must point to a message whose `nlmsg_len` bytes are readable for `'a`.
unsafe fn message<'a>(nlh: *const bindings::nlmsghdr) -> &'a [u8] {
    // SAFETY: The header is readable (the function's safety requirements).
    let len = unsafe { (*nlh).nlmsg_len } as usize;
    // SAFETY: `len` bytes from `nlh` are readable for `'a`.
    unsafe { core::slice::from_raw_parts(nlh.cast::<u8>(), len) }
}

/// A netlink message an nfnetlink subsystem received, borrowed for the length of the call.
pub(crate) struct Request<'a> {
    skb: *mut bindings::sk_buff,
    info: &'a bindings::nfnl_info,
}

impl<'a> Request<'a> {
    /// The namespace of the socket that sent the message.
    pub(crate) fn net(&self) -> &'a Net {
        // SAFETY: nfnetlink passes the live namespace of the sending socket.
        unsafe { Net::from_raw(self.info.net) }
    }

    /// The port of the socket that sent the message.
    pub(crate) fn portid(&self) -> u32 {
        // SAFETY: `skb` is the message's skb, alive for the call.
        unsafe { bindings::rct_netlink_portid(self.skb) }
    }

    /// The message, its headers included.
    pub(crate) fn message(&self) -> &'a [u8] {
        // SAFETY: netlink checked that the skb holds the whole message (`netlink_rcv_skb`).
        unsafe { message(self.info.nlh) }
    }

    /// Sends `msg` to the socket that sent the request.
    pub(crate) fn unicast(&self, msg: Msg) -> Result {
        let skb = msg.into_raw();
        // SAFETY: `skb` is an skb this call owns and hands over; the namespace is live.
        to_result(unsafe { bindings::nfnetlink_unicast(skb, self.info.net, self.portid()) })
    }

    /// Answers with a dump of `D`'s records, written as the requester reads them.
    pub(crate) fn dump<D: Dump>(&self) -> Result {
        let mut control = bindings::netlink_dump_control {
            start: Some(dump_start::<D>),
            dump: Some(dump_next::<D>),
            done: Some(dump_done::<D>),
            ..Default::default()
        };
        // SAFETY: `info.sk` is the subsystem's kernel socket and `skb` the request's; the
        // control is read during the call only. Every callback of `D` copes with any dump
        // state of its own (see the entries below), and the helper keeps this module loaded
        // while the dump lasts.
        to_result(unsafe {
            bindings::rct_netlink_dump_start(self.info.sk, self.skb, self.info.nlh, &mut control)
        })
    }
}

/// An nfnetlink subsystem: the operations of one `NFNL_SUBSYS_*`.
pub(crate) trait Subsystem: 'static {
    /// The subsystem number.
    const ID: u8;
    /// Its name.
    const NAME: &'static CStr;
    /// How many operations it has: message types `ID << 8 | 0` up to this.
    const OPS: u8;

    /// Answers a request of one of the operations; process context, under the subsystem's
    /// mutex. An error is acknowledged to the requester.
    fn call(req: &Request<'_>) -> Result;
}

/// A registered subsystem; unregistered on drop, once calls in progress are done.
///
/// # Invariants
///
/// `subsys` is registered with nfnetlink and points to `callbacks`.
pub(crate) struct SubsystemRegistration<T: Subsystem> {
    subsys: Pin<KBox<Opaque<bindings::nfnetlink_subsystem>>>,
    _callbacks: KVec<bindings::nfnl_callback>,
    _t: PhantomData<T>,
}

// SAFETY: The registration only holds memory nfnetlink reads and may be dropped on any thread.
unsafe impl<T: Subsystem> Send for SubsystemRegistration<T> {}
// SAFETY: `&SubsystemRegistration` gives access to nothing.
unsafe impl<T: Subsystem> Sync for SubsystemRegistration<T> {}

impl<T: Subsystem> SubsystemRegistration<T> {
    /// Registers `T`; `EBUSY` if another module has its number.
    pub(crate) fn new() -> Result<Self> {
        let mut callbacks = KVec::with_capacity(usize::from(T::OPS), GFP_KERNEL)?;
        for _ in 0..T::OPS {
            callbacks.push(
                bindings::nfnl_callback {
                    call: Some(call_entry::<T>),
                    // The request is checked whole by `T::call`: nfnetlink parses nothing.
                    policy: core::ptr::null(),
                    type_: bindings::nfnl_callback_type_NFNL_CB_MUTEX,
                    attr_count: 0,
                },
                GFP_KERNEL,
            )?;
        }
        let cb = callbacks.as_ptr();
        let subsys = KBox::pin_init(
            Opaque::ffi_init(|s: *mut bindings::nfnetlink_subsystem| {
                // SAFETY: `s` is valid for writes.
                unsafe {
                    s.write(bindings::nfnetlink_subsystem {
                        name: T::NAME.as_char_ptr(),
                        subsys_id: T::ID,
                        cb_count: T::OPS,
                        cb,
                        ..Default::default()
                    })
                };
            }),
            GFP_KERNEL,
        )?;
        // SAFETY: The subsystem and its callbacks live in heap memory owned by the returned
        // value, which unregisters before freeing it.
        to_result(unsafe { bindings::nfnetlink_subsys_register(subsys.get()) })?;
        // INVARIANT: Registered just above, with `callbacks`.
        Ok(Self {
            subsys,
            _callbacks: callbacks,
            _t: PhantomData,
        })
    }
}

impl<T: Subsystem> Drop for SubsystemRegistration<T> {
    fn drop(&mut self) {
        // SAFETY: Registered (type invariants). Unregistering waits for calls under the
        // subsystem's mutex and for RCU readers that found it.
        unsafe { bindings::nfnetlink_subsys_unregister(self.subsys.get()) };
    }
}

/// Runs `T::call` on a request.
///
/// # Safety
///
/// Called by nfnetlink with the request's skb and its information, valid for the call.
unsafe extern "C" fn call_entry<T: Subsystem>(
    skb: *mut bindings::sk_buff,
    info: *const bindings::nfnl_info,
    _cda: *const *const bindings::nlattr,
) -> c_int {
    // SAFETY: nfnetlink passes valid information for the length of the call.
    let info = unsafe { &*info };
    let req = Request { skb, info };
    from_result(|| T::call(&req).map(|()| 0))
}

/// Where a dump is: six words that stay from one part of the dump to the next
/// (`netlink_callback.args`), zero at the start.
pub(crate) struct DumpCursor<'a>(&'a mut [c_long; 6]);

impl DumpCursor<'_> {
    /// Word `i`.
    pub(crate) fn get(&self, i: usize) -> u64 {
        self.0.get(i).map_or(0, |&v| v as u64)
    }

    /// Sets word `i`.
    pub(crate) fn set(&mut self, i: usize, v: u64) {
        if let Some(w) = self.0.get_mut(i) {
            *w = v as c_long;
        }
    }
}

/// Who a dump answers.
pub(crate) struct DumpTarget<'a> {
    /// The namespace of the requester.
    pub(crate) net: &'a Net,
    /// The requester's port.
    pub(crate) portid: u32,
    /// The request's sequence number.
    pub(crate) seq: u32,
}

/// An answer in several parts: its state is made from the request when the dump starts, and
/// each part is written when the requester has read the one before.
pub(crate) trait Dump: Send + Sized + 'static {
    /// The state of a dump of the request `msg` (its headers included) from `net`; an error
    /// is the answer.
    fn start(net: &Net, msg: &[u8]) -> Result<Self>;

    /// Writes the next records into `out`, carrying on from `cursor`. Writing nothing ends the
    /// dump.
    fn next(&mut self, cursor: &mut DumpCursor<'_>, out: &mut MsgBuf, to: &DumpTarget<'_>);
}

/// Makes the state of a dump.
///
/// # Safety
///
/// Called by netlink with a callback being set up for a dump of `D`.
unsafe extern "C" fn dump_start<D: Dump>(cb: *mut bindings::netlink_callback) -> c_int {
    // SAFETY: netlink passes the callback, which it does not touch during the call.
    let cb = unsafe { &mut *cb };
    from_result(|| {
        // SAFETY: The request skb is held by the callback; its socket is the requester's.
        let net = unsafe { Net::from_raw(bindings::rct_skb_sock_net(cb.skb)) };
        // SAFETY: `nlh` is the request, in the skb the callback holds.
        let msg = unsafe { message(cb.nlh) };
        let state = KBox::new(D::start(net, msg)?, GFP_KERNEL)?;
        cb.data = KBox::into_raw(state).cast();
        Ok(0)
    })
}

/// Writes the next part of a dump.
///
/// # Safety
///
/// Called by netlink with the dump's buffer and callback, after `dump_start::<D>` succeeded.
unsafe extern "C" fn dump_next<D: Dump>(
    skb: *mut bindings::sk_buff,
    cb: *mut bindings::netlink_callback,
) -> c_int {
    // SAFETY: netlink passes the callback, which it does not touch during the call.
    let cb = unsafe { &mut *cb };
    // CAST: `data` holds the state `dump_start::<D>` made.
    let state = cb.data.cast::<D>();
    if state.is_null() {
        return 0;
    }
    // SAFETY: The request skb is held by the callback; its socket is the requester's.
    let net = unsafe { Net::from_raw(bindings::rct_skb_sock_net(cb.skb)) };
    let to = DumpTarget {
        net,
        // SAFETY: The request skb and its message are held by the callback.
        portid: unsafe { bindings::rct_netlink_portid(cb.skb) },
        // SAFETY: As above.
        seq: unsafe { (*cb.nlh).nlmsg_seq },
    };
    // SAFETY: The state is the callback's own, used by one call at a time under its mutex.
    let state = unsafe { &mut *state };
    // SAFETY: `args` is the union's view of the callback's six words, zero at the start.
    let mut cursor = DumpCursor(unsafe { &mut cb.__bindgen_anon_1.args });
    // SAFETY: netlink hands over the part's buffer, a linear skb, for the call.
    let out = unsafe { MsgBuf::from_raw(skb) };
    state.next(&mut cursor, out, &to);
    out.len() as c_int
}

/// Frees the state of a dump.
///
/// # Safety
///
/// Called by netlink once, when a dump of `D` ends.
unsafe extern "C" fn dump_done<D: Dump>(cb: *mut bindings::netlink_callback) -> c_int {
    // SAFETY: netlink passes the callback, which it does not touch during the call.
    let cb = unsafe { &mut *cb };
    let state = core::mem::replace(&mut cb.data, core::ptr::null_mut()).cast::<D>();
    if !state.is_null() {
        // SAFETY: Made by `KBox::into_raw` in `dump_start::<D>`, freed once.
        drop(unsafe { KBox::from_raw(state) });
    }
    0
}

/// A message being written: the data of a linear skb, which grows at its end.
#[repr(transparent)]
pub(crate) struct MsgBuf(Opaque<bindings::sk_buff>);

impl MsgBuf {
    /// # Safety
    ///
    /// `skb` must be a linear skb the caller may write for `'a`.
    unsafe fn from_raw<'a>(skb: *mut bindings::sk_buff) -> &'a mut Self {
        // CAST: `Self` is a transparent wrapper of the C struct.
        // SAFETY: By the function's safety requirements.
        unsafe { &mut *skb.cast() }
    }

    fn as_ptr(&self) -> *mut bindings::sk_buff {
        self.0.get()
    }

    /// Bytes written.
    pub(crate) fn len(&self) -> usize {
        // SAFETY: The skb is valid and the caller's to write.
        unsafe { (*self.as_ptr()).len as usize }
    }

    /// Appends `bytes`; `false`, writing nothing, if they do not fit.
    pub(crate) fn append(&mut self, bytes: &[u8]) -> bool {
        // SAFETY: The skb is valid.
        let room = unsafe { bindings::rct_skb_tailroom(self.as_ptr()) } as usize;
        if bytes.len() > room {
            return false;
        }
        // SAFETY: The skb is linear and has `bytes.len()` bytes of tail room.
        let dst = unsafe { bindings::skb_put(self.as_ptr(), bytes.len() as u32) };
        // SAFETY: `skb_put` returns the start of the `bytes.len()` bytes it added.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), dst.cast(), bytes.len()) };
        true
    }

    /// Replaces written bytes at `offset`; a range beyond what is written is ignored.
    pub(crate) fn overwrite(&mut self, offset: usize, bytes: &[u8]) {
        match offset.checked_add(bytes.len()) {
            Some(end) if end <= self.len() => {}
            _ => return,
        }
        // SAFETY: The skb is valid; its data is linear.
        let data = unsafe { (*self.as_ptr()).data };
        // SAFETY: `offset..offset + bytes.len()` lies within the written data.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), data.add(offset), bytes.len()) };
    }

    /// Discards what was written from `len` on.
    pub(crate) fn truncate(&mut self, len: usize) {
        if len < self.len() {
            // SAFETY: The skb is linear and `len` is below its length.
            unsafe { bindings::skb_trim(self.as_ptr(), len as u32) };
        }
    }
}

/// A message of this module's own, freed unless sent.
///
/// # Invariants
///
/// `skb` is a linear skb this value owns.
pub(crate) struct Msg {
    skb: NonNull<bindings::sk_buff>,
}

// SAFETY: An owned skb may be freed or sent from any thread.
unsafe impl Send for Msg {}

impl Msg {
    /// An empty message with room for `len` bytes, allocated without sleeping if `atomic`.
    pub(crate) fn new(len: usize, atomic: bool) -> Result<Self> {
        let gfp = if atomic {
            bindings::GFP_ATOMIC
        } else {
            bindings::GFP_KERNEL
        };
        let len = u32::try_from(len).map_err(|_| ENOMEM)?;
        // SAFETY: Allocating has no preconditions; callers that cannot sleep ask for `atomic`.
        let skb = unsafe { bindings::rct_alloc_skb(len, gfp) };
        // INVARIANT: A fresh skb from `alloc_skb`, linear, owned by nobody else.
        Ok(Self {
            skb: NonNull::new(skb).ok_or(ENOMEM)?,
        })
    }

    /// The message's buffer.
    pub(crate) fn buf(&mut self) -> &mut MsgBuf {
        // SAFETY: The skb is linear and owned by `self` (type invariants).
        unsafe { MsgBuf::from_raw(self.skb.as_ptr()) }
    }

    /// Gives the skb up to a consumer.
    fn into_raw(self) -> *mut bindings::sk_buff {
        ManuallyDrop::new(self).skb.as_ptr()
    }
}

impl Drop for Msg {
    fn drop(&mut self) {
        // SAFETY: The skb is owned by `self` (type invariants).
        unsafe { bindings::rct_skb_free(self.skb.as_ptr()) };
    }
}

/// The multicast groups of connection events (`NFNLGRP_CONNTRACK_*`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u32)]
pub(crate) enum ConntrackGroup {
    /// New connections.
    New = bindings::nfnetlink_groups_NFNLGRP_CONNTRACK_NEW,
    /// Changed connections.
    Update = bindings::nfnetlink_groups_NFNLGRP_CONNTRACK_UPDATE,
    /// Destroyed connections.
    Destroy = bindings::nfnetlink_groups_NFNLGRP_CONNTRACK_DESTROY,
}

/// Whether a socket of `net` listens to `group`.
pub(crate) fn has_listeners(net: &Net, group: ConntrackGroup) -> bool {
    // SAFETY: The namespace is live, and with it its nfnetlink socket.
    unsafe { bindings::nfnetlink_has_listeners(net.as_ptr(), group as u32) != 0 }
}

/// Whether any socket of any namespace has joined a connection event group since the last
/// left (nfnetlink's `nf_ctnetlink_has_listener`).
#[inline]
pub(crate) fn conntrack_listened() -> bool {
    // SAFETY: A byte nfnetlink writes with `WRITE_ONCE`; any value may be read at any time.
    unsafe { core::ptr::read_volatile(&raw const bindings::nf_ctnetlink_has_listener) != 0 }
}

/// Why a multicast did not reach every listener.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Undelivered;

/// Sends `msg` to `group` in `net`, and to `portid` as well if `echo`; process or softirq
/// context. `Undelivered` if a listener that asked to hear of failures missed it.
pub(crate) fn multicast(
    msg: Msg,
    net: &Net,
    portid: u32,
    group: ConntrackGroup,
    echo: bool,
) -> Result<(), Undelivered> {
    let skb = msg.into_raw();
    // SAFETY: `skb` is owned and handed over; the namespace is live.
    let err = unsafe {
        bindings::nfnetlink_send(
            skb,
            net.as_ptr(),
            portid,
            group as u32,
            c_int::from(echo),
            bindings::GFP_ATOMIC,
        )
    };
    if err == -(bindings::ENOBUFS as c_int) || err == -(bindings::EAGAIN as c_int) {
        Err(Undelivered)
    } else {
        Ok(())
    }
}

/// Tells every listener of `group` in `net` that it missed a message (`ENOBUFS`); whether any
/// listens.
pub(crate) fn report_loss(net: &Net, group: ConntrackGroup) -> bool {
    // SAFETY: The namespace is live.
    unsafe {
        bindings::nfnetlink_set_err(net.as_ptr(), 0, group as u32, -(bindings::ENOBUFS as c_int))
            > 0
    }
}
