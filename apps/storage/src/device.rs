//! The eMMC through the kernel's block driver, and the clock for file
//! times.

use fat_volume::{BlockDevice, Clock, IoError};
use libtock_runtime::TockSyscalls;
use system::SystemInfo;

type Blk = blk::Blk<TockSyscalls>;

/// The block device, for the volume (requests are at most 8 sectors, the
/// kernel's bounce buffer, which `fat-volume` guarantees).
pub struct EmmcDevice {
    sectors: u64,
    /// Requests through the completion upcall subscribed for the app's
    /// life (`main`).
    session: blk::Session<TockSyscalls>,
}

/// How long a device still being identified is waited for (an eMMC takes
/// tens of milliseconds after power-up; the twin's is there at once).
const IDENTIFY_WAIT_MS: u32 = 3000;
const POLL_MS: u32 = 10;

impl EmmcDevice {
    /// The device, if this app may use it and it is there; waits while the
    /// kernel says it is still being identified (`BUSY`).
    pub fn open(session: blk::Session<TockSyscalls>) -> Option<EmmcDevice> {
        let mut waited = 0;
        loop {
            match Blk::sectors() {
                Ok(n) if n > 0 => return Some(EmmcDevice { sectors: n, session }),
                Err(libtock_platform::ErrorCode::Busy) if waited < IDENTIFY_WAIT_MS => {
                    let _ = timing::sleep_ms::<TockSyscalls>(POLL_MS);
                    waited += POLL_MS;
                }
                _ => return None,
            }
        }
    }
}

fn io(e: libtock_platform::ErrorCode) -> IoError {
    IoError::Device(e as i32)
}

fn sector32(sector: u64) -> Result<u32, IoError> {
    u32::try_from(sector).map_err(|_| IoError::OutOfRange)
}

impl BlockDevice for EmmcDevice {
    fn sectors(&self) -> u64 {
        self.sectors
    }

    fn read(&mut self, sector: u64, buf: &mut [u8]) -> Result<(), IoError> {
        self.session.read(sector32(sector)?, buf).map_err(io)
    }

    fn write(&mut self, sector: u64, buf: &[u8]) -> Result<(), IoError> {
        self.session.write(sector32(sector)?, buf).map_err(io)
    }

    fn flush(&mut self) -> Result<(), IoError> {
        self.session.flush().map_err(io)
    }
}

/// Unix seconds for file times. The board has no battery-backed clock:
/// time starts at the build's date (`NUCLEO_EPOCH`, set by the build) and
/// advances with the kernel's uptime.
#[derive(Clone, Copy)]
pub struct UptimeClock {
    base: u32,
}

/// 2026-01-01T00:00:00Z, when the build does not say.
const DEFAULT_EPOCH: u32 = 1_767_225_600;

impl UptimeClock {
    pub fn new() -> Self {
        let base = option_env!("NUCLEO_EPOCH").and_then(|s| s.parse().ok()).unwrap_or(DEFAULT_EPOCH);
        UptimeClock { base }
    }
}

impl Clock for UptimeClock {
    fn now(&self) -> u32 {
        let up = SystemInfo::<TockSyscalls>::uptime_ms().unwrap_or(0) / 1000;
        self.base.saturating_add(up as u32)
    }
}
