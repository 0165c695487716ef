// SPDX-License-Identifier: GPL-2.0

//! Messages written straight into the skb that carries them.

use super::write::{NoRoom, Sink};
use crate::ct::sys::nfnetlink::MsgBuf;

/// A [`Sink`] over a message buffer.
pub(crate) struct SkbSink<'a>(pub(crate) &'a mut MsgBuf);

impl Sink for SkbSink<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn append(&mut self, bytes: &[u8]) -> Result<(), NoRoom> {
        if self.0.append(bytes) {
            Ok(())
        } else {
            Err(NoRoom)
        }
    }

    fn overwrite(&mut self, offset: usize, bytes: &[u8]) {
        self.0.overwrite(offset, bytes);
    }

    fn truncate(&mut self, len: usize) {
        self.0.truncate(len);
    }
}
