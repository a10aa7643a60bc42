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
//! The syscall interface (commands, allows, upcalls, errors) is written
//! once, at the top of `capsules/ipc/src/lib.rs`; this module only holds
//! the numbers and layouts both sides share.

pub const DRIVER_NUM: usize = 0x8000_0004;

/// Longest service name (the same as Tock's app name fields here).
pub const MAX_NAME: usize = 16;
/// Largest message an inbox takes: a 4 KiB data chunk plus a header and a path.
pub const MAX_MESSAGE: usize = 4608;
/// Largest message a large inbox (command 9) takes: a 16 KiB data chunk
/// plus the same margin.
pub const MAX_LARGE_MESSAGE: usize = 16 * 1024 + 512;
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
    pub const LARGE_INBOX: u32 = 9;
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
