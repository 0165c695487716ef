// SPDX-License-Identifier: GPL-2.0

//! Socket buffers: reading packet headers, and the connection a packet carries.
//!
//! C header: [`include/linux/skbuff.h`](srctree/include/linux/skbuff.h)

use super::bindings;
use super::net::Net;
use super::netfilter::{Hook, HookState};
use crate::ct::nat::checksum::Summed;
use crate::ct::nat::packet::PacketMut;
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

    /// The raw pointer, for a C call the caller may make with the skb borrowed mutably.
    pub(crate) fn as_raw(&mut self) -> *mut bindings::sk_buff {
        self.0.get()
    }

    fn data(&self) -> *const u8 {
        // SAFETY: The skb is valid.
        unsafe { (*self.as_ptr()).data }
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
    #[inline]
    pub(crate) fn set_nfct(&mut self, nfct: usize) {
        // SAFETY: The skb is valid and the caller owns it. `skb_set_nfct()` also makes a packet
        // carrying a connection take GRO's slow path, which drops the reference when it merges
        // packets.
        unsafe { bindings::rct_skb_set_nfct(self.as_ptr(), nfct as _) };
    }

    /// The offset of the network header from `skb->head` (`skb->network_header`).
    fn network_header(&self) -> usize {
        // CAST: `network_header` is a `u16` at that offset of the skb.
        let field = self
            .as_ptr()
            .cast::<u8>()
            .wrapping_add(bindings::SKB_NETWORK_HEADER_OFFSET)
            .cast::<u16>();
        // SAFETY: The field is inside the valid skb, aligned, and not written while the caller
        // borrows the skb.
        usize::from(unsafe { field.read() })
    }

    /// Where the packet's mark is (`skb->mark`).
    fn mark_field(&self) -> *mut u32 {
        // CAST: `mark` is a `u32` at that offset of the skb.
        self.as_ptr()
            .cast::<u8>()
            .wrapping_add(bindings::SKB_MARK_OFFSET)
            .cast::<u32>()
    }

    /// The packet's mark.
    pub(crate) fn mark(&self) -> u32 {
        // SAFETY: The field is inside the valid skb, aligned, and not written while the caller
        // borrows the skb.
        unsafe { self.mark_field().read() }
    }

    /// Sets the packet's mark.
    pub(crate) fn set_mark(&mut self, mark: u32) {
        // SAFETY: As above; the caller owns the skb.
        unsafe { self.mark_field().write(mark) }
    }

    /// The namespace of the device the packet is on, if it is on one.
    pub(crate) fn dev_net(&self) -> Option<&Net> {
        // SAFETY: The skb is valid.
        let net = unsafe { bindings::rct_skb_dev_net(self.as_ptr()) };
        // SAFETY: A device's namespace outlives the packets on the device.
        (!net.is_null()).then(|| unsafe { Net::from_raw(net) })
    }

    /// The packet from its network header on, as the tuple parser reads it.
    #[inline]
    pub(crate) fn network(&self, hook: Hook, l3: L3) -> SkbPacket<'_> {
        // SAFETY: The skb is valid and its fields are not written while the caller borrows it.
        let skb = unsafe { &*self.as_ptr() };
        let (head, data, len, data_len) =
            (skb.head, skb.data, skb.len as usize, skb.data_len as usize);
        let nh = self.network_header();
        // `skb_network_offset()`: the network header from `skb->data`. The hooks this module
        // runs at see it at `data` or after it.
        let off = (head as usize + nh).saturating_sub(data as usize);
        let len = len.saturating_sub(off);
        let linear = (self.len() as usize - data_len)
            .saturating_sub(off)
            .min(len);
        SkbPacket {
            skb: self,
            base: data.wrapping_add(off),
            len,
            linear,
            hook,
            l3,
        }
    }
}

