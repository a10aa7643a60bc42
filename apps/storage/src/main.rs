//! storage: the only owner of the FAT32 volume on the eMMC.
//!
//! Other apps send it requests over the kernel's IPC (service `storage`);
//! the kernel tells it who sent each one, and the access policy in
//! `proto-storage` decides by that app name (HTTP reads `/www`, FTP does
//! everything). The volume logic is `fat-volume`; this crate is the glue:
//! the block device, the clock, the message loop.
//!
//! It never formats on its own: an unformatted or corrupt volume is
//! reported on the console and in the status reply, and only an explicit
//! `Format` request (FTP `SITE FORMAT`) formats it. When idle it leaves the
//! volume clean on the device, so a reset or power cut finds it intact.
//!
//! A volume that kills the service: around all volume code it marks its
//! restart note in the kernel (`capsules/sysinfo`), so an instance knows
//! whether its predecessor died inside volume code. After
//! `fat_volume::FAULTY_AFTER` such deaths in a row with no idle moment
//! between, it leaves the volume alone and answers `NotMounted` (status
//! `Faulty`) instead of dying on it until the crash-loop rule stops it.
//! `SITE FORMAT` (it only writes) or a reboot with a replaced volume bring
//! it back.

#![no_main]
#![no_std]

extern crate alloc;
extern crate panic_restart;

mod device;
mod note;

use alloc::boxed::Box;
use core::cell::Cell;

use events::{Events, Wake};
use fat_volume::StorageServer;
use ipc::{Handle, Ipc};
use libtock_platform::ErrorCode;
use libtock_runtime::{set_main, stack_size, TockSyscalls};
use proto_storage::{NotMounted, Response, VolumeStatus, MAX_MESSAGE, MAX_REPLY};
use say::say;

use device::{EmmcDevice, UptimeClock};
use note::Note;

set_main! {main}
stack_size! {0x4000}

#[global_allocator]
static HEAP: heap::ProcessHeap = heap::ProcessHeap::new();

type I = Ipc<TockSyscalls>;
type Server = StorageServer<EmmcDevice, UptimeClock>;

/// Idle time after which the volume is left clean on the device.
const SETTLE_AFTER_MS: u32 = 300;
/// How often clients are checked for having exited (their files close).
const SWEEP_EVERY_MS: u32 = 1000;
/// Clients whose names are remembered (more than the board has apps).
const CLIENTS: usize = 8;

/// The app names of recent senders, so each message costs no extra syscall.
struct Clients {
    known: [(u32, [u8; ipc::MAX_NAME], usize); CLIENTS],
    next: usize,
}

impl Clients {
    fn name(&mut self, who: Handle) -> Option<&str> {
        let i = match self.known.iter().position(|c| c.0 == who.0 && c.2 > 0) {
            Some(i) => i,
            None => {
                let mut buf = [0u8; ipc::MAX_NAME];
                let len = I::sender_name(who, &mut buf).ok()?.len();
                let i = self.next;
                self.next = (self.next + 1) % CLIENTS;
                self.known[i] = (who.0, buf, len);
                i
            }
        };
        let (_, buf, len) = &self.known[i];
        core::str::from_utf8(&buf[..*len]).ok()
    }

    /// Forgets clients whose process is gone; calls `gone` for each.
    fn sweep(&mut self, mut gone: impl FnMut(u32)) {
        for c in self.known.iter_mut().filter(|c| c.2 > 0) {
            if !I::alive(Handle(c.0)) {
                gone(c.0);
                c.2 = 0;
            }
        }
    }
}

fn main() {
    // The block device's completion upcall, subscribed once for the app's
    // life: two system calls fewer per block request. Without it there is
    // no device to use (the service still answers: no medium).
    let done: &'static Cell<blk::Completion> = Box::leak(Box::new(Cell::new(None)));
    if blk::Blk::<TockSyscalls>::with_session(done, |session| serve(Some(session))).is_err() {
        serve(None);
    }
}

