//! Copy-based messages between processes.
//!
//! A process can register one service name; others look it up and send it
//! messages; a service can also publish to every process subscribed to its
//! name. The kernel copies each message into the receiver's inbox, a ring
//! in the receiver's grant region (so in its own PSRAM, accounted to it),
//! and records who sent it: the receiver can ask for the sender's app name
//! and decide what it may do. Unlike upstream Tock's IPC, no memory is ever
//! shared or mapped, so nothing outlives a restart.
//!
//! Handles are the kernel's process identifiers. A process that restarts
//! gets a new one and its grant is reset, which drops its registration,
//! subscriptions and inbox; messages to its old handle fail with
//! `NODEVICE`, so a peer gets an error instead of waiting forever. Inboxes
//! are bounded: a full one makes the send fail with `NOMEM` (counted), it
//! never blocks the sender.
//!
//! Syscall interface
//! -----------------
//!
//! Driver number `0x8000_0004`.
//!
//! ### Commands
//! - `0`: driver present. Success.
//! - `1`: register the service name in read-only allow 0 (1 to 16 bytes).
//!   Success; `RESERVE` if the board gives the name to another app (see
//!   [`ServiceOwner`]) or a live process holds it; `ALREADY` if this
//!   process registered a name before; `INVAL` for an empty or too long
//!   name; `NOMEM` if this process's grant region cannot hold its inbox.
//! - `2`: look up the name in read-only allow 0: success with the service's
//!   handle; `NODEVICE` if no live process registered it.
//! - `3`: send `(handle, len | tag << 16)`: the first `len` bytes of
//!   read-only allow 1 into the inbox of process `handle`, with a 16-bit
//!   `tag` the receiver gets with it (replies echo their request's tag).
//!   Success; `NODEVICE` if no such live process; `INVAL` if `handle` is
//!   the sender itself; `NOMEM` if its inbox is full (counted; the sender
//!   may retry) or the sender's own inbox (for replies) cannot be made;
//!   `SIZE` if `len` is 0, over the allow, or over what the receiver's
//!   inbox takes (4608 bytes; 16 896 for a large inbox, command 9).
//! - `4`: receive the oldest message of this process's inbox into
//!   read-write allow 0. Success with `(len, sender handle, kind | tag <<
//!   16)`, kind 0 direct and 1 publication (tag 0); `len` 0 when the inbox
//!   is empty; `SIZE` if the allow is shorter: the message stays, or with
//!   argument 1 set to 1 it is dropped (a process whose buffers for other
//!   senders are smaller than its inbox's largest message).
//! - `5`: the app name of process `handle` into read-write allow 1: success
//!   with its length; `NODEVICE` if no such live process.
//! - `6`: subscribe to publications of the service name in read-only allow
//!   0 (it need not be registered yet). Success; `ALREADY`; `NOMEM` after
//!   4 subscriptions or if the inbox cannot be made; `INVAL`.
//! - `7`: publish `len` bytes of read-only allow 1 to every subscriber of
//!   this process's service name: success with the number of inboxes it
//!   reached; `INVAL` if this process registered no name; `SIZE`.
//! - `8`: is process `handle` alive? Success, or `NODEVICE`.
//! - `9`: make this process's inbox large (the board's large size, 64 KiB
//!   on this project's boards), so it takes messages up to 16 896 bytes
//!   (a 16 KiB storage read's reply) and several of them at once. Success;
//!   `ALREADY` if the inbox exists (it is made by the first register,
//!   send or subscribe, so ask first); `NOMEM` if the grant region cannot
//!   hold it.
//!
//! ### Upcalls
//! - `0`: messages are waiting in the inbox; argument 0 is how many.
//!   Raised once, then not again until a receive (command 4) has found
//!   the inbox empty: a process reads until then.
//!
//! ### Allows
//! - read-only `0`: a service name.
//! - read-only `1`: a message to send or publish.
//! - read-write `0`: buffer receiving a message.
//! - read-write `1`: buffer receiving an app name.

