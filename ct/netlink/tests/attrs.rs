// SPDX-License-Identifier: GPL-2.0

//! The attribute reader and writer: bounds, flags, policies, nesting.

use super::super::attr::{self, Attrs, Mode, Rule, MAX_DEPTH};
use super::super::errno::Errno;
use super::super::write::{SliceSink, Writer};
use super::support::*;
use std::vec::Vec;

const POLICY: attr::Policy<6> = [
    Rule::Unspec,
    Rule::U8,
    Rule::U32,
    Rule::Nested,
    Rule::MinLen(16),
    Rule::NulString(15),
];

fn parse(bytes: &[u8], mode: Mode) -> Result<Vec<(u16, Vec<u8>)>, Errno> {
    let t = attr::parse(Attrs::new(bytes), &POLICY, mode)?;
    Ok((1..6)
        .filter_map(|k| t.get(k).map(|a| (k, a.payload().to_vec())))
        .collect())
}

#[test]
fn walks_until_a_header_does_not_fit() {
    let mut b = [attr(1, &[7]), attr(2, &[1, 2, 3, 4])].concat();
    let whole = b.len();
    assert_eq!(Attrs::new(&b).count(), 2);
    // A truncated header, a length past the end, a length shorter than a header.
    for tail in [&[8u8, 0][..], &[9, 0, 1, 0, 0, 0, 0, 0], &[3, 0, 1, 0]] {
        b.truncate(whole);
        b.extend_from_slice(tail);
        let mut it = Attrs::new(&b);
        assert_eq!(it.by_ref().count(), 2);
        assert_eq!(it.leftover(), tail.len());
        assert!(parse(&b, Mode::Liberal).is_ok());
        assert_eq!(parse(&b, Mode::Strict), Err(Errno::EINVAL));
    }
    // The last attribute's padding may be missing.
    let unpadded = [attr(2, &[1, 2, 3, 4]), raw_attr(5, 1, &[9])].concat();
    let unpadded = &unpadded[..unpadded.len() - 3];
    assert_eq!(
        parse(unpadded, Mode::Liberal).unwrap()[0],
        (1, std::vec![9])
    );
    assert_eq!(Attrs::new(&[]).count(), 0);
}

#[test]
fn flags_are_masked_from_the_type() {
    let b = attr(1 | attr::F_NET_BYTEORDER, &[5]);
    let a = Attrs::new(&b).next().unwrap();
    assert_eq!((a.kind(), a.u8(), a.has_nested_flag()), (1, 5, false));
    let b = attr(3 | attr::F_NESTED | attr::F_NET_BYTEORDER, &[]);
    let a = Attrs::new(&b).next().unwrap();
    assert_eq!((a.kind(), a.has_nested_flag()), (3, true));
}

#[test]
fn liberal_parsing_checks_minimum_lengths() {
    assert_eq!(parse(&attr(1, &[]), Mode::Liberal), Err(Errno::ERANGE));
    assert_eq!(
        parse(&attr(2, &[1, 2, 3]), Mode::Liberal),
        Err(Errno::ERANGE)
    );
    assert_eq!(parse(&attr(3, &[1, 2]), Mode::Liberal), Err(Errno::ERANGE));
    assert_eq!(parse(&attr(4, &[0; 15]), Mode::Liberal), Err(Errno::ERANGE));
    // Longer numbers, empty nests, unknown types and type 0 pass.
    let ok = [
        attr(1, &[1, 2]),
        attr(2, &[0; 8]),
        attr(3, &[]),
        attr(4, &[0; 20]),
        attr(9, &[]),
        attr(0, &[1]),
    ]
    .concat();
    let t = parse(&ok, Mode::Liberal).unwrap();
    assert_eq!(t.len(), 4);
    // A later attribute replaces an earlier one.
    let twice = [attr(1, &[1]), attr(1, &[2])].concat();
    assert_eq!(parse(&twice, Mode::Liberal).unwrap(), [(1, std::vec![2])]);
}

#[test]
fn strict_parsing_rejects_what_liberal_parsing_lets_pass() {
    for b in [
        attr(1, &[1, 2]),
        attr(9, &[]),
        attr(0, &[]),
        attr(3, &[]),
        attr(2 | attr::F_NESTED, &[0; 4]),
        attr(4, &[0; 16]),
    ] {
        assert!(parse(&b, Mode::Liberal).is_ok());
        assert_eq!(parse(&b, Mode::Strict), Err(Errno::EINVAL), "{b:?}");
    }
    assert!(parse(&attr(3 | attr::F_NESTED, &[]), Mode::Strict).is_ok());
    assert!(parse(&attr(2, &[0; 4]), Mode::Strict).is_ok());
}

#[test]
fn strings_need_their_nul_and_fit_their_length() {
    assert!(parse(&attr(5, b"ftp\0"), Mode::Liberal).is_ok());
    assert!(parse(&attr(5, b"123456789012345\0"), Mode::Liberal).is_ok());
    assert_eq!(parse(&attr(5, b"ftp"), Mode::Liberal), Err(Errno::EINVAL));
    assert_eq!(parse(&attr(5, b""), Mode::Liberal), Err(Errno::EINVAL));
    assert_eq!(
        parse(&attr(5, b"1234567890123456\0"), Mode::Liberal),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        parse(&attr(5, b"12345678\0abcdefgh"), Mode::Liberal),
        Err(Errno::ERANGE)
    );
}

#[test]
fn the_first_failing_attribute_gives_the_error() {
    let b = [attr(5, b"x"), attr(1, &[])].concat();
    assert_eq!(parse(&b, Mode::Liberal), Err(Errno::EINVAL));
    let b = [attr(1, &[]), attr(5, b"x")].concat();
    assert_eq!(parse(&b, Mode::Liberal), Err(Errno::ERANGE));
}

#[test]
fn nesting_stops_at_the_kernel_depth() {
    let mut b = attr(1, &[1]);
    for _ in 0..20 {
        b = nest(3, &[b]);
    }
    let mut a = Attrs::new(&b).next().unwrap();
    let mut depth = 0;
    loop {
        match a.parse(&POLICY, Mode::Liberal) {
            Ok(t) => match t.get(3) {
                Some(inner) => a = inner,
                None => break,
            },
            Err(e) => {
                assert_eq!(e, Errno::EINVAL);
                break;
            }
        }
        depth += 1;
    }
    assert_eq!(depth, usize::from(MAX_DEPTH) - 1);
}

#[test]
fn writer_pads_nests_and_runs_out_of_room() {
    let mut buf = [0xffu8; 32];
    let mut sink = SliceSink::new(&mut buf);
    let mut w = Writer::new(&mut sink);
    let n = w.nest_start(7).unwrap();
    w.u8(1, 0xaa).unwrap();
    w.be16(2, 0x0102).unwrap();
    w.nest_end(n).unwrap();
    assert_eq!(
        sink.written(),
        [
            [
                &20u16.to_ne_bytes()[..],
                &(7u16 | attr::F_NESTED).to_ne_bytes()
            ]
            .concat(),
            attr(1, &[0xaa]),
            attr(2, &[1, 2]),
        ]
        .concat()
    );
    let mut w = Writer::new(&mut sink);
    assert!(w.put(3, &[0; 9]).is_err());
    assert_eq!(sink.written().len(), 20);
    let mut w = Writer::new(&mut sink);
    w.put(3, &[1; 8]).unwrap();
    assert_eq!(sink.written().len(), 32);
    let mut empty: [u8; 0] = [];
    let mut sink = SliceSink::new(&mut empty);
    assert!(Writer::new(&mut sink).nest_start(1).is_err());
}
