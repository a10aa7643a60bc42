// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The figures `/api/status` (JSON) and `/metrics` (Prometheus) report,
//! collected once per request by this one function for both renderers.

use alloc::string::String;
use alloc::vec::Vec;

use libtock_runtime::TockSyscalls;
use proto_storage::VolumeStatus;
use system::{ProcessRecord, RegionRecord, SwitchCounters, SystemInfo};

use crate::site::{ResponseCounts, Site};

type Sys = SystemInfo<TockSyscalls>;

pub struct Snapshot {
    pub uptime_ms: u64,
    /// Instructions the CPU retired since reset, where the board counts them.
    pub instructions: Option<u64>,
    pub processes: Vec<ProcessRecord>,
    pub regions: Vec<RegionRecord>,
    /// The Ethernet switch's own counters (`None` if the kernel gave none).
    pub switch: Option<SwitchCounters>,
    pub volume: Volume,
    pub cache: CacheFigures,
    pub responses: ResponseCounts,
}

/// The eMMC volume, as the storage service reports it.
pub struct Volume {
    pub mounted: bool,
    /// The label when mounted; why not, otherwise.
    pub detail: String,
    pub total_bytes: Option<u64>,
    pub free_bytes: Option<u64>,
}

/// The HTTP server's in-memory copies of files (`cache`).
pub struct CacheFigures {
    pub bytes: u64,
    pub budget: u64,
    pub entries: u64,
    pub hits: u32,
}

fn volume(storage: &mut crate::Storage) -> Volume {
    let free = storage.free_space().ok();
    let (mounted, detail) = match storage.status() {
        Ok(VolumeStatus::Mounted { label, .. }) => (true, String::from(label.as_str())),
        Ok(VolumeStatus::NotMounted(why)) => (false, String::from(why.text())),
        Err(_) => (false, String::from("storage service not answering")),
    };
    Volume { mounted, detail, total_bytes: free.map(|f| f.total_bytes), free_bytes: free.map(|f| f.free_bytes) }
}

/// Reads the kernel's system information, the storage service's volume
/// state and the server's own figures.
pub fn collect(site: &mut Site<'_>) -> Snapshot {
    let processes = (0..Sys::process_count().unwrap_or(0)).filter_map(|i| Sys::process(i).ok()).collect();
    let regions = (0..).map_while(|i| Sys::region(i).ok()).collect();
    Snapshot {
        uptime_ms: Sys::uptime_ms().unwrap_or(0),
        instructions: Sys::instructions().ok(),
        processes,
        regions,
        switch: Sys::switch_counters().ok(),
        volume: volume(&mut site.storage),
        cache: CacheFigures {
            bytes: site.cache.bytes() as u64,
            budget: site.cache.budget() as u64,
            entries: site.cache.entries() as u64,
            hits: site.cache.hits(),
        },
        responses: site.responses,
    }
}