#![no_std]
#![forbid(unsafe_code)]

use hil_ext::identity::ProcessIdentity;
use kernel::grant::GrantData;
use kernel::grant::{
    AllowRoCount, AllowRwCount, CustomGrant, Grant, GrantKernelData, GrantRegionAllocator, UpcallCount,
};
use kernel::processbuffer::{ReadableProcessBuffer, ReadableProcessSlice, WriteableProcessBuffer};
use kernel::syscall::{CommandReturn, SyscallDriver};
use kernel::{ErrorCode, ProcessId};
use record_queue::{FrameRing, WakeLatch, RECORD_ALIGN_OFFSET};
use syscall_abi::ipc::{
    allow_ro, allow_rw, command, split_send_arg, upcall, KIND_DIRECT, KIND_PUBLICATION, MAX_LARGE_MESSAGE, MAX_MESSAGE,
    MAX_NAME, MAX_SUBSCRIPTIONS,
};

pub use syscall_abi::ipc::DRIVER_NUM;

/// Bytes of a record's fields: sender handle (4), kind (1) and tag (2).
const RECORD_FIELDS: usize = 7;

/// Bytes before each message in the inbox: its fields, padded so that the message, after a record's offset from a word of
/// the inbox (see `record_queue`), starts on a word and its copies into and
/// out of the inbox run a word at a time (10).
const RECORD_HEADER: usize = (RECORD_ALIGN_OFFSET + RECORD_FIELDS).next_multiple_of(4) - RECORD_ALIGN_OFFSET;

/// A service name, as stored.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Name {
    bytes: [u8; MAX_NAME],
    len: u8,
}

impl Name {
    fn from_slice(s: &[u8]) -> Option<Name> {
        if s.is_empty() || s.len() > MAX_NAME {
            return None;
        }
        let mut bytes = [0; MAX_NAME];
        bytes[..s.len()].copy_from_slice(s);
        Some(Name { bytes, len: s.len() as u8 })
    }
}

/// An inbox's memory: `S` bytes, or `L` for a process that asked for a
/// large one (it takes larger messages, see [`InboxMem::max_message`]).
enum InboxMem<const S: usize, const L: usize> {
    Small(CustomGrant<[u8; S]>),
    Large(CustomGrant<[u8; L]>),
}

impl<const S: usize, const L: usize> InboxMem<S, L> {
    /// The largest message this inbox takes.
    fn max_message(&self) -> usize {
        match self {
            InboxMem::Small(_) => MAX_MESSAGE,
            InboxMem::Large(_) => MAX_LARGE_MESSAGE,
        }
    }

