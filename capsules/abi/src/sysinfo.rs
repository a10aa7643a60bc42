//! `sysinfo`: what runs where, and how much it uses (driver `0x8000_0005`).
//!
//! Read-only figures for dashboards and status APIs: uptime, every process
//! with its memory and network counters, every memory region with its use,
//! and the Ethernet switch's own counters; and each app's restart note, one
//! word the kernel keeps across that app's restarts.
//!
//! The syscall interface (commands, allows, upcalls, errors) is written
//! once, at the top of `capsules/sysinfo/src/lib.rs`; this module only holds
//! the numbers and layouts both sides share.

use crate::net::Counters;
use crate::record::{get_u32, put_u32};

pub const DRIVER_NUM: usize = 0x8000_0005;

pub mod command {
    pub const EXISTS: u32 = 0;
    pub const UPTIME: u32 = 1;
    pub const PROCESS_COUNT: u32 = 2;
    pub const PROCESS: u32 = 3;
    pub const REGION: u32 = 4;
    pub const SWITCH: u32 = 5;
    pub const RESTART_NOTE_GET: u32 = 6;
    pub const RESTART_NOTE_SET: u32 = 7;
    pub const INSTRUCTIONS: u32 = 8;
}

/// Apps whose restart notes the kernel keeps (the board's process slots).
pub const RESTART_NOTES: usize = 10;

pub mod allow_rw {
    pub const RECORD: u32 = 0;
    pub const COUNT: u8 = 1;
}

/// Bytes of a name field (process or region), zero padded.
pub const NAME_LEN: usize = 16;

/// Scheduling state of a process, as the kernel reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum ProcessState {
    Running = 0,
    Yielded = 1,
    Stopped = 2,
    Faulted = 3,
    Terminated = 4,
}

impl ProcessState {
    pub fn from_u32(v: u32) -> Option<Self> {
        Some(match v {
            0 => Self::Running,
            1 => Self::Yielded,
            2 => Self::Stopped,
            3 => Self::Faulted,
            4 => Self::Terminated,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Yielded => "yielded",
            Self::Stopped => "stopped",
            Self::Faulted => "faulted",
            Self::Terminated => "terminated",
        }
    }
}

/// One process: identity, state, memory and network use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessRecord {
    pub name: [u8; NAME_LEN],
    /// The kernel's process identifier (changes on restart).
    pub id: u32,
    pub state: ProcessState,
    pub restarts: u32,
    pub flash_start: u32,
    pub flash_size: u32,
    /// The process's memory block (in PSRAM): start and size.
    pub memory_start: u32,
    pub memory_size: u32,
    /// Bytes the process can use now: stack, data, heap up to its break.
    pub app_bytes: u32,
    /// Bytes the kernel holds at the top of the block: grants, upcall
    /// queue, process control block.
    pub kernel_bytes: u32,
    /// Run-time PSRAM grants: bytes and count.
    pub psram_grant_bytes: u32,
    pub psram_grants: u32,
    /// TCP/UDP ports bound.
    pub ports: u32,
    pub net: Counters,
}

impl ProcessRecord {
    pub const LEN: usize = 64 + Counters::LEN;

    pub fn name(&self) -> &str {
        name_str(&self.name)
    }

    pub fn encode(&self, out: &mut [u8]) {
        out[..NAME_LEN].copy_from_slice(&self.name);
        let fields = [
            self.id,
            self.state as u32,
            self.restarts,
            self.flash_start,
            self.flash_size,
            self.memory_start,
            self.memory_size,
            self.app_bytes,
            self.kernel_bytes,
            self.psram_grant_bytes,
            self.psram_grants,
            self.ports,
        ];
        for (i, v) in fields.iter().enumerate() {
            put_u32(out, NAME_LEN + 4 * i, *v);
        }
        self.net.encode(&mut out[64..]);
    }

