//! psramspy (test image only): asks `psramtest` where its first PSRAM
//! grant is and reads it. The MPU maps that memory for psramtest alone, so
//! the read faults and the kernel restarts psramspy; after a restart it
//! only reports, so it does not fault forever.

#![no_main]
#![no_std]

extern crate panic_restart;

use core::cell::Cell;

use events::{Events, Wake};
use ipc::Ipc;
use libtock_runtime::{set_main, stack_size, TockSyscalls};
use say::say;
use system::SystemInfo;

set_main! {main}
stack_size! {0x800}

type I = Ipc<TockSyscalls>;

fn restarts() -> u32 {
    let n = SystemInfo::<TockSyscalls>::process_count().unwrap_or(0);
    (0..n)
        .filter_map(|i| SystemInfo::<TockSyscalls>::process(i).ok())
        .find(|p| p.name() == "psramspy")
        .map_or(0, |p| p.restarts)
}

fn main() {
    let restart = restarts();
    let frames = Cell::new(false);
    let messages = Cell::new(true);
    Events::<TockSyscalls>::run(&frames, &messages, |events| {
        if restart > 0 {
            say!("psramspy: restarted {} times; not probing again", restart);
            idle(events);
        }
        // psramtest registers once its grants are in place.
        let target = loop {
            if let Ok(h) = I::lookup("psramtest") {
                break h;
            }
            events.wait(Some(100));
        };
        let _ = I::send(target, b"where");
        let mut buf = [0u8; 16];
        let address = loop {
            match I::receive(&mut buf) {
                Ok(Some(m)) if m.sender == target && m.len == 4 => {
                    break u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]])
                }
                Ok(Some(_)) => continue,
                _ => {
                    events.messages_drained();
                    if events.wait(Some(1000)) == Wake::Deadline && !I::alive(target) {
                        say!("psramspy: psramtest went away");
                        idle(events);
                    }
                }
            }
        };
        say!("psramspy: reading psramtest's grant at {:#010x}", address);
        // SAFETY: deliberately unsound: this memory belongs to another
        // process, and the MPU must stop this read.
        let value = unsafe { core::ptr::read_volatile(address as *const u32) };
        say!("psramspy: READ SUCCEEDED: {:#x} (isolation broken)", value);
        idle(events)
    })
}

/// Sleeps for good. Messages are dropped as they come: a pending-messages
/// flag left set would make `wait` return at once, a busy loop that eats
/// every other app's CPU time.
fn idle(events: &Events<TockSyscalls>) -> ! {
    let mut buf = [0u8; 16];
    loop {
        while let Ok(Some(_)) = I::receive(&mut buf) {}
        events.messages_drained();
        events.wait(None);
    }
}
