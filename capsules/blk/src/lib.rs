//! The block device (the eMMC, or VirtIO-block on the twin) for userspace.
//!
//! Only the apps the board lists may use it: the storage service, which
//! owns the FAT volume. Data moves through one DMA-safe bounce buffer of
//! up to 32 sectors (16 KiB: the storage service's sequential read-ahead
//! in one request): the process's buffer is copied into it before a write
//! and out of it after a read, so no process memory ever reaches the
//! device. One transfer at a time. At boot, [`BlockDriver::check_device`]
//! reads sector 0 and logs its CRC-32, so a user (and the tests) can see
//! the medium is readable before any process runs.
//!
//! Syscall interface
//! -----------------
//!
//! Driver number `0x8000_0002`.
//!
//! ### Commands
//! - `0`: driver present. Success (for everyone).
//! - `1`: capacity: success with `(sectors low, sectors high)` `u32`s;
//!   `BUSY` while the device is still being identified (an eMMC after
//!   power-up), `NODEVICE` if it never was.
//! - `2`: read `(sector, count)`: `count` sectors (1 to 8) from `sector`
//!   into read-write allow 0. Success when started; `SIZE` if the allow is
//!   shorter than `count` sectors or `count` is out of range; `INVAL` past
//!   the end of the device; `BUSY` while a transfer runs.
//! - `3`: write `(sector, count)` from read-only allow 0. As for read.
//! - `4`: flush the device's write cache. Success when started; `BUSY`.
//!
//! Every command but 0 returns `NODEVICE` to apps the board did not allow.
//!
//! ### Upcalls
//! - `0`: a transfer finished: `(operation, status, sectors)`, operation 2
//!   read, 3 write, 4 flush; status 0 for success or a Tock error code.
//!
//! ### Allows
//! - read-write `0`: destination of reads.
//! - read-only `0`: source of writes.

#![no_std]
#![forbid(unsafe_code)]

use core::cell::Cell;

use dma_buffer::{CacheMaintenance, DmaBuffer};
use hil_ext::block::{BlockClient, BlockDevice, SECTOR_SIZE};
use hil_ext::identity::ProcessIdentity;
use kernel::grant::{AllowRoCount, AllowRwCount, Grant, UpcallCount};
use kernel::processbuffer::{ReadableProcessBuffer, WriteableProcessBuffer};
use kernel::syscall::{CommandReturn, SyscallDriver};
use kernel::utilities::cells::{MapCell, OptionalCell};
use kernel::{debug, ErrorCode, ProcessId};
use syscall_abi::blk::{allow_ro, allow_rw, command, upcall, MAX_SECTORS};

pub use syscall_abi::blk::DRIVER_NUM;

/// Bytes of the bounce buffer.
pub const BOUNCE_LEN: usize = MAX_SECTORS * SECTOR_SIZE;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Read,
    Write,
    Flush,
    /// The boot-time read of sector 0.
    Check,
}

impl Op {
    fn code(self) -> usize {
        match self {
            Op::Read | Op::Check => command::READ as usize,
            Op::Write => command::WRITE as usize,
            Op::Flush => command::FLUSH as usize,
        }
    }
}

/// Who asked for the running transfer.
#[derive(Clone, Copy)]
struct Transfer {
    op: Op,
    pid: Option<ProcessId>,
    sectors: usize,
}

type BlkGrant =
    Grant<(), UpcallCount<{ upcall::COUNT }>, AllowRoCount<{ allow_ro::COUNT }>, AllowRwCount<{ allow_rw::COUNT }>>;

pub struct BlockDriver<'a, B: BlockDevice<'a, C>, C: CacheMaintenance + 'static> {
    device: &'a B,
    identity: &'a dyn ProcessIdentity,
    /// App names allowed to use the device.
    allowed: &'static [&'static str],
    apps: BlkGrant,
    bounce: MapCell<DmaBuffer<C>>,
    running: OptionalCell<Transfer>,
    /// Set once the boot check finished; until then processes get `BUSY`.
    checked: Cell<bool>,
}

/// CRC-32 (IEEE 802.3, as zlib's `crc32`); used once, at boot.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

