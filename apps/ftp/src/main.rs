//! ftp: an FTP server (RFC 959; RFC 2428 EPSV/EPRT; RFC 3659 SIZE, MDTM,
//! MLSD, REST; RFC 1635 anonymous access) on port 21, on the app's own
//! smoltcp stack, with every file operation going to the `storage` service
//! over IPC. Who may do what: `docs/ftp.md`.
//!
//! The protocol (command parsing, replies, paths, listings, roles, the
//! anonymous chroot, the PORT address check) is `proto-ftp`; this crate is
//! the glue: sockets, the storage client, and a state machine turning each
//! session's `Outcome`s into socket and storage work ([`dispatch`]).
//!
//! Design
//! ------
//! - **Sessions**: [`control::MAX_SESSIONS`] (8) at once, one control
//!   socket each, plus two more control sockets: one answers `421` and
//!   closes when all sessions are busy, the other covers a connection still
//!   finishing its close.
//! - **Login** ([`config`], [`credentials`]): user and password from
//!   `/config/ftp.cfg`; with no `pass` there, one is generated from the
//!   kernel's RNG at first boot, appended to the file and printed once. A
//!   wrong password is answered after 1, 2, 4, 8 s (the larger of the
//!   connection's and the peer address's count, `proto_ftp::login`), each
//!   failure reported on the console; three on one connection close it.
//!   `admin = yes` gives the user the admin role (SITE FORMAT);
//!   `anonymous = yes` lets `anonymous`/`ftp` read `/www`.
//! - **Data connections** ([`data`]): a pool of [`data::DATA_SOCKETS`] (10)
//!   sockets. Passive (PASV/EPSV): a port of the configured range is bound
//!   with the kernel when a listener needs it, and shared once its client
//!   has connected, so 6 ports (the kernel's 8 bindings less 21 and 20)
//!   serve 8 transferring sessions; a PASV that finds all 6 with a listener
//!   still waiting waits up to 10 s for one to connect, then `425`. Only the
//!   control connection's host may connect to a data port. Active
//!   (PORT/EPRT): the session accepts only the control connection's own
//!   address and ports from 1024; the connection leaves from port 20 when
//!   the transfer starts.
//! - **Transfers** ([`transfer`]) move through the storage service in
//!   chunks of at most 4096 bytes (one request each), never a whole file in
//!   memory. The main loop polls smoltcp, then gives every session one
//!   step: at most one command and at most one storage request, so
//!   transfers progress side by side and ABOR/NOOP/STAT/QUIT are answered
//!   during them. TYPE A converts line ends as the data passes (LF on the
//!   volume, CRLF on the wire). `STAT path` sends its listing on the control
//!   connection with the same machine. LIST/NLST/STAT take `*` and `?` in
//!   the last name.
//! - **Failures**: a data connection reset or closed early → the storage
//!   handle is closed, `426`; the storage service dying or restarting
//!   (`ServiceGone`) → `451` (the next command looks the service up
//!   again); a full volume → `552`, the file closed at what was written.
//!   Timeouts: idle control connection 300 s (`idle_timeout` in the
//!   settings), data connection 30 s to connect and 60 s without progress
//!   (`data_timeout`), unused passive listener 120 s, closing sockets 5 s.
//!   Every path that ends a transfer (done, failed, ABOR, control
//!   connection lost) closes its storage handle.
//! - **Decisions**: a failed download still ends its data connection with
//!   FIN (the control reply says it failed), a failed upload is reset so
//!   the client stops sending. QUIT during a transfer lets it finish (226,
//!   then 221), even if the client half-closes the control connection.
//!   `REST n` + `STOR` writes from `n` and keeps any longer tail (no
//!   truncate in the storage protocol); `REST` past the end of the file is
//!   refused (451: FAT has no holes), and REST in TYPE A is refused (550).
//!   SIZE reports the stored size in either TYPE. `SITE FORMAT [label]`
//!   (label `NUCLEOMEM` by default) needs the admin role and no transfer
//!   running in any session. MFMT is not offered: the storage protocol
//!   cannot set a file's time (`docs/ftp.md` says what it needs). Over
//!   QEMU's user network a client's RST on a data connection reaches the
//!   board as FIN, so a cut upload looks complete there (stream mode ends
//!   files at EOF); a real reset gives 426.
//! - **Speed**: `make bench` and `docs/performance.md`. A TYPE I download
//!   reads 16 KiB per storage round trip (a large IPC inbox, asked for at
//!   start) and sends straight from the reply as the socket has room; a
//!   TYPE A download and an upload move 4 KiB per round trip.
//!
//! Memory (heap in the app's 512 KiB PSRAM block, `apps/layout.toml` asks
//! 288 KiB; the data sockets in a 512 KiB PSRAM grant)
//! -------------------------------------------------------------------------
//! | what | size | why |
//! |---|---|---|
//! | control sockets | 10 × (1 + 2) KiB | two command lines in, two of the largest replies (1 KiB) out |
//! | data sockets (the grant) | 10 × (8 + 32) KiB | 8 KiB window per upload (four fit the kernel's 32 KiB receive queue; a fifth's burst there is dropped and resent); 32 KiB out = two 16 KiB reads, one being sent while the next goes in. In the heap, 10 × (8 + 8) KiB, if the grant is refused |
//! | storage replies in flight | 3 × 16.5 KiB | reads ahead and writes behind for all transfers (`storage_client::LARGE_IN_FLIGHT_BUFFERS`; 3 × 4.5 KiB without a large inbox) |
//! | chunk buffers | 10 × 4 KiB | one storage request's data per control slot |
//! | reply queues, line buffers, sessions | 10 × ~5 KiB | 2 KiB of queued replies, a 512-byte line, the session's three paths (cwd, target, RNFR source) and its root, its reply buffer |
//! | storage client | 9 KiB | its request and reply messages (2 × 4608 B) |
//! | IPC inbox buffer | 4.5 KiB | one whole IPC message (late replies are read out and dropped) |
//! | frames, config | 13 + 4 KiB | a 4-frame receive batch and a 4-frame transmit batch, one spare frame; the settings file (read once, freed) |
//! | login table | 0.3 KiB | 16 peers with their failure counts (`proto_ftp::login::PEERS`) |
//!
//! About 210 KiB of heap in all, every buffer made at start (so the same
//! idle and with 8 sessions transferring and listing), inside the 288 KiB
//! the TBF asks for; the block also holds the kernel's grants (~105 KiB:
//! the network switch's queues, the large IPC inbox) and the stack (8 KiB;
//! the deepest use measured is 4 KiB). The data sockets' 400 KiB are in a
//! PSRAM grant of their own (never allowed to the kernel: smoltcp copies
//! into the frames), which the 512 KiB block could not hold beside the
//! rest: a 1 MiB block would put the product apps past the 2 MiB of app
//! memory tockloader places fixed-address TBFs in.

