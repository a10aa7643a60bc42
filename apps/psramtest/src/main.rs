//! psramtest (test image only): exercises PSRAM grants and reports each
//! step on the console for the system tests.
//!
//! 1. Grows its heap far beyond its own memory block (a 300 KiB vector):
//!    the allocator takes a PSRAM grant for it.
//! 2. Takes 256 KiB grants until the kernel refuses, fills each with its
//!    own pattern and checks them all.
//! 3. Frees the last, takes another, and checks every pattern again.
//! 4. Serves its first grant's address over IPC (service `psramtest`) to
//!    `psramspy`, which tries to read it and must fault. (For `ipcprobe`:
//!    every message gets that reply, but `publish` makes it publish and
//!    `large` gets the largest message a large inbox takes.)
//!
//! After its third restart it takes nothing, so tests can check that every
//! grant went back to the pool.

#![no_main]
#![no_std]

extern crate panic_restart;

extern crate alloc;

use core::cell::Cell;

use events::Events;
use ipc::Ipc;
use libtock_runtime::{set_main, stack_size, TockSyscalls};
use psram::{Grant, Psram};
use say::say;
use system::SystemInfo;

set_main! {main}
stack_size! {0x2000}

#[global_allocator]
static HEAP: heap::ProcessHeap = heap::ProcessHeap::new();

type P = Psram<TockSyscalls>;

const GRANT: usize = 256 * 1024;
/// The largest message there is, for `ipcprobe`'s large inbox: in flash,
/// since an allow cannot point into the heap's PSRAM grants.
static LARGE: [u8; ipc::MAX_LARGE_MESSAGE] = [0x4c; ipc::MAX_LARGE_MESSAGE];
const HEAP_VECTOR: usize = 300 * 1024;
const MAX: usize = 8;

fn pattern(grant: usize, word: usize) -> u32 {
    (grant as u32).wrapping_mul(0x9E37_79B9) ^ (word as u32).wrapping_mul(0x85EB_CA6B)
}

fn fill(i: usize, g: &Grant) {
    // SAFETY: each live grant is only ever sliced here and in `check`, one
    // at a time.
    let words = unsafe { g.memory() };
    for (w, chunk) in words.chunks_exact_mut(4).enumerate() {
        chunk.copy_from_slice(&pattern(i, w).to_le_bytes());
    }
}

fn check(i: usize, g: &Grant) -> bool {
    // SAFETY: as in `fill`.
    let words = unsafe { g.memory() };
    words.chunks_exact(4).enumerate().all(|(w, c)| c == pattern(i, w).to_le_bytes())
}

fn restarts() -> u32 {
    let n = SystemInfo::<TockSyscalls>::process_count().unwrap_or(0);
    (0..n)
        .filter_map(|i| SystemInfo::<TockSyscalls>::process(i).ok())
        .find(|p| p.name() == "psramtest")
        .map_or(0, |p| p.restarts)
}

fn main() {
    let restart = restarts();
    if restart >= 3 {
        say!("psramtest: restart {}: holding no grants", restart);
        idle();
    }
    let (limit_bytes, limit_grants) = P::limits().unwrap_or((0, 0));
    say!("psramtest: start {}; limits {} bytes in {} grants", restart, limit_bytes, limit_grants);

    // 1. The heap grows into PSRAM.
    let mut v = alloc::vec::Vec::<u32>::with_capacity(HEAP_VECTOR / 4);
    v.extend((0..HEAP_VECTOR / 4).map(|i| i as u32 ^ 0x5A5A_5A5A));
    let heap_ok = v.iter().enumerate().all(|(i, x)| *x == i as u32 ^ 0x5A5A_5A5A);
    let stats = HEAP.stats();
    say!("psramtest: heap {} bytes in {} regions, vector ok: {}", stats.size, stats.regions, heap_ok);

    // 2. Grants until refused.
    let mut grants: [Option<Grant>; MAX] = [None; MAX];
    let mut n = 0;
    while n < MAX {
        match P::grant(GRANT) {
            Ok(g) => {
                fill(n, &g);
                say!("psramtest: grant {} at {:#010x}, {} bytes", n, g.address, g.size);
                grants[n] = Some(g);
                n += 1;
            }
            Err(e) => {
                say!("psramtest: grant {} refused: {:?}", n, e);
                break;
            }
        }
    }
    let all_ok = grants.iter().enumerate().all(|(i, g)| g.is_none_or(|g| check(i, &g)));
    let (held, count) = P::held().unwrap_or((0, 0));
    say!("psramtest: {} grants, patterns ok: {}; holding {} bytes in {} grants", n, all_ok, held, count);

    // 3. Free the last one, take again.
    if n >= 1 {
        let last = n - 1;
        if let Some(g) = grants[last].take() {
            say!("psramtest: free grant {}: {:?}", last, P::free(g));
        }
        match P::grant(GRANT) {
            Ok(g) => {
                fill(last, &g);
                grants[last] = Some(g);
                say!("psramtest: regrant at {:#010x}", g.address);
            }
            Err(e) => say!("psramtest: regrant refused: {:?}", e),
        }
        let all_ok = grants.iter().enumerate().all(|(i, g)| g.is_none_or(|g| check(i, &g)));
        say!("psramtest: after free and regrant, patterns ok: {}", all_ok);
    }
    drop(v);

    // 4. Tell psramspy where grant 0 is.
    let _ = Ipc::<TockSyscalls>::register("psramtest");
    let target = grants[0].map_or(0, |g| g.address as u32);
    say!("psramtest: ready");
    let frames = Cell::new(false);
    let messages = Cell::new(true);
    // Room for the largest message (one that does not fit stays queued),
    // on the stack: the heap's PSRAM grants are all taken by now.
    let mut buf = [0u8; ipc::MAX_MESSAGE];
    Events::<TockSyscalls>::run(&frames, &messages, |events| loop {
        while let Ok(Some(m)) = Ipc::<TockSyscalls>::receive(&mut buf) {
            if &buf[..m.len] == b"publish" {
                let _ = Ipc::<TockSyscalls>::publish(b"psramtest news");
            } else if &buf[..m.len] == b"large" {
                if let Err(e) = Ipc::<TockSyscalls>::send(m.sender, &LARGE) {
                    say!("psramtest: a large message not sent: {:?}", e);
                }
            } else {
                let _ = Ipc::<TockSyscalls>::send(m.sender, &target.to_le_bytes());
            }
        }
        events.messages_drained();
        events.wait(None);
    })
}

fn idle() -> ! {
    let frames = Cell::new(false);
    let messages = Cell::new(false);
    Events::<TockSyscalls>::run(&frames, &messages, |events| loop {
        events.wait(None);
    })
}
