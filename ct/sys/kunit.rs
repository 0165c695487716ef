// SPDX-License-Identifier: GPL-2.0

//! KUnit suites inside the module, run by KUnit when the module loads.
//!
//! This kernel has no `#[kunit_tests]`: [`kunit_suite!`] builds the `struct kunit_suite` and
//! `struct kunit_case` tables itself and places the suite in the `.kunit_test_suites` section,
//! where the module loader finds it.
//!
//! C header: [`include/kunit/test.h`](srctree/include/kunit/test.h)

use super::bindings;
use core::fmt;
use kernel::ffi::c_char;

/// The test case being run.
pub(crate) struct Test(*mut bindings::kunit);

impl Test {
    /// # Safety
    ///
    /// `test` must be the test KUnit is running on this thread.
    pub(crate) unsafe fn from_raw(test: *mut bindings::kunit) -> Self {
        Self(test)
    }

    /// Records a failure with its reason; the case goes on.
    pub(crate) fn fail(&mut self, file: &str, line: u32, what: fmt::Arguments<'_>) {
        kernel::kunit::err(format_args!(
            "    # {file}:{line}: expectation failed: {what}\n"
        ));
        // SAFETY: The test is running (`from_raw`'s safety requirements); KUnit reads the status
        // once the case returns. This is what `kunit_set_failure()` does.
        unsafe {
            core::ptr::write_volatile(
                &raw mut (*self.0).status,
                bindings::kunit_status_KUNIT_FAILURE,
            )
        };
    }
}

/// Checks a condition; on failure records it and goes on.
macro_rules! check {
    ($t:expr, $cond:expr) => {
        if !$cond {
            $t.fail(file!(), line!(), format_args!("{}", stringify!($cond)));
        }
    };
}

/// Checks that two values are equal; on failure records both.
macro_rules! check_eq {
    ($t:expr, $left:expr, $right:expr) => {
        match (&$left, &$right) {
            (l, r) => {
                if l != r {
                    $t.fail(
                        file!(),
                        line!(),
                        format_args!(
                            "{} == {}: {:?} != {:?}",
                            stringify!($left),
                            stringify!($right),
                            l,
                            r
                        ),
                    );
                }
            }
        }
    };
}

/// A case of a suite.
pub(crate) const fn case(
    name: &'static str,
    run: unsafe extern "C" fn(*mut bindings::kunit),
) -> bindings::kunit_case {
    // SAFETY: All-zero bytes are a valid `kunit_case`; KUnit fills in status and log.
    let mut c: bindings::kunit_case = unsafe { core::mem::zeroed() };
    c.run_case = Some(run);
    c.name = name.as_ptr().cast::<c_char>();
    c
}

/// The all-zero case that ends a case table.
pub(crate) const fn case_end() -> bindings::kunit_case {
    // SAFETY: As above.
    unsafe { core::mem::zeroed() }
}

/// A suite named `name` (NUL-terminated) of the cases at `cases`, ending with [`case_end`].
pub(crate) const fn suite(
    name: &'static str,
    cases: *mut bindings::kunit_case,
) -> bindings::kunit_suite {
    // SAFETY: All-zero bytes are a valid `kunit_suite`.
    let mut s: bindings::kunit_suite = unsafe { core::mem::zeroed() };
    let bytes = name.as_bytes();
    let mut i = 0;
    while i < bytes.len() && i < s.name.len() - 1 {
        s.name[i] = bytes[i] as c_char;
        i += 1;
    }
    s.test_cases = cases;
    s
}

/// Defines a KUnit suite of test functions, each taking the [`Test`] as `t`:
///
/// ```ignore
/// kunit_suite!("rust_conntrack_table", t => {
///     fn inserts() { check!(t, true); }
/// });
/// ```
///
/// One suite per module: the tables are statics of fixed names.
macro_rules! kunit_suite {
    ($name:literal, $t:ident => { $(fn $case:ident() $body:block)+ }) => {
        $(
            /// A test case.
            ///
            /// # Safety
            ///
            /// Called by KUnit with the test it runs.
            unsafe extern "C" fn $case(test: *mut $crate::ct::sys::bindings::kunit) {
                // SAFETY: KUnit runs this case with `test`.
                #[allow(unused_mut, unused_variables)]
                let mut $t = unsafe { $crate::ct::sys::kunit::Test::from_raw(test) };
                $body
            }
        )+

        static mut KUNIT_CASES: [$crate::ct::sys::bindings::kunit_case; [$(stringify!($case)),+].len() + 1] = [
            $($crate::ct::sys::kunit::case(concat!(stringify!($case), "\0"), $case),)+
            $crate::ct::sys::kunit::case_end(),
        ];

        static mut KUNIT_SUITE: $crate::ct::sys::bindings::kunit_suite =
            $crate::ct::sys::kunit::suite(concat!($name, "\0"), &raw mut KUNIT_CASES as *mut _);

        #[used(compiler)]
        #[link_section = ".kunit_test_suites"]
        static mut KUNIT_SUITE_ENTRY: *const $crate::ct::sys::bindings::kunit_suite = &raw const KUNIT_SUITE;
    };
}

pub(crate) use {check, check_eq, kunit_suite};
