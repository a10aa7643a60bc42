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
//! Syscall interface (mirrors the capsule's)
//! -----------------------------------------
//!
//! Driver number `0x8000_0001`.
//!
//! ### Commands
//! - `0`: driver present. Success.
//! - `1`: bind `(protocol, port)`; `protocol` is 6 (TCP) or 17 (UDP).
//!   Success; `RESERVE` if another process holds it; `ALREADY` if this
//!   process does; `NOMEM` if this process holds 8 already or its memory
//!   cannot hold its queues; `INVAL` for another protocol or port 0.
//! - `2`: unbind `(protocol, port)`. Success, or `INVAL` if not bound.
//! - `3`: transmit the frame of `len` bytes at the start of read-only allow
//!   0. Success when sent or queued; `INVAL` if the frame is not one this
//!   process may send; `SIZE` if `len` is 0, over 1514 or over the allow;
//!   `NOMEM` if this process's transmit queue is full.
//! - `4`: receive the oldest queued frame into read-write allow 0. Success
//!   with its length, or with 0 when the queue is empty; `SIZE` if the
//!   allow is shorter than the frame (it stays queued).
//! - `5`: MAC address: `(bytes 0-3, bytes 4-5)` as little-endian `u32`s.
//! - `6`: IPv4 address (big-endian `u32`) and prefix length.
//! - `7`: IPv4 gateway (big-endian `u32`).
//! - `8`: this process's counters into read-write allow 1 (28 bytes).
//!
//! ### Upcalls
//! - `0`: frames are queued for this process; argument 0 is how many.
//!   Raised once, then not again until a receive (command 4) has found
//!   the queue empty: a process reads until then.
//!
//! ### Allows
//! - read-only `0`: frame to transmit.
//! - read-write `0`: buffer receiving a frame.
//! - read-write `1`: buffer receiving the counters.

#![no_std]

mod api;
mod device;
mod stack;

pub use api::{Config, Net, Protocol};
pub use device::NetDevice;
pub use stack::interface;
#[cfg(feature = "alloc")]
pub use stack::socket_set;
pub use syscall_abi::net::{Counters, MAX_FRAME};
