// SPDX-License-Identifier: GPL-2.0

//! Reading netlink attributes, with the kernel's bounds and validation rules.
//!
//! An attribute is a 4-byte header (length, then type, both in host order) and a payload,
//! padded to a multiple of four. A stream of attributes is walked as `nla_for_each_attr` walks
//! it: it ends at the first header that does not fit; what is left over is ignored, except by
//! strict parsing. Parsing a stream into a [`Table`] checks each known attribute against a
//! [`Policy`] as `nla_parse_nested_deprecated` does ([`Mode::Liberal`]) or `nla_parse_nested`
//! does ([`Mode::Strict`]); a later attribute of the same type replaces an earlier one.

use super::errno::Errno;

/// Layout of an attribute header (`struct nlattr`).
mod field {
    use core::ops::Range;

    /// Length of header and payload, without padding.
    pub(super) const LEN: Range<usize> = 0..2;
    /// Type and flags.
    pub(super) const TYPE: Range<usize> = 2..4;
}

/// Length of an attribute header (`NLA_HDRLEN`).
pub(crate) const HDR_LEN: usize = 4;
/// Attributes start at multiples of this (`NLA_ALIGNTO`).
pub(crate) const ALIGN: usize = 4;
/// Type flag of an attribute holding attributes (`NLA_F_NESTED`).
pub(crate) const F_NESTED: u16 = 1 << 15;
/// Type flag of a payload in network byte order (`NLA_F_NET_BYTEORDER`).
pub(crate) const F_NET_BYTEORDER: u16 = 1 << 14;
/// The bits of the type field that are the type (`NLA_TYPE_MASK`).
pub(crate) const TYPE_MASK: u16 = !(F_NESTED | F_NET_BYTEORDER);
/// Nesting depth at which parsing stops (`MAX_POLICY_RECURSION_DEPTH`).
pub(crate) const MAX_DEPTH: u8 = 10;

/// `len` rounded up to the attribute alignment (`NLA_ALIGN`).
pub(crate) fn align(len: usize) -> usize {
    len.saturating_add(ALIGN - 1) & !(ALIGN - 1)
}

/// One attribute of a message.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Attr<'a> {
    /// The type field, flags included.
    raw_kind: u16,
    /// The payload, without padding.
    payload: &'a [u8],
    /// How many attributes enclose this one.
    depth: u8,
}

impl<'a> Attr<'a> {
    /// The attribute type, flags masked off (`nla_type`).
    pub(crate) fn kind(&self) -> u16 {
        self.raw_kind & TYPE_MASK
    }

    /// Whether the type carries [`F_NESTED`].
    pub(crate) fn has_nested_flag(&self) -> bool {
        self.raw_kind & F_NESTED != 0
    }

    /// The payload.
    pub(crate) fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// The first `N` bytes of the payload; bytes past its end read as zero. A validated
    /// attribute always has them.
    pub(crate) fn bytes<const N: usize>(&self) -> [u8; N] {
        let mut out = [0; N];
        for (o, b) in out.iter_mut().zip(self.payload) {
            *o = *b;
        }
        out
    }

    /// The payload's first byte (`nla_get_u8`).
    pub(crate) fn u8(&self) -> u8 {
        self.bytes::<1>()[0]
    }

    /// A 16-bit value in network byte order, as a number.
    pub(crate) fn be16(&self) -> u16 {
        u16::from_be_bytes(self.bytes())
    }

    /// A 32-bit value in network byte order, as a number.
    pub(crate) fn be32(&self) -> u32 {
        u32::from_be_bytes(self.bytes())
    }

    /// A 32-bit value in host byte order (`nla_get_u32`).
    pub(crate) fn ne32(&self) -> u32 {
        u32::from_ne_bytes(self.bytes())
    }

    /// A 64-bit value in network byte order, as a number.
    #[cfg(not(MODULE))]
    pub(crate) fn be64(&self) -> u64 {
        u64::from_be_bytes(self.bytes())
    }

    /// The attributes inside this one.
    pub(crate) fn nested(&self) -> Attrs<'a> {
        Attrs {
            rest: self.payload,
            depth: self.depth.saturating_add(1),
        }
    }

    /// Parses the attributes inside this one into a table.
    pub(crate) fn parse<const N: usize>(
        &self,
        policy: &Policy<N>,
        mode: Mode,
    ) -> Result<Table<'a, N>, Errno> {
        if mode == Mode::Strict && !self.has_nested_flag() {
            return Err(Errno::EINVAL);
        }
        parse(self.nested(), policy, mode)
    }
}

/// A stream of attributes.
#[derive(Clone, Debug)]
pub(crate) struct Attrs<'a> {
    /// The bytes not walked yet.
    rest: &'a [u8],
    /// How many attributes enclose the stream.
    depth: u8,
}

impl<'a> Attrs<'a> {
    /// The attributes of a message, outside any other.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self {
            rest: bytes,
            depth: 0,
        }
    }

    /// Bytes left that do not hold a whole attribute.
    pub(crate) fn leftover(&self) -> usize {
        self.rest.len()
    }
}

impl<'a> Iterator for Attrs<'a> {
    type Item = Attr<'a>;