    fn enter<R>(&self, f: impl FnOnce(&mut [u8]) -> R) -> Option<R> {
        match self {
            InboxMem::Small(m) => m.enter(|mut mem: GrantData<'_, [u8; S]>| f(&mut mem[..])).ok(),
            InboxMem::Large(m) => m.enter(|mut mem: GrantData<'_, [u8; L]>| f(&mut mem[..])).ok(),
        }
    }
}

/// Per-process state, in the process's grant region.
#[derive(Default)]
pub struct App<const INBOX: usize, const LARGE: usize> {
    service: Option<Name>,
    subscriptions: [Option<Name>; MAX_SUBSCRIPTIONS],
    inbox_mem: Option<InboxMem<INBOX, LARGE>>,
    inbox: FrameRing,
    /// When the messages upcall is raised (see [`WakeLatch`]).
    wake: WakeLatch,
    /// Messages refused because this inbox was full.
    dropped: u32,
}

impl<const INBOX: usize, const LARGE: usize> App<INBOX, LARGE> {
    fn ensure_inbox(&mut self, allocator: &mut GrantRegionAllocator) -> Result<(), ErrorCode> {
        if self.inbox_mem.is_none() {
            let mem = allocator.alloc_n_with(|_| 0u8).map_err(|_| ErrorCode::NOMEM)?;
            self.inbox_mem = Some(InboxMem::Small(mem));
        }
        Ok(())
    }

    fn make_large_inbox(&mut self, allocator: &mut GrantRegionAllocator) -> Result<(), ErrorCode> {
        if self.inbox_mem.is_some() {
            return Err(ErrorCode::ALREADY);
        }
        let mem = allocator.alloc_n_with(|_| 0u8).map_err(|_| ErrorCode::NOMEM)?;
        self.inbox_mem = Some(InboxMem::Large(mem));
        Ok(())
    }

    /// The largest message this process's inbox takes (none without one).
    fn max_message(&self) -> usize {
        self.inbox_mem.as_ref().map_or(0, InboxMem::max_message)
    }

    /// Queues a message, copied straight from the sender's memory; tells
    /// the process unless it was told and has not read its inbox empty
    /// since (an upcall that could not be queued is tried again with the
    /// next message).
    fn deliver(
        &mut self,
        header: &[u8; RECORD_HEADER],
        message: &ReadableProcessSlice,
        kernel_data: &GrantKernelData,
    ) -> bool {
        let App { inbox_mem, inbox, dropped, wake, .. } = self;
        let total = RECORD_HEADER + message.len();
        let queued = inbox_mem.as_ref().and_then(|m| {
            m.enter(|mem| {
                inbox.push_with(mem, total, |a, b| {
                    scatter(header, message, a, b);
                    true
                })
            })
        }) == Some(true);
        if !queued {
            *dropped = dropped.wrapping_add(1);
        } else {
            wake.item_queued(|| kernel_data.schedule_upcall(upcall::MESSAGES as usize, (inbox.frames(), 0, 0)).is_ok());
        }
        queued
    }
}

type IpcGrant<const INBOX: usize, const LARGE: usize> = Grant<
    App<INBOX, LARGE>,
    UpcallCount<{ upcall::COUNT }>,
    AllowRoCount<{ allow_ro::COUNT }>,
    AllowRwCount<{ allow_rw::COUNT }>,
>;

/// A service name the board gives to one app: only a process of that app
/// (its TBF package name, as the kernel loaded it) may register it. Names
/// the board lists nobody for are open to the first process that asks.
///
/// Package names, not ShortIds: this board loads apps without credentials,
/// so a ShortId from a TBF header is no harder to forge than a name, and
/// names are what the storage policy and the console already use. With
/// signed apps (a credential checker at load), the same table would name
/// apps whose names a signature vouches for.
#[derive(Clone, Copy, Debug)]
pub struct ServiceOwner {
    pub service: &'static str,
    pub app: &'static str,
}

/// The IPC driver; `INBOX` is the bytes of each process's inbox, `LARGE`
/// of a process's that asked for a large one.
pub struct Ipc<'a, const INBOX: usize, const LARGE: usize> {
    apps: IpcGrant<INBOX, LARGE>,
    identity: &'a dyn ProcessIdentity,
    owners: &'static [ServiceOwner],
}

/// Copies `header` then `body` into the two pieces `a` then `b`.
fn scatter(header: &[u8], body: &ReadableProcessSlice, a: &mut [u8], b: &mut [u8]) {
    let h = header.len().min(a.len());
    a[..h].copy_from_slice(&header[..h]);
    b[..header.len() - h].copy_from_slice(&header[h..]);
    let (a, b) = (&mut a[h..], &mut b[header.len() - h..]);
    let split = a.len().min(body.len());
    if let Some(src) = body.get(..split) {
        src.copy_to_slice(a);
    }
    if let Some(src) = body.get(split..) {
        src.copy_to_slice(&mut b[..body.len() - split]);
    }
}

fn header(sender: ProcessId, kind: u32, tag: u16) -> [u8; RECORD_HEADER] {
    let id = (sender.id() as u32).to_le_bytes();
    let tag = tag.to_le_bytes();
    let mut h = [0; RECORD_HEADER];
    h[..RECORD_FIELDS].copy_from_slice(&[id[0], id[1], id[2], id[3], kind as u8, tag[0], tag[1]]);
    h
}

impl<'a, const INBOX: usize, const LARGE: usize> Ipc<'a, INBOX, LARGE> {
    /// A large inbox must hold three of the largest messages it takes.
    const LARGE_HOLDS_THREE: () = assert!(LARGE >= 3 * (MAX_LARGE_MESSAGE + 16) && INBOX >= MAX_MESSAGE + 16);