impl<'a, B: BlockDevice<'a, C>, C: CacheMaintenance> BlockDriver<'a, B, C> {
    /// `bounce` must hold at least [`BOUNCE_LEN`] bytes.
    pub fn new(
        device: &'a B,
        identity: &'a dyn ProcessIdentity,
        allowed: &'static [&'static str],
        apps: BlkGrant,
        bounce: DmaBuffer<C>,
    ) -> Self {
        assert!(bounce.len() >= BOUNCE_LEN, "blk: bounce buffer too small");
        BlockDriver {
            device,
            identity,
            allowed,
            apps,
            bounce: MapCell::new(bounce),
            running: OptionalCell::empty(),
            checked: Cell::new(false),
        }
    }

    /// Reads sector 0 and logs its size and CRC-32 when done.
    pub fn check_device(&self) {
        let sectors = self.device.capacity().unwrap_or(0);
        debug!("blk: block device, {} sectors of {} B ({} MiB)", sectors, SECTOR_SIZE, sectors / 2048);
        self.start(Transfer { op: Op::Check, pid: None, sectors: 1 }, 0).unwrap_or_else(|e| {
            debug!("blk: reading sector 0 failed to start: {:?}", e);
            self.checked.set(true);
        });
    }

    fn allowed(&self, pid: ProcessId) -> bool {
        self.identity.app_name(pid).is_some_and(|name| self.allowed.contains(&name))
    }

    /// Starts a transfer with the bounce buffer (already filled for writes).
    fn start(&self, t: Transfer, sector: u64) -> Result<(), ErrorCode> {
        if t.op == Op::Flush {
            self.running.set(t);
            return self.device.flush().inspect_err(|_| self.running.clear());
        }
        let buffer = self.bounce.take().ok_or(ErrorCode::BUSY)?;
        self.running.set(t);
        let result = match t.op {
            Op::Read | Op::Check => self.device.read(sector, t.sectors, buffer),
            _ => self.device.write(sector, t.sectors, buffer),
        };
        result.map_err(|(e, buffer)| {
            self.bounce.replace(buffer);
            self.running.clear();
            e
        })
    }

    fn read(&self, pid: ProcessId, sector: usize, count: usize) -> Result<(), ErrorCode> {
        self.apps
            .enter(pid, |_, kernel_data| {
                let len = kernel_data.get_readwrite_processbuffer(allow_rw::READ as usize)?.len();
                if len < count * SECTOR_SIZE {
                    return Err(ErrorCode::SIZE);
                }
                Ok(())
            })
            .map_err(ErrorCode::from)??;
        self.start(Transfer { op: Op::Read, pid: Some(pid), sectors: count }, sector as u64)
    }

    fn write(&self, pid: ProcessId, sector: usize, count: usize) -> Result<(), ErrorCode> {
        let bytes = count * SECTOR_SIZE;
        self.apps
            .enter(pid, |_, kernel_data| {
                let source = kernel_data.get_readonly_processbuffer(allow_ro::WRITE as usize)?;
                source.enter(|data| {
                    if data.len() < bytes {
                        return Err(ErrorCode::SIZE);
                    }
                    self.bounce
                        .map(|b| data[..bytes].copy_to_slice(&mut b.as_mut_slice()[..bytes]))
                        .ok_or(ErrorCode::BUSY)
                })?
            })
            .map_err(ErrorCode::from)??;
        self.start(Transfer { op: Op::Write, pid: Some(pid), sectors: count }, sector as u64)
    }

    /// Ends the running transfer: copies read data out, tells the process.
    fn finish(&self, buffer: Option<DmaBuffer<C>>, result: Result<(), ErrorCode>) {
        let Some(t) = self.running.take() else { return };
        if let Some(buffer) = buffer {
            let data = &buffer.as_slice()[..t.sectors * SECTOR_SIZE];
            match (t.op, t.pid) {
                (Op::Check, _) => {
                    match result {
                        Ok(()) => debug!("blk: sector 0 crc32 {:08x}, first bytes {:02x?}", crc32(data), &data[..16]),
                        Err(e) => debug!("blk: reading sector 0 failed: {:?}", e),
                    }
                    self.checked.set(true);
                }
                (Op::Read, Some(pid)) if result.is_ok() => {
                    let _ = self.apps.enter(pid, |_, kernel_data| {
                        if let Ok(out) = kernel_data.get_readwrite_processbuffer(allow_rw::READ as usize) {
                            let _ = out.mut_enter(|out| {
                                if let Some(out) = out.get(..data.len()) {
                                    out.copy_from_slice(data);
                                }
                            });
                        }
                    });
                }
                _ => {}
            }
            self.bounce.replace(buffer);
        }
        if let Some(pid) = t.pid {
            let status = kernel::errorcode::into_statuscode(result);
            let _ = self.apps.enter(pid, |_, kernel_data| {
                let _ = kernel_data.schedule_upcall(upcall::DONE as usize, (t.op.code(), status, t.sectors));
            });
        }
    }
}

impl<'a, B: BlockDevice<'a, C>, C: CacheMaintenance> SyscallDriver for BlockDriver<'a, B, C> {
    fn command(&self, cmd: usize, arg1: usize, arg2: usize, pid: ProcessId) -> CommandReturn {
        if cmd as u32 == command::EXISTS {
            return CommandReturn::success();
        }
        if !self.allowed(pid) {
            return CommandReturn::failure(ErrorCode::NODEVICE);
        }
        let busy = self.running.is_some() || !self.checked.get();
        match cmd as u32 {
            command::CAPACITY => match self.device.capacity() {
                Ok(n) => CommandReturn::success_u32_u32(n as u32, (n >> 32) as u32),
                Err(e) => CommandReturn::failure(e),
            },
            command::READ | command::WRITE if !(1..=MAX_SECTORS).contains(&arg2) => {
                CommandReturn::failure(ErrorCode::SIZE)
            }
            _ if busy => CommandReturn::failure(ErrorCode::BUSY),
            command::READ => self.read(pid, arg1, arg2).into(),
            command::WRITE => self.write(pid, arg1, arg2).into(),
            command::FLUSH => self.start(Transfer { op: Op::Flush, pid: Some(pid), sectors: 0 }, 0).into(),
            _ => CommandReturn::failure(ErrorCode::NOSUPPORT),
        }
    }

    fn allocate_grant(&self, pid: ProcessId) -> Result<(), kernel::process::Error> {
        self.apps.enter(pid, |_, _| {})
    }
}

impl<'a, B: BlockDevice<'a, C>, C: CacheMaintenance> BlockClient<C> for BlockDriver<'a, B, C> {
    fn read_done(&self, buffer: DmaBuffer<C>, result: Result<(), ErrorCode>) {
        self.finish(Some(buffer), result);
    }

    fn write_done(&self, buffer: DmaBuffer<C>, result: Result<(), ErrorCode>) {
        self.finish(Some(buffer), result);
    }

    fn flush_done(&self, result: Result<(), ErrorCode>) {
        self.finish(None, result);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn crc32_matches_zlib() {
        assert_eq!(super::crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(super::crc32(&[]), 0);
    }
}
