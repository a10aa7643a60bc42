//! The block device (eMMC) from userspace (`capsules/blk`). Only the apps
//! the board allows (the storage service) may use it.
//!
//! Syscall interface
//! -----------------
//!
//! Written once, at the top of the capsule: `capsules/blk/src/lib.rs`
//! (commands, allows, upcalls, errors). The numbers come from
//! `syscall-abi` (`capsules/abi`), which the kernel uses too.

#![no_std]

use core::cell::Cell;
use core::marker::PhantomData;

use libtock_platform::allow_ro::AllowRo;
use libtock_platform::allow_rw::AllowRw;
use libtock_platform::subscribe::Subscribe;
use libtock_platform::{share, DefaultConfig, ErrorCode, Syscalls};
use syscall_abi::blk::{allow_ro, allow_rw, command, upcall, DRIVER_NUM as DRIVER};

pub use syscall_abi::blk::{MAX_SECTORS, SECTOR_SIZE};

const DRIVER_NUM: u32 = DRIVER as u32;

pub struct Blk<S: Syscalls>(PhantomData<S>);

/// The completion upcall's arguments, once it came.
pub type Completion = Option<(u32, u32, u32)>;

/// The block device with its completion upcall subscribed (see
/// [`Blk::with_session`]); each request blocks until it completes.
#[derive(Clone, Copy)]
pub struct Session<S: Syscalls> {
    done: &'static Cell<Completion>,
    _s: PhantomData<S>,
}

impl<S: Syscalls> Session<S> {
    /// Reads `buf.len() / 512` sectors (at most `MAX_SECTORS`) from `sector`.
    pub fn read(&self, sector: u32, buf: &mut [u8]) -> Result<(), ErrorCode> {
        let count = Blk::<S>::count(buf.len())?;
        self.done.set(None);
        share::scope::<AllowRw<_, DRIVER_NUM, { allow_rw::READ }>, _, _>(|allow| {
            S::allow_rw::<DefaultConfig, DRIVER_NUM, { allow_rw::READ }>(allow, buf)?;
            S::command(DRIVER_NUM, command::READ, sector, count).to_result::<(), ErrorCode>()?;
            Blk::<S>::wait(self.done)
        })
    }

    /// Writes `buf.len() / 512` sectors (at most `MAX_SECTORS`) at `sector`.
    pub fn write(&self, sector: u32, buf: &[u8]) -> Result<(), ErrorCode> {
        let count = Blk::<S>::count(buf.len())?;
        self.done.set(None);
        share::scope::<AllowRo<_, DRIVER_NUM, { allow_ro::WRITE }>, _, _>(|allow| {
            S::allow_ro::<DefaultConfig, DRIVER_NUM, { allow_ro::WRITE }>(allow, buf)?;
            S::command(DRIVER_NUM, command::WRITE, sector, count).to_result::<(), ErrorCode>()?;
            Blk::<S>::wait(self.done)
        })
    }

    /// Makes completed writes durable.
    pub fn flush(&self) -> Result<(), ErrorCode> {
        self.done.set(None);
        S::command(DRIVER_NUM, command::FLUSH, 0, 0).to_result::<(), ErrorCode>()?;
        Blk::<S>::wait(self.done)
    }
}

impl<S: Syscalls> Blk<S> {
    /// Sectors on the device (`NODEVICE` if this app may not use it).
    pub fn sectors() -> Result<u64, ErrorCode> {
        let (lo, hi): (u32, u32) = S::command(DRIVER_NUM, command::CAPACITY, 0, 0).to_result()?;
        Ok((hi as u64) << 32 | lo as u64)
    }

    /// Runs `f` with the completion upcall subscribed to `done` for all of
    /// it, so each [`Session`] request is an allow, a command and the wait
    /// (subscribing around every request cost two system calls more). `Err`
    /// if the upcall cannot be subscribed: then no request could complete,
    /// and `f` does not run.
    pub fn with_session<R>(done: &'static Cell<Completion>, f: impl FnOnce(Session<S>) -> R) -> Result<R, ErrorCode> {
        share::scope::<Subscribe<_, DRIVER_NUM, { upcall::DONE }>, _, _>(|sub| {
            S::subscribe::<_, _, DefaultConfig, DRIVER_NUM, { upcall::DONE }>(sub, done)?;
            Ok(f(Session { done, _s: PhantomData }))
        })
    }

    fn count(len: usize) -> Result<u32, ErrorCode> {
        let count = len / SECTOR_SIZE;
        if !len.is_multiple_of(SECTOR_SIZE) || count == 0 || count > MAX_SECTORS {
            return Err(ErrorCode::Size);
        }
        Ok(count as u32)
    }

    fn wait(done: &Cell<Completion>) -> Result<(), ErrorCode> {
        loop {
            S::yield_wait();
            if let Some((_, status, _)) = done.get() {
                return match status {
                    0 => Ok(()),
                    e => Err(ErrorCode::try_from(e).unwrap_or(ErrorCode::Fail)),
                };
            }
        }
    }
}
