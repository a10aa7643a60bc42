//! ipcprobe (test image only): checks the IPC channel from a process's
//! side and reports each check on the console for the system tests.
//!
//! Its peer is `psramtest`, which answers every message with 4 bytes and
//! publishes when asked to. Checks: names (taken, twice, too long,
//! unknown), message bounds, the sender's identity, a full inbox reported
//! (not hung) and recovering, publications reaching subscribers, and the
//! block device refusing an app the board did not allow. Then it watches
//! its peer: when `psramtest` restarts, sends to the old handle fail with
//! `NODEVICE` and the new instance answers under a new handle. It also
//! times round trips, for `make bench`.

#![no_main]
#![no_std]

extern crate panic_restart;

use core::cell::Cell;

use blk::Blk;
use events::{Events, Wake};
use ipc::{Handle, Ipc, MAX_LARGE_MESSAGE, MAX_MESSAGE, MAX_NAME};
use libtock_platform::ErrorCode;
use libtock_runtime::{set_main, stack_size, TockSyscalls};
use say::say;

set_main! {main}
// A largest message's buffer (16.5 KiB) besides the rest.
stack_size! {0x8000}

type I = Ipc<TockSyscalls>;

const PEER: &str = "psramtest";
/// A driver number no board has.
const NO_DRIVER: u32 = 0x8000_0fff;
/// How long a reply may take (the peer runs when the scheduler says so).
const REPLY_MS: u32 = 2000;

struct Report {
    checks: u32,
    failed: u32,
}

impl Report {
    fn check(&mut self, name: &str, ok: bool, detail: impl core::fmt::Debug) {
        self.checks += 1;
        if ok {
            say!("ipcprobe: check {}: ok", name);
        } else {
            self.failed += 1;
            say!("ipcprobe: check {}: FAILED ({:?})", name, detail);
        }
    }
}

fn main() {
    let frames = Cell::new(false);
    let messages = Cell::new(true);
    // First of all: the inbox is made by the first register or send.
    let large = I::large_inbox();
    Events::<TockSyscalls>::run(&frames, &messages, |events| {
        let peer = loop {
            if let Ok(h) = I::lookup(PEER) {
                break h;
            }
            events.wait(Some(100));
        };
        let mut buf = [0u8; MAX_MESSAGE + 1];
        let mut large_buf = [0u8; MAX_LARGE_MESSAGE + 1];
        let mut r = Report { checks: 0, failed: 0 };

        let e = I::register(PEER);
        r.check("a live service's name is refused", e == Err(ErrorCode::Reserve), e);
        let e = I::register("ipcprobe");
        r.check("register", e.is_ok(), e);
        let e = I::register("ipcprobe2");
        r.check("a second name is refused", e == Err(ErrorCode::Already), e);
        let e = I::lookup("ipcprobe-name-too-long");
        r.check("an over-long name is refused", e == Err(ErrorCode::Invalid), e);
        let e = I::lookup("nosuch");
        r.check("an unknown name is not found", e == Err(ErrorCode::NoDevice), e);
        let e = I::lookup("ipcprobe").and_then(|me| I::send(me, b"x"));
        r.check("a message to itself is refused", e == Err(ErrorCode::Invalid), e);
        let e = I::send(peer, &[]);
        r.check("an empty message is refused", e == Err(ErrorCode::Size), e);
        let e = I::send(peer, &buf[..MAX_MESSAGE + 1]);
        r.check("an over-long message to a small inbox is refused", e == Err(ErrorCode::Size), e);
        let e = I::send(peer, &large_buf[..MAX_LARGE_MESSAGE + 1]);
        r.check("a message over the largest is refused", e == Err(ErrorCode::Size), e);
        r.check("a large inbox is granted", large.is_ok(), large);
        let e = I::large_inbox();
        r.check("a second large inbox is refused", e == Err(ErrorCode::Already), e);
        let e = I::send(Handle(0x7fff_fff0), b"x");
        r.check("a message to no process is refused", e == Err(ErrorCode::NoDevice), e);

        // Identity: the reply says who sent it, and the kernel names it.
        let e = I::send(peer, b"where");
        let reply = e.and_then(|()| next_message(events, &mut buf));
        r.check("request and reply", reply.is_ok_and(|m| m.sender == peer && m.len == 4 && !m.publication), reply);
        let mut name = [0u8; MAX_NAME];
        let e = I::sender_name(peer, &mut name).map(|n| n == PEER);
        r.check("the sender's app name", e == Ok(true), e);

        // A full inbox: the send fails at once with NOMEM (the sender never
        // blocks), and the inbox takes messages again once drained. The
        // burst runs without yielding, so the peer cannot drain meanwhile.
        let mut delivered = 0;
        let full = loop {
            match I::send(peer, &buf[..MAX_MESSAGE]) {
                Ok(()) if delivered < 16 => delivered += 1,
                other => break other,
            }
        };
        r.check("a full inbox is reported", full == Err(ErrorCode::NoMem) && delivered >= 2, (full, delivered));
        let mut replies = 0;
        while replies < delivered && next_message(events, &mut buf).is_ok() {
            replies += 1;
        }
        r.check("every delivered message is answered", replies == delivered, (replies, delivered));
        let e = I::send(peer, b"where").and_then(|()| next_message(events, &mut buf));
        r.check("the drained inbox takes messages again", e.is_ok(), e);

        // A large inbox takes the largest message; one longer than the
        // buffer given is dropped on request, so the next can come.
        let e = I::send(peer, b"large").and_then(|()| next_message(events, &mut large_buf));
        let whole = e.is_ok_and(|m| m.len == MAX_LARGE_MESSAGE && large_buf[..m.len].iter().all(|b| *b == 0x4c));
        r.check("a large inbox takes the largest message", whole, e);
        let e = I::send(peer, b"large").and_then(|()| next_large(events, &mut buf));
        r.check("a message longer than the buffer is dropped", e == Err(ErrorCode::Size), e);
        let e = I::receive(&mut buf);
        r.check("the dropped message is gone", e == Ok(None), e);

        // Publications reach subscribers, marked as such.
        let e = I::subscribe(PEER);
        r.check("subscribe", e.is_ok(), e);
        let e = I::subscribe(PEER);
        r.check("a second subscription to one name is refused", e == Err(ErrorCode::Already), e);
        let e = I::send(peer, b"publish").and_then(|()| next_message(events, &mut buf));
        let news = e.is_ok_and(|m| m.publication && m.sender == peer && &buf[..m.len] == b"psramtest news");
        r.check("a publication arrives", news, e);
        let e = I::publish(b"nobody listens");
        r.check("publishing with no subscribers reaches none", e == Ok(0), e);

        let e = Blk::<TockSyscalls>::sectors();
        r.check("the block device refuses this app", e == Err(ErrorCode::NoDevice), e);

        say!("ipcprobe: {} checks, {} failed", r.checks, r.failed);
        round_trips(events, peer, &mut buf);
        watch(events, peer, &mut buf)
    })
}

