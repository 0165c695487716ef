// SPDX-License-Identifier: GPL-2.0

//! What each `ct` key loads, and how many register bytes it takes, cell by cell.

use super::*;
use crate::ct::tuple::ipproto;

fn v4(a: [u8; 4]) -> [u8; 16] {
    let mut b = [0; 16];
    b[..4].copy_from_slice(&a);
    b
}

fn tuples() -> (Tuple, Tuple) {
    let o = Tuple::new(
        L3::Ipv4,
        ipproto::TCP,
        v4([10, 0, 0, 1]),
        v4([10, 0, 0, 2]),
        40000,
        80,
    );
    (o, o.invert().unwrap())
}

fn view<'a>(o: &'a Tuple, r: &'a Tuple) -> View<'a> {
    View {
        tuples: [o, r],
        dir: Dir::Reply,
        status: 0x19e,
        mark: 0xdead_beef,
        zone: Zone {
            id: 7,
            dirs: Zone::ORIGINAL,
        },
        expires_ms: 120_000,
        counters: Some([[3, 180], [2, 140]]),
        id: 0x1234_5678,
    }
}

/// The register bytes `key` loads, in memory order.
fn bytes(key: CtKey, dir: Option<Dir>, family: u8) -> Option<std::vec::Vec<u8>> {
    let (o, r) = tuples();
    let len = get_len(key, dir.is_some(), family).unwrap();
    let mut regs = [0xaaaa_aaaau32; 4];
    load(key, dir, len, &view(&o, &r), &mut regs).then(|| {
        regs.iter()
            .flat_map(|w| w.to_ne_bytes())
            .take(len.next_multiple_of(4) as usize)
            .collect()
    })
}

#[test]
fn register_lengths_are_nft_cts() {
    use CtKey::*;
    assert_eq!(get_len(Direction, false, 2), Ok(1));
    assert_eq!(get_len(Direction, true, 2), Err(errno::EINVAL));
    for k in [State, Status, Mark, Expiration, Id] {
        assert_eq!(get_len(k, false, 2), Ok(4));
        assert_eq!(get_len(k, true, 2), Err(errno::EINVAL));
    }
    assert_eq!(get_len(Src, true, 2), Ok(4));
    assert_eq!(get_len(Src, true, 10), Ok(16));
    assert_eq!(get_len(Dst, true, 1), Ok(16));
    assert_eq!(get_len(Src, false, 2), Err(errno::EINVAL));
    assert_eq!(get_len(Src, true, 7), Err(errno::EAFNOSUPPORT));
    assert_eq!(get_len(SrcIp, true, 1), Ok(4));
    assert_eq!(get_len(DstIp6, true, 2), Ok(16));
    assert_eq!(get_len(ProtoDst, true, 2), Ok(2));
    assert_eq!(get_len(ProtoDst, false, 2), Err(errno::EINVAL));
    for k in [Pkts, Bytes, Avgpkt] {
        assert_eq!(get_len(k, false, 2), Ok(8));
        assert_eq!(get_len(k, true, 2), Ok(8));
    }
    assert_eq!(get_len(Zone, true, 2), Ok(2));
    assert_eq!(
        (get_len(Protocol, true, 2), get_len(L3Protocol, false, 2)),
        (Ok(1), Ok(1))
    );
    assert_eq!(get_len(Labels, false, 2), Ok(16));
    assert_eq!(get_len(Helper, false, 2), Ok(16));
    assert_eq!(get_len(Secmark, false, 2), Err(errno::EOPNOTSUPP));
    assert_eq!(CtKey::from_u32(23), Some(Id));
    assert_eq!(CtKey::from_u32(24), None);
}

#[test]
fn set_lengths() {
    assert_eq!(set_len(CtKey::Mark, false), Ok(4));
    assert_eq!(set_len(CtKey::Mark, true), Err(errno::EINVAL));
    assert_eq!(set_len(CtKey::Zone, true), Ok(2));
    assert_eq!(set_len(CtKey::Labels, false), Err(errno::EOPNOTSUPP));
    assert_eq!(set_len(CtKey::Status, false), Err(errno::EOPNOTSUPP));
}

