//! Time for apps.
//!
//! libtock-rs converts milliseconds to ticks as `ms * freq` in `u32`, which
//! saturates above ~429 ms at the twin's 10 MHz timer (a 2 s sleep lasts
//! 0.43 s). These helpers convert in `u64`, and [`Clock`] extends the
//! kernel's 32-bit tick counter (it wraps every ~7 minutes at 10 MHz) into a
//! monotonic millisecond count, as long as it is read at least once per
//! wrap period.

#![no_std]

use core::cell::Cell;

use libtock_alarm::{Alarm, Ticks};
use libtock_platform::{ErrorCode, Syscalls};

/// Ticks for `ms` milliseconds at `hz`, rounded up, saturating at `u32::MAX`.
pub fn ms_to_ticks(ms: u32, hz: u32) -> u32 {
    let ticks = (ms as u64 * hz as u64).div_ceil(1000);
    ticks.min(u32::MAX as u64) as u32
}

/// Whole milliseconds in `ticks` at `hz`.
pub fn ticks_to_ms(ticks: u64, hz: u32) -> u64 {
    if hz == 0 {
        return 0;
    }
    ticks * 1000 / hz as u64
}

/// Sleeps for `ms` milliseconds (longer sleeps are split so no single alarm
/// exceeds the 32-bit tick range).
pub fn sleep_ms<S: Syscalls>(ms: u32) -> Result<(), ErrorCode> {
    let hz = Alarm::<S>::get_frequency()?.0;
    let max_ms = (u32::MAX as u64 * 1000 / hz.max(1) as u64).min(u32::MAX as u64) as u32 / 2;
    let mut left = ms;
    while left > 0 {
        let step = left.min(max_ms.max(1));
        Alarm::<S>::sleep_for(Ticks(ms_to_ticks(step, hz)))?;
        left -= step;
    }
    Ok(())
}

/// Extends 32-bit tick readings into a monotonic 64-bit count.
#[derive(Default)]
pub struct TickExtender {
    last: Cell<u32>,
    high: Cell<u64>,
}

impl TickExtender {
    /// Folds in a new 32-bit reading; returns the 64-bit tick count.
    pub fn extend(&self, now: u32) -> u64 {
        if now < self.last.get() {
            self.high.set(self.high.get() + (1 << 32));
        }
        self.last.set(now);
        self.high.get() | now as u64
    }
}

/// Monotonic milliseconds since the process started reading the clock.
pub struct Clock<S: Syscalls> {
    hz: u32,
    ticks: TickExtender,
    _s: core::marker::PhantomData<S>,
}

impl<S: Syscalls> Clock<S> {
    pub fn new() -> Result<Self, ErrorCode> {
        let hz = Alarm::<S>::get_frequency()?.0;
        Ok(Clock { hz, ticks: TickExtender::default(), _s: core::marker::PhantomData })
    }

    /// Milliseconds of the kernel's timer (monotonic across wraps).
    pub fn now_ms(&self) -> u64 {
        let raw = Alarm::<S>::get_ticks().unwrap_or(self.ticks.last.get());
        ticks_to_ms(self.ticks.extend(raw), self.hz)
    }

    pub fn frequency(&self) -> u32 {
        self.hz
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_seconds_at_10mhz_do_not_saturate() {
        assert_eq!(ms_to_ticks(2000, 10_000_000), 20_000_000);
        assert_eq!(ms_to_ticks(1, 32_768), 33); // rounds up
    }

    #[test]
    fn very_long_sleeps_saturate_instead_of_wrapping() {
        assert_eq!(ms_to_ticks(u32::MAX, 10_000_000), u32::MAX);
    }

    #[test]
    fn extender_counts_wraps() {
        let e = TickExtender::default();
        assert_eq!(e.extend(10), 10);
        assert_eq!(e.extend(u32::MAX), u32::MAX as u64);
        assert_eq!(e.extend(5), (1 << 32) + 5);
        assert_eq!(e.extend(7), (1 << 32) + 7);
    }

    #[test]
    fn ticks_convert_to_milliseconds() {
        assert_eq!(ticks_to_ms(20_000_000, 10_000_000), 2000);
        assert_eq!(ticks_to_ms((1 << 32) + 5, 10_000_000), 429_496);
        assert_eq!(ticks_to_ms(5, 0), 0);
    }
}
