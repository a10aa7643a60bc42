// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Uptime from a 32-bit timer, extended to 64 bits.
//!
//! A 32-bit counter at 25 MHz wraps every 171 s; uptime, the fault
//! policy's windows and `/api/status` need more. The extender reads the
//! counter on an alarm of its own every quarter wrap, so no wrap is ever
//! missed however rarely anyone asks.

use core::cell::Cell;

use capsules_sysinfo::Uptime;
use kernel::hil::time::{Alarm, AlarmClient, Frequency, Ticks, Time};

pub struct ExtendedUptime<'a, A: Alarm<'a>> {
    alarm: &'a A,
    high: Cell<u64>,
    last: Cell<u32>,
}

impl<'a, A: Alarm<'a>> ExtendedUptime<'a, A> {
    pub fn new(alarm: &'a A) -> Self {
        ExtendedUptime { alarm, high: Cell::new(0), last: Cell::new(0) }
    }

    /// Arms the first wake-up; the alarm's client must be `self`.
    pub fn start(&self) {
        self.extend();
        self.rearm();
    }

    fn rearm(&self) {
        let quarter = A::Ticks::from(u32::MAX / 4);
        self.alarm.set_alarm(self.alarm.now(), quarter);
    }

    /// The 64-bit tick count now.
    fn extend(&self) -> u64 {
        let now = self.alarm.now().into_u32();
        if now < self.last.get() {
            self.high.set(self.high.get() + (1 << 32));
        }
        self.last.set(now);
        self.high.get() | u64::from(now)
    }
}

impl<'a, A: Alarm<'a>> AlarmClient for ExtendedUptime<'a, A> {
    fn alarm(&self) {
        self.extend();
        self.rearm();
    }
}

impl<'a, A: Alarm<'a>> Uptime for ExtendedUptime<'a, A> {
    fn uptime_ms(&self) -> u64 {
        self.extend() * 1000 / u64::from(<A as Time>::Frequency::frequency())
    }
}
