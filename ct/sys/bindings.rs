// SPDX-License-Identifier: GPL-2.0

//! Bindings generated from `bindings_helper.h`, over the kernel crate's.

#[allow(
    dead_code,
    improper_ctypes,
    missing_docs,
    non_camel_case_types,
    non_snake_case,
    non_upper_case_globals,
    unreachable_pub,
    unsafe_op_in_unsafe_fn,
    clippy::all,
    clippy::undocumented_unsafe_blocks
)]
mod generated {
    include!("bindings_generated.rs");
}

pub(crate) use generated::*;
