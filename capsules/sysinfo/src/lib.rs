//! System information for userspace: what runs where, and how much it uses.
//!
//! Read-only figures for the dashboard and status APIs. Other capsules
//! contribute through small traits ([`NetStats`], [`PsramStats`]); the board
//! supplies the memory regions and the clock. One writable thing: each app's
//! restart note, a word the kernel keeps across that app's restarts.
//!
//! Syscall interface
//! -----------------
//!
//! Driver number `0x8000_0005`.
//!
//! ### Commands
//! - `0`: driver present. Success.
//! - `1`: uptime: success with `(milliseconds low, high)` `u32`s.
//! - `2`: number of processes: success with the count.
//! - `3`: process `index`: writes its record (see `syscall_abi::sysinfo::
//!   ProcessRecord`) into read-write allow 0. Success; `INVAL` if there is
//!   no such process; `SIZE` if the allow is too short.
//! - `4`: memory region `index`: writes its record (`RegionRecord`) into
//!   read-write allow 0. Success; `INVAL` past the last region; `SIZE` as
//!   above.
//! - `5`: switch counters: writes `SwitchCounters` into read-write allow 0.
//!   Success; `NODEVICE` without a network card.
//! - `6`: read the caller's restart note: success with the `u32` (0 if the
//!   app never set one).
//! - `7`: set the caller's restart note to `arg1`. Success; `NOMEM` when
//!   notes are kept for `RESTART_NOTES` apps already and this is another.
//! - `8`: instructions the CPU retired since reset: success with `(low,
//!   high)` `u32`s; `NOSUPPORT` where the board has no such counter. Exact
//!   on the QEMU twin run with `-icount shift=0` (`make bench`).
//!
//! ### Restart notes
//! A process's memory does not survive its restart, so the kernel keeps one
//! `u32` per app for it, keyed by app name (the process id changes on
//! restart). The meaning is the app's: `storage` sets a bit before it runs
//! volume code and clears it after, so its next instance knows whether the
//! last one died inside volume code. Notes live in kernel RAM: a reboot
//! clears them all; a process terminated and booted from the console keeps
//! its note.
//!
//! ### Allows
//! - read-write `0`: buffer receiving a record.

#![no_std]
#![forbid(unsafe_code)]

use core::cell::Cell;

use kernel::capabilities::ProcessManagementCapability;
use kernel::grant::{AllowRoCount, AllowRwCount, Grant, UpcallCount};
use kernel::process::{Process, State};
use kernel::processbuffer::WriteableProcessBuffer;
use kernel::syscall::{CommandReturn, SyscallDriver};
use kernel::{ErrorCode, ProcessId};
use syscall_abi::net::{Counters, SwitchCounters};
use syscall_abi::sysinfo::{allow_rw, command, name_field, ProcessRecord, ProcessState, RegionRecord, RESTART_NOTES};

pub use syscall_abi::sysinfo::DRIVER_NUM;

/// Milliseconds since boot, from the board's clock.
pub trait Uptime {
    fn uptime_ms(&self) -> u64;
}

/// Network figures, from the Ethernet switch.
pub trait NetStats {
    fn switch_counters(&self) -> SwitchCounters;
    /// A process's counters and the number of ports it holds.
    fn process_counters(&self, pid: ProcessId) -> Option<(Counters, u32)>;
}

/// Run-time PSRAM grants, from the PSRAM capsule.
pub trait PsramStats {
    /// Bytes and number of grants a process holds.
    fn process_grants(&self, pid: ProcessId) -> (u32, u32);
    /// Bytes of the grant pool in use.
    fn pool_used(&self) -> u32;
}

/// How a region's use is known.
#[derive(Clone, Copy)]
pub enum Use {
    /// Fixed at build time (kernel code, kernel RAM, DMA buffers).
    Fixed(u32),
    /// The flash of the loaded processes.
    ProcessFlash,
    /// The memory blocks of the loaded processes, plus the PSRAM grants.
    ProcessMemory,
}

/// A memory region the board reports.
#[derive(Clone, Copy)]
pub struct Region {
    pub name: &'static str,
    pub start: u32,
    pub size: u32,
    pub used: Use,
}

pub struct SystemInfo<C: ProcessManagementCapability + 'static> {
    kernel: &'static kernel::Kernel,
    capability: C,
    clock: &'static dyn Uptime,
    regions: &'static [Region],
    net: Option<&'static dyn NetStats>,
    psram: Option<&'static dyn PsramStats>,
    instructions: Option<&'static dyn hil_ext::counter::InstructionCounter>,
    apps: Grant<(), UpcallCount<0>, AllowRoCount<0>, AllowRwCount<{ allow_rw::COUNT }>>,
    notes: RestartNotes,
}

