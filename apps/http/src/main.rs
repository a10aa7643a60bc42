//! http: HTTP/1.1 on port 80, on the app's own smoltcp stack.
//!
//! Serves the site's files from the eMMC, a built-in status page, the JSON
//! status API, Prometheus metrics and a benchmark resource, to up to [`server::MAX_ACTIVE`] clients at once with
//! keep-alive and pipelining; one more connection than that gets a 503.
//! Request parsing and response heads come from `proto-http`; this crate is
//! the sockets and the routes.

#![no_main]
#![no_std]

extern crate panic_restart;

extern crate alloc;

mod cache;
mod conn;
mod metrics;
mod routes;
mod server;
mod site;
mod snapshot;
mod status;

use core::cell::Cell;

use events::Events;
use libtock_rng::Rng;
use libtock_runtime::{set_main, stack_size, TockSyscalls};
use net::{Net, NetDevice, Protocol};
use say::say;
use smoltcp::iface::{PollIngressSingleResult, PollResult};
use smoltcp::time::Instant;

set_main! {main}
/// Frames taken in before the connections are serviced (a receive queue's
/// worth: 16 KiB of small frames).
const INGRESS_BATCH: usize = 32;
// Deepest path: a storage call (its client holds two 4.5 KiB message
// buffers, boxed) inside a connection's service, inside smoltcp polling.
stack_size! {0x4000}

#[global_allocator]
static HEAP: heap::ProcessHeap = heap::ProcessHeap::new();

pub const PORT: u16 = 80;

/// The storage service, for files under `/www`.
pub type Storage<'e> = storage_client::Storage<'e, TockSyscalls>;

fn main() {
    let config = match Net::<TockSyscalls>::config() {
        Ok(c) => c,
        Err(e) => {
            say!("http: no network ({:?}); exiting", e);
            return;
        }
    };
    if let Err(e) = Net::<TockSyscalls>::bind(Protocol::Tcp, PORT) {
        say!("http: cannot bind TCP port {}: {:?}", PORT, e);
        return;
    }
    let clock = timing::Clock::<TockSyscalls>::new().expect("alarm driver");
    // Before anything makes the IPC inbox: a large one takes 16 KiB reads.
    let large_inbox = storage_client::large_inbox::<TockSyscalls>();
    if !large_inbox {
        say!("http: no large IPC inbox; files are read 4 KiB at a time");
    }
    // The storage service announces changes to the volume (see `cache`).
    let follows_changes = match ipc::Ipc::<TockSyscalls>::subscribe(proto_storage::SERVICE_NAME) {
        Ok(()) => true,
        Err(e) => {
            say!("http: cannot follow storage changes ({:?}); files are not kept in memory", e);
            false
        }
    };

    let frames = Cell::new(true);
    let rx = net::receive_buffer();
    // Frames go to the switch a batch per pass (`net::NetDevice`); a reply
    // the batch has no room for goes alone from `spare`.
    let tx = net::transmit_buffer();
    let spare = net::frame_buffer();
    let mut device = NetDevice::<TockSyscalls>::new(rx, tx, spare, &frames);

    let mut seed = [0u8; 8];
    let _ = Rng::<TockSyscalls>::get_bytes_sync(&mut seed, 8);
    let mut iface = net::interface(&config, &mut device, clock.now_ms(), u64::from_le_bytes(seed));
    let mut sockets = net::socket_set(server::SOCKETS);
    let mut server = server::Server::new(&mut sockets);

    say!(
        "http: serving on {}.{}.{}.{}:{} ({} connections, {} more get 503)",
        config.ipv4[0],
        config.ipv4[1],
        config.ipv4[2],
        config.ipv4[3],
        PORT,
        server::MAX_ACTIVE,
        server::SOCKETS - server::MAX_ACTIVE
    );

    // Set: an announcement may have come before the subscription.
    let messages = Cell::new(true);
    Events::<TockSyscalls>::run(&frames, &messages, |events| {
        // File reads in flight keep their replies here (see `reads`).
        let in_flight = alloc::vec![0u8; storage_client::in_flight_buffers(large_inbox)].leak();
        let transport = storage_client::IpcTransport::pipelined(events, &clock, in_flight, large_inbox);
        let mut site = site::Site::new(transport.storage(), follows_changes);
        if site.cache.enabled() {
            say!(
                "http: keeping files up to {} KiB in memory (a {} KiB PSRAM grant)",
                cache::MAX_FILE / 1024,
                site.cache.budget() / 1024
            );
        } else {
            say!("http: no memory for a file cache; every file is read from storage");
        }
        loop {
            // Change announcements from the storage service (see `cache`).
            // Replies to file reads in flight come in with them.
            if events.messages_pending() {
                site.check_changes();
            }
            site.storage.transport().check_in_flight();
            let now = clock.now_ms();
            let stamp = Instant::from_millis(now as i64);
            iface.poll_maintenance(stamp);
            // Frames one at a time, freeing the sockets of connections that
            // just ended in between: smoltcp has no listen backlog, so a
            // slot must be listening again before the next frame (perhaps a
            // new client's SYN) comes in, or that client is reset. The full
            // service pass (which reads files) runs once per batch.
            let mut frames_in = 0;
            while frames_in < INGRESS_BATCH
                && iface.poll_ingress_single(stamp, &mut device, &mut sockets)
                    == PollIngressSingleResult::PacketProcessed
            {
                frames_in += 1;
                if server.reap(&mut sockets, now) {
                    iface.poll_egress(stamp, &mut device, &mut sockets);
                    server.listen_again(&mut sockets);
                }
            }
            let progressed = server.service(&mut sockets, now, &mut site);
            // A segment per socket per call: again while any goes out (each
            // round visits every socket, so none waits for another to finish),
            // until the sockets or the switch's room run out. One batch.
            while iface.poll_egress(stamp, &mut device, &mut sockets) == PollResult::SocketStateChanged {}
            device.flush();
            if device.take_refusal() {
                server.take_turns(&mut sockets);
            }
            server.listen_again(&mut sockets);
            if frames_in > 0 || progressed || device.maybe_pending() || device.before_wait() {
                continue;
            }
            let delay = iface.poll_delay(stamp, &sockets).map_or(u64::MAX, |d| d.total_millis());
            let storage_check = site.storage.transport().next_check().unwrap_or(u64::MAX);
            // A frame still refused: the room upcall ends the wait, this at the latest.
            let held = device.next_retry().unwrap_or(u64::MAX);
            let wake = delay
                .min(server.next_deadline(now, site.reads.contended()))
                .min(storage_check)
                .min(held)
                .min(u32::MAX as u64) as u32;
            events.wait_until(now, Some(now + wake as u64));
        }
    });
}
