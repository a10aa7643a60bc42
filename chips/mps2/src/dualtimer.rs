// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The kernel's alarm on the CMSDK APB dual timer (ARM DDI 0479, an SP804):
//! timer 1 counts down freely over 32 bits (its complement is the time),
//! timer 2 is a one-shot that interrupts when the alarm is due.

use core::cell::Cell;

use kernel::hil::time::{Alarm, AlarmClient, Frequency, Ticks, Ticks32, Time};
use kernel::utilities::cells::OptionalCell;
use kernel::utilities::registers::interfaces::{Readable, Writeable};
use kernel::utilities::registers::{register_bitfields, register_structs, ReadOnly, ReadWrite, WriteOnly};
use kernel::utilities::StaticRef;
use kernel::ErrorCode;

register_structs! {
    pub TimerRegisters {
        (0x00 => load: ReadWrite<u32>),
        (0x04 => value: ReadOnly<u32>),
        (0x08 => control: ReadWrite<u32, CONTROL::Register>),
        (0x0c => intclr: WriteOnly<u32>),
        (0x10 => ris: ReadOnly<u32>),
        (0x14 => mis: ReadOnly<u32>),
        (0x18 => bgload: ReadWrite<u32>),
        (0x1c => _reserved),
        (0x20 => @END),
    }
}

register_structs! {
    pub DualTimerRegisters {
        (0x00 => timer1: TimerRegisters),
        (0x20 => timer2: TimerRegisters),
        (0x40 => @END),
    }
}

register_bitfields![u32,
    CONTROL [
        ONE_SHOT OFFSET(0) NUMBITS(1) [],
        SIZE_32 OFFSET(1) NUMBITS(1) [],
        INT_EN OFFSET(5) NUMBITS(1) [],
        PERIODIC OFFSET(6) NUMBITS(1) [],
        ENABLE OFFSET(7) NUMBITS(1) []
    ]
];

pub const DUALTIMER_BASE: StaticRef<DualTimerRegisters> =
    unsafe { StaticRef::new(0x4000_2000 as *const DualTimerRegisters) };

/// The timers' clock: SYSCLK.
pub struct Freq25MHz;

impl Frequency for Freq25MHz {
    fn frequency() -> u32 {
        crate::SYSCLK_HZ
    }
}

pub struct DualTimer<'a> {
    registers: StaticRef<DualTimerRegisters>,
    client: OptionalCell<&'a dyn AlarmClient>,
    /// When the armed alarm is due, in `now()` ticks.
    expires: Cell<Option<u32>>,
}

impl DualTimer<'_> {
    pub fn new(registers: StaticRef<DualTimerRegisters>) -> Self {
        DualTimer { registers, client: OptionalCell::empty(), expires: Cell::new(None) }
    }

    /// Starts the free-running counter; call once at boot.
    pub fn start(&self) {
        let t1 = &self.registers.timer1;
        t1.load.set(u32::MAX);
        // Free-running mode (not periodic): wraps from 0 to 0xFFFF_FFFF.
        t1.control.write(CONTROL::ENABLE::SET + CONTROL::SIZE_32::SET);
        self.registers.timer2.control.write(CONTROL::SIZE_32::SET);
    }

    pub fn handle_interrupt(&self) {
        let t2 = &self.registers.timer2;
        if t2.mis.get() != 0 {
            t2.intclr.set(1);
            t2.control.write(CONTROL::SIZE_32::SET);
            if self.expires.take().is_some() {
                self.client.map(|c| c.alarm());
            }
        }
    }
}

impl Time for DualTimer<'_> {
    type Frequency = Freq25MHz;
    type Ticks = Ticks32;

    fn now(&self) -> Ticks32 {
        Ticks32::from(!self.registers.timer1.value.get())
    }
}

impl<'a> Alarm<'a> for DualTimer<'a> {
    fn set_alarm_client(&self, client: &'a dyn AlarmClient) {
        self.client.set(client);
    }

    fn set_alarm(&self, reference: Ticks32, dt: Ticks32) {
        let expires = reference.wrapping_add(dt);
        let now = self.now();
        // Already due (or passed): fire as soon as possible.
        let wait = if now.within_range(reference, expires) { expires.wrapping_sub(now) } else { Ticks32::from(0) };
        let wait = wait.into_u32().max(self.minimum_dt().into_u32());
        let t2 = &self.registers.timer2;
        t2.control.write(CONTROL::SIZE_32::SET);
        t2.intclr.set(1);
        t2.load.set(wait);
        self.expires.set(Some(expires.into_u32()));
        t2.control.write(CONTROL::ENABLE::SET + CONTROL::ONE_SHOT::SET + CONTROL::SIZE_32::SET + CONTROL::INT_EN::SET);
    }

    fn get_alarm(&self) -> Ticks32 {
        Ticks32::from(self.expires.get().unwrap_or(0))
    }

    fn disarm(&self) -> Result<(), ErrorCode> {
        let t2 = &self.registers.timer2;
        t2.control.write(CONTROL::SIZE_32::SET);
        t2.intclr.set(1);
        self.expires.set(None);
        Ok(())
    }

    fn is_armed(&self) -> bool {
        self.expires.get().is_some()
    }

    fn minimum_dt(&self) -> Ticks32 {
        // A few microseconds: enough for the interrupt to be taken.
        Ticks32::from(100)
    }
}
