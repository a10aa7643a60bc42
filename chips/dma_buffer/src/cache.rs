//! Data-cache maintenance a device transfer needs.

/// Cache operations on an address range, supplied by the chip.
///
/// Ranges passed in are always whole cache lines (the buffer types
/// guarantee it), so an implementation never needs to round.
pub trait CacheMaintenance {
    /// Data-cache line size in bytes, a power of two.
    const LINE: usize;
    /// Writes dirty lines back to memory: before a device reads the range.
    fn clean(addr: usize, len: usize);
    /// Drops cached lines: after a device wrote the range.
    fn invalidate(addr: usize, len: usize);
}

/// Memory that devices see coherently (the QEMU twin): no cache operations.
///
/// It keeps the STM32H7's 32-byte line, so a buffer layout that works on the
/// twin is known to be aligned correctly for the real board.
pub struct Coherent;

impl CacheMaintenance for Coherent {
    const LINE: usize = 32;
    fn clean(_addr: usize, _len: usize) {}
    fn invalidate(_addr: usize, _len: usize) {}
}
