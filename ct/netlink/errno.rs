// SPDX-License-Identifier: GPL-2.0

//! The error codes ctnetlink answers with, as the kernel numbers them.

/// A kernel error code, positive as `errno` values are; the kernel side negates it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Errno(i32);

impl Errno {
    /// Operation not permitted: a fixed timeout changed.
    pub(crate) const EPERM: Self = Self(1);
    /// No such connection.
    pub(crate) const ENOENT: Self = Self(2);
    /// Out of memory, or no connection could be allocated.
    pub(crate) const ENOMEM: Self = Self(12);
    /// A status bit that cannot change, or a helper that cannot be replaced.
    pub(crate) const EBUSY: Self = Self(16);
    /// The connection exists already.
    pub(crate) const EEXIST: Self = Self(17);
    /// A malformed or incomplete request.
    pub(crate) const EINVAL: Self = Self(22);
    /// No room for labels on the connection.
    pub(crate) const ENOSPC: Self = Self(28);
    /// An attribute shorter or larger than its policy allows.
    pub(crate) const ERANGE: Self = Self(34);
    /// The connection is dying.
    pub(crate) const ETIME: Self = Self(62);
    /// An address family NAT does not handle.
    #[cfg(not(MODULE))]
    pub(crate) const EPROTONOSUPPORT: Self = Self(93);
    /// Not supported: helpers, NAT without a NAT module, tuples of other families.
    pub(crate) const EOPNOTSUPP: Self = Self(95);

    /// The negative value kernel functions return.
    pub(crate) fn to_kernel(self) -> i32 {
        -self.0
    }
}
