// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The client table, what clients' messages do, and what everyone is sent.

use alloc::string::String;
use alloc::vec::Vec;

use proto_dashboard::{Command, ErrorCode};
use proto_telemetry::wire::{Refusal, Request};
use proto_telemetry::Period;
use smoltcp::iface::SocketSet;
use smoltcp::socket::tcp;

use crate::client::{Inbound, Slot, Timers, RX_BUFFER, TX_BUFFER};
use crate::leds::Leds;
use crate::link::{Answer, TelemetryLink};

pub const PORT: u16 = 8080;
/// Clients served at once.
pub const MAX_CLIENTS: usize = 8;
/// Sockets: the clients, and two that answer 503 when they are all taken.
pub const SOCKETS: usize = MAX_CLIENTS + 2;

/// A whole text frame (header and payload), built once per message and
/// copied into each client's send queue.
pub fn text_frame(text: &str) -> Vec<u8> {
    let mut frame = alloc::vec![0u8; proto_ws::MAX_HEADER_LEN + text.len()];
    let n = proto_ws::emit_text(text, &mut frame).unwrap_or(0);
    frame.truncate(n);
    frame
}

/// Counters shown by the process console and `make bench`.
#[derive(Default)]
pub struct Stats {
    pub samples: u32,
    pub samples_dropped: u32,
    pub commands: u32,
    pub errors: u32,
}

pub struct Server {
    slots: Vec<Slot>,
    pub leds: Leds,
    pub stats: Stats,
}

impl Server {
    pub fn new(sockets: &mut SocketSet<'static>, leds: Leds) -> Server {
        let slots = (0..SOCKETS)
            .map(|_| {
                let rx = tcp::SocketBuffer::new(alloc::vec![0u8; RX_BUFFER].leak());
                let tx = tcp::SocketBuffer::new(alloc::vec![0u8; TX_BUFFER].leak());
                let mut socket = tcp::Socket::new(rx, tx);
                // Each message goes out as soon as it is queued.
                socket.set_nagle_enabled(false);
                let _ = socket.listen(PORT);
                Slot::new(sockets.add(socket))
            })
            .collect();
        Server { slots, leds, stats: Stats::default() }
    }

    pub fn open_clients(&self) -> usize {
        self.slots.iter().filter(|s| s.is_open()).count()
    }

    /// Advances every slot and acts on what clients sent; `true` if
    /// anything happened.
    pub fn service(
        &mut self,
        sockets: &mut SocketSet<'static>,
        now: u64,
        timers: &Timers,
        config: &proto_ws::Config<'_>,
        link: &mut TelemetryLink,
    ) -> bool {
        let mut progressed = false;
        for i in 0..self.slots.len() {
            loop {
                let full = self.open_clients() >= MAX_CLIENTS;
                let socket = sockets.get_mut::<tcp::Socket>(self.slots[i].handle());
                let Some(inbound) = self.slots[i].service(socket, now, timers, config, full) else {
                    break;
                };
                progressed = true;
                self.act(sockets, i, inbound, now, link);
            }
            let socket = sockets.get_mut::<tcp::Socket>(self.slots[i].handle());
            self.slots[i].listen_again(socket, PORT);
        }
        progressed |= self.pay_debts(sockets, now, link.period());
        progressed
    }

    fn act(
        &mut self,
        sockets: &mut SocketSet<'static>,
        i: usize,
        inbound: Inbound,
        now: u64,
        link: &mut TelemetryLink,
    ) {
        match inbound {
            Inbound::Opened => {
                // The state a new client starts from; the rate once known.
                self.send_to_one(sockets, i, &proto_dashboard::led_status(self.leds.yellow, self.leds.red), now);
                if let Some(p) = link.period() {
                    self.send_to_one(sockets, i, &proto_dashboard::telemetry_rate(p), now);
                }
            }
            Inbound::Command(command) => {
                self.stats.commands += 1;
                self.command(sockets, i, command, now, link);
            }
            Inbound::Invalid(e) => self.error(sockets, i, e.code, &e.message, now),
            Inbound::Binary => {
                self.error(sockets, i, ErrorCode::BinaryUnsupported, "this server takes JSON text messages", now)
            }
        }
    }

    fn command(
        &mut self,
        sockets: &mut SocketSet<'static>,
        i: usize,
        command: Command,
        now: u64,
        link: &mut TelemetryLink,
    ) {
        match command {
            Command::SetLed { led, on } => match self.leds.set(led, on) {
                // Every client hears of every command, changed or not, as
                // the original firmware did.
                Ok(_) => self.broadcast_leds(sockets, now),
                Err(_) => self.error(sockets, i, ErrorCode::Unavailable, "the LED driver refused", now),
            },
            Command::GetLedStatus => {
                self.send_to_one(sockets, i, &proto_dashboard::led_status(self.leds.yellow, self.leds.red), now)
            }
            Command::SetTelemetryRate(p) => {
                if link.request(Request::SetPeriod { ms: p.ms() }, Some(i), now).is_err() {
                    self.error(sockets, i, ErrorCode::Unavailable, "the telemetry service is not running", now);
                }
            }
            Command::GetTelemetryRate => match link.period() {
                Some(p) => self.send_to_one(sockets, i, &proto_dashboard::telemetry_rate(p), now),
                None => self.error(sockets, i, ErrorCode::Unavailable, "the telemetry rate is not known yet", now),
            },
        }
    }

