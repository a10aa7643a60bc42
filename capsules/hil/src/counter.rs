//! The CPU's retired-instruction count, for deterministic cost figures
//! (instructions per byte served) where the chip has such a counter.

/// Instructions retired since reset.
pub trait InstructionCounter {
    /// `None` where the CPU has no such counter the kernel can read.
    fn instructions(&self) -> Option<u64>;
}