    pub fn new(
        apps: IpcGrant<INBOX, LARGE>,
        identity: &'a dyn ProcessIdentity,
        owners: &'static [ServiceOwner],
    ) -> Self {
        let () = Self::LARGE_HOLDS_THREE;
        Ipc { apps, identity, owners }
    }

    /// Whether the board lets process `pid` register `name`.
    fn may_register(&self, pid: ProcessId, name: &Name) -> bool {
        let name = &name.bytes[..name.len as usize];
        match self.owners.iter().find(|o| o.service.as_bytes() == name) {
            None => true,
            Some(owner) => self.identity.app_name(pid) == Some(owner.app),
        }
    }

    /// The live process with this handle.
    fn find(&self, handle: usize) -> Option<ProcessId> {
        self.apps.iter().map(|pg| pg.processid()).find(|pid| pid.id() == handle)
    }

    /// Reads a name from read-only allow 0.
    fn name_arg(kernel_data: &GrantKernelData) -> Result<Name, ErrorCode> {
        kernel_data
            .get_readonly_processbuffer(allow_ro::NAME as usize)
            .and_then(|b| {
                b.enter(|data| {
                    let mut buf = [0u8; MAX_NAME];
                    let n = data.len();
                    if n == 0 || n > MAX_NAME {
                        return Err(ErrorCode::INVAL);
                    }
                    data.copy_to_slice(&mut buf[..n]);
                    Name::from_slice(&buf[..n]).ok_or(ErrorCode::INVAL)
                })
            })
            .unwrap_or(Err(ErrorCode::INVAL))
    }

    fn register(&self, pid: ProcessId) -> Result<(), ErrorCode> {
        let name = self.apps.enter(pid, |_, kd| Self::name_arg(kd)).map_err(ErrorCode::from)??;
        if !self.may_register(pid, &name) {
            return Err(ErrorCode::RESERVE);
        }
        for pg in self.apps.iter() {
            if pg.processid() != pid && pg.enter(|app, _| app.service == Some(name)) {
                return Err(ErrorCode::RESERVE);
            }
        }
        self.apps
            .enter_with_allocator(pid, |app, _, allocator| {
                if app.service.is_some() {
                    return Err(ErrorCode::ALREADY);
                }
                app.ensure_inbox(allocator)?;
                app.service = Some(name);
                Ok(())
            })
            .map_err(ErrorCode::from)?
    }

    fn lookup(&self, pid: ProcessId) -> CommandReturn {
        let name = match self.apps.enter(pid, |_, kd| Self::name_arg(kd)) {
            Ok(Ok(n)) => n,
            Ok(Err(e)) => return CommandReturn::failure(e),
            Err(e) => return CommandReturn::failure(e.into()),
        };
        for pg in self.apps.iter() {
            let id = pg.processid().id();
            if pg.enter(|app, _| app.service == Some(name)) {
                return CommandReturn::success_u32(id as u32);
            }
        }
        CommandReturn::failure(ErrorCode::NODEVICE)
    }

