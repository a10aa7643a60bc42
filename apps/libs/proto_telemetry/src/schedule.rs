// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! When samples are due: on whole multiples of the period of the kernel's
//! uptime, so reported uptimes never drift.
//!
//! The original firmware slept a period after each sample on a tick 13 %
//! fast, so its telemetry drifted. Here every sample is due at an absolute
//! instant `k x period` of the kernel's clock, and the uptime a sample
//! reports is that instant: consecutive samples step by exactly the period,
//! however late the app wakes. An app that woke a little late (other
//! processes' time slices, a host that paused the twin) catches up: up to
//! [`CATCH_UP`] due instants are sampled at once, each reporting its own
//! instant. Beyond that (the app was stopped, or a period shorter than it
//! can keep up with) the missed instants are skipped, never sent in a
//! burst: the uptimes then step by a multiple of the period, which a
//! dashboard shows as a gap.

use crate::Period;

/// Most due instants sampled at once after a late wake: 50 ms at 100 Hz,
/// a burst the websocket app's send queues take easily.
pub const CATCH_UP: u64 = 5;

/// The sampling schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    period: Period,
    /// Kernel uptime (ms) at which the next sample is due.
    next_ms: u64,
}

impl Schedule {
    /// Samples every `period`, the first at the next multiple of it after
    /// `now_ms` (strictly after, so a sample is never taken twice).
    pub fn new(period: Period, now_ms: u64) -> Schedule {
        let p = u64::from(period.ms());
        Schedule { period, next_ms: (now_ms / p + 1) * p }
    }

    pub fn period(&self) -> Period {
        self.period
    }

    /// Uptime at which the next sample is due.
    pub fn next_ms(&self) -> u64 {
        self.next_ms
    }

    /// Milliseconds to wait from `now_ms` until the next sample is due.
    pub fn wait_ms(&self, now_ms: u64) -> u64 {
        self.next_ms.saturating_sub(now_ms)
    }

    /// If a sample is due at `now_ms`: the uptime it reports, and the
    /// schedule moves on (call again until `None`). That is the earliest
    /// instant not sampled yet, unless more than [`CATCH_UP`] have passed:
    /// then the latest, and the ones before it are skipped.
    pub fn due(&mut self, now_ms: u64) -> Option<u64> {
        if now_ms < self.next_ms {
            return None;
        }
        let p = u64::from(self.period.ms());
        let behind = (now_ms - self.next_ms) / p;
        let at = if behind < CATCH_UP { self.next_ms } else { self.next_ms + behind * p };
        self.next_ms = at + p;
        Some(at)
    }

    /// Changes the period from `now_ms` on (the next sample at the next
    /// multiple of the new period).
    pub fn set_period(&mut self, period: Period, now_ms: u64) {
        *self = Schedule::new(period, now_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u32) -> Period {
        Period::from_ms(n).unwrap()
    }

    #[test]
    fn samples_fall_on_multiples_of_the_period() {
        let mut s = Schedule::new(ms(1000), 3_217);
        assert_eq!(s.next_ms(), 4_000);
        assert_eq!(s.wait_ms(3_217), 783);
        assert_eq!(s.due(3_999), None);
        assert_eq!(s.due(4_003), Some(4_000), "a late wake reports the due instant");
        assert_eq!(s.due(4_003), None, "never twice");
        assert_eq!(s.due(5_000), Some(5_000));
        assert_eq!(s.wait_ms(5_000), 1_000);
    }

    #[test]
    fn an_hour_of_late_wakes_does_not_drift() {
        // Every wake is 1-9 ms late; the reported uptimes still step by
        // exactly the period, 3600 times.
        let mut s = Schedule::new(ms(1000), 0);
        let mut now = 0u64;
        let mut reported = alloc::vec::Vec::new();
        for i in 0..3600u64 {
            now += s.wait_ms(now) + 1 + i % 9;
            reported.push(s.due(now).expect("due after waiting"));
        }
        assert_eq!(reported[0], 1_000);
        assert!(reported.windows(2).all(|w| w[1] - w[0] == 1_000));
        assert_eq!(*reported.last().unwrap(), 3_600_000);
    }

    #[test]
    fn a_late_wake_catches_up_a_long_stop_is_skipped() {
        let mut s = Schedule::new(ms(10), 0);
        assert_eq!(s.due(10), Some(10));
        // 25 ms late: the three instants due are all sampled.
        assert_eq!(s.due(45), Some(20));
        assert_eq!(s.due(45), Some(30));
        assert_eq!(s.due(45), Some(40));
        assert_eq!(s.due(45), None);
        // Stopped for half a second: one sample, at the latest due instant.
        assert_eq!(s.due(537), Some(530));
        assert_eq!(s.due(539), None);
        assert_eq!(s.next_ms(), 540);
        // Exactly CATCH_UP behind is still caught up.
        let mut s = Schedule::new(ms(10), 0);
        let at: alloc::vec::Vec<_> = core::iter::from_fn(|| s.due(10 + CATCH_UP * 10 - 1)).collect();
        assert_eq!(at.len() as u64, CATCH_UP);
    }

    #[test]
    fn a_new_period_starts_at_its_next_multiple() {
        let mut s = Schedule::new(ms(1000), 0);
        assert_eq!(s.due(1_000), Some(1_000));
        s.set_period(ms(100), 1_234);
        assert_eq!(s.period(), ms(100));
        assert_eq!(s.next_ms(), 1_300);
        s.set_period(ms(100), 1_300);
        assert_eq!(s.next_ms(), 1_400, "strictly after now");
    }
}
