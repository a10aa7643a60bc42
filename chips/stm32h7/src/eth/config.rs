// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Register values the MAC needs, computed without touching registers:
//! the MDIO clock range, the address and multicast filter registers, the
//! speed and duplex bits, and the descriptor skip length.

use kernel::ErrorCode;

use crate::lan8742::{Duplex, LinkMode, Speed};

use super::ring::{DESCRIPTOR_BYTES, STRIDE};

/// MACMDIOAR.CR and the MDC frequency for an AHB clock (RM0468 MACMDIOAR
/// "CSR clock range"): the divider keeps MDC at or below 2.5 MHz, the
/// IEEE 802.3 (and LAN8742A) limit. `None` outside 20-300 MHz.
pub fn mdio_clock_range(hclk_hz: u32) -> Option<(u32, u32)> {
    let (cr, div) = match hclk_hz {
        20_000_000..=34_999_999 => (0b0010, 16),
        35_000_000..=59_999_999 => (0b0011, 26),
        60_000_000..=99_999_999 => (0b0000, 42),
        100_000_000..=149_999_999 => (0b0001, 62),
        150_000_000..=249_999_999 => (0b0100, 102),
        250_000_000..=300_000_000 => (0b0101, 124),
        _ => return None,
    };
    Some((cr, hclk_hz / div))
}

/// DMACCR.DSL for the descriptor stride: the words skipped after each
/// 16-byte descriptor. The unit is the 32-bit word: inferred from ST's HAL,
/// whose 24-byte descriptors run with ETH_DMACCR_DSL_64BIT = 2 (RM0468 only
/// says "word, dword or lword depending on the bus width").
pub const DESCRIPTOR_SKIP_WORDS: u32 = ((STRIDE - DESCRIPTOR_BYTES) / 4) as u32;

/// MACAxHR (ADDRHI: bytes 5 and 4) and MACAxLR (bytes 3..0) for `mac`,
/// first byte on the wire in the low byte (RM0468 MACA0HR/MACA0LR).
pub fn address_registers(mac: [u8; 6]) -> (u32, u32) {
    let high = u32::from(mac[5]) << 8 | u32::from(mac[4]);
    let low = u32::from_le_bytes([mac[0], mac[1], mac[2], mac[3]]);
    (high, low)
}

/// MACCR.FES (100 Mbit/s) and MACCR.DM (full duplex) for a link mode.
pub fn speed_duplex_bits(mode: LinkMode) -> (bool, bool) {
    (mode.speed == Speed::Mbps100, mode.duplex == Duplex::Full)
}

/// The standard CRC-32 (IEEE 802.3, reflected, as the FCS).
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { crc >> 1 ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// The 64-bin hash filter's bin for a destination address: the upper 6
/// bits of the bit-reversed CRC, bit 5 choosing MACHT1R over MACHT0R
/// (RM0468 "Hash filtering"; the bit order follows Linux's stmmac
/// `dwmac4_set_filter`, not verified on this board).
pub fn hash_bin(mac: [u8; 6]) -> u8 {
    (crc32(&mac).reverse_bits() >> 26) as u8
}

/// Extra MAC address registers (MACA1..MACA3) used as perfect filters.
pub const PERFECT_SLOTS: usize = 3;

/// Where a multicast address is accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterSlot {
    /// MACA{n}HR/LR, compared exactly.
    Perfect(usize),
    /// A hash bin: passes every address that hashes there too.
    Hash(u8),
}

/// The destination filter for multicast: perfect filters first (exact),
/// the hash table once they are taken. Promiscuous mode stays off;
/// broadcast passes (ARP needs it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MulticastFilter {
    perfect: [Option<[u8; 6]>; PERFECT_SLOTS],
    hash: [u32; 2],
}

impl MulticastFilter {
    /// Accepts frames to `mac` (a multicast address: bit 0 of its first
    /// byte set, such as 01:00:5E:00:00:FB for mDNS).
    pub fn accept(&mut self, mac: [u8; 6]) -> Result<FilterSlot, ErrorCode> {
        if mac[0] & 1 == 0 {
            return Err(ErrorCode::INVAL);
        }
        if let Some(n) = self.perfect.iter().position(|p| *p == Some(mac)) {
            return Ok(FilterSlot::Perfect(n + 1));
        }
        if let Some(n) = self.perfect.iter().position(Option::is_none) {
            self.perfect[n] = Some(mac);
            return Ok(FilterSlot::Perfect(n + 1));
        }
        let bin = hash_bin(mac);
        self.hash[usize::from(bin >> 5)] |= 1 << (bin & 31);
        Ok(FilterSlot::Hash(bin))
    }

