//! System information for userspace: what runs where, and how much it uses.
//!
//! Read-only figures for the dashboard and status APIs. Other capsules
//! contribute through small traits ([`NetStats`], [`PsramStats`]); the board
//! supplies the memory regions and the clock.
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
//!
//! ### Allows
//! - read-write `0`: buffer receiving a record.

#![no_std]
#![forbid(unsafe_code)]

use kernel::capabilities::ProcessManagementCapability;
use kernel::grant::{AllowRoCount, AllowRwCount, Grant, UpcallCount};
use kernel::process::{Process, State};
use kernel::processbuffer::WriteableProcessBuffer;
use kernel::syscall::{CommandReturn, SyscallDriver};
use kernel::{ErrorCode, ProcessId};
use syscall_abi::net::{Counters, SwitchCounters};
use syscall_abi::sysinfo::{allow_rw, command, name_field, ProcessRecord, ProcessState, RegionRecord};

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
    apps: Grant<(), UpcallCount<0>, AllowRoCount<0>, AllowRwCount<{ allow_rw::COUNT }>>,
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
        SystemInfo { kernel, capability, clock, regions, net: None, psram: None, apps }
    }

    pub fn set_net(&mut self, net: &'static dyn NetStats) {
        self.net = Some(net);
    }

    pub fn set_psram(&mut self, psram: &'static dyn PsramStats) {
        self.psram = Some(psram);
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
            _ => CommandReturn::failure(ErrorCode::NOSUPPORT),
        }
    }

    fn allocate_grant(&self, pid: ProcessId) -> Result<(), kernel::process::Error> {
        self.apps.enter(pid, |_, _| {})
    }
}
