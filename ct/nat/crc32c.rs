// SPDX-License-Identifier: GPL-2.0

//! CRC32c (Castagnoli), the SCTP checksum, as the kernel's `crc32c()` computes it: reflected,
//! without the initial and final inversions, which the caller applies.

/// The reflected Castagnoli polynomial.
const POLY: u32 = 0x82f6_3b78;

/// The CRC of each byte value.
const TABLE: [u32; 256] = table();

const fn table() -> [u32; 256] {
    let mut t = [0; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ POLY
            } else {
                crc >> 1
            };
            bit += 1;
        }
        t[i] = crc;
        i += 1;
    }
    t
}

/// Continues `crc` over `bytes`.
pub(crate) fn update(crc: u32, bytes: &[u8]) -> u32 {
    bytes.iter().fold(crc, |crc, &b| {
        TABLE[usize::from(crc.to_le_bytes()[0] ^ b)] ^ (crc >> 8)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_value() {
        // The catalogue check value of CRC-32C over "123456789".
        assert_eq!(!update(!0, b"123456789"), 0xe306_9283);
    }

    #[test]
    fn continues_across_pieces() {
        let whole = update(!0, b"stream control");
        assert_eq!(update(update(!0, b"stream "), b"control"), whole);
    }
}
