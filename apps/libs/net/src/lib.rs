//! The process side of the kernel's Ethernet switch (`capsules/net`).
//!
//! - [`Net`]: its syscall API, one function per command.
//! - [`NetDevice`]: a smoltcp `phy::Device` over it, so an app gets a full
//!   TCP/IP stack (its own, in its own PSRAM) in a few lines;
//!   [`interface`] and [`socket_set`] build the rest of that stack.
//!
//! Waiting for frames is the `events` crate's job (it also waits for IPC
//! messages and deadlines).
//!
//! Syscall interface
//! -----------------
//!
//! Written once, at the top of the capsule: `capsules/net/src/lib.rs`
//! (commands, allows, upcalls, errors). The numbers come from
//! `syscall-abi` (`capsules/abi`), which the kernel uses too.

#![no_std]

mod api;
mod batch;
pub mod checksum;
mod device;
pub mod egress;
mod stack;

pub use api::{Config, Net, Protocol};
pub use batch::TxBatch;
pub use device::NetDevice;
pub use stack::interface;
#[cfg(feature = "alloc")]
pub use stack::{
    frame_buffer, receive_buffer, socket_set, transmit_buffer, RECEIVE_BATCH_FRAMES, TRANSMIT_BATCH_FRAMES,
};
pub use syscall_abi::net::{Counters, MAX_FRAME};