    /// Copies the sender's read-only allow 1 into `target`'s inbox.
    fn send(&self, pid: ProcessId, handle: usize, len_tag: usize) -> Result<(), ErrorCode> {
        let (len, tag) = split_send_arg(len_tag);
        if len == 0 || len > MAX_LARGE_MESSAGE {
            return Err(ErrorCode::SIZE);
        }
        let target = self.find(handle).ok_or(ErrorCode::NODEVICE)?;
        // The sender needs an inbox too: replies come back to it.
        self.apps
            .enter_with_allocator(pid, |app, _, allocator| app.ensure_inbox(allocator))
            .map_err(ErrorCode::from)??;
        if target == pid {
            return Err(ErrorCode::INVAL);
        }
        let head = header(pid, KIND_DIRECT, tag);
        self.with_message(pid, len, |message| {
            self.apps
                .enter(target, |app, kd| {
                    if len > app.max_message() && app.inbox_mem.is_some() {
                        Err(ErrorCode::SIZE)
                    } else if app.deliver(&head, message, kd) {
                        Ok(())
                    } else {
                        Err(ErrorCode::NOMEM)
                    }
                })
                .unwrap_or(Err(ErrorCode::NODEVICE))
        })
    }

    /// Runs `f` on the first `len` bytes of the process's read-only allow 1,
    /// in place (`f` copies them into other processes' inboxes, whose grants
    /// are separate from this process's).
    fn with_message<R>(
        &self,
        pid: ProcessId,
        len: usize,
        f: impl FnOnce(&ReadableProcessSlice) -> Result<R, ErrorCode>,
    ) -> Result<R, ErrorCode> {
        self.apps
            .enter(pid, |_, kd| {
                kd.get_readonly_processbuffer(allow_ro::MESSAGE as usize)
                    .and_then(|b| b.enter(|data| data.get(..len).map_or(Err(ErrorCode::SIZE), f)))
                    .unwrap_or(Err(ErrorCode::INVAL))
            })
            .map_err(ErrorCode::from)?
    }

    fn receive(&self, pid: ProcessId, drop_oversized: bool) -> CommandReturn {
        self.apps
            .enter(pid, |app, kd| {
                let App { inbox_mem, inbox, wake, .. } = &mut **app;
                let Some(mem) = inbox_mem.as_ref() else { return CommandReturn::success_u32_u32_u32(0, 0, 0) };
                let out = match kd.get_readwrite_processbuffer(allow_rw::MESSAGE as usize) {
                    Ok(out) => out,
                    Err(e) => return CommandReturn::failure(e.into()),
                };
                out.mut_enter(|out| {
                    mem.enter(|mem| {
                        let Some(total) = inbox.peek_len(mem) else {
                            wake.read_empty();
                            return CommandReturn::success_u32_u32_u32(0, 0, 0);
                        };
                        let len = total.saturating_sub(RECORD_HEADER);
                        if out.len() < len {
                            if drop_oversized {
                                let _ = inbox.pop(mem);
                            }
                            return CommandReturn::failure(ErrorCode::SIZE);
                        }
                        let Some((a, b)) = inbox.pop(mem) else {
                            return CommandReturn::failure(ErrorCode::FAIL);
                        };
                        // The record is the header then the message, in two pieces.
                        let mut head = [0u8; RECORD_HEADER];
                        let h = RECORD_HEADER.min(a.len());
                        head[..h].copy_from_slice(&a[..h]);
                        head[h..].copy_from_slice(&b[..RECORD_HEADER - h]);
                        let (a, b) = (&a[h..], &b[RECORD_HEADER - h..]);
                        if let Some(dst) = out.get(..a.len()) {
                            dst.copy_from_slice(a);
                        }
                        if let Some(dst) = out.get(a.len()..len) {
                            dst.copy_from_slice(b);
                        }
                        let sender = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
                        let tag = u16::from_le_bytes([head[5], head[6]]) as u32;
                        CommandReturn::success_u32_u32_u32(len as u32, sender, head[4] as u32 | tag << 16)
                    })
                    .unwrap_or(CommandReturn::failure(ErrorCode::FAIL))
                })
                .unwrap_or(CommandReturn::failure(ErrorCode::INVAL))
            })
            .unwrap_or_else(|e| CommandReturn::failure(e.into()))
    }

