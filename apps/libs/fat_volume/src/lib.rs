//! The storage service's volume logic: a FAT volume on a block device, for `no_std` + `alloc`.
//!
//! Layers, bottom up:
//!
//! - [`BlockDevice`]: 512-byte sectors, at most 4 KiB per request (the app
//!   implements it over the kernel's block syscalls).
//! - A write-back cache of 4 KiB blocks, presented to fatfs (`starry-fatfs`,
//!   the rust-fatfs 0.4 code) as a byte stream.
//! - [`FatVolume`]: mount with boot sector checks that name what is wrong,
//!   format on request only, and every operation of the `proto_storage`
//!   protocol with a bounded table of open files per client.
//! - [`StorageServer`]: decodes a request, applies the access policy, runs
//!   it, encodes the reply.
//!
//! ```no_run
//! use fat_volume::{BlockDevice, IoError, NoClock, StorageServer};
//! use proto_storage::MAX_MESSAGE;
//!
//! struct Syscalls; // the app's driver
//! impl BlockDevice for Syscalls {
//!     fn sectors(&self) -> u64 { 131_072 }
//!     fn read(&mut self, _sector: u64, _buf: &mut [u8]) -> Result<(), IoError> { Ok(()) }
//!     fn write(&mut self, _sector: u64, _buf: &[u8]) -> Result<(), IoError> { Ok(()) }
//!     fn flush(&mut self) -> Result<(), IoError> { Ok(()) }
//! }
//!
//! let mut server = StorageServer::new(Some(Syscalls), NoClock);
//! let mut reply = [0u8; MAX_MESSAGE];
//! // For each IPC message: sender's app name and process id from the kernel.
//! let n = server.handle("http", 7, b"SQ\x02\x0d", &mut reply);
//! // ... send reply[..n] back ...
//! # let _ = n;
//! ```

#![cfg_attr(not(test), no_std)]
#![deny(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod boot;
mod cache;
#[allow(unsafe_code)] // the one self-referential pair; see the module docs
mod cell;
mod clock;
mod device;
mod files;
mod free_count;
mod fs;
mod note;
mod server;
mod stream;
mod volume;

pub use boot::MountError;
pub use cache::{BLOCK_SIZE, DEFAULT_CACHE_BLOCKS};
pub use clock::{Clock, NoClock, DOS_EPOCH};
pub use device::{BlockDevice, IoError, MAX_READ_SECTORS, MAX_TRANSFER_SECTORS, SECTOR_SIZE};
pub use files::{MAX_OPEN_FILES, MAX_OPEN_PER_CLIENT};
pub use note::{RestartNote, FAULTY_AFTER};
pub use server::StorageServer;
pub use volume::{FatVolume, Options};