    /// MACA{n}HR (with AE set) and MACA{n}LR for slot n = 1..=3; an empty
    /// slot is (0, 0): AE clear, compared with nothing.
    pub fn perfect_registers(&self, n: usize) -> (u32, u32) {
        match self.perfect.get(n.wrapping_sub(1)).copied().flatten() {
            Some(mac) => {
                let (high, low) = address_registers(mac);
                (high | 1 << 31, low)
            }
            None => (0, 0),
        }
    }

    /// MACHT0R and MACHT1R.
    pub fn hash_registers(&self) -> [u32; 2] {
        self.hash
    }

    /// MACPFR.HMC and MACPFR.HPF: with the hash table in use, a multicast
    /// frame passes on a perfect or a hash match; otherwise perfect only.
    pub fn uses_hash(&self) -> bool {
        self.hash != [0, 0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mdc_stays_below_2_5_mhz_at_the_boards_ahb_clocks() {
        // 550 MHz CPU: AHB 275 MHz; 520 MHz CPU: AHB 260 MHz. Both /124.
        assert_eq!(mdio_clock_range(275_000_000), Some((0b0101, 2_217_741)));
        assert_eq!(mdio_clock_range(260_000_000), Some((0b0101, 2_096_774)));
        assert_eq!(mdio_clock_range(200_000_000), Some((0b0100, 1_960_784)));
        for hz in (20_000_000..=300_000_000).step_by(1_000_000) {
            assert!(mdio_clock_range(hz).unwrap().1 <= 2_500_000, "{} Hz", hz);
        }
        assert_eq!(mdio_clock_range(400_000_000), None);
    }

    #[test]
    fn descriptors_a_cache_line_apart_skip_four_words() {
        assert_eq!(DESCRIPTOR_SKIP_WORDS, 4);
    }

    #[test]
    fn the_boards_mac_address_in_its_registers() {
        // DE:AD:BE:EF:17:64, the original firmware's address.
        assert_eq!(address_registers([0xDE, 0xAD, 0xBE, 0xEF, 0x17, 0x64]), (0x6417, 0xEFBE_ADDE));
    }

    #[test]
    fn crc_and_hash_bins() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        // mDNS (224.0.0.251): bin 48, bit 16 of MACHT1R.
        assert_eq!(hash_bin([0x01, 0x00, 0x5E, 0x00, 0x00, 0xFB]), 48);
        assert_eq!(hash_bin([0x01, 0x00, 0x5E, 0x00, 0x00, 0x01]), 32);
    }

    #[test]
    fn multicast_goes_to_perfect_filters_then_the_hash_table() {
        let mdns = [0x01, 0x00, 0x5E, 0x00, 0x00, 0xFB];
        let mut f = MulticastFilter::default();
        assert_eq!(f.accept([0x02, 0, 0, 0, 0, 1]), Err(ErrorCode::INVAL), "unicast");
        assert_eq!(f.accept(mdns), Ok(FilterSlot::Perfect(1)));
        assert_eq!(f.accept(mdns), Ok(FilterSlot::Perfect(1)), "once");
        assert_eq!(f.perfect_registers(1), (1 << 31 | 0xFB00, 0x005E_0001));
        assert_eq!(f.perfect_registers(2), (0, 0));
        assert!(!f.uses_hash());
        f.accept([0x01, 0x00, 0x5E, 0x00, 0x00, 0xFC]).unwrap();
        f.accept([0x33, 0x33, 0x00, 0x00, 0x00, 0x01]).unwrap();
        assert_eq!(f.accept([0x01, 0x00, 0x5E, 0x00, 0x00, 0x01]), Ok(FilterSlot::Hash(32)));
        assert!(f.uses_hash());
        assert_eq!(f.hash_registers(), [0, 1]);
    }
}
