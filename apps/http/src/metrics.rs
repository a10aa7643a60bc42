// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! `/metrics`: the figures of a `snapshot` in the Prometheus text format.
//!
//! Kernel figures are `tock_*`, the storage service's `storage_*`, this
//! server's own `http_*`. The kernel's counters are 32-bit and restart with
//! their process; Prometheus takes a decrease for a counter reset.

use alloc::vec::Vec;

use proto_http::metrics::{Exposition, InvalidMetric, MetricType, Sink, Value};
use system::{ProcessRecord, ProcessState, SwitchCounters};

use crate::snapshot::{self, Snapshot};

use MetricType::{Counter, Gauge};

struct Text<'v>(&'v mut Vec<u8>);

impl Sink for Text<'_> {
    fn put(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
}

/// A per-process family: name, type, help, and the figure.
type ProcessFamily = (&'static str, MetricType, &'static str, fn(&ProcessRecord) -> u32);

const PROCESS: [ProcessFamily; 14] = [
    ("tock_process_restarts_total", Counter, "Times the kernel restarted the process since boot.", |p| p.restarts),
    ("tock_process_memory_block_bytes", Gauge, "Size of the process's memory block in PSRAM.", |p| p.memory_size),
    ("tock_process_app_bytes", Gauge, "Bytes of its block the process uses: stack, data, heap up to its break.", |p| {
        p.app_bytes
    }),
    (
        "tock_process_kernel_bytes",
        Gauge,
        "Bytes of its block the kernel holds: grants, upcall queue, process control block.",
        |p| p.kernel_bytes,
    ),
    ("tock_process_psram_grants", Gauge, "Run-time PSRAM grants the process holds.", |p| p.psram_grants),
    ("tock_process_psram_grant_bytes", Gauge, "Bytes of the run-time PSRAM grants the process holds.", |p| {
        p.psram_grant_bytes
    }),
    ("tock_process_ports", Gauge, "TCP and UDP ports the process has bound.", |p| p.ports),
    ("tock_process_network_rx_frames_total", Counter, "Frames the switch queued for the process.", |p| p.net.rx_frames),
    ("tock_process_network_rx_bytes_total", Counter, "Bytes of the frames the switch queued for the process.", |p| {
        p.net.rx_bytes
    }),
    (
        "tock_process_network_rx_dropped_frames_total",
        Counter,
        "Frames for the process dropped because its receive queue was full.",
        |p| p.net.rx_dropped,
    ),
    ("tock_process_network_tx_frames_total", Counter, "Frames the process sent.", |p| p.net.tx_frames),
    ("tock_process_network_tx_bytes_total", Counter, "Bytes of the frames the process sent.", |p| p.net.tx_bytes),
    (
        "tock_process_network_tx_dropped_frames_total",
        Counter,
        "Frames dropped because the process's transmit queue was full.",
        |p| p.net.tx_dropped,
    ),
    (
        "tock_process_network_tx_refused_frames_total",
        Counter,
        "Frames refused: not from a port the process bound, or not from the board's addresses.",
        |p| p.net.tx_refused,
    ),
];

type SwitchFamily = (&'static str, &'static str, fn(&SwitchCounters) -> u32);

const SWITCH: [SwitchFamily; 8] = [
    ("tock_switch_rx_frames_total", "Frames the switch received from the NIC.", |s| s.rx_frames),
    ("tock_switch_rx_bytes_total", "Bytes of the frames the switch received from the NIC.", |s| s.rx_bytes),
    ("tock_switch_tx_frames_total", "Frames the switch sent to the NIC (processes' and the kernel's).", |s| {
        s.tx_frames
    }),
    ("tock_switch_rx_unbound_frames_total", "Frames for a TCP or UDP port no process bound.", |s| s.rx_unbound),
    ("tock_switch_rx_ignored_frames_total", "Frames not for the board or that could not be parsed.", |s| s.rx_ignored),
    ("tock_switch_arp_replies_total", "ARP requests for the board's address the kernel answered.", |s| s.arp_replies),
    ("tock_switch_icmp_echo_replies_total", "ICMP echo requests the kernel answered.", |s| s.icmp_echo_replies),
    ("tock_switch_tx_dropped_frames_total", "Replies the kernel could not send (all transmit buffers busy).", |s| {
        s.tx_dropped
    }),
];