    /// A reply of the telemetry service.
    pub fn telemetry_answer(&mut self, sockets: &mut SocketSet<'static>, answer: Answer, now: u64) {
        match answer {
            Answer::Period(p) => self.broadcast_rate(sockets, p, now),
            Answer::Refused { requester: Some(i), why } => {
                let text = match why {
                    Refusal::OutOfRange => "the telemetry service refused the rate",
                    Refusal::Malformed => "the telemetry service did not understand the request",
                };
                self.error(sockets, i, ErrorCode::OutOfRange, text, now);
            }
            Answer::Refused { requester: None, .. } => {}
        }
    }

    /// A request to the telemetry service went unanswered.
    pub fn telemetry_timeout(&mut self, sockets: &mut SocketSet<'static>, requester: Option<usize>, now: u64) {
        if let Some(i) = requester {
            self.error(sockets, i, ErrorCode::Unavailable, "the telemetry service did not answer", now);
        }
    }

    /// A sample to every client; one whose queue is full misses it.
    pub fn broadcast_sample(&mut self, sockets: &mut SocketSet<'static>, message: &str, now: u64) {
        self.stats.samples = self.stats.samples.wrapping_add(1);
        let frame = text_frame(message);
        for slot in self.slots.iter_mut().filter(|s| s.is_open()) {
            if !slot.send(sockets.get_mut::<tcp::Socket>(slot.handle()), &frame, now) {
                slot.dropped = slot.dropped.wrapping_add(1);
                self.stats.samples_dropped = self.stats.samples_dropped.wrapping_add(1);
            }
        }
    }

    fn broadcast_leds(&mut self, sockets: &mut SocketSet<'static>, now: u64) {
        let frame = text_frame(&proto_dashboard::led_status(self.leds.yellow, self.leds.red));
        for slot in self.slots.iter_mut().filter(|s| s.is_open()) {
            if !slot.send(sockets.get_mut::<tcp::Socket>(slot.handle()), &frame, now) {
                if let Some(owed) = slot.owed() {
                    owed.leds = true;
                }
            }
        }
    }

    pub fn broadcast_rate(&mut self, sockets: &mut SocketSet<'static>, period: Period, now: u64) {
        let frame = text_frame(&proto_dashboard::telemetry_rate(period));
        for slot in self.slots.iter_mut().filter(|s| s.is_open()) {
            if !slot.send(sockets.get_mut::<tcp::Socket>(slot.handle()), &frame, now) {
                if let Some(owed) = slot.owed() {
                    owed.rate = true;
                }
            }
        }
    }

    /// Status messages that did not fit before, now that there may be room.
    fn pay_debts(&mut self, sockets: &mut SocketSet<'static>, now: u64, period: Option<Period>) -> bool {
        let leds = text_frame(&proto_dashboard::led_status(self.leds.yellow, self.leds.red));
        let mut paid = false;
        for slot in self.slots.iter_mut() {
            let owed = match slot.owed() {
                Some(o) if o.leds || o.rate => *o,
                _ => continue,
            };
            let socket = sockets.get_mut::<tcp::Socket>(slot.handle());
            if owed.leds && slot.send(socket, &leds, now) {
                if let Some(o) = slot.owed() {
                    o.leds = false;
                }
                paid = true;
            }
            if let (true, Some(p)) = (owed.rate, period) {
                let socket = sockets.get_mut::<tcp::Socket>(slot.handle());
                if slot.send(socket, &text_frame(&proto_dashboard::telemetry_rate(p)), now) {
                    if let Some(o) = slot.owed() {
                        o.rate = false;
                    }
                    paid = true;
                }
            }
        }
        paid
    }

    fn send_to_one(&mut self, sockets: &mut SocketSet<'static>, i: usize, message: &str, now: u64) {
        let slot = &mut self.slots[i];
        let _ = slot.send(sockets.get_mut::<tcp::Socket>(slot.handle()), &text_frame(message), now);
    }

    fn error(&mut self, sockets: &mut SocketSet<'static>, i: usize, code: ErrorCode, text: &str, now: u64) {
        self.stats.errors += 1;
        let message: String = proto_dashboard::error(code, text);
        self.send_to_one(sockets, i, &message, now);
    }

    /// After the switch refused a frame: clients take turns at being the
    /// first smoltcp sends to (see `net::egress`).
    pub fn take_turns(&mut self, sockets: &mut SocketSet<'static>) {
        net::egress::rotate(sockets, &mut self.slots, Slot::handle_mut);
    }

    /// The earliest time a slot has something to do on its own.
    pub fn next_deadline(&self, timers: &Timers) -> Option<u64> {
        self.slots.iter().filter_map(|s| s.deadline(timers)).min()
    }
}
