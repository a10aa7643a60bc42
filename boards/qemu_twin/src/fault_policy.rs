//! What the kernel does when a process faults: restart it and say so. A
//! faulting app never takes the kernel (or the other apps) down with it.

use kernel::debug;
use kernel::process::{FaultAction, Process, ProcessFaultPolicy};

pub struct RestartOnFault;

pub static RESTART_ON_FAULT: RestartOnFault = RestartOnFault;

impl ProcessFaultPolicy for RestartOnFault {
    fn action(&self, process: &dyn Process) -> FaultAction {
        debug!(
            "fault: process {} faulted; restarting it (restart #{})",
            process.get_process_name(),
            process.get_restart_count() + 1
        );
        FaultAction::Restart
    }
}
