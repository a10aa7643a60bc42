//! PSRAM grants: extra PSRAM for processes at run time.
//!
//! A process asks for a grant of some size; the capsule takes a block from
//! the PSRAM grant pool (the [`buddy`] allocator: powers of two aligned to
//! their size, what an MPU region needs), zeroes it so nothing of a
//! previous owner leaks, and maps it for that process alone
//! (`Process::add_mpu_region`). The block goes back to the pool when the
//! process frees it, exits, restarts, is terminated or is stopped after
//! faulting (a crash loop): every allocation whose owner can no longer use
//! it is swept back before any grant or figure is computed. Every byte is accounted per
//! process for the system information capsule.
//!
//! Syscall interface
//! -----------------
//!
//! Driver number `0x8000_0003`.
//!
//! ### Commands
//! - `0`: driver present. Success.
//! - `1`: grant `bytes`: success with `(address, size)`, the size rounded
//!   up to a power-of-two block; `SIZE` if `bytes` is 0 or over this
//!   process's remaining byte limit; `NOMEM` if the pool has no free block
//!   that large; `BUSY` if this process holds its maximum number of grants
//!   (no MPU region left).
//! - `2`: free the grant at `address`. Success, or `INVAL` if this process
//!   holds no grant there.
//! - `3`: this process's grants: success with `(bytes, count)`.
//! - `4`: this process's limits: success with `(bytes, count)`.
//! - `5`: the pool: success with `(size, free bytes)`.

#![no_std]
#![forbid(unsafe_code)]

pub mod buddy;

use core::cell::Cell;

use kernel::capabilities::ProcessManagementCapability;
use kernel::platform::mpu;
use kernel::process::State;
use kernel::syscall::{CommandReturn, SyscallDriver};
use kernel::utilities::cells::MapCell;
use kernel::{ErrorCode, ProcessId};
use syscall_abi::psram::command;

use buddy::{Buddy, LEAVES};

pub use syscall_abi::psram::DRIVER_NUM;

/// Grants held at once by all processes (8 processes x 3 on the twin).
pub const MAX_ALLOCATIONS: usize = 24;

/// One grant: who holds it, where, and the MPU region mapping it.
#[derive(Clone, Copy)]
struct Allocation {
    owner: ProcessId,
    leaf: u16,
    order: u8,
    region: mpu::Region,
}

/// Per-process limits the board sets.
#[derive(Clone, Copy)]
pub struct Limits {
    pub bytes: usize,
    /// At most the process's spare MPU regions (3 on the QEMU twin's PMP).
    pub grants: usize,
}

pub struct PsramGrants<C: ProcessManagementCapability + 'static> {
    kernel: &'static kernel::Kernel,
    capability: C,
    /// The pool, as words the kernel may zero.
    pool: &'static [Cell<u32>],
    base: usize,
    /// Bytes per leaf: the pool size over [`LEAVES`].
    leaf_bytes: usize,
    limits: Limits,
    buddy: MapCell<Buddy>,
    table: [Cell<Option<Allocation>>; MAX_ALLOCATIONS],
}

impl<C: ProcessManagementCapability> PsramGrants<C> {
    /// `pool` must be [`LEAVES`] times a power of two of at least 4 KiB,
    /// aligned to its size (the twin: the upper 4 MiB of PSRAM).
    pub fn new(kernel: &'static kernel::Kernel, capability: C, pool: &'static [Cell<u32>], limits: Limits) -> Self {
        let bytes = core::mem::size_of_val(pool);
        let leaf_bytes = bytes / LEAVES;
        let base = pool.as_ptr() as usize;
        assert!(
            leaf_bytes >= 4096
                && leaf_bytes.is_power_of_two()
                && bytes == leaf_bytes * LEAVES
                && base.is_multiple_of(bytes),
            "psram: pool must be 1024 blocks of a power of two >= 4 KiB, aligned to its size"
        );
        PsramGrants {
            kernel,
            capability,
            pool,
            base,
            leaf_bytes,
            limits,
            buddy: MapCell::new(Buddy::new()),
            table: [const { Cell::new(None) }; MAX_ALLOCATIONS],
        }
    }

    pub fn pool_bytes(&self) -> usize {
        self.leaf_bytes * LEAVES
    }

    /// Whether `pid` can still use its grants: it exists with this
    /// identifier (a restart gives a new one) and was not terminated or
    /// stopped after faulting (it keeps its identifier then, but will only
    /// run again as a new process).
    fn alive(&self, pid: ProcessId) -> bool {
        self.kernel.process_map_or_external(
            false,
            pid,
            |p| !matches!(p.get_state(), State::Terminated | State::Faulted),
            &self.capability,
        )
    }

