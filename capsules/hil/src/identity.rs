//! Which app a process is, for capsules that decide by app name (the block
//! device's access list, the sender of an IPC message).
//!
//! Capsules cannot read process names themselves (that needs a capability
//! only the board can mint), so the board hands them a [`ProcessIdentity`].

use kernel::capabilities::ProcessManagementCapability;
use kernel::ProcessId;

pub trait ProcessIdentity {
    /// The app name of a live process; `None` once it has exited or
    /// restarted (its `ProcessId` is then stale).
    fn app_name(&self, pid: ProcessId) -> Option<&'static str>;
}

/// Reads names from the kernel's process table.
pub struct KernelProcessIdentity<C: ProcessManagementCapability> {
    kernel: &'static kernel::Kernel,
    capability: C,
}

impl<C: ProcessManagementCapability> KernelProcessIdentity<C> {
    pub fn new(kernel: &'static kernel::Kernel, capability: C) -> Self {
        KernelProcessIdentity { kernel, capability }
    }
}

impl<C: ProcessManagementCapability> ProcessIdentity for KernelProcessIdentity<C> {
    fn app_name(&self, pid: ProcessId) -> Option<&'static str> {
        self.kernel.process_map_or_external(None, pid, |p| Some(p.get_process_name()), &self.capability)
    }
}
