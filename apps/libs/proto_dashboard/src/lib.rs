// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The JSON messages between the dashboard and the websocket app (the
//! full set, with examples, is in `docs/protocol.md`).
//!
//! The original firmware's messages are kept exactly, so its dashboards
//! and scripts keep working:
//!
//! - server -> client `{"type":"telemetry","data":{...}}` and
//!   `{"type":"led-status","data":{"yellowLed":bool,"redLed":bool}}`;
//! - client -> server `{"type":"led-command","led":"yellow"|"red","state":bool}`.
//!
//! Additions: `set-telemetry-rate` / `get-led-status` / `get-telemetry-rate`
//! from clients, `telemetry-rate` and `error` from the server. Anything a
//! client sends that is not one of these gets an `error` message back,
//! never a dropped connection.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod client;
mod server;

pub use client::{parse, Command, Led, MessageError};
pub use server::{error, led_status, telemetry, telemetry_rate, ErrorCode};
