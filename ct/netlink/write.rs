// SPDX-License-Identifier: GPL-2.0

//! Writing netlink messages and attributes into a buffer the kernel side provides.
//!
//! Attributes are laid out as `nla_put` lays them: header, payload, zeroed padding to a
//! multiple of four. Nested attributes carry [`F_NESTED`] in their type, as `nla_nest_start`
//! gives it, and get their length when closed. 64-bit values are written without the padding
//! attribute that architectures without efficient unaligned access insert.

use super::attr::{align, F_NESTED, HDR_LEN};

/// The buffer ran out of room; what was written of the message must be discarded.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct NoRoom;

/// Where messages are written: an skb in the kernel, a byte array in tests.
pub(crate) trait Sink {
    /// Bytes written so far.
    fn len(&self) -> usize;

    /// Appends `bytes`, or writes nothing and fails if they do not fit.
    fn append(&mut self, bytes: &[u8]) -> Result<(), NoRoom>;

    /// Replaces bytes written before at `offset`; an out-of-range write is ignored.
    fn overwrite(&mut self, offset: usize, bytes: &[u8]);

    /// Discards everything from `len` on.
    fn truncate(&mut self, len: usize);
}

/// A sink over a byte array.
#[cfg(not(MODULE))]
pub(crate) struct SliceSink<'a> {
    /// The array.
    buf: &'a mut [u8],
    /// How much of it is written.
    len: usize,
}

#[cfg(not(MODULE))]
impl<'a> SliceSink<'a> {
    /// An empty sink that can hold `buf.len()` bytes.
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, len: 0 }
    }

    /// The bytes written.
    pub(crate) fn written(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

#[cfg(not(MODULE))]
impl Sink for SliceSink<'_> {
    fn len(&self) -> usize {
        self.len
    }

    fn append(&mut self, bytes: &[u8]) -> Result<(), NoRoom> {
        let end = self.len.checked_add(bytes.len()).ok_or(NoRoom)?;
        self.buf
            .get_mut(self.len..end)
            .ok_or(NoRoom)?
            .copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }

    fn overwrite(&mut self, offset: usize, bytes: &[u8]) {
        let end = offset.saturating_add(bytes.len());
        if end <= self.len {
            if let Some(dst) = self.buf.get_mut(offset..end) {
                dst.copy_from_slice(bytes);
            }
        }
    }

    fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }
}

/// A sink that only counts: how long a message will be, to size its buffer.
#[derive(Default)]
pub(crate) struct Measure {
    /// Bytes that would have been written.
    len: usize,
}

impl Sink for Measure {
    fn len(&self) -> usize {
        self.len
    }

    fn append(&mut self, bytes: &[u8]) -> Result<(), NoRoom> {
        self.len = self.len.checked_add(bytes.len()).ok_or(NoRoom)?;
        Ok(())
    }

    fn overwrite(&mut self, _offset: usize, _bytes: &[u8]) {}

    fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }
}

/// The start of an open nested attribute, to be closed with [`Writer::nest_end`].
#[must_use]
pub(crate) struct Nest(usize);

/// Writes attributes into a sink.
pub(crate) struct Writer<'s, S: Sink + ?Sized> {
    /// Where the bytes go.
    sink: &'s mut S,
}

impl<'s, S: Sink + ?Sized> Writer<'s, S> {
    /// A writer appending to `sink`.
    pub(crate) fn new(sink: &'s mut S) -> Self {
        Self { sink }
    }

    /// Bytes in the sink.
    pub(crate) fn len(&self) -> usize {
        self.sink.len()
    }

    /// Appends raw bytes.
    pub(crate) fn raw(&mut self, bytes: &[u8]) -> Result<(), NoRoom> {
        self.sink.append(bytes)
    }

    /// Replaces bytes written before.
    pub(crate) fn patch(&mut self, offset: usize, bytes: &[u8]) {
        self.sink.overwrite(offset, bytes);
    }

    /// Discards everything from `len` on.
    pub(crate) fn truncate(&mut self, len: usize) {
        self.sink.truncate(len);
    }

    /// An attribute of type `kind` with `payload` (`nla_put`).
    pub(crate) fn put(&mut self, kind: u16, payload: &[u8]) -> Result<(), NoRoom> {
        let len = payload.len().saturating_add(HDR_LEN);
        let len16 = u16::try_from(len).map_err(|_| NoRoom)?;
        let pad = align(len) - len;
        let mut header = [0; HDR_LEN];
        header[..2].copy_from_slice(&len16.to_ne_bytes());
        header[2..].copy_from_slice(&kind.to_ne_bytes());
        let start = self.len();
        let result = self
            .raw(&header)
            .and_then(|()| self.raw(payload))
            .and_then(|()| self.raw([0; HDR_LEN].get(..pad).unwrap_or(&[])));
        if result.is_err() {
            self.truncate(start);
        }
        result
    }

    /// An 8-bit value.
    pub(crate) fn u8(&mut self, kind: u16, v: u8) -> Result<(), NoRoom> {
        self.put(kind, &[v])
    }

    /// A 16-bit value in network byte order.
    pub(crate) fn be16(&mut self, kind: u16, v: u16) -> Result<(), NoRoom> {
        self.put(kind, &v.to_be_bytes())
    }

    /// A 32-bit value in network byte order.
    pub(crate) fn be32(&mut self, kind: u16, v: u32) -> Result<(), NoRoom> {
        self.put(kind, &v.to_be_bytes())
    }

    /// A 32-bit value in host byte order.
    pub(crate) fn ne32(&mut self, kind: u16, v: u32) -> Result<(), NoRoom> {
        self.put(kind, &v.to_ne_bytes())
    }

    /// A 64-bit value in network byte order.
    pub(crate) fn be64(&mut self, kind: u16, v: u64) -> Result<(), NoRoom> {
        self.put(kind, &v.to_be_bytes())
    }

    /// Opens a nested attribute of type `kind` (`nla_nest_start`).
    pub(crate) fn nest_start(&mut self, kind: u16) -> Result<Nest, NoRoom> {
        let start = self.len();
        let mut header = [0; HDR_LEN];
        header[2..].copy_from_slice(&(kind | F_NESTED).to_ne_bytes());
        self.raw(&header)?;
        Ok(Nest(start))
    }

    /// Closes a nested attribute, giving it its length (`nla_nest_end`).
    pub(crate) fn nest_end(&mut self, nest: Nest) -> Result<(), NoRoom> {
        let len = self.len().saturating_sub(nest.0);
        let len16 = u16::try_from(len).map_err(|_| NoRoom)?;
        self.patch(nest.0, &len16.to_ne_bytes());
        Ok(())
    }
}