/// An skb read from its network header.
pub(crate) struct SkbPacket<'a> {
    skb: &'a Skb,
    /// The network header.
    base: *const u8,
    /// Bytes from the network header to the end of the packet.
    len: usize,
    /// Bytes from the network header to the end of the linear data.
    linear: usize,
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
        if end <= self.linear {
            // SAFETY: `base + end` is within the linear data the skb holds; any bytes are a valid
            // `[u8; N]`.
            return Some(unsafe { self.base.add(offset).cast::<[u8; N]>().read_unaligned() });
        }
        if end > self.len {
            return None;
        }
        let mut buf = core::mem::MaybeUninit::<[u8; N]>::uninit();
        let from = (self.base as usize).wrapping_sub(self.skb.data() as usize) + offset;
        // SAFETY: The skb is valid and `buf` has room for `N` bytes; the range is within
        // `skb->len`, so the copy succeeds and fills `buf`.
        let ret = unsafe {
            bindings::skb_copy_bits(
                self.skb.as_ptr(),
                from as c_int,
                buf.as_mut_ptr().cast::<c_void>(),
                N as c_int,
            )
        };
        // SAFETY: A successful copy initialised all `N` bytes.
        (ret == 0).then(|| unsafe { buf.assume_init() })
    }

    fn checksum_ok(&self, l3: L3, l4: usize, proto: u8) -> bool {
        debug_assert!(l3 == self.l3);
        // SAFETY: The skb is valid and owned by the caller; `nf_checksum` may only set the
        // skb's checksum state.
        let bad = unsafe {
            bindings::nf_checksum(
                self.skb.as_ptr(),
                c_uint::from(self.hook as u8),
                ((self.base as usize).wrapping_sub(self.skb.data() as usize) + l4) as c_uint,
                proto,
                u16::from(l3 as u8),
            )
        };
        bad == 0
    }

    fn checksum_partial_ok(&self, l3: L3, l4: usize, cover: usize, proto: u8) -> bool {
        debug_assert!(l3 == self.l3);
        // SAFETY: As in `checksum_ok`; `nf_checksum_partial` checks `cover` bytes from `l4`.
        let bad = unsafe {
            bindings::nf_checksum_partial(
                self.skb.as_ptr(),
                c_uint::from(self.hook as u8),
                ((self.base as usize).wrapping_sub(self.skb.data() as usize) + l4) as c_uint,
                cover as c_uint,
                proto,
                u16::from(l3 as u8),
            )
        };
        bad == 0
    }
}

/// A packet built from bytes, owned by the caller; freed on drop. For tests.
///
/// # Invariants
///
/// `skb` is a live skb this value owns.
#[cfg(kunit)]
pub(crate) struct OwnedSkb {
    skb: core::ptr::NonNull<bindings::sk_buff>,
}

#[cfg(kunit)]
impl OwnedSkb {
    /// A packet holding `data`, network header first.
    pub(crate) fn new(data: &[u8]) -> Option<Self> {
        // SAFETY: `data` is valid for reads of its length.
        let skb = unsafe { bindings::rct_skb_from(data.as_ptr().cast(), data.len() as c_uint) };
        // INVARIANT: A non-null return is a new skb, ours.
        Some(Self {
            skb: core::ptr::NonNull::new(skb)?,
        })
    }

    /// A packet holding `data`, network header first, whose first `linear` bytes are in the
    /// skb's head and the rest in a page fragment.
    pub(crate) fn paged(data: &[u8], linear: usize) -> Option<Self> {
        // SAFETY: `data` is valid for reads of its length.
        let skb = unsafe {
            bindings::rct_skb_from_paged(
                data.as_ptr().cast(),
                data.len() as c_uint,
                linear as c_uint,
            )
        };
        // INVARIANT: A non-null return is a new skb, ours.
        Some(Self {
            skb: core::ptr::NonNull::new(skb)?,
        })
    }

    /// The packet.
    pub(crate) fn skb(&mut self) -> &mut Skb {
        // SAFETY: The skb is live and owned by `self`, borrowed mutably.
        unsafe { Skb::from_raw(self.skb.as_ptr()) }
    }
}

#[cfg(kunit)]
impl Drop for OwnedSkb {
    fn drop(&mut self) {
        // SAFETY: The skb is ours (type invariants); freeing it drops its connection reference.
        unsafe { bindings::rct_skb_free(self.skb.as_ptr()) };
    }
}

/// An skb being rewritten from its network header on, as NAT changes it.
///
/// # Invariants
///
/// `off` is the offset of the network header from `skb->data`; the first `writable` bytes from
/// it are in the skb's linear data, writable by the caller.
pub(crate) struct SkbWriter<'a> {
    skb: &'a mut Skb,
    off: usize,
    writable: usize,
}

impl<'a> SkbWriter<'a> {
    /// The packet from the network header `hook` sees on, nothing made writable yet.
    pub(crate) fn new(skb: &'a mut Skb, hook: Hook, l3: L3) -> Self {
        let view = skb.network(hook, l3);
        let off = (view.base as usize).wrapping_sub(skb.data() as usize);
        // INVARIANT: Nothing is writable yet.
        Self {
            skb,
            off,
            writable: 0,
        }
    }

    /// What the stack knows of the transport checksum (`skb->ip_summed`, `skb->csum`).
    pub(crate) fn summed(&self) -> Summed {
        let (mut csum, mut sw_valid) = (0, false);
        // SAFETY: The skb is valid; the out-parameters are valid for writes.
        let summed =
            unsafe { bindings::rct_skb_ip_summed(self.skb.as_ptr(), &mut csum, &mut sw_valid) };
        match summed {
            bindings::CHECKSUM_UNNECESSARY => Summed::Unnecessary,
            bindings::CHECKSUM_COMPLETE => Summed::Complete { csum, sw_valid },
            bindings::CHECKSUM_PARTIAL => Summed::Partial,
            _ => Summed::None,
        }
    }

