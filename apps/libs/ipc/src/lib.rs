//! Messages between processes, through the kernel (`capsules/ipc`).
//!
//! Syscall interface (mirrors the capsule's)
//! -----------------------------------------
//!
//! Driver number `0x8000_0004`.
//!
//! ### Commands
//! - `0`: driver present. Success.
//! - `1`: register the service name in read-only allow 0 (1 to 16 bytes).
//!   Success; `RESERVE` if a live process holds it; `ALREADY` if this
//!   process registered a name before; `INVAL` for an empty or too long
//!   name.
//! - `2`: look up the name in read-only allow 0: success with the service's
//!   handle; `NODEVICE` if no live process registered it.
//! - `3`: send `(handle, len | tag << 16)`: the first `len` bytes of
//!   read-only allow 1 into the inbox of process `handle`, with a 16-bit
//!   `tag` the receiver gets with it (replies echo their request's tag).
//!   Success; `NODEVICE` if no such live process; `INVAL` if `handle` is
//!   the sender itself; `NOMEM` if its inbox is full; `SIZE` if `len` is
//!   0, over 4608 or over the allow.
//! - `4`: receive the oldest message of this process's inbox into
//!   read-write allow 0. Success with `(len, sender handle, kind | tag <<
//!   16)`, kind 0 direct and 1 publication (tag 0); `len` 0 when the inbox
//!   is empty; `SIZE` if the allow is shorter (the message stays).
//! - `5`: the app name of process `handle` into read-write allow 1: success
//!   with its length; `NODEVICE` if no such live process.
//! - `6`: subscribe to publications of the service name in read-only allow
//!   0. Success; `ALREADY`; `NOMEM` after 4 subscriptions; `INVAL`.
//! - `7`: publish `len` bytes of read-only allow 1 to every subscriber of
//!   this process's service name: success with the number of inboxes it
//!   reached; `INVAL` if this process registered no name; `SIZE`.
//! - `8`: is process `handle` alive? Success, or `NODEVICE`.
//!
//! ### Upcalls
//! - `0`: messages are waiting in the inbox; argument 0 is how many.
//!   (Subscribed by the `events` crate's main loop.)
//!
//! ### Allows
//! - read-only `0`: a service name.
//! - read-only `1`: a message to send or publish.
//! - read-write `0`: buffer receiving a message.
//! - read-write `1`: buffer receiving an app name.

#![no_std]

use core::marker::PhantomData;

use libtock_platform::allow_ro::AllowRo;
use libtock_platform::allow_rw::AllowRw;
use libtock_platform::{share, DefaultConfig, ErrorCode, Syscalls};
use syscall_abi::ipc::{allow_ro, allow_rw, command, DRIVER_NUM as DRIVER};

use syscall_abi::ipc::send_arg;
pub use syscall_abi::ipc::{KIND_DIRECT, KIND_PUBLICATION, MAX_MESSAGE, MAX_NAME};

const DRIVER_NUM: u32 = DRIVER as u32;

/// A process, as the kernel identifies it (changes when it restarts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Handle(pub u32);

/// A received message: its length in the buffer, sender and kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message {
    pub len: usize,
    pub sender: Handle,
    pub publication: bool,
    /// The sender's tag (see [`Ipc::send_tagged`]); 0 for publications.
    pub tag: u16,
}

pub struct Ipc<S: Syscalls>(PhantomData<S>);

impl<S: Syscalls> Ipc<S> {
    pub fn exists() -> bool {
        S::command(DRIVER_NUM, command::EXISTS, 0, 0).is_success()
    }

    /// Runs command `cmd` with `name` in read-only allow 0.
    fn with_name(name: &str, cmd: u32) -> Result<libtock_platform::CommandReturn, ErrorCode> {
        share::scope::<AllowRo<_, DRIVER_NUM, { allow_ro::NAME }>, _, _>(|handle| {
            S::allow_ro::<DefaultConfig, DRIVER_NUM, { allow_ro::NAME }>(handle, name.as_bytes())?;
            Ok(S::command(DRIVER_NUM, cmd, 0, 0))
        })
    }

