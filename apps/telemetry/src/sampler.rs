// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Takes one sample, without ever waiting inside it.
//!
//! A sample that waited for a driver (a temperature conversion, the RNG)
//! would yield, and on a busy board the other processes' time slices can
//! then make it later than a 10 ms period: that sample would be missed.
//! So the slow sources are read around the samples, not in them:
//!
//! - the temperature is converted asynchronously, at most once a second
//!   (the junction temperature changes over seconds); each sample carries
//!   the latest conversion;
//! - `randomFloat` and `randomInt` come from a xorshift generator seeded
//!   from the hardware RNG at start;
//! - PSRAM, network rates and per-process memory are read from the kernel
//!   at most once a second (they are per-second figures anyway).

use alloc::string::String;
use alloc::vec::Vec;
use core::cell::Cell;

use libtock_runtime::TockSyscalls;
use libtock_temperature::Temperature;
use proto_telemetry::rate::RateMeter;
use proto_telemetry::sample::Sample;
use system::SystemInfo;

type Sys = SystemInfo<TockSyscalls>;

/// How often the slow figures are read again.
const SLOW_MS: u64 = 1000;

/// The figures read at most once a second.
#[derive(Default)]
struct Slow {
    at_ms: u64,
    psram_free_kib: Option<u64>,
    frames_in: Option<u32>,
    frames_out: Option<u32>,
    heap_kib: Vec<(String, u64)>,
    #[cfg(feature = "extra-field")]
    restarts: u64,
}

pub struct Sampler<'t> {
    /// The latest temperature conversion (the driver's upcall writes it).
    temperature: &'t Cell<Option<i32>>,
    temperature_asked_ms: Option<u64>,
    random: u64,
    frames_in: RateMeter,
    frames_out: RateMeter,
    slow: Option<Slow>,
}

impl<'t> Sampler<'t> {
    /// `seed`: from the hardware RNG (any value but 0 works).
    pub fn new(temperature: &'t Cell<Option<i32>>, seed: u64) -> Self {
        Sampler {
            temperature,
            temperature_asked_ms: None,
            random: seed | 1,
            frames_in: RateMeter::default(),
            frames_out: RateMeter::default(),
            slow: None,
        }
    }

    /// xorshift64* (Vigna): plenty for dashboard values.
    fn next_random(&mut self) -> u32 {
        let mut x = self.random;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.random = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32
    }

    /// Starts a temperature conversion if the last is a second old.
    pub fn ask_temperature(&mut self, now_ms: u64) {
        if self.temperature_asked_ms.is_none_or(|t| now_ms >= t + SLOW_MS) {
            self.temperature_asked_ms = Some(now_ms);
            let _ = Temperature::<TockSyscalls>::read_temperature();
        }
    }

    fn read_slow(&mut self, now_ms: u64) {
        if self.slow.as_ref().is_some_and(|s| now_ms < s.at_ms + SLOW_MS) {
            return;
        }
        let mut slow = Slow { at_ms: now_ms, ..Slow::default() };
        if let Some(psram) = (0..).map_while(|i| Sys::region(i).ok()).find(|r| r.name() == "PSRAM") {
            slow.psram_free_kib = Some(u64::from(psram.size.saturating_sub(psram.used) / 1024));
        }
        if let Ok(c) = Sys::switch_counters() {
            slow.frames_in = self.frames_in.update(c.rx_frames, now_ms);
            slow.frames_out = self.frames_out.update(c.tx_frames, now_ms);
        }
        for p in (0..Sys::process_count().unwrap_or(0)).filter_map(|i| Sys::process(i).ok()) {
            // What each app holds for itself: its block up to the break
            // (stack, data, heap) and its run-time PSRAM grants.
            let kib = u64::from(p.app_bytes.saturating_add(p.psram_grant_bytes)) / 1024;
            slow.heap_kib.push((String::from(p.name()), kib));
            #[cfg(feature = "extra-field")]
            {
                slow.restarts += u64::from(p.restarts);
            }
        }
        self.slow = Some(slow);
    }

    /// The JSON of a sample due at `at_ms` of uptime, read `now_ms`.
    pub fn sample(&mut self, at_ms: u64, now_ms: u64) -> String {
        self.ask_temperature(now_ms);
        self.read_slow(now_ms);
        let mut s = Sample::new(at_ms);
        // Fields whose source is missing are left out, never made up.
        if let Some(centi) = self.temperature.get() {
            s.junction_temp(centi);
        }
        let (a, b) = (self.next_random(), self.next_random());
        s.random(a, b);
        if let Some(slow) = &self.slow {
            if let Some(kib) = slow.psram_free_kib {
                s.count("psramFreeKiB", kib);
            }
            if let Some(rate) = slow.frames_in {
                s.count("framesInPerSec", u64::from(rate));
            }
            if let Some(rate) = slow.frames_out {
                s.count("framesOutPerSec", u64::from(rate));
            }
            if !slow.heap_kib.is_empty() {
                s.counts("heapKiB", slow.heap_kib.iter().map(|(n, k)| (n.as_str(), *k)));
            }
            #[cfg(feature = "extra-field")]
            s.count("restartsTotal", slow.restarts);
        }
        s.to_json()
    }
}
