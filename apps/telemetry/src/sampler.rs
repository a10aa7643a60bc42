// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Takes one sample from the kernel's drivers.

use alloc::string::String;
use alloc::vec::Vec;

use libtock_rng::Rng;
use libtock_runtime::TockSyscalls;
use libtock_temperature::Temperature;
use proto_telemetry::rate::RateMeter;
use proto_telemetry::sample::Sample;
use system::SystemInfo;

type Sys = SystemInfo<TockSyscalls>;

#[derive(Default)]
pub struct Sampler {
    frames_in: RateMeter,
    frames_out: RateMeter,
}

impl Sampler {
    /// The JSON of a sample due at `at_ms` of uptime, read `now_ms`.
    pub fn sample(&mut self, at_ms: u64, now_ms: u64) -> String {
        let mut s = Sample::new(at_ms);
        // Fields whose source is missing are left out, never made up.
        if let Ok(centi) = Temperature::<TockSyscalls>::read_temperature_sync() {
            s.junction_temp(centi);
        }
        let mut r = [0u8; 8];
        if Rng::<TockSyscalls>::get_bytes_sync(&mut r, 8).is_ok() {
            let word = |i: usize| u32::from_le_bytes([r[i], r[i + 1], r[i + 2], r[i + 3]]);
            s.random(word(0), word(4));
        }
        if let Some(psram) = (0..).map_while(|i| Sys::region(i).ok()).find(|r| r.name() == "PSRAM") {
            s.count("psramFreeKiB", u64::from(psram.size.saturating_sub(psram.used) / 1024));
        }
        if let Ok(c) = Sys::switch_counters() {
            if let Some(rate) = self.frames_in.update(c.rx_frames, now_ms) {
                s.count("framesInPerSec", u64::from(rate));
            }
            if let Some(rate) = self.frames_out.update(c.tx_frames, now_ms) {
                s.count("framesOutPerSec", u64::from(rate));
            }
        }
        let processes: Vec<_> =
            (0..Sys::process_count().unwrap_or(0)).filter_map(|i| Sys::process(i).ok()).collect();
        if !processes.is_empty() {
            // What each app holds for itself: its block up to the break
            // (stack, data, heap) and its run-time PSRAM grants.
            s.counts(
                "heapKiB",
                processes
                    .iter()
                    .map(|p| (p.name(), u64::from(p.app_bytes.saturating_add(p.psram_grant_bytes)) / 1024)),
            );
            #[cfg(feature = "extra-field")]
            s.count("restartsTotal", processes.iter().map(|p| u64::from(p.restarts)).sum());
        }
        s.to_json()
    }
}
