// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The AP Memory APS6408L-3OBM on the NUCLEO-MEM: 64 Mbit (8 MiB) octal
//! DDR PSRAM, 3 V, x8, behind OCTOSPI1. Its commands, mode registers,
//! latencies and timing limits, as values: nothing here touches a register.
//!
//! Sources. No APS6408L datasheet text was available while writing this;
//! the facts come from ST's BSP component for the part
//! (`Drivers/BSP/Components/aps6408/aps6408.h`, `aps6408.c`), a header
//! written from AP Memory's APSxx08L-3OBMx datasheet (the 3 V family, with
//! the frequency limit of each latency code), and the original NUCLEO-MEM
//! firmware's working values (HARDWARE.md §3). Each constant says which;
//! "unverified" marks what no two sources confirm.

/// Bytes in the device.
pub const SIZE: u32 = 8 << 20;
/// A row (page): bursts made with the synchronous commands wrap inside it
/// (MR8 BL = 1 KiB), so the controller must raise CS# at every row
/// boundary (OCTOSPI DCR3.CSBOUND = 10). The original firmware saw its
/// data corrupted at 1 KiB until it did.
pub const ROW_BYTES: u32 = 1024;

/// Commands (ST BSP aps6408.h; the same values in the APSxx08L header).
pub mod cmd {
    /// Synchronous read and write: the bursts wrap at the MR8 burst length.
    pub const SYNC_READ: u8 = 0x00;
    pub const SYNC_WRITE: u8 = 0x80;
    /// Linear bursts (not used: they would need MR8.RBX for row crossings
    /// and still may not cross a row when writing).
    pub const LINEAR_BURST_READ: u8 = 0x20;
    pub const LINEAR_BURST_WRITE: u8 = 0xA0;
    pub const MODE_REGISTER_READ: u8 = 0x40;
    pub const MODE_REGISTER_WRITE: u8 = 0xC0;
    pub const GLOBAL_RESET: u8 = 0xFF;
}

/// The array commands as 16-bit DTR instructions: the device takes its
/// command byte on both edges of the first clock, so the byte is sent
/// twice (ST AN5050, and the original's 0x0000 / 0x8080).
pub const fn dtr_instruction(command: u8) -> u32 {
    (command as u32) << 8 | command as u32
}

/// The fastest clock of the 3 V part (APSxx08L-3OBMx header: WLC 5 at
/// 133 MHz is its top code).
pub const F_MAX_HZ: u32 = 133_000_000;

/// Power-up to first command, and global reset to next command. Datasheet
/// figures 150 µs and 2 µs as HARDWARE.md quotes them (unverified); the
/// bring-up waits the original's 2 ms and 1 ms, which cost nothing at boot.
pub const T_PU_US: u32 = 150;
pub const T_RST_US: u32 = 2;
pub const PU_WAIT_US: u32 = 2_000;
pub const RST_WAIT_US: u32 = 1_000;
/// Minimum CS# high time between transactions (unverified; the CS high
/// time is also never set below the original's 2 clocks).
pub const T_CPH_NS: u32 = 20;

/// The temperature range the board must work in: it sets tCEM, the longest
/// CS# may stay low (the device refreshes only while it is high).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TemperatureRange {
    /// -40 to 85 °C: tCEM 4 µs.
    Standard,
    /// 85 to 105 °C: tCEM 1 µs.
    Extended,
}

impl TemperatureRange {
    /// tCEM in ns (HARDWARE.md §3 and §10.11; unverified against the datasheet).
    pub const fn tcem_ns(self) -> u32 {
        match self {
            TemperatureRange::Standard => 4_000,
            TemperatureRange::Extended => 1_000,
        }
    }
}

/// MR0 read latency code: `Lcn` is n clocks (code n - 3, MR0[4:2]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ReadLatency {
    Lc3 = 3,
    Lc4 = 4,
    Lc5 = 5,
    Lc6 = 6,
    Lc7 = 7,
}