const STATES: [ProcessState; 5] = [
    ProcessState::Running,
    ProcessState::Yielded,
    ProcessState::Stopped,
    ProcessState::Faulted,
    ProcessState::Terminated,
];

const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// The exposition; `None` only if a name here breaks the format's rules.
pub fn render(site: &mut crate::site::Site<'_>) -> Option<Vec<u8>> {
    let snap = snapshot::collect(site);
    let mut out = Vec::new();
    write(&mut Exposition::new(Text(&mut out)), &snap).ok()?;
    Some(out)
}

fn int(n: impl Into<u64>) -> Value {
    Value::Int(n.into())
}

fn write(e: &mut Exposition<'_, Text<'_>>, snap: &Snapshot) -> Result<(), InvalidMetric> {
    e.family("tock_uptime_seconds", Gauge, "Time since the kernel booted.")?;
    e.sample(&[], Value::Millis(snap.uptime_ms))?;

    if let Some(n) = snap.instructions {
        e.family("tock_instructions_retired_total", Counter, "Instructions the CPU retired since reset.")?;
        e.sample(&[], int(n))?;
    }

    e.family("tock_process_state", Gauge, "1 for the state the process is in, 0 for the others.")?;
    for p in &snap.processes {
        for state in STATES {
            let labels = [("process", p.name()), ("state", state.as_str())];
            e.sample(&labels, int(u32::from(p.state == state)))?;
        }
    }
    for (name, kind, help, figure) in PROCESS {
        e.family(name, kind, help)?;
        for p in &snap.processes {
            e.sample(&[("process", p.name())], int(figure(p)))?;
        }
    }
    if let Some(switch) = &snap.switch {
        for (name, help, figure) in SWITCH {
            e.family(name, Counter, help)?;
            e.sample(&[], int(figure(switch)))?;
        }
    }

    e.family("tock_memory_region_size_bytes", Gauge, "Size of each memory region.")?;
    for r in &snap.regions {
        e.sample(&[("region", r.name())], int(r.size))?;
    }
    e.family("tock_memory_region_used_bytes", Gauge, "Bytes of each memory region in use.")?;
    for r in &snap.regions {
        e.sample(&[("region", r.name())], int(r.used))?;
    }

    let v = &snap.volume;
    e.family("storage_volume_mounted", Gauge, "1 if the storage service has the eMMC volume mounted.")?;
    e.sample(&[], int(u32::from(v.mounted)))?;
    if let (Some(total), Some(free)) = (v.total_bytes, v.free_bytes) {
        e.family("storage_volume_size_bytes", Gauge, "Size of the eMMC volume.")?;
        e.sample(&[], int(total))?;
        e.family("storage_volume_free_bytes", Gauge, "Free bytes of the eMMC volume.")?;
        e.sample(&[], int(free))?;
    }

    e.family("http_requests_total", Counter, "Responses the HTTP server started, by status class.")?;
    for (class, n) in CLASSES.iter().zip(snap.responses.by_class()) {
        e.sample(&[("code", class)], int(n))?;
    }
    let c = &snap.cache;
    e.family("http_file_cache_size_bytes", Gauge, "Size of the file cache's PSRAM grant.")?;
    e.sample(&[], int(c.budget))?;
    e.family("http_file_cache_used_bytes", Gauge, "Bytes of the file cache in use.")?;
    e.sample(&[], int(c.bytes))?;
    e.family("http_file_cache_files", Gauge, "Files kept in the file cache.")?;
    e.sample(&[], int(c.entries))?;
    e.family("http_file_cache_hits_total", Counter, "Requests answered from the file cache.")?;
    e.sample(&[], int(c.hits))?;
    Ok(())
}
