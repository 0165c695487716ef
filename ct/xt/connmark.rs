// SPDX-License-Identifier: GPL-2.0

//! The `connmark` match and the `CONNMARK` target: testing a connection's mark, and moving
//! bits between it and the packet's mark, as xt_connmark does.

use super::errno::EINVAL;

/// A `connmark` rule (`struct xt_connmark_mtinfo1`): `--mark mark/mask`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MarkRule {
    /// The value the masked mark must have.
    pub(crate) mark: u32,
    /// The bits compared.
    pub(crate) mask: u32,
    /// `!`.
    pub(crate) invert: bool,
}

impl MarkRule {
    /// Whether a connection with mark `ct_mark` matches.
    pub(crate) fn matches(&self, ct_mark: u32) -> bool {
        (ct_mark & self.mask == self.mark) != self.invert
    }
}

/// What a `CONNMARK` rule does (`XT_CONNMARK_SET`, `_SAVE`, `_RESTORE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `--set-xmark`: the connection's mark from the rule's value.
    Set,
    /// `--save-mark`: the connection's mark from the packet's.
    Save,
    /// `--restore-mark`: the packet's mark from the connection's.
    Restore,
}

/// Which way revision 2 shifts the bits it moves (`D_SHIFT_LEFT`, `D_SHIFT_RIGHT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shift {
    /// Towards the high bits.
    Left,
    /// Towards the low bits.
    Right,
}

/// A `CONNMARK` rule of either revision (`struct xt_connmark_tginfo1/2`); revision 1 never
/// shifts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConnmarkRule {
    /// What it does.
    pub(crate) mode: Mode,
    /// The value XORed in by [`Mode::Set`].
    pub(crate) ctmark: u32,
    /// The connection mark's bits that change ([`Mode::Set`], [`Mode::Save`]) or are copied
    /// ([`Mode::Restore`]).
    pub(crate) ctmask: u32,
    /// The packet mark's bits that are copied ([`Mode::Save`]) or change ([`Mode::Restore`]).
    pub(crate) nfmask: u32,
    /// The shift's direction.
    pub(crate) shift: Shift,
    /// The shift's width, below 32.
    pub(crate) shift_bits: u8,
}

/// The modes' numbers, as userspace gives them.
pub(crate) fn mode_of(n: u8) -> Option<Mode> {
    match n {
        0 => Some(Mode::Set),
        1 => Some(Mode::Save),
        2 => Some(Mode::Restore),
        _ => None,
    }
}

/// The shift revision 2 gives, checked as `connmark_tg_check_v2()` does.
pub(crate) fn shift_of(dir: u8, bits: u8) -> Result<(Shift, u8), i32> {
    let shift = match dir {
        0 => Shift::Left,
        1 => Shift::Right,
        _ => return Err(EINVAL),
    };
    if bits >= 32 {
        return Err(EINVAL);
    }
    Ok((shift, bits))
}

/// New marks: the connection's and the packet's, `None` where they stay as they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct NewMarks {
    /// The connection's new mark.
    pub(crate) conn: Option<u32>,
    /// The packet's new mark.
    pub(crate) packet: Option<u32>,
}

impl ConnmarkRule {
    fn shifted(&self, v: u32) -> u32 {
        let bits = u32::from(self.shift_bits);
        match self.shift {
            Shift::Left => v.checked_shl(bits),
            Shift::Right => v.checked_shr(bits),
        }
        .unwrap_or(0)
    }

    /// The marks after the rule, for a connection marked `ct_mark` and a packet marked
    /// `skb_mark`. The connection's mark is given only when it changes.
    pub(crate) fn apply(&self, ct_mark: u32, skb_mark: u32) -> NewMarks {
        let conn = |new: u32| (new != ct_mark).then_some(new);
        match self.mode {
            Mode::Set => NewMarks {
                conn: conn(self.shifted((ct_mark & !self.ctmask) ^ self.ctmark)),
                packet: None,
            },
            Mode::Save => NewMarks {
                conn: conn((ct_mark & !self.ctmask) ^ self.shifted(skb_mark & self.nfmask)),
                packet: None,
            },
            Mode::Restore => NewMarks {
                conn: None,
                packet: Some((skb_mark & !self.nfmask) ^ self.shifted(ct_mark & self.ctmask)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(mode: Mode, ctmark: u32, ctmask: u32, nfmask: u32) -> ConnmarkRule {
        ConnmarkRule {
            mode,
            ctmark,
            ctmask,
            nfmask,
            shift: Shift::Left,
            shift_bits: 0,
        }
    }

    #[test]
    fn the_match_compares_under_the_mask() {
        let r = MarkRule {
            mark: 0x10,
            mask: 0xf0,
            invert: false,
        };
        assert!(r.matches(0x1f));
        assert!(!r.matches(0x2f));
        let inv = MarkRule { invert: true, ..r };
        assert!(!inv.matches(0x1f));
        assert!(inv.matches(0x2f));
    }

    #[test]
    fn set_mark_as_iptables_writes_it() {
        // --set-mark 0x4000/0x4000 is --set-xmark 0x4000/0x4000: clear the mask, XOR the value.
        let r = rule(Mode::Set, 0x4000, 0x4000, 0);
        assert_eq!(r.apply(0x1, 0xff).conn, Some(0x4001));
        assert_eq!(r.apply(0x4001, 0).conn, None, "unchanged");
        // --set-xmark 0x1/0xffffffff sets exactly 1.
        assert_eq!(
            rule(Mode::Set, 1, u32::MAX, 0).apply(0xabc, 0).conn,
            Some(1)
        );
        // --set-xmark 0x3/0x0 toggles the bits.
        assert_eq!(rule(Mode::Set, 3, 0, 0).apply(1, 0).conn, Some(2));
    }

    #[test]
    fn save_and_restore_move_masked_bits() {
        let save = rule(Mode::Save, 0, 0xff, 0x0f);
        assert_eq!(save.apply(0xff00, 0x1234).conn, Some(0xff04));
        assert_eq!(save.apply(0xff04, 0x1234).packet, None);
        let restore = rule(Mode::Restore, 0, 0x0f, 0xff);
        assert_eq!(
            restore.apply(0x1234, 0xabcd),
            NewMarks {
                conn: None,
                packet: Some(0xab04)
            }
        );
    }

    #[test]
    fn revision_two_shifts_the_moved_bits() {
        let mut set = rule(Mode::Set, 0x0f, 0xff, 0);
        (set.shift, set.shift_bits) = shift_of(0, 4).unwrap();
        assert_eq!(set.apply(0, 0).conn, Some(0xf0));
        let mut save = rule(Mode::Save, 0, 0xff00, 0xff00);
        (save.shift, save.shift_bits) = shift_of(1, 8).unwrap();
        assert_eq!(save.apply(0, 0xab00).conn, Some(0xab));
        let mut restore = rule(Mode::Restore, 0, 0xff, 0xff00);
        (restore.shift, restore.shift_bits) = shift_of(0, 8).unwrap();
        assert_eq!(restore.apply(0x12, 0x3456).packet, Some(0x1256));
    }

    #[test]
    fn bad_shifts_and_modes_are_refused() {
        assert_eq!(shift_of(2, 0), Err(EINVAL));
        assert_eq!(shift_of(1, 32), Err(EINVAL));
        assert_eq!(shift_of(1, 31), Ok((Shift::Right, 31)));
        assert_eq!(mode_of(3), None);
        assert_eq!(mode_of(2), Some(Mode::Restore));
    }
}