impl ReadLatency {
    pub const fn clocks(self) -> u32 {
        self as u32
    }
    /// The clocks before read data with fixed latency (MR0.LT = 1): the
    /// device always allows for a refresh collision, doubling the code
    /// (ST BSP `APS6408_READ_LATENCY`). The OCTOSPI cannot follow a variable
    /// latency outside HyperBus mode, so fixed latency is the only choice.
    pub const fn fixed_clocks(self) -> u32 {
        2 * self.clocks()
    }
    const fn code(self) -> u8 {
        self as u8 - 3
    }
    /// The fastest clock the code allows: 66, 109, 133 MHz for codes 3-5
    /// (APSxx08L-3OBMx header, given there for the write codes; the read
    /// codes are assumed to match); 6 and 7 exist only on the 1.8 V part.
    pub const fn max_hz(self) -> u32 {
        match self {
            ReadLatency::Lc3 => 66_000_000,
            ReadLatency::Lc4 => 109_000_000,
            ReadLatency::Lc5 => 133_000_000,
            ReadLatency::Lc6 => 166_000_000,
            ReadLatency::Lc7 => 200_000_000,
        }
    }
}

/// MR4 write latency code: `Wln` is n clocks, in MR4[7:5] with the odd
/// encoding of ST BSP aps6408.h (3: 000, 4: 100, 5: 010, 6: 110, 7: 001).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum WriteLatency {
    Wl3 = 3,
    Wl4 = 4,
    Wl5 = 5,
    Wl6 = 6,
    Wl7 = 7,
}

impl WriteLatency {
    pub const fn clocks(self) -> u32 {
        self as u32
    }
    const fn code(self) -> u8 {
        match self {
            WriteLatency::Wl3 => 0b000,
            WriteLatency::Wl4 => 0b100,
            WriteLatency::Wl5 => 0b010,
            WriteLatency::Wl6 => 0b110,
            WriteLatency::Wl7 => 0b001,
        }
    }
    /// Same limits as the read codes (the APSxx08L-3OBMx header gives 66,
    /// 109, 133 MHz for codes 3-5).
    pub const fn max_hz(self) -> u32 {
        match self {
            WriteLatency::Wl3 => 66_000_000,
            WriteLatency::Wl4 => 109_000_000,
            WriteLatency::Wl5 => 133_000_000,
            WriteLatency::Wl6 => 166_000_000,
            WriteLatency::Wl7 => 200_000_000,
        }
    }
    /// OCTOSPI dummy cycles for a write: one less than the latency. The
    /// original ran WL 5 with 4 dummy cycles on this board and ST's BSP
    /// `APS6408_Write_DMA` uses `LatencyCode - 1` (unverified against the
    /// datasheet's timing diagram; a wrong value shifts every written word,
    /// which the boot-time memory test reports at its first address).
    pub const fn dummy_cycles(self) -> u32 {
        self.clocks() - 1
    }
}

/// MR0[1:0] output drive. The impedances differ between the 1.8 V part
/// (25/50/100/200 Ω, ST BSP) and the 3 V part (50/100/200/400 Ω,
/// APSxx08L-3OBMx header); the codes are the same.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DriveStrength {
    Full = 0,
    Half = 1,
    Quarter = 2,
    Eighth = 3,
}

/// Mode register addresses (the 32-bit address of a register command).
pub const MR0: u8 = 0;
pub const MR1: u8 = 1;
pub const MR2: u8 = 2;
pub const MR4: u8 = 4;
pub const MR8: u8 = 8;

const MR0_FIXED_LATENCY: u8 = 1 << 5;
/// MR1[4:0]: AP Memory's vendor ID (both sources).
pub const MR1_VENDOR_MASK: u8 = 0x1F;
pub const VENDOR_AP_MEMORY: u8 = 0x0D;
/// MR2[2:0]: density; 0b011 is 64 Mbit in the APSxx08L-3OBMx header
/// (one source: reported, not checked).
pub const MR2_DENSITY_MASK: u8 = 0x07;
pub const DENSITY_64_MBIT: u8 = 0b011;
/// MR8: burst length 1 KiB (BL = 11), wrapped bursts (BT = 0, no hybrid
/// burst), row-boundary crossing for reads (RBX, bit 3). The burst length
/// must be at least the controller's CS boundary or a burst would wrap
/// inside it; RBX is harmless with CSBOUND and is what the original set.
const MR8_BURST_1K: u8 = 0b11;
const MR8_RBX: u8 = 1 << 3;

