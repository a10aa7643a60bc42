//! The apps' global allocator.
//!
//! A first-fit heap (`linked_list_allocator`, well kept and small) that
//! starts empty at the end of the app's `.bss` and grows by moving the
//! process break (`memop` sbrk) in [`GROW_STEP`] steps, so it uses only as
//! much of the app's memory block (in PSRAM) as it needs. When the block is
//! exhausted allocation fails, and the app's allocation-failure panic makes
//! the kernel restart it.
//!
//! Use: `#[global_allocator] static HEAP: heap::ProcessHeap = heap::ProcessHeap::new();`

#![no_std]

use core::alloc::{GlobalAlloc, Layout};
use core::ptr::{self, NonNull};

use libtock_platform::Syscalls;
use libtock_runtime::TockSyscalls;
use linked_list_allocator::LockedHeap;

/// Bytes the break moves at least per growth: few syscalls, little waste.
pub const GROW_STEP: usize = 4096;

pub struct ProcessHeap {
    heap: LockedHeap,
}

impl ProcessHeap {
    pub const fn new() -> Self {
        ProcessHeap { heap: LockedHeap::empty() }
    }

    /// Bytes the heap spans (in use or free).
    pub fn size(&self) -> usize {
        self.heap.lock().size()
    }

    /// Bytes allocated now.
    pub fn used(&self) -> usize {
        self.heap.lock().used()
    }
}

impl Default for ProcessHeap {
    fn default() -> Self {
        Self::new()
    }
}

/// Moves the break up by at least `bytes`; returns the old break.
fn grow(bytes: usize) -> Option<*mut u8> {
    let step = bytes.div_ceil(GROW_STEP) * GROW_STEP;
    let incr = i32::try_from(step).ok()?;
    // SAFETY: a positive increment only gives the process more memory.
    unsafe { TockSyscalls::memop_sbrk(incr) }.ok().map(|p| p as *mut u8)
}

// SAFETY: allocation is serialised by the heap's lock; a Tock process is
// single-threaded and upcalls only run inside `yield`, never in here.
unsafe impl GlobalAlloc for ProcessHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let mut heap = self.heap.lock();
        if heap.size() == 0 {
            let start = libtock_runtime::startup::get_heap_start() as *mut u8;
            // SAFETY: the break starts at the end of .bss; memory from there
            // up to the break is the process's and unused.
            if unsafe { TockSyscalls::memop_brk(start) }.is_err() {
                return ptr::null_mut();
            }
            let Some(base) = grow(layout.size() + layout.align()) else { return ptr::null_mut() };
            let top = unsafe { TockSyscalls::memop_sbrk(0) }.map_or(base, |p| p as *mut u8);
            // SAFETY: [base, top) was just given to the process and is unused.
            unsafe { heap.init(base, top as usize - base as usize) };
        }
        loop {
            if let Ok(p) = heap.allocate_first_fit(layout) {
                return p.as_ptr();
            }
            let before = heap.top();
            match grow(layout.size() + layout.align()) {
                // Contiguous with the heap: extend it.
                Some(old) if old == before => {
                    let now = unsafe { TockSyscalls::memop_sbrk(0) }.map_or(old, |p| p as *mut u8);
                    // SAFETY: [old, now) was just given to the process.
                    unsafe { heap.extend(now as usize - old as usize) };
                }
                _ => return ptr::null_mut(),
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some(p) = NonNull::new(ptr) {
            // SAFETY: `ptr` came from `alloc` with this layout.
            unsafe { self.heap.lock().deallocate(p, layout) };
        }
    }
}
