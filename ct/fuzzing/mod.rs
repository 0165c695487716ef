// SPDX-License-Identifier: GPL-2.0

//! The protocol logic as fuzz targets drive it, from byte slices: the only public items of the
//! userspace crate.

pub mod nat;
pub mod netlink;
pub mod track;
