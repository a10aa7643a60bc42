// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The capsules' figures, as the system-information capsule and the
//! process printer read them.

use capsules_net::EthernetSwitch;
use capsules_psram::PsramGrants;
use capsules_sysinfo::{NetStats, PsramStats};
use kernel::capabilities::ProcessManagementCapability;
use kernel::hil::ethernet::EthernetAdapterDatapath;
use kernel::ProcessId;
use syscall_abi::net::{Counters, SwitchCounters};

/// The PSRAM grants, with the pool's size besides what sysinfo reads.
pub trait GrantFigures: PsramStats {
    fn pool_size(&self) -> u32;
}

/// Lets the system-information capsule and the printer read the PSRAM grants.
pub struct GrantStats<C: ProcessManagementCapability + 'static>(pub &'static PsramGrants<C>);

impl<C: ProcessManagementCapability> PsramStats for GrantStats<C> {
    fn process_grants(&self, pid: ProcessId) -> (u32, u32) {
        let (bytes, n) = self.0.held(pid);
        (bytes as u32, n as u32)
    }
    fn pool_used(&self) -> u32 {
        self.0.used() as u32
    }
}

impl<C: ProcessManagementCapability> GrantFigures for GrantStats<C> {
    fn pool_size(&self) -> u32 {
        self.0.pool_bytes() as u32
    }
}

/// Lets the system-information capsule and the printer read the switch's counters.
pub struct SwitchStats<
    E: EthernetAdapterDatapath<'static> + 'static,
    const RXQ: usize,
    const TXQ: usize,
    const NTX: usize,
>(pub &'static EthernetSwitch<'static, E, RXQ, TXQ, NTX>);

impl<E: EthernetAdapterDatapath<'static>, const RXQ: usize, const TXQ: usize, const NTX: usize> NetStats
    for SwitchStats<E, RXQ, TXQ, NTX>
{
    fn switch_counters(&self) -> SwitchCounters {
        self.0.switch_counters()
    }
    fn process_counters(&self, pid: ProcessId) -> Option<(Counters, u32)> {
        self.0.process_counters(pid)
    }
}
