//! Boot-time carving of the DMA-safe window into driver buffers.

use crate::cache::CacheMaintenance;
use crate::region::{DmaBuffer, DmaError, DmaRegion};

/// Hands out cache-line aligned buffers from the DMA-safe window at boot and
/// counts what each user took, for the memory report. Nothing is ever given
/// back: DMA buffers live as long as their driver, i.e. forever.
pub struct DmaPool<C> {
    region: DmaRegion<C>,
    rest: &'static mut [u8],
    capacity: usize,
}

impl<C: CacheMaintenance> DmaPool<C> {
    /// A pool over `window`, which must lie inside `region` and start on a
    /// cache line.
    pub fn new(region: DmaRegion<C>, window: &'static mut [u8]) -> Result<Self, DmaError> {
        let usable = window.len() - window.len() % C::LINE;
        region.check(window.as_ptr() as usize, usable)?;
        let (rest, _tail) = window.split_at_mut(usable);
        Ok(DmaPool { region, capacity: rest.len(), rest })
    }

    /// A buffer of at least `len` bytes, rounded up to whole cache lines.
    pub fn alloc(&mut self, len: usize) -> Result<DmaBuffer<C>, DmaError> {
        if len == 0 {
            return Err(DmaError::Empty);
        }
        let rounded = len.div_ceil(C::LINE) * C::LINE;
        if rounded > self.rest.len() {
            return Err(DmaError::Exhausted { wanted: rounded, left: self.rest.len() });
        }
        let rest = core::mem::take(&mut self.rest);
        let (mem, rest) = rest.split_at_mut(rounded);
        self.rest = rest;
        self.region.buffer(mem).map_err(|(e, _)| e)
    }

    /// The window this pool carves from.
    pub fn region(&self) -> DmaRegion<C> {
        self.region
    }

    /// Bytes handed out so far.
    pub fn used(&self) -> usize {
        self.capacity - self.rest.len()
    }

    /// Bytes the pool started with.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}
