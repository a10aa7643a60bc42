//! The Ethernet switch: the NIC's only user, between the network and the
//! processes, each of which runs its own TCP/IP stack.
//!
//! It answers ARP requests and ICMP echo requests for the board's IPv4
//! address itself (so they keep working while apps restart), sends a TCP
//! reset for segments to ports nobody bound, and delivers every other
//! frame only to the process that bound its destination port, by copying
//! it into that process's receive queue, which lives in the process's grant
//! region. ARP replies go to every process holding a port (their stacks
//! resolve neighbours themselves). A process can only transmit ARP, or TCP
//! and UDP from ports it bound, from the board's MAC and IPv4 addresses;
//! its frames go straight to a free DMA-safe transmit buffer, or wait in
//! its own transmit queue (in its grant region too), which the switch
//! drains round-robin across processes. Bindings and queues vanish with
//! the grant when a process exits or restarts.
//!
//! Syscall interface
//! -----------------
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
//! - `3`: transmit `(len, flags)`: the frame of `len` bytes at the start of
//!   read-only allow 0 (Ethernet header first, no FCS); `flags` bit 0 asks
//!   for upcall 1 should the queue be full (and says the process keeps the
//!   frame); bit 1 says the process keeps a refused frame and sends it
//!   again (it polls for room itself). Success when sent or queued;
//!   `INVAL` if the frame is not one this process may send (counted as
//!   refused); `SIZE` if `len` is 0, over 1514 or over the allow; `NOMEM`
//!   if this process's transmit queue is full: counted as dropped, unless
//!   `flags` says the process keeps the frame (nothing was lost). A frame
//!   the NIC is too busy to take is held and sent first once it has room,
//!   never dropped; only a NIC without a link drops frames (counted as the
//!   switch's and the process's drops).
//!
//!   With `flags` bit 2 (batch) the first `len` bytes of the allow are
//!   frames as batch records (as command 4 writes them: 2-byte
//!   little-endian length, the frame, padding to a multiple of 4), each
//!   handled as above, in order, at most 16 per call, until one finds the
//!   queue full: success with `(bytes of records taken, frames refused as
//!   not this process's)`; refused frames are skipped (and counted), the
//!   rest is the process's to send again (bits 0 and 1 apply to it). The
//!   first record's error (`NOMEM`, or `SIZE` for a malformed record) if
//!   none was taken.
//! - `4`: receive `(flags)`: copies the oldest queued frame into read-write
//!   allow 0 and removes it. Success with `(its length, frames still
//!   queued)`, or `(0, 0)` when the queue is empty; `SIZE` if the allow is
//!   shorter than the frame (it stays queued). With `flags` bit 0 (batch) it
//!   takes as many frames as fit, each as a record (2-byte little-endian
//!   length, the frame, padding to a multiple of 4 bytes), and the success
//!   carries `(bytes of records, frames still queued)`: one call for a
//!   burst of ACKs or an upload's segments instead of one per frame.
//! - `5`: MAC address: success with `(bytes 0-3, bytes 4-5)` as
//!   little-endian `u32`s.
//! - `6`: IPv4 address and prefix length: success with `(address, prefix)`,
//!   the address as a big-endian `u32`.
//! - `7`: IPv4 gateway: success with the address as a big-endian `u32`.
//! - `8`: counters: writes this process's counters record (7 LE `u32`s:
//!   rx frames, rx bytes, rx dropped, tx frames, tx bytes, tx dropped, tx
//!   refused) into read-write allow 1. Success, or `SIZE` if it is shorter
//!   than 28 bytes.
//!
//! ### Upcalls
//! - `0`: frames are queued for this process; argument 0 is how many.
//!   Raised once, then not again until a receive (command 4) has taken
//!   the last frame or found the queue empty: a process reads until it
//!   is told 0 frames are left.
//! - `1`: this process's transmit queue has room again, after a transmit
//!   (command 3) that asked for it found the queue full (refused with
//!   `NOMEM`, or a batch taken only in part). Raised once per episode. (Only on request: an upcall a process has not
//!   subscribed to would stay in its task queue, which holds 10.)
//!
//! ### Allows
//! - read-only `0`: frame to transmit.
//! - read-write `0`: buffer receiving a frame.
//! - read-write `1`: buffer receiving the counters.

#![no_std]
#![forbid(unsafe_code)]

pub mod frame;
mod switch;
pub mod tx;

pub use frame::NetConfig;
pub use switch::{App, EthernetSwitch};
pub use syscall_abi::net::DRIVER_NUM;