    pub fn decode(buf: &[u8]) -> Option<ProcessRecord> {
        if buf.len() < Self::LEN {
            return None;
        }
        let f = |i: usize| get_u32(buf, NAME_LEN + 4 * i);
        let mut name = [0u8; NAME_LEN];
        name.copy_from_slice(&buf[..NAME_LEN]);
        Some(ProcessRecord {
            name,
            id: f(0),
            state: ProcessState::from_u32(f(1))?,
            restarts: f(2),
            flash_start: f(3),
            flash_size: f(4),
            memory_start: f(5),
            memory_size: f(6),
            app_bytes: f(7),
            kernel_bytes: f(8),
            psram_grant_bytes: f(9),
            psram_grants: f(10),
            ports: f(11),
            net: Counters::decode(&buf[64..])?,
        })
    }
}

/// One memory region: where it is, how big, how much is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegionRecord {
    pub name: [u8; NAME_LEN],
    pub start: u32,
    pub size: u32,
    pub used: u32,
}

impl RegionRecord {
    pub const LEN: usize = NAME_LEN + 12;

    pub fn name(&self) -> &str {
        name_str(&self.name)
    }

    pub fn encode(&self, out: &mut [u8]) {
        out[..NAME_LEN].copy_from_slice(&self.name);
        put_u32(out, NAME_LEN, self.start);
        put_u32(out, NAME_LEN + 4, self.size);
        put_u32(out, NAME_LEN + 8, self.used);
    }

    pub fn decode(buf: &[u8]) -> Option<RegionRecord> {
        if buf.len() < Self::LEN {
            return None;
        }
        let mut name = [0u8; NAME_LEN];
        name.copy_from_slice(&buf[..NAME_LEN]);
        Some(RegionRecord {
            name,
            start: get_u32(buf, NAME_LEN),
            size: get_u32(buf, NAME_LEN + 4),
            used: get_u32(buf, NAME_LEN + 8),
        })
    }
}

/// A name as a fixed field: truncated to [`NAME_LEN`] bytes, zero padded.
pub fn name_field(name: &str) -> [u8; NAME_LEN] {
    let mut out = [0u8; NAME_LEN];
    let n = name.len().min(NAME_LEN);
    out[..n].copy_from_slice(&name.as_bytes()[..n]);
    out
}

/// The text of a name field (up to the first zero; `?` if not UTF-8).
pub fn name_str(field: &[u8; NAME_LEN]) -> &str {
    let end = field.iter().position(|&b| b == 0).unwrap_or(NAME_LEN);
    core::str::from_utf8(&field[..end]).unwrap_or("?")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_record_round_trip() {
        let r = ProcessRecord {
            name: name_field("http"),
            id: 7,
            state: ProcessState::Yielded,
            restarts: 2,
            flash_start: 0x8004_0000,
            flash_size: 0x1_0000,
            memory_start: 0x8180_0000,
            memory_size: 0x8_0000,
            app_bytes: 0x1_2000,
            kernel_bytes: 0x5000,
            psram_grant_bytes: 0x4_0000,
            psram_grants: 3,
            ports: 1,
            net: Counters { rx_frames: 5, tx_refused: 1, ..Default::default() },
        };
        let mut buf = [0u8; ProcessRecord::LEN];
        r.encode(&mut buf);
        let back = ProcessRecord::decode(&buf).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.name(), "http");
    }

    #[test]
    fn bad_state_or_short_buffer_does_not_decode() {
        let mut buf = [0u8; ProcessRecord::LEN];
        put_u32(&mut buf, NAME_LEN + 4, 99);
        assert_eq!(ProcessRecord::decode(&buf), None);
        assert_eq!(ProcessRecord::decode(&buf[..10]), None);
    }

    #[test]
    fn names_truncate_and_pad() {
        assert_eq!(name_str(&name_field("a-very-long-process-name")), "a-very-long-proc");
        assert_eq!(name_str(&name_field("")), "");
        let r = RegionRecord { name: name_field("PSRAM"), start: 1, size: 2, used: 3 };
        let mut buf = [0u8; RegionRecord::LEN];
        r.encode(&mut buf);
        assert_eq!(RegionRecord::decode(&buf), Some(r));
    }
}