/// One word per app name, kept across restarts (see "Restart notes").
struct RestartNotes {
    slots: [Cell<Option<(&'static str, u32)>>; RESTART_NOTES],
}

impl RestartNotes {
    fn new() -> Self {
        RestartNotes { slots: core::array::from_fn(|_| Cell::new(None)) }
    }

    fn get(&self, app: &str) -> u32 {
        self.slots.iter().find_map(|s| s.get().filter(|(n, _)| *n == app)).map_or(0, |(_, v)| v)
    }

    fn set(&self, app: &'static str, value: u32) -> Result<(), ErrorCode> {
        let slot = self
            .slots
            .iter()
            .find(|s| s.get().is_some_and(|(n, _)| n == app))
            .or_else(|| self.slots.iter().find(|s| s.get().is_none()))
            .ok_or(ErrorCode::NOMEM)?;
        slot.set(Some((app, value)));
        Ok(())
    }
}

fn state(p: &dyn Process) -> ProcessState {
    match p.get_state() {
        State::Running => ProcessState::Running,
        State::Yielded | State::YieldedFor(_) => ProcessState::Yielded,
        State::Stopped(_) => ProcessState::Stopped,
        State::Faulted => ProcessState::Faulted,
        State::Terminated => ProcessState::Terminated,
    }
}

impl<C: ProcessManagementCapability> SystemInfo<C> {
    pub fn new(
        kernel: &'static kernel::Kernel,
        capability: C,
        clock: &'static dyn Uptime,
        regions: &'static [Region],
        apps: Grant<(), UpcallCount<0>, AllowRoCount<0>, AllowRwCount<{ allow_rw::COUNT }>>,
    ) -> Self {
        SystemInfo {
            kernel,
            capability,
            clock,
            regions,
            net: None,
            psram: None,
            instructions: None,
            apps,
            notes: RestartNotes::new(),
        }
    }

    pub fn set_net(&mut self, net: &'static dyn NetStats) {
        self.net = Some(net);
    }

    pub fn set_psram(&mut self, psram: &'static dyn PsramStats) {
        self.psram = Some(psram);
    }

    pub fn set_instruction_counter(&mut self, counter: &'static dyn hil_ext::counter::InstructionCounter) {
        self.instructions = Some(counter);
    }

    fn record(&self, p: &dyn Process) -> ProcessRecord {
        let a = p.get_addresses();
        let pid = p.processid();
        let (net, ports) = self.net.and_then(|n| n.process_counters(pid)).unwrap_or((Counters::default(), 0));
        let (grant_bytes, grants) = self.psram.map_or((0, 0), |ps| ps.process_grants(pid));
        ProcessRecord {
            name: name_field(p.get_process_name()),
            id: pid.id() as u32,
            state: state(p),
            restarts: p.get_restart_count() as u32,
            flash_start: a.flash_start as u32,
            flash_size: (a.flash_end - a.flash_start) as u32,
            memory_start: a.sram_start as u32,
            memory_size: (a.sram_end - a.sram_start) as u32,
            app_bytes: (a.sram_app_brk - a.sram_start) as u32,
            kernel_bytes: (a.sram_end - a.sram_grant_start) as u32,
            psram_grant_bytes: grant_bytes,
            psram_grants: grants,
            ports,
            net,
        }
    }

    fn region_used(&self, region: &Region) -> u32 {
        match region.used {
            Use::Fixed(u) => u,
            Use::ProcessFlash => self
                .kernel
                .process_iter_capability(&self.capability)
                .map(|p| {
                    let a = p.get_addresses();
                    (a.flash_end - a.flash_start) as u32
                })
                .sum(),
            Use::ProcessMemory => {
                let blocks: u32 = self
                    .kernel
                    .process_iter_capability(&self.capability)
                    .map(|p| {
                        let a = p.get_addresses();
                        (a.sram_end - a.sram_start) as u32
                    })
                    .sum();
                blocks + self.psram.map_or(0, |ps| ps.pool_used())
            }
        }
    }

    /// The app name of a process, which its restarts keep.
    fn app_name(&self, pid: ProcessId) -> Option<&'static str> {
        self.kernel
            .process_iter_capability(&self.capability)
            .find(|p| p.processid() == pid)
            .map(|p| p.get_process_name())
    }

    /// Writes `record` (encoded by `encode`) into the process's allow 0.
    fn write(&self, pid: ProcessId, len: usize, encode: impl FnOnce(&mut [u8])) -> CommandReturn {
        let mut buf = [0u8; ProcessRecord::LEN];
        encode(&mut buf[..len]);
        self.apps
            .enter(pid, |_, kernel_data| {
                kernel_data
                    .get_readwrite_processbuffer(allow_rw::RECORD as usize)
                    .and_then(|out| {
                        out.mut_enter(|out| match out.get(..len) {
                            Some(out) => {
                                out.copy_from_slice(&buf[..len]);
                                CommandReturn::success()
                            }
                            None => CommandReturn::failure(ErrorCode::SIZE),
                        })
                    })
                    .unwrap_or(CommandReturn::failure(ErrorCode::INVAL))
            })
            .unwrap_or_else(|e| CommandReturn::failure(e.into()))
    }
}

impl<C: ProcessManagementCapability> SyscallDriver for SystemInfo<C> {
    fn command(&self, cmd: usize, arg1: usize, _arg2: usize, pid: ProcessId) -> CommandReturn {
        match cmd as u32 {
            command::EXISTS => CommandReturn::success(),
            command::UPTIME => {
                let ms = self.clock.uptime_ms();
                CommandReturn::success_u32_u32(ms as u32, (ms >> 32) as u32)
            }
            command::PROCESS_COUNT => {
                CommandReturn::success_u32(self.kernel.process_iter_capability(&self.capability).count() as u32)
            }
            command::PROCESS => {
                let Some(p) = self.kernel.process_iter_capability(&self.capability).nth(arg1) else {
                    return CommandReturn::failure(ErrorCode::INVAL);
                };
                let record = self.record(p);
                self.write(pid, ProcessRecord::LEN, |out| record.encode(out))
            }
            command::REGION => {
                let Some(region) = self.regions.get(arg1) else {
                    return CommandReturn::failure(ErrorCode::INVAL);
                };
                let record = RegionRecord {
                    name: name_field(region.name),
                    start: region.start,
                    size: region.size,
                    used: self.region_used(region),
                };
                self.write(pid, RegionRecord::LEN, |out| record.encode(out))
            }
            command::SWITCH => match self.net {
                Some(net) => {
                    let counters = net.switch_counters();
                    self.write(pid, SwitchCounters::LEN, |out| counters.encode(out))
                }
                None => CommandReturn::failure(ErrorCode::NODEVICE),
            },
            command::RESTART_NOTE_GET => match self.app_name(pid) {
                Some(app) => CommandReturn::success_u32(self.notes.get(app)),
                None => CommandReturn::failure(ErrorCode::FAIL),
            },
            command::RESTART_NOTE_SET => match self.app_name(pid) {
                Some(app) => self.notes.set(app, arg1 as u32).into(),
                None => CommandReturn::failure(ErrorCode::FAIL),
            },
            command::INSTRUCTIONS => match self.instructions.and_then(|c| c.instructions()) {
                Some(n) => CommandReturn::success_u32_u32(n as u32, (n >> 32) as u32),
                None => CommandReturn::failure(ErrorCode::NOSUPPORT),
            },
            _ => CommandReturn::failure(ErrorCode::NOSUPPORT),
        }
    }

    fn allocate_grant(&self, pid: ProcessId) -> Result<(), kernel::process::Error> {
        self.apps.enter(pid, |_, _| {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_notes_are_kept_per_app_name() {
        let notes = RestartNotes::new();
        assert_eq!(notes.get("storage"), 0, "never set reads as 0");
        notes.set("storage", 0x103).unwrap();
        notes.set("http", 7).unwrap();
        notes.set("storage", 0x104).unwrap();
        assert_eq!((notes.get("storage"), notes.get("http")), (0x104, 7));
        assert_eq!(notes.slots.iter().filter(|s| s.get().is_some()).count(), 2);
    }

    #[test]
    fn a_full_table_refuses_new_apps_but_not_known_ones() {
        const NAMES: [&str; RESTART_NOTES] = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
        let notes = RestartNotes::new();
        for (i, n) in NAMES.iter().enumerate() {
            notes.set(n, i as u32).unwrap();
        }
        assert_eq!(notes.set("k", 1), Err(ErrorCode::NOMEM));
        assert_eq!(notes.get("k"), 0);
        notes.set("j", 99).unwrap();
        assert_eq!(notes.get("j"), 99);
    }
}