/// The next direct message or publication, waiting up to [`REPLY_MS`].
fn next_message(events: &Events<TockSyscalls>, buf: &mut [u8]) -> Result<ipc::Message, ErrorCode> {
    next_with(events, buf, I::receive)
}

/// As [`next_message`], but a message longer than `buf` is dropped (`Size`).
fn next_large(events: &Events<TockSyscalls>, buf: &mut [u8]) -> Result<ipc::Message, ErrorCode> {
    next_with(events, buf, I::receive_or_drop)
}

fn next_with(
    events: &Events<TockSyscalls>,
    buf: &mut [u8],
    receive: fn(&mut [u8]) -> Result<Option<ipc::Message>, ErrorCode>,
) -> Result<ipc::Message, ErrorCode> {
    loop {
        if let Some(m) = receive(buf)? {
            return Ok(m);
        }
        events.messages_drained();
        if events.wait(Some(REPLY_MS)) == Wake::Deadline && !events.messages_pending() {
            return Err(ErrorCode::Busy);
        }
    }
}

/// Times request/reply round trips to the peer and bare system calls (for
/// `make bench`).
fn round_trips(events: &Events<TockSyscalls>, peer: Handle, buf: &mut [u8]) {
    const N: u32 = 200;
    let Ok(clock) = timing::Clock::<TockSyscalls>::new() else { return };
    let start = clock.now_ms();
    for _ in 0..N {
        if I::send(peer, b"where").and_then(|()| next_message(events, buf)).is_err() {
            return;
        }
    }
    let us = (clock.now_ms() - start) * 1000 / N as u64;
    say!("ipcprobe: {} round trips to {}, {} us each", N, PEER, us);
    // The cost of one system call: a command the kernel refuses at once.
    const CALLS: u64 = 5000;
    let start = clock.now_ms();
    for _ in 0..CALLS {
        let _ = <TockSyscalls as libtock_platform::Syscalls>::command(NO_DRIVER, 0, 0, 0);
    }
    say!("ipcprobe: a system call takes {} ns", (clock.now_ms() - start) * 1_000_000 / CALLS);
}

/// Asks the peer every 500 ms and says when its handle stops working and
/// when a new instance answers.
fn watch(events: &Events<TockSyscalls>, mut peer: Handle, buf: &mut [u8]) -> ! {
    say!("ipcprobe: watching {} (handle {})", PEER, peer.0);
    loop {
        // The peer's answers wake this wait; only the deadline ends it.
        loop {
            while let Ok(Some(_)) = I::receive(buf) {}
            events.messages_drained();
            if events.wait(Some(500)) == Wake::Deadline {
                break;
            }
        }
        match I::send(peer, b"where") {
            Ok(()) | Err(ErrorCode::NoMem) => continue,
            Err(e) => say!("ipcprobe: {} handle {} is gone: {:?}", PEER, peer.0, e),
        }
        // The restarted peer registers again; until then lookups fail.
        let new = loop {
            if let Ok(h) = I::lookup(PEER) {
                break h;
            }
            events.wait(Some(100));
        };
        let answer = I::send(new, b"where").and_then(|()| next_message(events, buf));
        say!(
            "ipcprobe: {} is back as handle {} (new handle: {}, answers: {})",
            PEER,
            new.0,
            new != peer,
            answer.is_ok_and(|m| m.sender == new)
        );
        peer = new;
    }
}
