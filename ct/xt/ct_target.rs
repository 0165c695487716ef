// SPDX-License-Identifier: GPL-2.0

//! The `CT` target of the raw table: what a rule asks for, checked as xt_CT checks it, and what
//! it gives the packets it sees first: no tracking (`--notrack`), or a zone (`--zone`).

use super::errno::{EINVAL, ENAMETOOLONG, ENOENT, EOPNOTSUPP};
use crate::ct::zone::Zone;

/// The rule's flags (`XT_CT_*`).
pub(crate) mod flags {
    /// `--notrack`.
    pub(crate) const NOTRACK: u16 = 1 << 0;
    /// Set by the `NOTRACK` target's alias of `CT`; no effect of its own.
    pub(crate) const NOTRACK_ALIAS: u16 = 1 << 1;
    /// `--zone-orig`: the zone holds in the original direction only.
    pub(crate) const ZONE_DIR_ORIG: u16 = 1 << 2;
    /// `--zone-reply`: the zone holds in the reply direction only.
    pub(crate) const ZONE_DIR_REPL: u16 = 1 << 3;
    /// `--zone mark`: the zone is the packet's mark.
    pub(crate) const ZONE_MARK: u16 = 1 << 4;
    /// Every flag revision 2 knows.
    pub(crate) const MASK: u16 =
        NOTRACK | NOTRACK_ALIAS | ZONE_DIR_ORIG | ZONE_DIR_REPL | ZONE_MARK;
}

/// A `CT` rule, of any revision (`struct xt_ct_target_info`, `_v1`).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CtRule {
    /// [`flags`].
    pub(crate) flags: u16,
    /// `--zone`.
    pub(crate) zone: u16,
    /// `--ctevents`.
    pub(crate) ct_events: u32,
    /// `--expevents`.
    pub(crate) exp_events: u32,
    /// `--helper`: the name's length, and whether it fills its field without an end.
    pub(crate) helper: NameField,
    /// `--timeout` (revisions 1 and 2).
    pub(crate) timeout: NameField,
}

/// A name in a fixed field of the rule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum NameField {
    /// Empty.
    #[default]
    None,
    /// A name.
    Given,
    /// As long as the field, without its terminating NUL.
    Unterminated,
}

impl NameField {
    /// The field's state, from its bytes.
    pub(crate) fn of(bytes: &[u8]) -> Self {
        match bytes.iter().position(|&b| b == 0) {
            Some(0) => NameField::None,
            Some(_) => NameField::Given,
            None if bytes.is_empty() => NameField::None,
            None => NameField::Unterminated,
        }
    }
}

/// What a rule gives the first packet of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CtAction {
    /// No tracking.
    Notrack,
    /// A template of zone `zone`; with `from_mark` the zone's identifier is the packet's mark.
    Zone {
        /// The zone: its identifier and the directions it holds in.
        zone: Zone,
        /// Whether the identifier comes from the packet's mark instead.
        from_mark: bool,
    },
}

/// Why a rule is refused: the error number, and what to tell the administrator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Refused {
    /// The error number.
    pub(crate) errno: i32,
    /// A message, or `None` where xt_CT prints none.
    pub(crate) why: Option<&'static str>,
}

const fn refused(errno: i32, why: Option<&'static str>) -> Refused {
    Refused { errno, why }
}

/// Checks a rule of revision `revision` (`xt_ct_tg_check_v0/1/2()`), and says what it does.
/// Connection events, helpers and timeout policies are not provided by this tracker.
pub(crate) fn check(revision: u8, rule: &CtRule) -> Result<CtAction, Refused> {
    let known = if revision >= 2 {
        flags::MASK
    } else {
        flags::NOTRACK
    };
    if rule.flags & !known != 0 {
        return Err(refused(EINVAL, None));
    }
    if rule.flags & flags::NOTRACK != 0 {
        return Ok(CtAction::Notrack);
    }
    if rule.ct_events != 0 || rule.exp_events != 0 {
        return Err(refused(
            EOPNOTSUPP,
            Some("--ctevents and --expevents are not provided by rust_conntrack"),
        ));
    }
    match rule.helper {
        NameField::None => {}
        NameField::Unterminated => return Err(refused(ENAMETOOLONG, None)),
        NameField::Given => {
            return Err(refused(
                ENOENT,
                Some("no such helper: rust_conntrack provides no helpers"),
            ))
        }
    }
    match rule.timeout {
        NameField::None => {}
        NameField::Unterminated => return Err(refused(ENAMETOOLONG, None)),
        NameField::Given => {
            return Err(refused(
                EOPNOTSUPP,
                Some("--timeout policies are not provided by rust_conntrack"),
            ))
        }
    }
    let dirs = match rule.flags & (flags::ZONE_DIR_ORIG | flags::ZONE_DIR_REPL) {
        flags::ZONE_DIR_ORIG => Zone::ORIGINAL,
        flags::ZONE_DIR_REPL => Zone::REPLY,
        _ => Zone::BOTH,
    };
    Ok(CtAction::Zone {
        zone: Zone {
            id: rule.zone,
            dirs,
        },
        from_mark: rule.flags & flags::ZONE_MARK != 0,
    })
}