    /// Registers this process as the service `name`.
    pub fn register(name: &str) -> Result<(), ErrorCode> {
        Self::with_name(name, command::REGISTER)?.to_result()
    }

    /// The live process registered as `name`.
    pub fn lookup(name: &str) -> Result<Handle, ErrorCode> {
        Self::with_name(name, command::LOOKUP)?
            .to_result::<u32, ErrorCode>()
            .map(Handle)
    }

    /// Subscribes to the publications of service `name`.
    pub fn subscribe(name: &str) -> Result<(), ErrorCode> {
        Self::with_name(name, command::SUBSCRIBE)?.to_result()
    }

    /// Sends `message` to process `to`.
    pub fn send(to: Handle, message: &[u8]) -> Result<(), ErrorCode> {
        Self::send_tagged(to, message, 0)
    }

    /// Sends `message` to process `to` with `tag`, which the receiver gets
    /// in [`Message::tag`]: a request/reply protocol echoes it in the reply.
    pub fn send_tagged(to: Handle, message: &[u8], tag: u16) -> Result<(), ErrorCode> {
        if message.len() > MAX_MESSAGE {
            return Err(ErrorCode::Size);
        }
        share::scope::<AllowRo<_, DRIVER_NUM, { allow_ro::MESSAGE }>, _, _>(|handle| {
            S::allow_ro::<DefaultConfig, DRIVER_NUM, { allow_ro::MESSAGE }>(handle, message)?;
            S::command(
                DRIVER_NUM,
                command::SEND,
                to.0,
                send_arg(message.len(), tag),
            )
            .to_result()
        })
    }

    /// Publishes `message` to this service's subscribers; returns how many
    /// inboxes it reached.
    pub fn publish(message: &[u8]) -> Result<u32, ErrorCode> {
        share::scope::<AllowRo<_, DRIVER_NUM, { allow_ro::MESSAGE }>, _, _>(|handle| {
            S::allow_ro::<DefaultConfig, DRIVER_NUM, { allow_ro::MESSAGE }>(handle, message)?;
            S::command(DRIVER_NUM, command::PUBLISH, message.len() as u32, 0).to_result()
        })
    }

    /// Takes the oldest message into `buf`; `None` when the inbox is empty.
    pub fn receive(buf: &mut [u8]) -> Result<Option<Message>, ErrorCode> {
        let (len, sender, kind_tag): (u32, u32, u32) =
            share::scope::<AllowRw<_, DRIVER_NUM, { allow_rw::MESSAGE }>, _, _>(|handle| {
                S::allow_rw::<DefaultConfig, DRIVER_NUM, { allow_rw::MESSAGE }>(handle, buf)?;
                S::command(DRIVER_NUM, command::RECEIVE, 0, 0).to_result()
            })?;
        Ok((len > 0).then_some(Message {
            len: len as usize,
            sender: Handle(sender),
            publication: kind_tag & 0xffff == KIND_PUBLICATION,
            tag: (kind_tag >> 16) as u16,
        }))
    }

    /// The app name of process `who`, written into `buf`.
    pub fn sender_name(who: Handle, buf: &mut [u8; MAX_NAME]) -> Result<&str, ErrorCode> {
        let len: u32 =
            share::scope::<AllowRw<_, DRIVER_NUM, { allow_rw::NAME }>, _, _>(|handle| {
                S::allow_rw::<DefaultConfig, DRIVER_NUM, { allow_rw::NAME }>(handle, &mut buf[..])?;
                S::command(DRIVER_NUM, command::SENDER_NAME, who.0, 0).to_result()
            })?;
        core::str::from_utf8(&buf[..len as usize]).map_err(|_| ErrorCode::Fail)
    }

    /// Whether process `who` is still the live process it was.
    pub fn alive(who: Handle) -> bool {
        S::command(DRIVER_NUM, command::ALIVE, who.0, 0).is_success()
    }
}
