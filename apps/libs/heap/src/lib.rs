//! The apps' global allocator.
//!
//! First-fit heaps (`linked_list_allocator`, well kept and small) over up
//! to [`MAX_REGIONS`] regions of the app's PSRAM:
//!
//! 1. the app's own memory block: the heap starts empty at the end of
//!    `.bss` and grows by moving the process break (memop sbrk) in
//!    [`GROW_STEP`] steps, so it takes only what it needs;
//! 2. once the block is full, PSRAM grants from the kernel
//!    (`capsules/psram`), each twice the size of the previous one (from
//!    [`FIRST_GRANT`]) or as large as the allocation needs, so a few grants
//!    (the board sets how many: two on the twin) cover a lot of growth.
//!
//! When all of that fails, allocation fails and the app's allocation-error
//! panic makes the kernel restart it. Grants are never given back while
//! the app runs (a heap region cannot shrink); the kernel reclaims them
//! when the app exits or restarts.
//!
//! Use: `#[global_allocator] static HEAP: heap::ProcessHeap = heap::ProcessHeap::new();`
//!
//! [`Arena`] is a PSRAM grant of its own for a bounded store (the HTTP
//! file cache), so filling that store never starves the global heap.

#![no_std]

extern crate alloc;

mod arena;
pub use arena::{Arena, ArenaBytes};

use core::alloc::{GlobalAlloc, Layout};
use core::cell::{Cell, UnsafeCell};
use core::ptr::{self, NonNull};

use libtock_platform::Syscalls;
use libtock_runtime::TockSyscalls;
use linked_list_allocator::Heap;
use psram::Psram;

/// Bytes the break moves at least per growth: few syscalls, little waste.
pub const GROW_STEP: usize = 4096;
/// Heap regions: the app's block and up to three PSRAM grants (as many as
/// the board allows).
pub const MAX_REGIONS: usize = 4;
/// Size of the first PSRAM grant the heap asks for.
pub const FIRST_GRANT: usize = 64 * 1024;

struct Regions {
    heaps: [Heap; MAX_REGIONS],
    count: usize,
    next_grant: usize,
    /// Whether the first region was set up, and is the app's own block.
    started: bool,
    block: bool,
}

pub struct ProcessHeap {
    regions: UnsafeCell<Regions>,
    busy: Cell<bool>,
}

// SAFETY: a Tock process is single-threaded and upcalls only run inside
// `yield`, never inside the allocator; `busy` catches re-entrance anyway.
unsafe impl Sync for ProcessHeap {}

/// Heap figures: bytes spanned, bytes allocated, regions in use.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    pub size: usize,
    pub used: usize,
    pub regions: usize,
}

impl ProcessHeap {
    pub const fn new() -> Self {
        ProcessHeap {
            regions: UnsafeCell::new(Regions {
                heaps: [const { Heap::empty() }; MAX_REGIONS],
                count: 0,
                next_grant: FIRST_GRANT,
                started: false,
                block: false,
            }),
            busy: Cell::new(false),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut Regions) -> R) -> Option<R> {
        if self.busy.replace(true) {
            return None;
        }
        // SAFETY: `busy` makes this the only live reference.
        let r = f(unsafe { &mut *self.regions.get() });
        self.busy.set(false);
        Some(r)
    }

    pub fn stats(&self) -> Stats {
        self.with(|r| {
            let heaps = &r.heaps[..r.count];
            Stats {
                size: heaps.iter().map(|h| h.size()).sum(),
                used: heaps.iter().map(|h| h.used()).sum(),
                regions: r.count,
            }
        })
        .unwrap_or_default()
    }
}

impl Default for ProcessHeap {
    fn default() -> Self {
        Self::new()
    }
}

/// Moves the break up by at least `bytes`; returns the old break.
fn grow_break(bytes: usize) -> Option<*mut u8> {
    let step = bytes.div_ceil(GROW_STEP) * GROW_STEP;
    let incr = i32::try_from(step).ok()?;
    // SAFETY: a positive increment only gives the process more memory.
    unsafe { TockSyscalls::memop_sbrk(incr) }.ok().map(|p| p as *mut u8)
}

fn current_break() -> Option<*mut u8> {
    // SAFETY: an increment of 0 only reads the break.
    unsafe { TockSyscalls::memop_sbrk(0) }.ok().map(|p| p as *mut u8)
}

impl Regions {
    fn try_alloc(&mut self, layout: Layout) -> Option<NonNull<u8>> {
        self.heaps[..self.count].iter_mut().find_map(|h| h.allocate_first_fit(layout).ok())
    }

    /// Starts the first region at the end of `.bss`, if the app's block
    /// has room for at least one growth step.
    fn start_block(&mut self) {
        self.started = true;
        let start = libtock_runtime::startup::get_heap_start() as *mut u8;
        // SAFETY: memory from the end of .bss to the break is the process's
        // and unused.
        if unsafe { TockSyscalls::memop_brk(start) }.is_err() {
            return;
        }
        let Some(base) = grow_break(GROW_STEP) else { return };
        let top = current_break().unwrap_or(base);
        // SAFETY: [base, top) was just given to the process and is unused.
        unsafe { self.heaps[0].init(base, top as usize - base as usize) };
        self.count = 1;
        self.block = true;
    }

    /// Grows the block region; `false` when there is none or it is full.
    fn grow_block(&mut self, need: usize) -> bool {
        if !self.block {
            return false;
        }
        let top = self.heaps[0].top();
        match grow_break(need) {
            Some(old) if old == top => {
                let now = current_break().unwrap_or(old);
                // SAFETY: [old, now) was just given to the process.
                unsafe { self.heaps[0].extend(now as usize - old as usize) };
                true
            }
            _ => {
                // The block is full: stop asking the kernel for more of it.
                self.block = false;
                false
            }
        }
    }

    /// Adds a PSRAM grant as a new region; `false` when refused.
    fn add_grant(&mut self, need: usize) -> bool {
        if self.count == MAX_REGIONS {
            return false;
        }
        let size = self.next_grant.max(need.next_power_of_two());
        let Ok(grant) = Psram::<TockSyscalls>::grant(size) else { return false };
        // SAFETY: the kernel mapped this block for this process alone and
        // it is used for nothing else.
        unsafe { self.heaps[self.count].init(grant.address as *mut u8, grant.size) };
        self.count += 1;
        self.next_grant = grant.size.saturating_mul(2);
        true
    }
}

// SAFETY: every pointer handed out comes from one of the heaps, each over
// memory this process owns; `dealloc` returns it to the heap it came from.
unsafe impl GlobalAlloc for ProcessHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // Room for the allocator's bookkeeping and alignment padding.
        let need = layout.size() + layout.align() + 64;
        self.with(|r| {
            if !r.started {
                r.start_block();
            }
            loop {
                if let Some(p) = r.try_alloc(layout) {
                    return p.as_ptr();
                }
                if !(r.grow_block(need) || r.add_grant(need)) {
                    return ptr::null_mut();
                }
            }
        })
        .unwrap_or(ptr::null_mut())
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let Some(p) = NonNull::new(ptr) else { return };
        self.with(|r| {
            let addr = ptr as usize;
            if let Some(h) =
                r.heaps[..r.count].iter_mut().find(|h| (h.bottom() as usize..h.top() as usize).contains(&addr))
            {
                // SAFETY: `ptr` came from this heap with this layout.
                unsafe { h.deallocate(p, layout) };
            }
        });
    }
}