fn serve(session: Option<blk::Session<TockSyscalls>>) {
    let device = session.and_then(EmmcDevice::open);
    let clock = UptimeClock::new();
    let mut note = Note::load();
    let mut server = match device {
        Some(d) if note.is_faulty() => Server::faulty(d, clock, note.deaths()),
        device => {
            let deaths = note.deaths();
            note.inside(|| {
                // Said inside the note's window: a fault after this line counts.
                match deaths {
                    0 => say!("storage: mounting the volume"),
                    n => say!(
                        "storage: mounting the volume (died inside volume code {} of {} times in a row)",
                        n,
                        fat_volume::FAULTY_AFTER
                    ),
                }
                Server::new(device, clock)
            })
        }
    };
    report(&server.status());

    if let Err(e) = I::register(proto_storage::SERVICE_NAME) {
        say!("storage: cannot register the service: {:?}", e);
        return;
    }
    let mut request = Box::new([0u8; MAX_MESSAGE]);
    // A read's reply carries up to 16 KiB (to clients with a large inbox).
    let mut reply = alloc::vec![0u8; MAX_REPLY].into_boxed_slice();
    let mut clients = Clients { known: [(0, [0; ipc::MAX_NAME], 0); CLIENTS], next: 0 };

    let frames = Cell::new(false);
    let messages = Cell::new(true);
    let mut idle_ms = 0u32;
    Events::<TockSyscalls>::run(&frames, &messages, |events| loop {
        let mut served = false;
        while let Ok(Some(m)) = I::receive(&mut request[..]) {
            if m.publication {
                continue;
            }
            served = true;
            let generation = server.generation();
            let n = match clients.name(m.sender) {
                Some(name) => note.inside(|| server.handle(name, m.sender.0, &request[..m.len], &mut reply[..])),
                None => continue, // the sender is already gone
            };
            // Before the reply: whoever learns of the change from the
            // client (an FTP upload's 226) finds the readers told already.
            announce(generation, &server);
            if n > 0 {
                // The request's tag goes back with the reply: a client that
                // gave up waiting will not take it for a newer answer.
                if I::send_tagged(m.sender, &reply[..n], m.tag) == Err(ErrorCode::Size) {
                    // A read larger than the client's inbox takes: it
                    // gets an error rather than waiting for its timeout.
                    let e = Response::Error(proto_storage::Error::BadRequest).emit(&mut reply[..]).unwrap_or(0);
                    let _ = I::send_tagged(m.sender, &reply[..e], m.tag);
                }
            }
        }
        events.messages_drained();
        if served {
            idle_ms = 0;
        }
        let wait = if idle_ms < SETTLE_AFTER_MS { SETTLE_AFTER_MS } else { SWEEP_EVERY_MS };
        if events.wait(Some(wait)) == Wake::Deadline {
            idle_ms = idle_ms.saturating_add(wait);
            let generation = server.generation();
            note.inside(|| clients.sweep(|id| server.client_gone(id)));
            announce(generation, &server);
            if idle_ms >= SETTLE_AFTER_MS {
                note.inside(|| server.settle());
                // Served and idle: deaths before this no longer run in a row.
                if !matches!(server.status(), VolumeStatus::NotMounted(NotMounted::Faulty { .. })) {
                    note.idle();
                }
            }
        }
    });
}

/// Tells subscribers (`http` keeps files in memory) that what they read
/// changed, if it did since `before`.
fn announce(before: u32, server: &Server) {
    if server.generation() != before {
        let _ = I::publish(&server.generation().to_le_bytes());
    }
}

/// Says on the console what state the volume is in.
fn report(status: &VolumeStatus) {
    match status {
        VolumeStatus::Mounted { label, .. } => {
            say!("storage: mounted FAT volume {} (service `{}`)", label, proto_storage::SERVICE_NAME)
        }
        VolumeStatus::NotMounted(why @ NotMounted::Faulty { .. }) => say!(
            "storage: volume NOT mounted: {}; the service leaves it alone (FTP SITE FORMAT erases it, or replace it and reboot)",
            why.text()
        ),
        VolumeStatus::NotMounted(why) => say!(
            "storage: volume NOT mounted: {}; nothing was changed (format it explicitly: FTP SITE FORMAT)",
            why.text()
        ),
    }
}
