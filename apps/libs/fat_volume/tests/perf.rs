//! Device requests for a 10 MiB sequential write and read, per cache size.
//!
//! Prints a table (run with `--nocapture`); the README quotes it. The only
//! assertions guard the default cache against regressions.

mod common;

use common::*;
use fat_volume::{FatVolume, NoClock, Options, DEFAULT_CACHE_BLOCKS};
use proto_storage::{OpenMode, VolumeStats};

const SIZE: usize = 10 << 20;

fn delta(after: VolumeStats, before: VolumeStats) -> VolumeStats {
    VolumeStats {
        device_reads: after.device_reads - before.device_reads,
        device_writes: after.device_writes - before.device_writes,
        bytes_read: after.bytes_read - before.bytes_read,
        bytes_written: after.bytes_written - before.bytes_written,
        cache_hits: after.cache_hits - before.cache_hits,
        cache_misses: after.cache_misses - before.cache_misses,
    }
}

fn mount_with(img: &std::path::Path, blocks: usize) -> FatVolume<FileDevice> {
    let options = Options { cache_blocks: blocks };
    FatVolume::mount_with(FileDevice::open(img), NoClock, options).map_err(|e| e.0).unwrap()
}

/// (write, read) request counts for one cache size on a fresh 64 MiB image.
fn measure(dir: &std::path::Path, blocks: usize) -> (VolumeStats, VolumeStats) {
    let img = fat32_image(dir, &format!("perf{blocks}.img"), 64);
    let data = pattern(SIZE, 42);
    let mut vol = mount_with(&img, blocks);
    let start = vol.stats();
    let h = vol.open(1, &p("/big.bin"), W).unwrap();
    for chunk in data.chunks(4096) {
        vol.write(1, h, chunk).unwrap();
    }
    vol.close(1, h).unwrap();
    let write = delta(vol.stats(), start);
    vol.unmount().map_err(|e| e.0).unwrap();

    // Cold cache for the read.
    let mut vol = mount_with(&img, blocks);
    let start = vol.stats();
    let h = vol.open(1, &p("/big.bin"), OpenMode::Read).unwrap();
    let mut buf = [0u8; 4096];
    let mut total = 0;
    loop {
        let n = vol.read(1, h, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        total += n;
    }
    vol.close(1, h).unwrap();
    let read = delta(vol.stats(), start);
    assert_eq!(total, SIZE);
    vol.unmount().map_err(|e| e.0).unwrap();
    assert_clean(&img);
    (write, read)
}

/// Device requests while two clients write 5 MiB each, chunks interleaved.
fn measure_two_streams(dir: &std::path::Path, blocks: usize) -> VolumeStats {
    let img = fat32_image(dir, &format!("two{blocks}.img"), 64);
    let data = pattern(SIZE / 2, 7);
    let mut vol = mount_with(&img, blocks);
    let start = vol.stats();
    let a = vol.open(1, &p("/a.bin"), W).unwrap();
    let b = vol.open(2, &p("/b.bin"), W).unwrap();
    for chunk in data.chunks(4096) {
        vol.write(1, a, chunk).unwrap();
        vol.write(2, b, chunk).unwrap();
    }
    vol.close(1, a).unwrap();
    vol.close(2, b).unwrap();
    let stats = delta(vol.stats(), start);
    vol.unmount().map_err(|e| e.0).unwrap();
    assert_clean(&img);
    stats
}

#[test]
fn two_interleaved_writers() {
    let dir = tempfile::tempdir().unwrap();
    println!("\nTwo clients writing 5 MiB each, 4 KiB chunks interleaved; ideal = 2560 writes");
    println!("| cache | dev writes | dev reads | MiB written |");
    println!("|---|---|---|---|");
    for blocks in [4, 8, 16] {
        let s = measure_two_streams(dir.path(), blocks);
        println!(
            "| {} × 4 KiB | {} | {} | {:.2} |",
            blocks,
            s.device_writes,
            s.device_reads,
            s.bytes_written as f64 / (1 << 20) as f64
        );
    }
}

#[test]
fn sequential_io_request_counts() {
    let dir = tempfile::tempdir().unwrap();
    println!("\n10 MiB in 4 KiB chunks, FAT32 64 MiB (512-byte clusters); ideal = 2560 requests of 4 KiB");
    println!("| cache | write: dev writes | dev reads | MiB written | read: dev reads | MiB read | hit rate (w / r) |");
    println!("|---|---|---|---|---|---|---|");
    let mut default = None;
    for blocks in [1, 2, 4, 8, 16, 32] {
        let (w, r) = measure(dir.path(), blocks);
        let rate = |s: &VolumeStats| 100.0 * s.cache_hits as f64 / (s.cache_hits + s.cache_misses) as f64;
        println!(
            "| {} × 4 KiB | {} | {} | {:.2} | {} | {:.2} | {:.1} % / {:.1} % |",
            blocks,
            w.device_writes,
            w.device_reads,
            w.bytes_written as f64 / (1 << 20) as f64,
            r.device_reads,
            r.bytes_read as f64 / (1 << 20) as f64,
            rate(&w),
            rate(&r),
        );
        if blocks == DEFAULT_CACHE_BLOCKS {
            default = Some((w, r));
        }
    }
    let (w, r) = default.unwrap();
    // Regression guards for the default: within 10 % of one request per 4 KiB of data.
    let ideal = (SIZE / 4096) as u64;
    assert!(w.device_writes < ideal * 11 / 10, "{w:?}");
    assert!(w.device_reads < ideal / 10, "{w:?}");
    assert!(r.device_reads < ideal * 11 / 10, "{r:?}");
    assert_eq!(r.device_writes, 0, "reading writes nothing: {r:?}");
}