    /// Returns the grants of processes that exited, restarted, were
    /// terminated or were stopped after faulting.
    fn sweep(&self) {
        for slot in self.table.iter() {
            if let Some(a) = slot.get() {
                if !self.alive(a.owner) {
                    self.buddy.map(|b| b.free(a.leaf as usize, a.order));
                    slot.set(None);
                }
            }
        }
    }

    /// Bytes and count of the grants `pid` holds.
    pub fn held(&self, pid: ProcessId) -> (usize, usize) {
        self.sweep();
        self.table
            .iter()
            .filter_map(|s| s.get())
            .filter(|a| a.owner == pid)
            .fold((0, 0), |(bytes, n), a| (bytes + (self.leaf_bytes << a.order), n + 1))
    }

    /// Bytes of the pool in use.
    pub fn used(&self) -> usize {
        self.sweep();
        self.buddy.map_or(0, |b| b.used()) * self.leaf_bytes
    }

    fn grant(&self, pid: ProcessId, bytes: usize) -> Result<(usize, usize), ErrorCode> {
        let (held_bytes, held) = self.held(pid);
        if bytes == 0 || bytes > self.limits.bytes.saturating_sub(held_bytes) {
            return Err(ErrorCode::SIZE);
        }
        if held >= self.limits.grants {
            return Err(ErrorCode::BUSY);
        }
        let order = Buddy::order_for(bytes.div_ceil(self.leaf_bytes)).ok_or(ErrorCode::NOMEM)?;
        let size = self.leaf_bytes << order;
        if held_bytes + size > self.limits.bytes {
            return Err(ErrorCode::SIZE);
        }
        let slot = self.table.iter().find(|s| s.get().is_none()).ok_or(ErrorCode::NOMEM)?;
        let leaf = self.buddy.map(|b| b.alloc(order)).flatten().ok_or(ErrorCode::NOMEM)?;
        let start = self.base + leaf * self.leaf_bytes;
        // Nothing of a previous owner may leak to the new one.
        let first = leaf * self.leaf_bytes / 4;
        for word in &self.pool[first..first + size / 4] {
            word.set(0);
        }
        let region = self.kernel.process_map_or_external(
            None,
            pid,
            |p| p.add_mpu_region(start as *const u8, size, size),
            &self.capability,
        );
        match region {
            Some(region) if region.start_address() as usize == start => {
                slot.set(Some(Allocation { owner: pid, leaf: leaf as u16, order, region }));
                Ok((start, size))
            }
            other => {
                if let Some(r) = other {
                    let _ = self.kernel.process_map_or_external(
                        Err(ErrorCode::FAIL),
                        pid,
                        |p| p.remove_mpu_region(r),
                        &self.capability,
                    );
                }
                self.buddy.map(|b| b.free(leaf, order));
                Err(ErrorCode::BUSY)
            }
        }
    }

    fn free(&self, pid: ProcessId, address: usize) -> Result<(), ErrorCode> {
        let slot = self
            .table
            .iter()
            .find(|s| {
                s.get().is_some_and(|a| a.owner == pid && self.base + a.leaf as usize * self.leaf_bytes == address)
            })
            .ok_or(ErrorCode::INVAL)?;
        let a = slot.get().ok_or(ErrorCode::INVAL)?;
        self.kernel.process_map_or_external(
            Err(ErrorCode::FAIL),
            pid,
            |p| p.remove_mpu_region(a.region),
            &self.capability,
        )?;
        self.buddy.map(|b| b.free(a.leaf as usize, a.order));
        slot.set(None);
        Ok(())
    }
}

impl<C: ProcessManagementCapability> SyscallDriver for PsramGrants<C> {
    fn command(&self, cmd: usize, arg1: usize, _arg2: usize, pid: ProcessId) -> CommandReturn {
        match cmd as u32 {
            command::EXISTS => CommandReturn::success(),
            command::GRANT => match self.grant(pid, arg1) {
                Ok((start, size)) => CommandReturn::success_u32_u32(start as u32, size as u32),
                Err(e) => CommandReturn::failure(e),
            },
            command::FREE => self.free(pid, arg1).into(),
            command::HELD => {
                let (bytes, n) = self.held(pid);
                CommandReturn::success_u32_u32(bytes as u32, n as u32)
            }
            command::LIMITS => CommandReturn::success_u32_u32(self.limits.bytes as u32, self.limits.grants as u32),
            command::POOL => {
                let used = self.used();
                CommandReturn::success_u32_u32(self.pool_bytes() as u32, (self.pool_bytes() - used) as u32)
            }
            _ => CommandReturn::failure(ErrorCode::NOSUPPORT),
        }
    }

    fn allocate_grant(&self, _pid: ProcessId) -> Result<(), kernel::process::Error> {
        // State is kernel-side (the allocation table), not per process.
        Ok(())
    }
}
