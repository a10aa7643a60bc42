//! `ipc`: copy-based messages between processes (driver `0x8000_0004`).
//!
//! A process can register one service name; others look it up and send it
//! messages; a service can also publish messages to every process that
//! subscribed to its name. The kernel copies each message into the
//! receiver's inbox (in the receiver's grant region) and tells the receiver
//! who sent it, so a service can decide by the sender's app name. Handles
//! are the kernel's process identifiers: a process that restarts gets a new
//! one and loses its registration, so a stale handle fails with `NODEVICE`
//! instead of reaching a new instance, and nothing ever waits on a process
//! that is gone.
//!
//! ### Commands
//! - `0`: driver present. Success.
//! - `1`: register the service name in read-only allow 0 (1 to
//!   [`MAX_NAME`] bytes). Success; `RESERVE` if a live process holds it;
//!   `ALREADY` if this process registered a name before; `INVAL` for an
//!   empty or too long name.
//! - `2`: look up the name in read-only allow 0: success with the service's
//!   handle; `NODEVICE` if no live process registered it.
//! - `3`: send `(handle, len | tag << 16)`: the first `len` bytes of
//!   read-only allow 1 into the inbox of process `handle`, with a 16-bit
//!   `tag` the receiver gets with it (a reply echoes its request's tag, so
//!   a late reply is never taken for the answer to a newer request).
//!   Success; `NODEVICE` if no such live process; `INVAL` if `handle` is
//!   the sender itself; `NOMEM` if its inbox is full (counted; the sender
//!   may retry); `SIZE` if `len` is 0, over [`MAX_MESSAGE`] or over the
//!   allow.
//! - `4`: receive: the oldest message in this process's inbox into
//!   read-write allow 0, removed. Success with `(len, sender handle, kind |
//!   tag << 16)`, kind 0 for a direct message and 1 for a publication (tag
//!   0); `len` 0 when the inbox is empty; `SIZE` if the allow is shorter
//!   (the message stays).
//! - `5`: the app name of process `handle` into read-write allow 1: success
//!   with its length; `NODEVICE` if no such live process.
//! - `6`: subscribe to publications of the service name in read-only allow
//!   0 (it need not be registered yet). Success; `NOMEM` when this process
//!   has [`MAX_SUBSCRIPTIONS`] already; `ALREADY`; `INVAL`.
//! - `7`: publish `len` bytes of read-only allow 1 to every subscriber of
//!   this process's service name. Success with the number of inboxes it
//!   reached; `INVAL` if this process registered no name; `SIZE`.
//! - `8`: is process `handle` alive? Success, or `NODEVICE`.
//!
//! ### Upcalls
//! - `0`: messages are waiting in the inbox; argument 0 is how many.
//!
//! ### Allows
//! - read-only `0`: a service name.
//! - read-only `1`: a message to send or publish.
//! - read-write `0`: buffer receiving a message.
//! - read-write `1`: buffer receiving an app name.

pub const DRIVER_NUM: usize = 0x8000_0004;

/// Longest service name (the same as Tock's app name fields here).
pub const MAX_NAME: usize = 16;
/// Largest message: a 4 KiB data chunk plus a header and a path.
pub const MAX_MESSAGE: usize = 4608;
/// Services one process can subscribe to.
pub const MAX_SUBSCRIPTIONS: usize = 4;

/// Packs a send's second argument: the length and the message tag.
pub const fn send_arg(len: usize, tag: u16) -> u32 {
    (len as u32 & 0xffff) | (tag as u32) << 16
}

/// Unpacks a send's second argument into (length, tag).
pub const fn split_send_arg(arg: usize) -> (usize, u16) {
    (arg & 0xffff, (arg >> 16) as u16)
}

pub mod command {
    pub const EXISTS: u32 = 0;
    pub const REGISTER: u32 = 1;
    pub const LOOKUP: u32 = 2;
    pub const SEND: u32 = 3;
    pub const RECEIVE: u32 = 4;
    pub const SENDER_NAME: u32 = 5;
    pub const SUBSCRIBE: u32 = 6;
    pub const PUBLISH: u32 = 7;
    pub const ALIVE: u32 = 8;
}

pub mod upcall {
    pub const MESSAGES: u32 = 0;
    pub const COUNT: u8 = 1;
}

pub mod allow_ro {
    pub const NAME: u32 = 0;
    pub const MESSAGE: u32 = 1;
    pub const COUNT: u8 = 2;
}

pub mod allow_rw {
    pub const MESSAGE: u32 = 0;
    pub const NAME: u32 = 1;
    pub const COUNT: u8 = 2;
}

/// Message kinds as `receive` reports them.
pub const KIND_DIRECT: u32 = 0;
pub const KIND_PUBLICATION: u32 = 1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_argument_carries_length_and_tag() {
        assert_eq!(split_send_arg(send_arg(MAX_MESSAGE, 0xbeef) as usize), (MAX_MESSAGE, 0xbeef));
        assert_eq!(split_send_arg(send_arg(1, 0) as usize), (1, 0));
        // A length that does not fit 16 bits cannot pass for a valid one with another tag.
        assert_eq!(split_send_arg(send_arg(0x1_0000, 7) as usize), (0, 7));
    }
}