    /// Records what the stack knows of the transport checksum after a rewrite.
    pub(crate) fn set_summed(&mut self, summed: Summed) {
        let (raw, csum, sw_valid) = match summed {
            Summed::None => (bindings::CHECKSUM_NONE, 0, false),
            Summed::Unnecessary => (bindings::CHECKSUM_UNNECESSARY, 0, false),
            Summed::Complete { csum, sw_valid } => (bindings::CHECKSUM_COMPLETE, csum, sw_valid),
            Summed::Partial => (bindings::CHECKSUM_PARTIAL, 0, false),
        };
        // SAFETY: The skb is valid and ours to change.
        unsafe { bindings::rct_skb_set_ip_summed(self.skb.as_ptr(), raw, csum, sw_valid) };
    }
}

impl PacketMut for SkbWriter<'_> {
    fn total_len(&self) -> usize {
        (self.skb.len() as usize).saturating_sub(self.off)
    }

    fn make_writable(&mut self, len: usize) -> bool {
        if len <= self.writable {
            return true;
        }
        let Some(end) = self.off.checked_add(len) else {
            return false;
        };
        if end > self.skb.len() as usize {
            return false;
        }
        // SAFETY: The skb is valid and ours; on success its first `end` bytes are linear and
        // not shared.
        if unsafe { bindings::rct_skb_ensure_writable(self.skb.as_ptr(), end as c_uint) } != 0 {
            return false;
        }
        // INVARIANT: Made writable just above.
        self.writable = len;
        true
    }

    fn read<const N: usize>(&self, offset: usize) -> Option<[u8; N]> {
        let end = offset.checked_add(N)?;
        if end > self.total_len() {
            return None;
        }
        let mut buf = [0u8; N];
        // SAFETY: The skb is valid and the range within its length, so the copy succeeds and
        // fills `buf`.
        let ret = unsafe {
            bindings::skb_copy_bits(
                self.skb.as_ptr(),
                (self.off + offset) as c_int,
                buf.as_mut_ptr().cast::<c_void>(),
                N as c_int,
            )
        };
        (ret == 0).then_some(buf)
    }

    fn write(&mut self, offset: usize, bytes: &[u8]) -> bool {
        match offset.checked_add(bytes.len()) {
            Some(end) if end <= self.writable => {}
            _ => return false,
        }
        // SAFETY: The skb's data is valid; the range is within what was made writable, in the
        // linear data (type invariants), and `bytes` does not overlap it.
        unsafe {
            let at = bindings::rct_skb_data(self.skb.as_ptr()).add(self.off + offset);
            core::ptr::copy_nonoverlapping(bytes.as_ptr(), at, bytes.len());
        }
        true
    }

    fn checksum(&self, offset: usize, len: usize, init: u32) -> Option<u32> {
        if offset.checked_add(len)? > self.total_len() {
            return None;
        }
        // SAFETY: The skb is valid and the range within its length.
        Some(unsafe {
            bindings::skb_checksum(
                self.skb.as_ptr(),
                (self.off + offset) as c_int,
                len as c_int,
                init,
            )
        })
    }
}

impl Skb {
    /// Drops the packet's route, for one to be looked up again (`skb_dst_drop()`).
    pub(crate) fn drop_route(&mut self) {
        // SAFETY: The skb is valid and ours.
        unsafe { bindings::rct_skb_dst_drop(self.as_ptr()) };
    }

    /// The destination port of the socket early demultiplexing found for the packet, unless
    /// it has none or a transparent one.
    pub(crate) fn demuxed_sock_dport(&self) -> Option<u16> {
        let mut dport = 0u16;
        // SAFETY: The skb is valid; `dport` is valid for writes.
        unsafe { bindings::rct_skb_demuxed_sock(self.as_ptr(), &mut dport) }
            .then(|| u16::from_be(dport))
    }

    /// Looks the packet's route up again after its addresses changed at LOCAL_OUT
    /// (`ip_route_me_harder()`, `ip6_route_me_harder()`); the negative errno if that fails.
    pub(crate) fn route_me_harder(&mut self, state: &HookState) -> Result<(), i32> {
        // SAFETY: The skb and the hook state are valid for the length of the hook call.
        match unsafe { bindings::rct_route_me_harder(state.as_ptr(), self.as_raw()) } {
            0 => Ok(()),
            e => Err(e),
        }
    }

    /// Takes the packet from the socket early demultiplexing gave it (`skb_orphan()`).
    pub(crate) fn orphan(&mut self) {
        // SAFETY: The skb is valid and ours.
        unsafe { bindings::rct_skb_orphan(self.as_ptr()) };
    }
}
