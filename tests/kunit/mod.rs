// SPDX-License-Identifier: GPL-2.0

//! KUnit suites, built into the module with `make KUNIT=1`; they run when it loads.

mod packet;
mod table;
