// SPDX-License-Identifier: GPL-2.0

//! Conntrack zones: separate sets of connections, so that one tuple can name different
//! connections in different zones (`struct nf_conntrack_zone`).

use super::status::Dir;

/// A connection's zone: an identifier, and the directions whose tuples it applies to; the other
/// direction's tuple is in the default zone.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Zone {
    /// The identifier (`zone=` in `/proc/net/nf_conntrack`).
    pub(crate) id: u16,
    /// The directions it applies to: [`Zone::ORIGINAL`], [`Zone::REPLY`] or both.
    pub(crate) dirs: u8,
}

impl Zone {
    /// The zone of the original direction (`NF_CT_ZONE_DIR_ORIG`).
    pub(crate) const ORIGINAL: u8 = 1 << 0;
    /// The zone of the reply direction (`NF_CT_ZONE_DIR_REPL`).
    pub(crate) const REPLY: u8 = 1 << 1;
    /// Both directions (`NF_CT_DEFAULT_ZONE_DIR`).
    pub(crate) const BOTH: u8 = Self::ORIGINAL | Self::REPLY;
    /// The zone connections are in unless put elsewhere.
    pub(crate) const DEFAULT: Zone = Zone {
        id: 0,
        dirs: Self::BOTH,
    };

    /// The identifier the tuple of direction `dir` is in (`nf_ct_zone_id()`).
    #[inline]
    pub(crate) fn id_of(self, dir: Dir) -> u16 {
        if self.dirs & (1 << dir.index()) != 0 {
            self.id
        } else {
            0
        }
    }
}

impl Default for Zone {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zone_applies_to_its_directions_only() {
        let both = Zone {
            id: 7,
            dirs: Zone::BOTH,
        };
        assert_eq!((both.id_of(Dir::Original), both.id_of(Dir::Reply)), (7, 7));
        let orig = Zone {
            id: 7,
            dirs: Zone::ORIGINAL,
        };
        assert_eq!((orig.id_of(Dir::Original), orig.id_of(Dir::Reply)), (7, 0));
        let reply = Zone {
            id: 7,
            dirs: Zone::REPLY,
        };
        assert_eq!(
            (reply.id_of(Dir::Original), reply.id_of(Dir::Reply)),
            (0, 7)
        );
        assert_eq!(Zone::default().id_of(Dir::Reply), 0);
    }
}
