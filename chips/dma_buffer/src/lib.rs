//! DMA-safe buffers, shared by every driver whose device reads or writes
//! memory on its own (VirtIO on the twin, ETH and SDMMC on the STM32H723).
//!
//! The rule: no device ever touches process memory, PSRAM or kernel RAM.
//! A driver only hands a device a [`DmaBuffer`], and the only ways to get
//! one check that the memory lies inside the board's DMA-safe window
//! ([`DmaRegion`]) and is aligned to whole cache lines, so cache
//! maintenance never touches a neighbour's data.
//!
//! Ownership moves with the transfer: [`DmaBuffer::into_device`] cleans the
//! data cache (device is about to read) and yields the raw slice the device
//! queue wants; [`DmaRegion::reclaim`] takes the slice back when the device
//! is done, invalidates the cache (the device may have written) and checks
//! again that it is DMA memory. Only a board makes a [`DmaRegion`] (its
//! constructor is `unsafe`): a capsule cannot declare memory DMA-safe.

#![no_std]
// The one `unsafe` item is the board's promise in `DmaRegion::new`.
#![deny(unsafe_code)]

mod cache;
mod pool;
mod region;

pub use cache::{CacheMaintenance, Coherent};
pub use pool::DmaPool;
pub use region::{DmaBuffer, DmaError, DmaRegion};