    fn next(&mut self) -> Option<Attr<'a>> {
        let header: [u8; HDR_LEN] = self.rest.get(..HDR_LEN)?.try_into().ok()?;
        let len = usize::from(u16::from_ne_bytes(header[field::LEN].try_into().ok()?));
        if len < HDR_LEN {
            return None;
        }
        let payload = self.rest.get(HDR_LEN..len)?;
        let raw_kind = u16::from_ne_bytes(header[field::TYPE].try_into().ok()?);
        self.rest = self.rest.get(align(len)..).unwrap_or(&[]);
        Some(Attr {
            raw_kind,
            payload,
            depth: self.depth,
        })
    }
}

/// What the policy of one attribute type admits (a `struct nla_policy`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Rule {
    /// No policy: any payload. Strict parsing rejects the attribute.
    Unspec,
    /// A payload of at least this many bytes (`NLA_UNSPEC` with a length).
    MinLen(usize),
    /// An 8-bit number.
    U8,
    /// A 16-bit number.
    U16,
    /// A 32-bit number.
    U32,
    /// An 8-bit number no larger than this (`NLA_POLICY_MAX(NLA_U8, ..)`).
    U8Max(u8),
    /// A 32-bit number in host order with no bits outside this mask
    /// (`NLA_POLICY_MASK(NLA_U32, ..)`).
    U32Mask(u32),
    /// Attributes: empty, or at least one header long.
    Nested,
    /// Bytes, at most this many (`NLA_BINARY`).
    Binary(usize),
    /// A NUL-terminated string of at most this many characters (`NLA_NUL_STRING`).
    NulString(usize),
}

impl Rule {
    /// The exact payload length of fixed-size numbers.
    fn exact_len(self) -> Option<usize> {
        match self {
            Rule::U8 | Rule::U8Max(_) => Some(1),
            Rule::U16 => Some(2),
            Rule::U32 | Rule::U32Mask(_) => Some(4),
            _ => None,
        }
    }

    /// Checks one attribute as `validate_nla` does.
    fn check(self, attr: &Attr<'_>, mode: Mode) -> Result<(), Errno> {
        let len = attr.payload.len();
        let strict = mode == Mode::Strict;
        let exact = self.exact_len();
        if strict {
            if exact.is_some_and(|n| n != len) {
                return Err(Errno::EINVAL);
            }
            let nested = self == Rule::Nested;
            let flag = attr.has_nested_flag();
            if (nested && !flag)
                || (!nested && flag && !matches!(self, Rule::Unspec | Rule::MinLen(_)))
            {
                return Err(Errno::EINVAL);
            }
        }
        if let Some(n) = exact {
            if len < n {
                return Err(Errno::ERANGE);
            }
        }
        match self {
            Rule::Unspec | Rule::MinLen(_) if strict => Err(Errno::EINVAL),
            Rule::Unspec => Ok(()),
            Rule::MinLen(n) if len < n => Err(Errno::ERANGE),
            Rule::U8Max(max) if attr.u8() > max => Err(Errno::ERANGE),
            Rule::U32Mask(mask) if attr.ne32() & !mask != 0 => Err(Errno::EINVAL),
            Rule::Nested if len != 0 && len < HDR_LEN => Err(Errno::ERANGE),
            Rule::Binary(max) if len > max => Err(Errno::ERANGE),
            Rule::NulString(max) => {
                let scan = len.min(max.saturating_add(1));
                let text = attr.payload.get(..scan).unwrap_or(&[]);
                if !text.contains(&0) {
                    return Err(Errno::EINVAL);
                }
                let chars = if attr.payload.last() == Some(&0) {
                    len - 1
                } else {
                    len
                };
                if chars > max {
                    Err(Errno::ERANGE)
                } else {
                    Ok(())
                }
            }
            _ => Ok(()),
        }
    }
}

/// The policies of the attribute types of one stream, indexed by type; `N - 1` is the highest
/// type known.
pub(crate) type Policy<const N: usize> = [Rule; N];

/// How strictly a stream is checked.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Mode {
    /// As the deprecated parsers: unknown types, longer numbers and trailing bytes pass.
    Liberal,
    /// As `nla_parse_nested`: they are errors, and so are missing or stray [`F_NESTED`] flags.
    Strict,
}

/// The attributes of a stream by type.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Table<'a, const N: usize> {
    /// The last attribute of each type, if any.
    slots: [Option<Attr<'a>>; N],
}

impl<'a, const N: usize> Table<'a, N> {
    /// The attribute of type `kind`, if the stream had one.
    pub(crate) fn get(&self, kind: u16) -> Option<Attr<'a>> {
        *self.slots.get(usize::from(kind))?
    }

    /// Whether the stream had an attribute of type `kind`.
    pub(crate) fn has(&self, kind: u16) -> bool {
        self.get(kind).is_some()
    }
}

/// Parses a stream of attributes into a table, checking each against `policy`.
pub(crate) fn parse<'a, const N: usize>(
    mut attrs: Attrs<'a>,
    policy: &Policy<N>,
    mode: Mode,
) -> Result<Table<'a, N>, Errno> {
    if attrs.depth >= MAX_DEPTH {
        return Err(Errno::EINVAL);
    }
    let mut table = Table { slots: [None; N] };
    for attr in attrs.by_ref() {
        let kind = usize::from(attr.kind());
        match policy.get(kind) {
            Some(rule) if kind != 0 => {
                rule.check(&attr, mode)?;
                if let Some(slot) = table.slots.get_mut(kind) {
                    *slot = Some(attr);
                }
            }
            _ if mode == Mode::Strict => return Err(Errno::EINVAL),
            _ => {}
        }
    }
    if mode == Mode::Strict && attrs.leftover() > 0 {
        return Err(Errno::EINVAL);
    }
    Ok(table)
}
