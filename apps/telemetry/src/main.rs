// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! telemetry: samples the board and publishes one JSON object per period
//! as the IPC service `telemetry` (see `proto-telemetry`).
//!
//! Samples fall on whole multiples of the period of the kernel's uptime
//! and report that instant, so uptimes step by exactly the period and
//! never drift (`proto_telemetry::schedule`). The period comes from
//! `/config/telemetry.cfg` (1 Hz without it) and can be changed at run
//! time by a peer's request (the websocket app's `set-telemetry-rate`); a
//! change is not written back, so a restart returns to the file's rate.
//! This app is meant to be replaced: anything that publishes JSON objects
//! as `telemetry` feeds the dashboard, whatever its fields.

#![no_main]
#![no_std]

extern crate alloc;
extern crate panic_restart;

mod config;
mod sampler;

use alloc::vec;
use core::cell::Cell;

use events::Events;
use ipc::Ipc;
use libtock_platform::{share, ErrorCode};
use libtock_rng::Rng;
use libtock_runtime::{set_main, stack_size, TockSyscalls};
use libtock_temperature::{Temperature, TemperatureListener};
use proto_telemetry::schedule::Schedule;
use proto_telemetry::wire::{self, Reply};
use proto_telemetry::{Period, SERVICE_NAME};
use say::say;
use system::SystemInfo;

set_main! {main}
// The storage client's messages and the inbox are on the heap.
stack_size! {0x1000}

#[global_allocator]
static HEAP: heap::ProcessHeap = heap::ProcessHeap::new();

/// How long the app waits at start for the storage service to answer.
const STORAGE_WAIT_MS: u64 = 10_000;
/// How often registration is retried while another process holds the name.
const REGISTER_RETRY_MS: u32 = 1_000;

/// The kernel's uptime in milliseconds, from one reading of the system
/// information driver and the alarm's clock since.
struct Uptime<'c> {
    clock: &'c timing::Clock<TockSyscalls>,
    offset: u64,
}

impl<'c> Uptime<'c> {
    fn new(clock: &'c timing::Clock<TockSyscalls>) -> Self {
        let local = clock.now_ms();
        let kernel = SystemInfo::<TockSyscalls>::uptime_ms().unwrap_or(local);
        Uptime { clock, offset: kernel.wrapping_sub(local) }
    }

    fn now_ms(&self) -> u64 {
        self.clock.now_ms().wrapping_add(self.offset)
    }
}

fn main() {
    let clock = timing::Clock::<TockSyscalls>::new().expect("alarm driver");
    let uptime = Uptime::new(&clock);
    let frames = Cell::new(false);
    let messages = Cell::new(true);
    Events::<TockSyscalls>::run(&frames, &messages, |events| {
        let period = {
            // Boxed: its two message buffers (9 KiB) would overflow the stack.
            let mut storage = alloc::boxed::Box::new(storage_client::IpcTransport::new(events, &clock).storage());
            let start = clock.now_ms();
            loop {
                match config::load(&mut *storage) {
                    Some(p) => break p,
                    None if clock.now_ms() - start < STORAGE_WAIT_MS => {
                        events.messages_drained();
                        events.wait_messages(200);
                    }
                    None => {
                        say!("telemetry: no storage service; sampling at 1 Hz");
                        break Period::DEFAULT;
                    }
                }
            }
        };
        // Registered only now: the storage client drops messages that are
        // not its replies, which could have been a peer's request.
        let mut warned = false;
        while let Err(e) = Ipc::<TockSyscalls>::register(SERVICE_NAME) {
            if e == ErrorCode::Already {
                break;
            }
            if !warned {
                say!("telemetry: cannot register `{}` ({:?}); retrying", SERVICE_NAME, e);
                warned = true;
            }
            events.wait(Some(REGISTER_RETRY_MS));
            events.messages_drained();
        }
        say!("telemetry: publishing as `{}` every {} ms", SERVICE_NAME, period.ms());

        let mut seed = [0u8; 8];
        let _ = Rng::<TockSyscalls>::get_bytes_sync(&mut seed, 8);
        let temperature = Cell::new(None);
        let listener = TemperatureListener(|centi| temperature.set(Some(centi)));
        share::scope(|subscribe| {
            // Without a temperature driver the field is simply left out.
            let _ = Temperature::<TockSyscalls>::register_listener(&listener, subscribe);
            let mut sampler = sampler::Sampler::new(&temperature, u64::from_le_bytes(seed));
            // So that the first sample has a temperature already.
            sampler.ask_temperature(uptime.now_ms());
            let mut schedule = Schedule::new(period, uptime.now_ms());
            let mut missed = Missed::default();
            // A whole message: a shorter buffer would leave an oversized
            // one stuck at the head of the inbox.
            let mut inbox = vec![0u8; ipc::MAX_MESSAGE];
            loop {
                if events.messages_pending() {
                    serve(&mut inbox, &mut schedule, uptime.now_ms());
                    events.messages_drained();
                }
                let now = uptime.now_ms();
                let mut expected = schedule.next_ms();
                while let Some(at) = schedule.due(now) {
                    missed.add((at - expected) / u64::from(schedule.period().ms()), now);
                    expected = schedule.next_ms();
                    let json = sampler.sample(at, now);
                    // No subscriber yet, or a full inbox: the sample is
                    // gone, like a frame on a busy wire (the kernel counts
                    // drops).
                    let _ = Ipc::<TockSyscalls>::publish(json.as_bytes());
                }
                let wait = schedule.wait_ms(uptime.now_ms()).clamp(1, u64::from(u32::MAX)) as u32;
                events.wait(Some(wait));
            }
        })
    });
}

/// Samples skipped because the app woke too late, reported at most every
/// 10 s so a busy board does not also flood the console.
#[derive(Default)]
struct Missed {
    count: u64,
    since_ms: u64,
}

impl Missed {
    const REPORT_MS: u64 = 10_000;

    fn add(&mut self, n: u64, now_ms: u64) {
        if self.count == 0 {
            self.since_ms = now_ms;
        }
        self.count += n;
        if self.count > 0 && now_ms >= self.since_ms + Self::REPORT_MS {
            say!(
                "telemetry: {} samples missed in the last {} s (woke too late)",
                self.count,
                (now_ms - self.since_ms) / 1000
            );
            self.count = 0;
        }
    }
}

/// Answers every waiting request (get or set the period).
fn serve(inbox: &mut [u8], schedule: &mut Schedule, now_ms: u64) {
    while let Ok(Some(msg)) = Ipc::<TockSyscalls>::receive(inbox) {
        if msg.publication {
            continue;
        }
        let reply = wire::answer(&inbox[..msg.len], schedule.period());
        if let Reply::Period(p) = reply {
            if p != schedule.period() {
                schedule.set_period(p, now_ms);
                say!("telemetry: period set to {} ms", p.ms());
            }
        }
        let mut out = [0u8; wire::MAX_LEN];
        let n = reply.emit(&mut out);
        let _ = Ipc::<TockSyscalls>::send_tagged(msg.sender, &out[..n], msg.tag);
    }
}
