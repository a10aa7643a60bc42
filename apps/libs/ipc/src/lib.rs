//! Messages between processes, through the kernel (`capsules/ipc`).
//!
//! Syscall interface
//! -----------------
//!
//! Written once, at the top of the capsule: `capsules/ipc/src/lib.rs`
//! (commands, allows, upcalls, errors). The numbers come from
//! `syscall-abi` (`capsules/abi`), which the kernel uses too.

#![no_std]

use core::marker::PhantomData;

use libtock_platform::allow_ro::AllowRo;
use libtock_platform::allow_rw::AllowRw;
use libtock_platform::{share, DefaultConfig, ErrorCode, Syscalls};
use syscall_abi::ipc::{allow_ro, allow_rw, command, DRIVER_NUM as DRIVER};

use syscall_abi::ipc::send_arg;
pub use syscall_abi::ipc::{KIND_DIRECT, KIND_PUBLICATION, MAX_LARGE_MESSAGE, MAX_MESSAGE, MAX_NAME};

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
        Self::with_name(name, command::LOOKUP)?.to_result::<u32, ErrorCode>().map(Handle)
    }

    /// Subscribes to the publications of service `name`.
    pub fn subscribe(name: &str) -> Result<(), ErrorCode> {
        Self::with_name(name, command::SUBSCRIBE)?.to_result()
    }

    /// Makes this process's inbox large, so it takes messages up to
    /// [`MAX_LARGE_MESSAGE`] bytes, several at once; before anything else
    /// (`Already` once the inbox exists).
    pub fn large_inbox() -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::LARGE_INBOX, 0, 0).to_result()
    }

    /// Sends `message` to process `to`; a receiver without a large inbox
    /// takes at most [`MAX_MESSAGE`] bytes (`Size`).
    pub fn send(to: Handle, message: &[u8]) -> Result<(), ErrorCode> {
        Self::send_tagged(to, message, 0)
    }

    /// Sends `message` to process `to` with `tag`, which the receiver gets
    /// in [`Message::tag`]: a request/reply protocol echoes it in the reply.
    pub fn send_tagged(to: Handle, message: &[u8], tag: u16) -> Result<(), ErrorCode> {
        if message.len() > MAX_LARGE_MESSAGE {
            return Err(ErrorCode::Size);
        }
        share::scope::<AllowRo<_, DRIVER_NUM, { allow_ro::MESSAGE }>, _, _>(|handle| {
            S::allow_ro::<DefaultConfig, DRIVER_NUM, { allow_ro::MESSAGE }>(handle, message)?;
            S::command(DRIVER_NUM, command::SEND, to.0, send_arg(message.len(), tag)).to_result()
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

    /// Takes the oldest message into `buf`; `None` when the inbox is empty;
    /// `Size` if it is longer than `buf` (it stays).
    pub fn receive(buf: &mut [u8]) -> Result<Option<Message>, ErrorCode> {
        Self::receive_with(buf, 0)
    }

    /// As [`Self::receive`], but a message longer than `buf` is dropped
    /// (`Size`), so it cannot block the messages behind it.
    pub fn receive_or_drop(buf: &mut [u8]) -> Result<Option<Message>, ErrorCode> {
        Self::receive_with(buf, 1)
    }

    fn receive_with(buf: &mut [u8], drop_oversized: u32) -> Result<Option<Message>, ErrorCode> {
        let (len, sender, kind_tag): (u32, u32, u32) =
            share::scope::<AllowRw<_, DRIVER_NUM, { allow_rw::MESSAGE }>, _, _>(|handle| {
                S::allow_rw::<DefaultConfig, DRIVER_NUM, { allow_rw::MESSAGE }>(handle, buf)?;
                S::command(DRIVER_NUM, command::RECEIVE, drop_oversized, 0).to_result()
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
        let len: u32 = share::scope::<AllowRw<_, DRIVER_NUM, { allow_rw::NAME }>, _, _>(|handle| {
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
