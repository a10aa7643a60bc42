//! Devices of the QEMU twin of the NUCLEO-H723ZG + NUCLEO-MEM.
//!
//! - [`virtio_blk`]: the eMMC's stand-in, a VirtIO block device behind the
//!   same [`hil_ext::block::BlockDevice`] interface the SDMMC driver has.
//! - [`led`]: LD1-LD3, whose state is kept and logged on the console.
//! - [`temperature`]: the DTS junction-temperature sensor, as a model.

#![no_std]
#![forbid(unsafe_code)]

pub mod led;
pub mod temperature;
pub mod virtio_blk;