    fn sender_name(&self, pid: ProcessId, handle: usize) -> CommandReturn {
        let Some(name) = self.find(handle).and_then(|p| self.identity.app_name(p)) else {
            return CommandReturn::failure(ErrorCode::NODEVICE);
        };
        self.apps
            .enter(pid, |_, kd| {
                kd.get_readwrite_processbuffer(allow_rw::NAME as usize)
                    .and_then(|out| {
                        out.mut_enter(|out| match out.get(..name.len()) {
                            Some(out) => {
                                out.copy_from_slice(name.as_bytes());
                                CommandReturn::success_u32(name.len() as u32)
                            }
                            None => CommandReturn::failure(ErrorCode::SIZE),
                        })
                    })
                    .unwrap_or(CommandReturn::failure(ErrorCode::INVAL))
            })
            .unwrap_or_else(|e| CommandReturn::failure(e.into()))
    }

    fn subscribe(&self, pid: ProcessId) -> Result<(), ErrorCode> {
        self.apps
            .enter_with_allocator(pid, |app, kd, allocator| {
                let name = Self::name_arg(kd)?;
                if app.subscriptions.contains(&Some(name)) {
                    return Err(ErrorCode::ALREADY);
                }
                let slot = app.subscriptions.iter().position(Option::is_none).ok_or(ErrorCode::NOMEM)?;
                app.ensure_inbox(allocator)?;
                app.subscriptions[slot] = Some(name);
                Ok(())
            })
            .map_err(ErrorCode::from)?
    }

    fn publish(&self, pid: ProcessId, len: usize) -> CommandReturn {
        if len == 0 || len > MAX_MESSAGE {
            return CommandReturn::failure(ErrorCode::SIZE);
        }
        let service = match self.apps.enter(pid, |app, _| app.service) {
            Ok(Some(s)) => s,
            Ok(None) => return CommandReturn::failure(ErrorCode::INVAL),
            Err(e) => return CommandReturn::failure(ErrorCode::from(e)),
        };
        let head = header(pid, KIND_PUBLICATION, 0);
        let result = self.with_message(pid, len, |message| {
            let mut reached = 0u32;
            for pg in self.apps.iter() {
                if pg.processid() == pid {
                    continue;
                }
                if pg.enter(|app, kd| app.subscriptions.contains(&Some(service)) && app.deliver(&head, message, kd)) {
                    reached += 1;
                }
            }
            Ok(reached)
        });
        match result {
            Ok(n) => CommandReturn::success_u32(n),
            Err(e) => CommandReturn::failure(e),
        }
    }
}

impl<const INBOX: usize, const LARGE: usize> SyscallDriver for Ipc<'_, INBOX, LARGE> {
    fn command(&self, cmd: usize, arg1: usize, arg2: usize, pid: ProcessId) -> CommandReturn {
        match cmd as u32 {
            command::EXISTS => CommandReturn::success(),
            command::REGISTER => self.register(pid).into(),
            command::LOOKUP => self.lookup(pid),
            command::SEND => self.send(pid, arg1, arg2).into(),
            command::RECEIVE => self.receive(pid, arg1 == 1),
            command::SENDER_NAME => self.sender_name(pid, arg1),
            command::SUBSCRIBE => self.subscribe(pid).into(),
            command::PUBLISH => self.publish(pid, arg1),
            command::ALIVE => match self.find(arg1) {
                Some(_) => CommandReturn::success(),
                None => CommandReturn::failure(ErrorCode::NODEVICE),
            },
            command::LARGE_INBOX => self
                .apps
                .enter_with_allocator(pid, |app, _, allocator| app.make_large_inbox(allocator))
                .map_err(ErrorCode::from)
                .and_then(|r| r)
                .into(),
            _ => CommandReturn::failure(ErrorCode::NOSUPPORT),
        }
    }

    fn allocate_grant(&self, pid: ProcessId) -> Result<(), kernel::process::Error> {
        self.apps.enter(pid, |_, _| {})
    }
}