/// The three mode registers the driver writes, as their bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModeRegisters {
    pub mr0: u8,
    pub mr4: u8,
    pub mr8: u8,
}

impl ModeRegisters {
    /// MR0: fixed latency, `read` latency code, `drive`. MR4: `write`
    /// latency, refresh always at the fast (4x) rate so it is right at any
    /// temperature (RF = 00), whole-array refresh (PASR = 000). MR8: 1 KiB
    /// wrapped bursts with read row crossing, as above.
    pub const fn new(read: ReadLatency, write: WriteLatency, drive: DriveStrength) -> ModeRegisters {
        ModeRegisters {
            mr0: MR0_FIXED_LATENCY | read.code() << 2 | drive as u8,
            mr4: write.code() << 5,
            mr8: MR8_RBX | MR8_BURST_1K,
        }
    }
}

/// The read latency code in an MR0 value, if valid.
pub fn mr0_read_latency(mr0: u8) -> Option<ReadLatency> {
    match (mr0 >> 2) & 0x7 {
        0 => Some(ReadLatency::Lc3),
        1 => Some(ReadLatency::Lc4),
        2 => Some(ReadLatency::Lc5),
        3 => Some(ReadLatency::Lc6),
        4 => Some(ReadLatency::Lc7),
        _ => None,
    }
}

/// The write latency in an MR4 value, if valid.
pub fn mr4_write_latency(mr4: u8) -> Option<WriteLatency> {
    [WriteLatency::Wl3, WriteLatency::Wl4, WriteLatency::Wl5, WriteLatency::Wl6, WriteLatency::Wl7]
        .into_iter()
        .find(|w| w.code() == mr4 >> 5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_original_firmwares_mode_registers() {
        // MR0 0x24 (fixed latency, LC 4, full drive) and MR8 0x0B, both
        // checked by the original; MR4 0x40 is WL 5, its commented-out write.
        let mr = ModeRegisters::new(ReadLatency::Lc4, WriteLatency::Wl5, DriveStrength::Full);
        assert_eq!(mr, ModeRegisters { mr0: 0x24, mr4: 0x40, mr8: 0x0B });
        assert_eq!(mr0_read_latency(mr.mr0), Some(ReadLatency::Lc4));
        assert_eq!(mr4_write_latency(mr.mr4), Some(WriteLatency::Wl5));
    }

    #[test]
    fn latency_codes_round_trip() {
        for rl in [ReadLatency::Lc3, ReadLatency::Lc4, ReadLatency::Lc5, ReadLatency::Lc6, ReadLatency::Lc7] {
            for wl in [WriteLatency::Wl3, WriteLatency::Wl4, WriteLatency::Wl5, WriteLatency::Wl6, WriteLatency::Wl7] {
                let mr = ModeRegisters::new(rl, wl, DriveStrength::Half);
                assert_eq!(mr0_read_latency(mr.mr0), Some(rl));
                assert_eq!(mr4_write_latency(mr.mr4), Some(wl));
                assert_eq!(mr.mr0 & 0x3, 1);
            }
        }
        // ST's table: WLC 4 is 0x80, 6 is 0xC0, 7 is 0x20.
        assert_eq!(ModeRegisters::new(ReadLatency::Lc3, WriteLatency::Wl4, DriveStrength::Full).mr4, 0x80);
        assert_eq!(ModeRegisters::new(ReadLatency::Lc3, WriteLatency::Wl6, DriveStrength::Full).mr4, 0xC0);
        assert_eq!(ModeRegisters::new(ReadLatency::Lc3, WriteLatency::Wl7, DriveStrength::Full).mr4, 0x20);
        assert_eq!(mr0_read_latency(0b111 << 2), None);
    }

    #[test]
    fn latencies_in_clocks() {
        assert_eq!(ReadLatency::Lc4.fixed_clocks(), 8, "the original's 8 read dummy cycles");
        assert_eq!(WriteLatency::Wl5.dummy_cycles(), 4, "the original's 4 write dummy cycles");
        assert_eq!(dtr_instruction(cmd::SYNC_READ), 0x0000);
        assert_eq!(dtr_instruction(cmd::SYNC_WRITE), 0x8080);
        assert_eq!(TemperatureRange::Extended.tcem_ns(), 1_000);
    }
}
