//! A PSRAM grant of its own for a bounded store (a file cache), apart from
//! the global heap: filling it can never starve the app's other
//! allocations, and every byte it holds shows in the PSRAM accounting.

use alloc::rc::Rc;
use core::alloc::Layout;
use core::cell::RefCell;
use core::ops::{Deref, DerefMut};
use core::ptr::NonNull;

use libtock_runtime::TockSyscalls;
use linked_list_allocator::Heap;
use psram::Psram;

/// First-fit allocation over one PSRAM grant.
pub struct Arena {
    heap: RefCell<Heap>,
}

impl Arena {
    /// Takes a PSRAM grant of `bytes` (a power of two); `None` if refused.
    pub fn new(bytes: usize) -> Option<Rc<Arena>> {
        let grant = Psram::<TockSyscalls>::grant(bytes).ok()?;
        let mut heap = Heap::empty();
        // SAFETY: the kernel mapped this grant for this process alone, and
        // only this heap uses it, for as long as the process lives (the
        // grant is never freed).
        unsafe { heap.init(grant.address as *mut u8, grant.size) };
        Some(Rc::new(Arena { heap: RefCell::new(heap) }))
    }

    /// `len` zeroed bytes, or `None` when they do not fit now.
    pub fn alloc(self: &Rc<Self>, len: usize) -> Option<ArenaBytes> {
        let layout = Layout::from_size_align(len.max(1), 8).ok()?;
        let ptr = self.heap.borrow_mut().allocate_first_fit(layout).ok()?;
        // SAFETY: `ptr` is `len` bytes this arena just handed out.
        unsafe { ptr.as_ptr().write_bytes(0, len) };
        Some(ArenaBytes { arena: self.clone(), ptr, len })
    }

    /// Bytes the grant spans.
    pub fn size(&self) -> usize {
        self.heap.borrow().size()
    }

    /// Bytes handed out (with the allocator's rounding).
    pub fn used(&self) -> usize {
        self.heap.borrow().used()
    }
}

/// Bytes of an [`Arena`], given back when dropped.
pub struct ArenaBytes {
    arena: Rc<Arena>,
    ptr: NonNull<u8>,
    len: usize,
}

impl Deref for ArenaBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        // SAFETY: `ptr` is `len` initialised bytes owned by this value.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl DerefMut for ArenaBytes {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as above, and `&mut self` makes this the only reference.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for ArenaBytes {
    fn drop(&mut self) {
        if let Ok(layout) = Layout::from_size_align(self.len.max(1), 8) {
            // SAFETY: `ptr` came from this arena's heap with this layout.
            unsafe { self.arena.heap.borrow_mut().deallocate(self.ptr, layout) };
        }
    }
}
