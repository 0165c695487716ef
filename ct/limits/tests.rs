// SPDX-License-Identifier: GPL-2.0

use super::*;

#[test]
fn effective_limit_is_the_lower_one() {
    assert_eq!(effective_max(0, 0), 0);
    assert_eq!(effective_max(1000, 0), 1000);
    assert_eq!(effective_max(0, 50), 50);
    assert_eq!(effective_max(1000, 50), 50);
    // The host lowered its limit below the namespace's own.
    assert_eq!(effective_max(40, 50), 40);
}

#[test]
fn own_limit_never_above_the_host() {
    assert!(may_set_own(1000, 1000, 1000, false));
    assert!(may_set_own(1000, 0, 10, false));
    assert!(!may_set_own(1000, 1000, 1001, true));
    assert!(!may_set_own(1000, 1000, 0, true));
    assert!(!may_set_own(1000, 1000, -1, true));
    // No host limit: any positive one.
    assert!(may_set_own(0, 0, i32::MAX, false));
}

#[test]
fn only_the_host_raises_a_lowered_limit() {
    assert!(may_set_own(1000, 100, 50, false));
    assert!(may_set_own(1000, 100, 100, false));
    assert!(!may_set_own(1000, 100, 101, false));
    assert!(may_set_own(1000, 100, 900, true));
}

#[test]
fn adaptive_off_keeps_timeouts() {
    let off = Adaptive { start: 0, end: 0 };
    assert_eq!(off.scale(30_000, 1000, 1000), 30_000);
    let bad = Adaptive { start: 80, end: 80 };
    assert_eq!(bad.scale(30_000, 1000, 1000), 30_000);
    let on = Adaptive {
        start: 60,
        end: 120,
    };
    assert_eq!(on.scale(30_000, 1000, 0), 30_000, "no limit");
}

#[test]
fn adaptive_scales_linearly_between_start_and_end() {
    let a = Adaptive {
        start: 60,
        end: 120,
    };
    assert_eq!(a.scale(30_000, 600, 1000), 30_000);
    assert_eq!(a.scale(30_000, 601, 1000), 29_950);
    assert_eq!(a.scale(30_000, 900, 1000), 15_000);
    assert_eq!(a.scale(30_000, 1000, 1000), 10_000);
    assert_eq!(a.scale(30_000, 1200, 1000), 1);
    assert_eq!(a.scale(30_000, i32::MAX, i32::MAX), 10_000);
    assert_eq!(a.scale(30_000, i32::MAX, 1000), 1);
    // A small table scales as a large one.
    assert_eq!(a.scale(30_000, 9, 10), 15_000);
    // Never zero.
    assert_eq!(a.scale(1, 1100, 1000), 1);
}
