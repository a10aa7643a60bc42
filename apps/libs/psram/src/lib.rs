//! Extra PSRAM at run time (`capsules/psram`).
//!
//! Syscall interface
//! -----------------
//!
//! Written once, at the top of the capsule: `capsules/psram/src/lib.rs`
//! (commands, allows, upcalls, errors). The numbers come from
//! `syscall-abi` (`capsules/abi`), which the kernel uses too.

#![no_std]

use core::marker::PhantomData;

use libtock_platform::{ErrorCode, Syscalls};
use syscall_abi::psram::{command, DRIVER_NUM as DRIVER};

const DRIVER_NUM: u32 = DRIVER as u32;

/// A block of PSRAM mapped for this process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grant {
    pub address: usize,
    pub size: usize,
}

impl Grant {
    /// The granted memory.
    ///
    /// # Safety
    /// The grant must be live (not freed), and the caller must not make
    /// two mutable slices of it at once.
    pub unsafe fn memory(&self) -> &'static mut [u8] {
        // SAFETY: the kernel mapped [address, address + size) for this
        // process alone; the caller guarantees exclusivity and liveness.
        unsafe { core::slice::from_raw_parts_mut(self.address as *mut u8, self.size) }
    }
}

pub struct Psram<S: Syscalls>(PhantomData<S>);

impl<S: Syscalls> Psram<S> {
    pub fn exists() -> bool {
        S::command(DRIVER_NUM, command::EXISTS, 0, 0).is_success()
    }

    /// Asks for `bytes` of PSRAM (rounded up to a power of two).
    pub fn grant(bytes: usize) -> Result<Grant, ErrorCode> {
        let (address, size): (u32, u32) = S::command(DRIVER_NUM, command::GRANT, bytes as u32, 0).to_result()?;
        Ok(Grant { address: address as usize, size: size as usize })
    }

    /// Gives a grant back; its memory must not be used afterwards.
    pub fn free(grant: Grant) -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::FREE, grant.address as u32, 0).to_result()
    }

    /// Bytes and number of grants this process holds.
    pub fn held() -> Result<(usize, usize), ErrorCode> {
        let (b, n): (u32, u32) = S::command(DRIVER_NUM, command::HELD, 0, 0).to_result()?;
        Ok((b as usize, n as usize))
    }

    /// This process's limits: bytes and number of grants.
    pub fn limits() -> Result<(usize, usize), ErrorCode> {
        let (b, n): (u32, u32) = S::command(DRIVER_NUM, command::LIMITS, 0, 0).to_result()?;
        Ok((b as usize, n as usize))
    }

    /// The pool: size and free bytes.
    pub fn pool() -> Result<(usize, usize), ErrorCode> {
        let (s, f): (u32, u32) = S::command(DRIVER_NUM, command::POOL, 0, 0).to_result()?;
        Ok((s as usize, f as usize))
    }
}
