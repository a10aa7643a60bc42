//! What the kernel does when a process faults: restart it and say so. A
//! faulting app never takes the kernel (or the other apps) down with it.
//!
//! A process that keeps faulting (a crash loop: [`LOOP_FAULTS`] faults
//! within [`LOOP_WINDOW_MS`]) is stopped instead, so it cannot flood the
//! console or eat the CPU the other apps need; the process console's
//! `terminate <name>` then `boot <name>` starts it again.

use core::cell::Cell;

use capsules_sysinfo::Uptime;
use kernel::debug;
use kernel::process::{FaultAction, Process, ProcessFaultPolicy};
use kernel::utilities::cells::OptionalCell;

/// Faults within [`LOOP_WINDOW_MS`] that make a crash loop.
pub const LOOP_FAULTS: u32 = 20;
pub const LOOP_WINDOW_MS: u64 = 10_000;

#[derive(Clone, Copy)]
struct Record {
    name: &'static str,
    window_start: u64,
    faults: u32,
}

/// The policy; `TRACKED` is the board's number of process slots.
pub struct RestartOnFault<const TRACKED: usize> {
    clock: OptionalCell<&'static dyn Uptime>,
    records: [Cell<Option<Record>>; TRACKED],
}

impl<const TRACKED: usize> RestartOnFault<TRACKED> {
    pub const fn new() -> Self {
        RestartOnFault { clock: OptionalCell::empty(), records: [const { Cell::new(None) }; TRACKED] }
    }

    pub fn set_clock(&self, clock: &'static dyn Uptime) {
        self.clock.set(clock);
    }

    /// Counts a fault of `name` now; returns the faults in the current window.
    fn count(&self, name: &'static str, now: u64) -> u32 {
        let slot = self
            .records
            .iter()
            .find(|r| r.get().is_some_and(|r| r.name == name))
            .or_else(|| self.records.iter().find(|r| r.get().is_none()))
            .unwrap_or(&self.records[0]);
        let mut r = match slot.get() {
            Some(r) if r.name == name && now.saturating_sub(r.window_start) < LOOP_WINDOW_MS => r,
            _ => Record { name, window_start: now, faults: 0 },
        };
        r.faults += 1;
        slot.set(Some(r));
        r.faults
    }
}

impl<const TRACKED: usize> Default for RestartOnFault<TRACKED> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const TRACKED: usize> ProcessFaultPolicy for RestartOnFault<TRACKED> {
    fn action(&self, process: &dyn Process) -> FaultAction {
        let name = process.get_process_name();
        let now = self.clock.map_or(0, |c| c.uptime_ms());
        let faults = self.count(name, now);
        if faults >= LOOP_FAULTS {
            debug!(
                "fault: process {} faulted {} times in {} s: stopped (terminate {} then boot {} to start it again)",
                name,
                faults,
                LOOP_WINDOW_MS / 1000,
                name,
                name
            );
            return FaultAction::Stop;
        }
        debug!("fault: process {} faulted; restarting it (restart #{})", name, process.get_restart_count() + 1);
        FaultAction::Restart
    }
}
