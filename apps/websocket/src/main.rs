// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! websocket: RFC 6455 on port 8080, on the app's own smoltcp stack: live
//! telemetry and LED commands for the dashboard.
//!
//! - Up to [`server::MAX_CLIENTS`] clients; the next gets a 503 before the
//!   upgrade. The protocol (handshake, frames, UTF-8, limits, close codes)
//!   is `proto_ws`; the messages are `proto_dashboard`'s (`docs/protocol.md`).
//! - Samples the `telemetry` service publishes go to every client as they
//!   are (`{"type":"telemetry","data":<sample>}`), so a new telemetry app
//!   with new fields needs no change here. A restarted telemetry app is
//!   picked up by itself (publications are followed by service name).
//! - LED commands go to the kernel's LED driver; every client then gets the
//!   new `led-status`.
//! - Each client's send queue is its TCP send buffer (8 KiB): a client that
//!   stops reading misses samples and, once its queue has been full for
//!   `send_timeout` (5 s), is closed with 1008 "send queue full" and reset
//!   if it does not finish closing; the others keep their full rate.
//!
//! Memory (heap, in the app's PSRAM): per client slot 4 KiB TCP receive +
//! 8 KiB send + a 4 KiB message buffer + ~0.4 KiB of state; 10 slots.

#![no_main]
#![no_std]

extern crate alloc;
extern crate panic_restart;

mod client;
mod config;
mod leds;
mod link;
mod server;

use alloc::vec::Vec;
use core::cell::Cell;

use events::Events;
use ipc::Ipc;
use libtock_rng::Rng;
use libtock_runtime::{set_main, stack_size, TockSyscalls};
use net::{Net, NetDevice, Protocol};
use say::say;
use smoltcp::time::Instant;

set_main! {main}
// Deepest path: a client's message parsed (miniserde) inside the service pass.
stack_size! {0x2000}

#[global_allocator]
static HEAP: heap::ProcessHeap = heap::ProcessHeap::new();

/// How long the app waits at start for the storage service (its settings).
const STORAGE_WAIT_MS: u64 = 10_000;
/// Longest sleep: the millisecond clock must be read once per timer wrap.
const MAX_SLEEP_MS: u64 = 60_000;
/// Skipped samples are reported on the console at most this often.
const DROP_REPORT_MS: u64 = 10_000;
/// Inbox messages handled before the stack is polled again.
const SAMPLES_PER_PASS: usize = 4;

