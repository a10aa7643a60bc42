//! The DMA-safe window and the buffers made from it.

use core::fmt;
use core::marker::PhantomData;

use crate::cache::CacheMaintenance;

/// Why memory was refused as a DMA buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DmaError {
    /// The range is not entirely inside the DMA-safe window.
    OutsideRegion { addr: usize, len: usize, start: usize, end: usize },
    /// Start or length is not a whole number of cache lines.
    Misaligned { addr: usize, len: usize, line: usize },
    /// A zero-length buffer (devices and VirtIO queues reject them).
    Empty,
    /// The pool has fewer bytes left than asked for.
    Exhausted { wanted: usize, left: usize },
}

impl fmt::Display for DmaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DmaError::OutsideRegion { addr, len, start, end } => write!(
                f,
                "DMA buffer {:#010x}+{} is outside the DMA-safe window {:#010x}..{:#010x}",
                addr, len, start, end
            ),
            DmaError::Misaligned { addr, len, line } => {
                write!(f, "DMA buffer {:#010x}+{} is not aligned to whole {}-byte cache lines", addr, len, line)
            }
            DmaError::Empty => write!(f, "DMA buffer of zero length"),
            DmaError::Exhausted { wanted, left } => {
                write!(f, "DMA-safe SRAM exhausted: {} bytes wanted, {} left", wanted, left)
            }
        }
    }
}

/// The board's DMA-safe memory window (AXI SRAM on the STM32H723).
pub struct DmaRegion<C> {
    start: usize,
    end: usize,
    _cache: PhantomData<C>,
}

impl<C> Clone for DmaRegion<C> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<C> Copy for DmaRegion<C> {}

impl<C: CacheMaintenance> DmaRegion<C> {
    /// The window `[start, start + len)`, as the board's memory map defines it.
    ///
    /// # Safety
    /// Only a board calls this, for memory every DMA master that will be
    /// given its buffers can reach, that nothing else uses (the linker's
    /// DMA section), and whose cache behaviour `C` describes. A capsule
    /// cannot make DMA memory of arbitrary addresses:
    ///
    /// ```compile_fail
    /// // Outside an `unsafe` block (which capsules forbid) this is refused.
    /// let region = dma_buffer::DmaRegion::<dma_buffer::Coherent>::new(0x2400_0000, 4096);
    /// ```
    #[allow(unsafe_code)]
    pub const unsafe fn new(start: usize, len: usize) -> Self {
        DmaRegion { start, end: start + len, _cache: PhantomData }
    }

    pub fn start(&self) -> usize {
        self.start
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Checks that `[addr, addr + len)` may be given to a device.
    pub fn check(&self, addr: usize, len: usize) -> Result<(), DmaError> {
        if len == 0 {
            return Err(DmaError::Empty);
        }
        let inside = addr >= self.start && addr.checked_add(len).is_some_and(|end| end <= self.end);
        if !inside {
            return Err(DmaError::OutsideRegion { addr, len, start: self.start, end: self.end });
        }
        if !addr.is_multiple_of(C::LINE) || !len.is_multiple_of(C::LINE) {
            return Err(DmaError::Misaligned { addr, len, line: C::LINE });
        }
        Ok(())
    }

    /// Makes a DMA buffer of `mem`, if it is DMA-safe; otherwise gives
    /// `mem` back with the reason.
    pub fn buffer(&self, mem: &'static mut [u8]) -> Result<DmaBuffer<C>, (DmaError, &'static mut [u8])> {
        match self.check(mem.as_ptr() as usize, mem.len()) {
            Ok(()) => Ok(DmaBuffer { mem, _cache: PhantomData }),
            Err(e) => Err((e, mem)),
        }
    }

    /// Takes back a slice a device has finished with (see
    /// [`DmaBuffer::into_device`]): invalidates the cache over it, because
    /// the device may have written it, and re-checks it.
    pub fn reclaim(&self, mem: &'static mut [u8]) -> Result<DmaBuffer<C>, (DmaError, &'static mut [u8])> {
        let buffer = self.buffer(mem)?;
        C::invalidate(buffer.addr(), buffer.mem.len());
        Ok(buffer)
    }
}

/// Memory a device may read or write: inside the DMA-safe window and made
/// of whole cache lines. Only [`DmaRegion`] and [`crate::DmaPool`] make them.
pub struct DmaBuffer<C> {
    mem: &'static mut [u8],
    _cache: PhantomData<C>,
}

impl<C: CacheMaintenance> DmaBuffer<C> {
    fn addr(&self) -> usize {
        self.mem.as_ptr() as usize
    }

    pub fn len(&self) -> usize {
        self.mem.len()
    }

    pub fn is_empty(&self) -> bool {
        self.mem.is_empty()
    }

    /// CPU access while no device owns the buffer.
    pub fn as_slice(&self) -> &[u8] {
        self.mem
    }

    /// CPU access while no device owns the buffer.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        self.mem
    }

    /// Hands the memory to a device: cleans the cache over it first (the
    /// device may read it) and returns the slice for the device queue.
    pub fn into_device(self) -> &'static mut [u8] {
        C::clean(self.addr(), self.mem.len());
        self.mem
    }

    /// Splits at `mid`, which must be a multiple of the cache line so both
    /// halves stay DMA-safe; returns the buffer unchanged otherwise.
    pub fn split_at(self, mid: usize) -> Result<(Self, Self), Self> {
        if mid == 0 || mid >= self.mem.len() || !mid.is_multiple_of(C::LINE) {
            return Err(self);
        }
        let (a, b) = self.mem.split_at_mut(mid);
        Ok((DmaBuffer { mem: a, _cache: PhantomData }, DmaBuffer { mem: b, _cache: PhantomData }))
    }
}