#![no_main]
#![no_std]

extern crate alloc;
extern crate panic_restart;

mod config;
mod control;
mod credentials;
mod data;
mod dispatch;
mod store;
mod transfer;

use alloc::boxed::Box;
use alloc::string::String;
use core::cell::Cell;
use core::net::Ipv4Addr;

use events::Events;
use libtock_rng::Rng;
use libtock_runtime::{set_main, stack_size, TockSyscalls};
use net::{Net, NetDevice, Protocol};
use proto_storage::{ClientError, Transport};
use say::say;
use smoltcp::time::Instant;
use storage_client::IpcTransport;

use config::{Config, Source};

set_main! {main}
// The deepest path measured (a storage call inside a transfer step) uses
// about 3 KiB; the storage client (9 KiB) and all buffers are on the heap.
stack_size! {0x2000}

#[global_allocator]
static HEAP: heap::ProcessHeap = heap::ProcessHeap::new();

/// How long the app waits at start for the storage service to answer
/// (both start at boot; the volume mounts in milliseconds).
const STORAGE_WAIT_MS: u64 = 10_000;
/// Longest sleep of the main loop: the millisecond clock must be read at
/// least once per wrap of the kernel's 32-bit timer (~7 minutes).
const MAX_SLEEP_MS: u64 = 60_000;

