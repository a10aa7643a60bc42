// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! impostor (test image only): tries to register the service names the
//! board gives to other apps, and says what the kernel answered, for the
//! system tests.
//!
//! 1. `storage` while the real one runs, `telemetry` (not running in the
//!    test image at all), and its own name (open: the board lists nobody
//!    for it).
//! 2. Then it watches `storage` every millisecond; when the name is free
//!    (the real service restarting) it tries to take it, once per gap.
//!    Were it ever given the name, it would say so (the test fails). A
//!    restart that came and went between two looks (a new process id, no
//!    gap seen) is reported too, so the test can tell the two apart.

#![no_main]
#![no_std]

extern crate panic_restart;

use core::cell::Cell;

use events::Events;
use ipc::Ipc;
use libtock_platform::ErrorCode;
use libtock_runtime::{set_main, stack_size, TockSyscalls};
use say::say;

set_main! {main}
stack_size! {0x800}

type I = Ipc<TockSyscalls>;

fn verdict(r: Result<(), ErrorCode>) -> &'static str {
    match r {
        Ok(()) => "REGISTERED",
        Err(ErrorCode::Reserve) => "refused (RESERVE)",
        Err(ErrorCode::Already) => "refused (ALREADY)",
        Err(_) => "refused (other error)",
    }
}

fn main() {
    let frames = Cell::new(false);
    let messages = Cell::new(false);
    Events::<TockSyscalls>::run(&frames, &messages, |events| {
        while I::lookup("storage").is_err() {
            events.wait(Some(10));
        }
        say!("impostor: register `storage` while it runs: {}", verdict(I::register("storage")));
        say!("impostor: register `telemetry`: {}", verdict(I::register("telemetry")));
        let mut gaps = 0u32;
        let mut in_gap = false;
        let mut owner = I::lookup("storage").ok();
        loop {
            match I::lookup("storage") {
                Err(_) if !in_gap => {
                    in_gap = true;
                    gaps += 1;
                    say!(
                        "impostor: storage is gone (gap {}); register `storage`: {}",
                        gaps,
                        verdict(I::register("storage"))
                    );
                }
                Ok(h) if in_gap => {
                    in_gap = false;
                    owner = Some(h);
                    say!("impostor: storage is back (gap {})", gaps);
                }
                Ok(h) if owner != Some(h) => {
                    owner = Some(h);
                    gaps += 1;
                    say!(
                        "impostor: storage restarted unseen (gap {}); register `storage`: {}",
                        gaps,
                        verdict(I::register("storage"))
                    );
                }
                _ => {}
            }
            events.wait(Some(1));
        }
    });
}