fn main() {
    let net = match Net::<TockSyscalls>::config() {
        Ok(c) => c,
        Err(e) => {
            say!("websocket: no network ({:?}); exiting", e);
            return;
        }
    };
    if let Err(e) = Net::<TockSyscalls>::bind(Protocol::Tcp, server::PORT) {
        say!("websocket: cannot bind TCP port {}: {:?}", server::PORT, e);
        return;
    }
    let clock = timing::Clock::<TockSyscalls>::new().expect("alarm driver");
    let leds = leds::Leds::init();

    let frames = Cell::new(true);
    let rx = net::receive_buffer();
    // Frames go to the switch a batch per pass (`net::NetDevice`); a reply
    // the batch has no room for goes alone from `spare`.
    let tx = net::transmit_buffer();
    let spare = net::frame_buffer();
    let mut device = NetDevice::<TockSyscalls>::new(rx, tx, spare, &frames);
    let mut seed = [0u8; 8];
    let _ = Rng::<TockSyscalls>::get_bytes_sync(&mut seed, 8);
    let mut iface = net::interface(&net, &mut device, clock.now_ms(), u64::from_le_bytes(seed));
    let mut sockets = net::socket_set(server::SOCKETS);

    let messages = Cell::new(true);
    Events::<TockSyscalls>::run(&frames, &messages, |events| {
        // Settings first: the storage client drops messages that are not
        // its replies, so telemetry is subscribed to only afterwards.
        let settings = {
            // Boxed: its two message buffers (9 KiB) would overflow the stack.
            let mut storage = alloc::boxed::Box::new(storage_client::IpcTransport::new(events, &clock).storage());
            let start = clock.now_ms();
            loop {
                match config::load(&mut *storage) {
                    Some(c) => break c,
                    None if clock.now_ms() - start < STORAGE_WAIT_MS => {
                        events.messages_drained();
                        events.wait_messages(200);
                    }
                    None => break config::Config::default(),
                }
            }
        };
        let origins: Vec<&str> = settings.origins.iter().map(|s| s.as_str()).collect();
        let handshake = proto_ws::Config::with_origins(&origins);
        let timers = client::Timers {
            ping_interval_ms: settings.ping_interval_ms,
            pong_timeout_ms: settings.pong_timeout_ms,
            send_timeout_ms: settings.send_timeout_ms,
        };
        if let Err(e) = Ipc::<TockSyscalls>::subscribe(proto_telemetry::SERVICE_NAME) {
            say!("websocket: cannot follow telemetry ({:?}); no samples will be sent", e);
        }

        let before = HEAP.stats().used;
        let mut server = server::Server::new(&mut sockets, leds);
        let per_client = (HEAP.stats().used - before) / server::SOCKETS;
        say!(
            "websocket: serving on {}.{}.{}.{}:{} ({} clients, {} more get 503; {} bytes of PSRAM per client; origins: {}; ping after {} s, pong within {} s)",
            net.ipv4[0],
            net.ipv4[1],
            net.ipv4[2],
            net.ipv4[3],
            server::PORT,
            server::MAX_CLIENTS,
            server::SOCKETS - server::MAX_CLIENTS,
            per_client,
            if origins.is_empty() { "any" } else { "listed" },
            timers.ping_interval_ms / 1000,
            timers.pong_timeout_ms / 1000
        );

        let mut link = link::TelemetryLink::default();
        let mut inbox = alloc::vec![0u8; ipc::MAX_MESSAGE];
        let (mut reported_drops, mut reported_at) = (0u32, clock.now_ms());
        loop {
            let now = clock.now_ms();
            let stamp = Instant::from_millis(now as i64);
            let mut progressed = false;
            if events.messages_pending() {
                // Samples and the telemetry service's replies, a few at a
                // time: between batches the stack takes in the clients'
                // ACKs, which free their send queues (a backlog sent at
                // once would overflow them); the rest waits in the inbox.
                let mut batch = 0;
                let mut empty = false;
                while batch < SAMPLES_PER_PASS {
                    let Ok(Some(msg)) = Ipc::<TockSyscalls>::receive(&mut inbox) else {
                        empty = true;
                        break;
                    };
                    batch += 1;
                    progressed = true;
                    let body = &inbox[..msg.len];
                    if msg.publication {
                        if link.sample_from(msg.sender, now) {
                            say!("websocket: telemetry restarted; following its new instance");
                        }
                        match proto_dashboard::telemetry(body) {
                            Some(message) => server.broadcast_sample(&mut sockets, &message, now),
                            None => server.stats.errors += 1,
                        }
                    } else if link.is_service(msg.sender) {
                        if let Some(answer) = link.answer(body, msg.tag) {
                            server.telemetry_answer(&mut sockets, answer, now);
                        }
                    }
                }
                if empty {
                    events.messages_drained();
                }
            }
            if server.stats.samples_dropped != reported_drops && now >= reported_at + DROP_REPORT_MS {
                say!(
                    "websocket: {} samples not sent (a client's send queue was full) in the last {} s",
                    server.stats.samples_dropped.wrapping_sub(reported_drops),
                    (now - reported_at) / 1000
                );
                reported_drops = server.stats.samples_dropped;
                reported_at = now;
            }
            if let Some(requester) = link.timed_out(now) {
                server.telemetry_timeout(&mut sockets, requester, now);
            }
            iface.poll(stamp, &mut device, &mut sockets);
            progressed |= server.service(&mut sockets, now, &timers, &handshake, &mut link);
            iface.poll(stamp, &mut device, &mut sockets);
            device.flush();
            if device.take_refusal() {
                server.take_turns(&mut sockets);
            }
            if progressed || device.maybe_pending() || events.messages_pending() || device.before_wait() {
                continue;
            }
            let delay = iface.poll_delay(stamp, &sockets).map_or(u64::MAX, |d| d.total_millis());
            let deadline = [server.next_deadline(&timers), link.deadline()]
                .into_iter()
                .flatten()
                .min()
                .map_or(u64::MAX, |d| d.saturating_sub(now));
            // A frame still refused: the room upcall ends the wait, this at the latest.
            let held = device.next_retry().unwrap_or(u64::MAX);
            events.wait_until(now, Some(now + delay.min(deadline).min(held).clamp(1, MAX_SLEEP_MS)));
        }
    });
}
