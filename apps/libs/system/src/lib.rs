//! System information from the kernel (`capsules/sysinfo`): what runs
//! where, and how much it uses.
//!
//! Syscall interface
//! -----------------
//!
//! Written once, at the top of the capsule: `capsules/sysinfo/src/lib.rs`
//! (commands, allows, upcalls, errors). The numbers come from
//! `syscall-abi` (`capsules/abi`), which the kernel uses too.

#![no_std]

use core::marker::PhantomData;

use libtock_platform::allow_rw::AllowRw;
use libtock_platform::{share, DefaultConfig, ErrorCode, Syscalls};
use syscall_abi::sysinfo::{allow_rw, command, DRIVER_NUM as DRIVER};

pub use syscall_abi::net::{Counters, SwitchCounters};
pub use syscall_abi::sysinfo::{ProcessRecord, ProcessState, RegionRecord};

const DRIVER_NUM: u32 = DRIVER as u32;

pub struct SystemInfo<S: Syscalls>(PhantomData<S>);

impl<S: Syscalls> SystemInfo<S> {
    pub fn exists() -> bool {
        S::command(DRIVER_NUM, command::EXISTS, 0, 0).is_success()
    }

    /// Milliseconds since the kernel booted.
    pub fn uptime_ms() -> Result<u64, ErrorCode> {
        let (lo, hi): (u32, u32) = S::command(DRIVER_NUM, command::UPTIME, 0, 0).to_result()?;
        Ok((hi as u64) << 32 | lo as u64)
    }

    /// Instructions the CPU retired since reset (`NoSupport` where the
    /// board cannot count them; exact on the twin under `-icount`).
    pub fn instructions() -> Result<u64, ErrorCode> {
        let (lo, hi): (u32, u32) = S::command(DRIVER_NUM, command::INSTRUCTIONS, 0, 0).to_result()?;
        Ok((hi as u64) << 32 | lo as u64)
    }

    pub fn process_count() -> Result<usize, ErrorCode> {
        S::command(DRIVER_NUM, command::PROCESS_COUNT, 0, 0).to_result::<u32, ErrorCode>().map(|n| n as usize)
    }

    /// The `index`-th process; `Err(Invalid)` past the last one.
    pub fn process(index: usize) -> Result<ProcessRecord, ErrorCode> {
        let mut buf = [0u8; ProcessRecord::LEN];
        Self::fetch(command::PROCESS, index, &mut buf)?;
        ProcessRecord::decode(&buf).ok_or(ErrorCode::Fail)
    }

    /// The `index`-th memory region; `Err(Invalid)` past the last one.
    pub fn region(index: usize) -> Result<RegionRecord, ErrorCode> {
        let mut buf = [0u8; RegionRecord::LEN];
        Self::fetch(command::REGION, index, &mut buf)?;
        RegionRecord::decode(&buf).ok_or(ErrorCode::Fail)
    }

    /// The Ethernet switch's own counters.
    pub fn switch_counters() -> Result<SwitchCounters, ErrorCode> {
        let mut buf = [0u8; SwitchCounters::LEN];
        Self::fetch(command::SWITCH, 0, &mut buf)?;
        SwitchCounters::decode(&buf).ok_or(ErrorCode::Fail)
    }

    /// This app's restart note: a word the kernel keeps across its restarts (0 until set).
    pub fn restart_note() -> Result<u32, ErrorCode> {
        S::command(DRIVER_NUM, command::RESTART_NOTE_GET, 0, 0).to_result()
    }

    /// Sets this app's restart note; its next instance reads it back.
    pub fn set_restart_note(note: u32) -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::RESTART_NOTE_SET, note, 0).to_result()
    }

    fn fetch(cmd: u32, arg: usize, buf: &mut [u8]) -> Result<(), ErrorCode> {
        share::scope::<AllowRw<_, DRIVER_NUM, { allow_rw::RECORD }>, _, _>(|handle| {
            S::allow_rw::<DefaultConfig, DRIVER_NUM, { allow_rw::RECORD }>(handle, buf)?;
            S::command(DRIVER_NUM, cmd, arg as u32, 0).to_result::<(), ErrorCode>()
        })
    }
}