fn main() {
    let net = match Net::<TockSyscalls>::config() {
        Ok(c) => c,
        Err(e) => {
            say!("ftp: no network ({:?}); exiting", e);
            return;
        }
    };
    if let Err(e) = Net::<TockSyscalls>::bind(Protocol::Tcp, control::PORT) {
        say!("ftp: cannot bind TCP port {}: {:?}", control::PORT, e);
        return;
    }
    // Every active-mode connection leaves from this one port.
    let active_mode = match Net::<TockSyscalls>::bind(Protocol::Tcp, data::ACTIVE_PORT) {
        Ok(()) => true,
        Err(e) => {
            say!("ftp: cannot bind TCP port {} ({:?}); active mode is off", data::ACTIVE_PORT, e);
            false
        }
    };
    let clock = timing::Clock::<TockSyscalls>::new().expect("alarm driver");
    // Before anything makes the IPC inbox: a large one takes 16 KiB reads.
    let large_inbox = storage_client::large_inbox::<TockSyscalls>();
    if !large_inbox {
        say!("ftp: no large IPC inbox; files are read 4 KiB at a time");
    }

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
    let mut sockets = net::socket_set(control::CONTROL_SOCKETS + data::DATA_SOCKETS);

    let messages = Cell::new(false);
    Events::<TockSyscalls>::run(&frames, &messages, |events| {
        // Transfers keep their storage requests' replies here (`transfer`).
        let in_flight = alloc::vec![0u8; storage_client::in_flight_buffers(large_inbox)].leak();
        let mut store = Box::new(IpcTransport::pipelined(events, &clock, in_flight, large_inbox).storage());
        let mut inbox = alloc::vec![0u8; ipc::MAX_MESSAGE];

        // Settings: wait (bounded) for the storage service to come up.
        let start = clock.now_ms();
        let (mut config, source) = loop {
            let (config, source) = load_config(&mut *store);
            match source {
                Source::Unavailable(ClientError::Transport(_)) if clock.now_ms() - start < STORAGE_WAIT_MS => {
                    events.messages_drained();
                    events.wait_messages(200);
                }
                _ => break (config, source),
            }
        };
        let mut config_pending = report_config(&config, &source);
        // A password printed this boot, kept if the settings are read again.
        let mut printed: Option<String> = None;
        credentials::settle(&mut config, &source, &mut *store, &mut printed);

        let board = Ipv4Addr::from(net.ipv4);
        let mut server = control::Server::new(&mut sockets, config.pasv_ports, active_mode);
        say!(
            "ftp: serving on {}:{} ({} sessions, passive ports {}-{} advertised as {}, active mode {}, anonymous {}, timeouts idle {} s, data {} s)",
            board,
            control::PORT,
            control::MAX_SESSIONS,
            config.pasv_ports.0,
            config.pasv_ports.1,
            config.pasv_address.unwrap_or(board),
            if active_mode { "to the client's own address" } else { "off" },
            if config.anonymous { "read-only in /www" } else { "off" },
            config.idle_timeout_s,
            config.data_timeout_s
        );

        loop {
            let now = clock.now_ms();
            let stamp = Instant::from_millis(now as i64);
            iface.poll(stamp, &mut device, &mut sockets);
            device.flush();
            if device.take_refusal() {
                server.take_turns(&mut sockets);
            }
            if config_pending && server.connection_waiting(&sockets) {
                // The storage service was not there at start: try again
                // before the first session begins.
                let (mut fresh, source) = load_config(&mut *store);
                if !matches!(source, Source::Unavailable(ClientError::Transport(_))) {
                    config_pending = report_config(&fresh, &source);
                    credentials::settle(&mut fresh, &source, &mut *store, &mut printed);
                    if fresh.pasv_ports != config.pasv_ports && !server.set_pasv_ports(fresh.pasv_ports) {
                        fresh.pasv_ports = config.pasv_ports;
                    }
                    config = fresh;
                }
            }
            // Replies to the transfers' requests in flight go to their
            // buffers before the transfers look; late replies (after their
            // call gave up) and strays are read out and dropped, so the
            // inbox is seen empty and the kernel raises its upcall again.
            if events.messages_pending() {
                store.transport().poll_changes(&mut inbox[..]);
            }
            store.transport().check_in_flight();
            let advertised = config.pasv_address.unwrap_or(board);
            let progressed = server.service(&mut sockets, iface.context(), &mut *store, &config, advertised, now);
            if progressed || device.maybe_pending() || device.before_wait() {
                continue;
            }
            let delay = iface.poll_delay(stamp, &sockets).map_or(u64::MAX, |d| d.total_millis());
            let storage_check = store.transport().next_check().unwrap_or(u64::MAX);
            // A frame still refused: the room upcall ends the wait, this at the latest.
            let held = device.next_retry().unwrap_or(u64::MAX);
            let wake = delay.min(server.next_deadline(now, &config)).min(storage_check).min(held).min(MAX_SLEEP_MS);
            events.wait_until(now, Some(now + wake));
        }
    });
}

fn load_config<T: Transport>(store: &mut proto_storage::StorageClient<T>) -> (Config, Source) {
    // On the heap (zeroed there, never staged on the small stack), freed after.
    let mut buf = alloc::vec![0u8; config::MAX_FILE];
    Config::load(store, &mut buf)
}

/// Says which settings apply (never a password); true if the file could
/// not be read because the storage service was not there (try again later).
fn report_config(config: &Config, source: &Source) -> bool {
    let roles = match (config.admin, config.anonymous) {
        (false, false) => "no admin role, no anonymous access",
        (true, false) => "admin role, no anonymous access",
        (false, true) => "no admin role, anonymous read-only access to /www",
        (true, true) => "admin role, anonymous read-only access to /www",
    };
    match source {
        Source::File { seen, truncated, .. } => {
            if *truncated {
                say!("ftp: {} is longer than {} bytes; the rest is ignored", config::PATH, config::MAX_FILE);
            }
            let user = if seen.user { "from the file" } else { "the default" };
            say!("ftp: settings from {}: user {} ({}), {}", config::PATH, config.user, user, roles);
            false
        }
        Source::Missing => {
            say!("ftp: no {}; default user {} and passive ports, {}", config::PATH, config.user, roles);
            false
        }
        Source::Unavailable(e) => {
            say!(
                "ftp: cannot read {} ({:?}); default user {} and passive ports, {}",
                config::PATH,
                e,
                config.user,
                roles
            );
            matches!(e, ClientError::Transport(_))
        }
    }
}