#[test]
fn state_bits_are_nf_ct_state_bits() {
    assert_eq!(state_bits(Some(CtInfo::Established), false), 2);
    assert_eq!(state_bits(Some(CtInfo::EstablishedReply), false), 2);
    assert_eq!(state_bits(Some(CtInfo::Related), false), 4);
    assert_eq!(state_bits(Some(CtInfo::RelatedReply), false), 4);
    assert_eq!(state_bits(Some(CtInfo::New), false), 8);
    assert_eq!(state_bits(None, true), 64);
    assert_eq!(state_bits(None, false), 1);
}

#[test]
fn values_in_register_layout() {
    use CtKey::*;
    let ne = |v: u32| v.to_ne_bytes().to_vec();
    assert_eq!(bytes(Direction, None, 2), Some(std::vec![1, 0, 0, 0]));
    assert_eq!(bytes(Status, None, 2), Some(ne(0x19e)));
    assert_eq!(bytes(Mark, None, 2), Some(ne(0xdead_beef)));
    assert_eq!(bytes(Expiration, None, 2), Some(ne(120_000)));
    assert_eq!(bytes(Id, None, 2), Some(ne(0x1234_5678)));
    assert_eq!(bytes(L3Protocol, None, 2), Some(std::vec![2, 0, 0, 0]));
    assert_eq!(
        bytes(Protocol, Some(Dir::Reply), 2),
        Some(std::vec![6, 0, 0, 0])
    );
    // Addresses and ports as they are on the wire.
    assert_eq!(
        bytes(Src, Some(Dir::Original), 2),
        Some(std::vec![10, 0, 0, 1])
    );
    assert_eq!(
        bytes(Src, Some(Dir::Reply), 2),
        Some(std::vec![10, 0, 0, 2])
    );
    let mut inet = std::vec![10, 0, 0, 2];
    inet.extend([0; 12]);
    assert_eq!(bytes(Dst, Some(Dir::Original), 1), Some(inet));
    assert_eq!(
        bytes(SrcIp, Some(Dir::Original), 1),
        Some(std::vec![10, 0, 0, 1])
    );
    assert_eq!(bytes(SrcIp6, Some(Dir::Original), 1), None);
    assert_eq!(
        bytes(ProtoSrc, Some(Dir::Original), 2),
        Some(std::vec![0x9c, 0x40, 0, 0])
    );
    assert_eq!(
        bytes(ProtoDst, Some(Dir::Original), 2),
        Some(std::vec![0, 80, 0, 0])
    );
    // Counters, per direction and summed.
    let ne64 = |v: u64| v.to_ne_bytes().to_vec();
    assert_eq!(bytes(Pkts, None, 2), Some(ne64(5)));
    assert_eq!(bytes(Bytes, Some(Dir::Reply), 2), Some(ne64(140)));
    assert_eq!(bytes(Avgpkt, None, 2), Some(ne64(64)));
    // A zone of the original direction only.
    assert_eq!(bytes(Zone, Some(Dir::Original), 2), Some(ne(7)));
    assert_eq!(bytes(Zone, Some(Dir::Reply), 2), Some(ne(0)));
    assert_eq!(bytes(Zone, None, 2), Some(ne(7)));
    assert_eq!(bytes(Labels, None, 2), Some(std::vec![0; 16]));
    assert_eq!(bytes(Helper, None, 2), None);
}

#[test]
fn counters_of_a_connection_without_them_are_zero() {
    let (o, r) = tuples();
    let mut v = view(&o, &r);
    v.counters = None;
    let mut regs = [7u32; 2];
    assert!(load(CtKey::Avgpkt, None, 8, &v, &mut regs));
    assert_eq!(regs, [0, 0]);
}