impl CtAction {
    /// The zone a template gives a packet marked `mark` (`nf_ct_zone_tmpl()`); `None` for
    /// [`CtAction::Notrack`].
    pub(crate) fn zone_for(&self, mark: u32) -> Option<Zone> {
        match *self {
            CtAction::Notrack => None,
            CtAction::Zone { zone, from_mark } => Some(Zone {
                id: if from_mark { mark as u16 } else { zone.id },
                ..zone
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(f: u16) -> CtRule {
        CtRule {
            flags: f,
            ..CtRule::default()
        }
    }

    #[test]
    fn notrack_in_every_revision() {
        for rev in 0..=2 {
            assert_eq!(check(rev, &rule(flags::NOTRACK)), Ok(CtAction::Notrack));
        }
        // NOTRACK's alias of CT sets both bits; only revision 2 knows the second.
        let alias = rule(flags::NOTRACK | flags::NOTRACK_ALIAS);
        assert_eq!(check(2, &alias), Ok(CtAction::Notrack));
        assert_eq!(check(1, &alias).map_err(|r| r.errno), Err(EINVAL));
        // With --notrack nothing else is looked at.
        let with_helper = CtRule {
            helper: NameField::Given,
            ..rule(flags::NOTRACK)
        };
        assert_eq!(check(0, &with_helper), Ok(CtAction::Notrack));
    }

    #[test]
    fn zones_and_their_directions() {
        let z = |f, id| match check(
            2,
            &CtRule {
                zone: id,
                ..rule(f)
            },
        ) {
            Ok(CtAction::Zone { zone, from_mark }) => (zone.id, zone.dirs, from_mark),
            other => panic!("{other:?}"),
        };
        assert_eq!(z(0, 7), (7, Zone::BOTH, false));
        assert_eq!(z(flags::ZONE_DIR_ORIG, 7), (7, Zone::ORIGINAL, false));
        assert_eq!(z(flags::ZONE_DIR_REPL, 7), (7, Zone::REPLY, false));
        assert_eq!(
            z(flags::ZONE_DIR_ORIG | flags::ZONE_DIR_REPL, 7),
            (7, Zone::BOTH, false)
        );
        assert_eq!(z(flags::ZONE_MARK, 0), (0, Zone::BOTH, true));
        // Directions need revision 2.
        assert_eq!(
            check(1, &rule(flags::ZONE_DIR_ORIG)).map_err(|r| r.errno),
            Err(EINVAL)
        );
        let zone = CtAction::Zone {
            zone: Zone {
                id: 3,
                dirs: Zone::BOTH,
            },
            from_mark: true,
        };
        assert_eq!(zone.zone_for(0x1_0009).map(|z| z.id), Some(9));
        assert_eq!(CtAction::Notrack.zone_for(9), None);
    }

    #[test]
    fn what_this_tracker_lacks_is_refused_clearly() {
        let events = CtRule {
            ct_events: 1,
            ..rule(0)
        };
        assert_eq!(check(1, &events).map_err(|r| r.errno), Err(EOPNOTSUPP));
        let helper = CtRule {
            helper: NameField::Given,
            ..rule(0)
        };
        assert_eq!(check(0, &helper).map_err(|r| r.errno), Err(ENOENT));
        let long = CtRule {
            helper: NameField::Unterminated,
            ..rule(0)
        };
        assert_eq!(check(0, &long).map_err(|r| r.errno), Err(ENAMETOOLONG));
        let timeout = CtRule {
            timeout: NameField::Given,
            ..rule(0)
        };
        assert_eq!(check(1, &timeout).map_err(|r| r.errno), Err(EOPNOTSUPP));
    }

    #[test]
    fn name_fields() {
        assert_eq!(NameField::of(b"\0\0\0"), NameField::None);
        assert_eq!(NameField::of(b"ftp\0"), NameField::Given);
        assert_eq!(NameField::of(b"abcd"), NameField::Unterminated);
    }
}
