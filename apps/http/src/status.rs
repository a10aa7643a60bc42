//! `/api/status`: the figures of a `snapshot` as JSON.

use alloc::string::String;
use alloc::vec::Vec;

use miniserde::Serialize;

use crate::snapshot;

#[derive(Serialize)]
struct Status {
    uptime_ms: u64,
    /// Instructions retired since reset (`null` where not counted).
    instructions: Option<u64>,
    processes: Vec<Process>,
    memory: Vec<Region>,
    network: Option<Network>,
    volume: Volume,
    file_cache: FileCacheStats,
}

/// The HTTP server's in-memory copies of files (`cache`).
#[derive(Serialize)]
struct FileCacheStats {
    bytes: u64,
    budget: u64,
    hits: u32,
}

/// The eMMC volume, as the storage service reports it.
#[derive(Serialize)]
struct Volume {
    mounted: bool,
    /// The label when mounted; why not, otherwise.
    detail: String,
    total_bytes: Option<u64>,
    free_bytes: Option<u64>,
}

#[derive(Serialize)]
struct Process {
    name: String,
    id: u32,
    state: String,
    restarts: u32,
    flash: Span,
    memory: Memory,
    net: ProcessNet,
}

#[derive(Serialize)]
struct Span {
    start: u32,
    size: u32,
}

#[derive(Serialize)]
struct Memory {
    start: u32,
    size: u32,
    /// Stack, data and heap up to the break.
    app: u32,
    /// Grants, upcall queue and process control block.
    kernel: u32,
    psram_grants: u32,
    psram_grant_bytes: u32,
}

#[derive(Serialize)]
struct ProcessNet {
    ports: u32,
    rx_frames: u32,
    rx_bytes: u32,
    rx_dropped: u32,
    tx_frames: u32,
    tx_bytes: u32,
    tx_dropped: u32,
    tx_refused: u32,
}

#[derive(Serialize)]
struct Region {
    name: String,
    start: u32,
    size: u32,
    used: u32,
}

#[derive(Serialize)]
struct Network {
    rx_frames: u32,
    rx_bytes: u32,
    tx_frames: u32,
    rx_unbound: u32,
    rx_ignored: u32,
    arp_replies: u32,
    icmp_echo_replies: u32,
    tx_dropped: u32,
}

/// The status document, as JSON bytes.
pub fn render(site: &mut crate::site::Site<'_>) -> Vec<u8> {
    let snap = snapshot::collect(site);
    let processes = snap
        .processes
        .iter()
        .map(|p| Process {
            name: p.name().into(),
            id: p.id,
            state: p.state.as_str().into(),
            restarts: p.restarts,
            flash: Span { start: p.flash_start, size: p.flash_size },
            memory: Memory {
                start: p.memory_start,
                size: p.memory_size,
                app: p.app_bytes,
                kernel: p.kernel_bytes,
                psram_grants: p.psram_grants,
                psram_grant_bytes: p.psram_grant_bytes,
            },
            net: ProcessNet {
                ports: p.ports,
                rx_frames: p.net.rx_frames,
                rx_bytes: p.net.rx_bytes,
                rx_dropped: p.net.rx_dropped,
                tx_frames: p.net.tx_frames,
                tx_bytes: p.net.tx_bytes,
                tx_dropped: p.net.tx_dropped,
                tx_refused: p.net.tx_refused,
            },
        })
        .collect();
    let memory = snap
        .regions
        .iter()
        .map(|r| Region { name: r.name().into(), start: r.start, size: r.size, used: r.used })
        .collect();
    let network = snap.switch.map(|s| Network {
        rx_frames: s.rx_frames,
        rx_bytes: s.rx_bytes,
        tx_frames: s.tx_frames,
        rx_unbound: s.rx_unbound,
        rx_ignored: s.rx_ignored,
        arp_replies: s.arp_replies,
        icmp_echo_replies: s.icmp_echo_replies,
        tx_dropped: s.tx_dropped,
    });
    let v = snap.volume;
    let status = Status {
        uptime_ms: snap.uptime_ms,
        instructions: snap.instructions,
        processes,
        memory,
        network,
        volume: Volume { mounted: v.mounted, detail: v.detail, total_bytes: v.total_bytes, free_bytes: v.free_bytes },
        file_cache: FileCacheStats { bytes: snap.cache.bytes, budget: snap.cache.budget, hits: snap.cache.hits },
    };
    miniserde::json::to_string(&status).into_bytes()
}
