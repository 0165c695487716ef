// SPDX-License-Identifier: GPL-2.0

//! Socket buffers: reading packet headers, and the connection a packet carries.
//!
//! C header: [`include/linux/skbuff.h`](srctree/include/linux/skbuff.h)

use super::bindings;
use super::net::Net;
use super::netfilter::Hook;
use crate::ct::packet::Packet;
use crate::ct::tuple::L3;
use kernel::ffi::{c_int, c_uint, c_void};
use kernel::types::Opaque;

/// A packet (`struct sk_buff`), borrowed for the length of one callback.
#[repr(transparent)]
pub(crate) struct Skb(Opaque<bindings::sk_buff>);

impl Skb {
    /// # Safety
    ///
    /// `ptr` must point to a valid skb that the caller may read and modify, and that stays valid
    /// for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::sk_buff) -> &'a mut Self {
        // CAST: `Self` is `repr(transparent)` over the C struct.
        // SAFETY: By the function's safety requirements.
        unsafe { &mut *ptr.cast() }
    }

    /// # Safety
    ///
    /// `ptr` must point to a valid skb that stays valid for `'a`.
    pub(crate) unsafe fn from_raw_ref<'a>(ptr: *const bindings::sk_buff) -> &'a Self {
        // CAST: `Self` is `repr(transparent)` over the C struct.
        // SAFETY: By the function's safety requirements.
        unsafe { &*ptr.cast() }
    }

    fn as_ptr(&self) -> *mut bindings::sk_buff {
        self.0.get()
    }

    /// Length of the packet from `skb->data` on.
    pub(crate) fn len(&self) -> u32 {
        // SAFETY: The skb is valid; `len` is only written by its owner, the caller.
        unsafe { (*self.as_ptr()).len }
    }

    /// The raw `skb->_nfct`: a connection pointer with the packet's state in its low bits.
    pub(crate) fn nfct(&self) -> usize {
        // SAFETY: As for `len`.
        unsafe { (*self.as_ptr())._nfct }
    }

    /// Sets `skb->_nfct`, the reference it holds (if any) passing to the skb.
    ///
    /// Any reference the skb held before is the caller's to release.
    pub(crate) fn set_nfct(&mut self, nfct: usize) {
        // SAFETY: The skb is valid and the caller owns it.
        unsafe { bindings::rct_skb_set_nfct(self.as_ptr(), nfct) };
    }

    /// The namespace of the device the packet is on, if it is on one.
    pub(crate) fn dev_net(&self) -> Option<&Net> {
        // SAFETY: The skb is valid.
        let net = unsafe { bindings::rct_skb_dev_net(self.as_ptr()) };
        // SAFETY: A device's namespace outlives the packets on the device.
        (!net.is_null()).then(|| unsafe { Net::from_raw(net) })
    }

    /// The packet from its network header on, as the tuple parser reads it.
    pub(crate) fn network(&self, hook: Hook, l3: L3) -> SkbPacket<'_> {
        // SAFETY: The skb is valid.
        let off = unsafe { bindings::rct_skb_network_offset(self.as_ptr()) };
        // SAFETY: As above; the fields are not written while the caller borrows the skb.
        let (len, data_len) = unsafe { ((*self.as_ptr()).len, (*self.as_ptr()).data_len) };
        let off = usize::try_from(off).unwrap_or(usize::MAX);
        let len = (len as usize).saturating_sub(off);
        let head = ((*self).len() - data_len) as usize;
        SkbPacket {
            skb: self,
            off,
            len,
            head: head.saturating_sub(off).min(len),
            hook,
            l3,
        }
    }
}

/// An skb read from its network header.
pub(crate) struct SkbPacket<'a> {
    skb: &'a Skb,
    /// Offset of the network header from `skb->data`.
    off: usize,
    /// Bytes from the network header to the end of the packet.
    len: usize,
    /// Bytes from the network header to the end of the linear data.
    head: usize,
    hook: Hook,
    l3: L3,
}

impl Packet for SkbPacket<'_> {
    fn total_len(&self) -> usize {
        self.len
    }

    #[inline]
    fn read<const N: usize>(&self, offset: usize) -> Option<[u8; N]> {
        let end = offset.checked_add(N)?;
        if end > self.len {
            return None;
        }
        let mut buf = [0u8; N];
        if end <= self.head {
            // SAFETY: `off + end` is within the linear data the skb holds from `skb->data`.
            unsafe {
                let src = (*self.skb.as_ptr()).data.add(self.off + offset);
                core::ptr::copy_nonoverlapping(src, buf.as_mut_ptr(), N);
            }
        } else {
            // SAFETY: The skb is valid and `buf` has room for `N` bytes; the range is within
            // `skb->len`, so the copy succeeds.
            let ret = unsafe {
                bindings::skb_copy_bits(
                    self.skb.as_ptr(),
                    (self.off + offset) as c_int,
                    buf.as_mut_ptr().cast::<c_void>(),
                    N as c_int,
                )
            };
            if ret != 0 {
                return None;
            }
        }
        Some(buf)
    }

    fn checksum_ok(&self, l3: L3, l4: usize, proto: u8) -> bool {
        debug_assert!(l3 == self.l3);
        // SAFETY: The skb is valid and owned by the caller; `nf_checksum` may only set the
        // skb's checksum state.
        let bad = unsafe {
            bindings::nf_checksum(
                self.skb.as_ptr(),
                c_uint::from(self.hook as u8),
                (self.off + l4) as c_uint,
                proto,
                u16::from(l3 as u8),
            )
        };
        bad == 0
    }
}
