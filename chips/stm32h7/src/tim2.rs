// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The kernel's alarm on TIM2 (RM0468 §39), a 32-bit up-counter: it counts
//! microseconds (the prescaler comes from the clock plan: 275 at 550 MHz,
//! 260 at 520 MHz, 64 on the HSI), so it wraps after 71 minutes, and
//! compare channel 1 interrupts when the alarm is due.
//!
//! An alarm whose instant already passed when it is set is raised at once
//! with a software compare event (EGR.CC1G): the compare only matches on
//! equality, and waiting for the next wrap would be an hour late.

use core::cell::Cell;

use kernel::hil::time::{Alarm, AlarmClient, Freq1MHz, Ticks, Ticks32, Time};
use kernel::utilities::cells::OptionalCell;
use kernel::utilities::registers::interfaces::{ReadWriteable, Readable, Writeable};
use kernel::utilities::registers::{register_bitfields, register_structs, ReadWrite};
use kernel::utilities::StaticRef;
use kernel::ErrorCode;

register_structs! {
    pub Tim2Registers {
        (0x00 => cr1: ReadWrite<u32, CR1::Register>),
        (0x04 => _reserved0),
        (0x0C => dier: ReadWrite<u32, INT::Register>),
        (0x10 => sr: ReadWrite<u32, INT::Register>),
        (0x14 => egr: ReadWrite<u32, INT::Register>),
        (0x18 => _reserved1),
        (0x24 => cnt: ReadWrite<u32>),
        (0x28 => psc: ReadWrite<u32>),
        (0x2C => arr: ReadWrite<u32>),
        (0x30 => _reserved2),
        (0x34 => ccr1: ReadWrite<u32>),
        (0x38 => @END),
    }
}

register_bitfields![u32,
    CR1 [
        CEN OFFSET(0) NUMBITS(1) [],
        URS OFFSET(2) NUMBITS(1) []
    ],
    /// DIER enables, SR flags (write 0 to clear), EGR generates: bit 0 is
    /// the update, bit 1 compare channel 1.
    INT [
        UPDATE OFFSET(0) NUMBITS(1) [],
        CC1 OFFSET(1) NUMBITS(1) []
    ]
];

pub const TIM2_BASE: StaticRef<Tim2Registers> =
    // SAFETY: TIM2's registers (RM0468 §2.3).
    unsafe { StaticRef::new(0x4000_0000 as *const Tim2Registers) };

pub struct Tim2<'a> {
    registers: StaticRef<Tim2Registers>,
    client: OptionalCell<&'a dyn AlarmClient>,
    armed: Cell<bool>,
}

impl Tim2<'_> {
    pub fn new(registers: StaticRef<Tim2Registers>) -> Self {
        Tim2 { registers, client: OptionalCell::empty(), armed: Cell::new(false) }
    }

    /// Starts the counter at 1 MHz: `prescaler` is the timer clock over
    /// 1 MHz (`ClockPlan::alarm_prescaler`). Its clock must be on.
    pub fn start(&self, prescaler: u32) {
        let r = &self.registers;
        r.cr1.write(CR1::URS::SET);
        r.psc.set(prescaler - 1);
        r.arr.set(u32::MAX);
        // The prescaler only loads on an update event.
        r.egr.write(INT::UPDATE::SET);
        r.sr.set(0);
        r.cr1.modify(CR1::CEN::SET);
    }

    pub fn handle_interrupt(&self) {
        let r = &self.registers;
        if r.sr.is_set(INT::CC1) {
            r.sr.write(INT::CC1::CLEAR + INT::UPDATE::SET);
            if self.armed.replace(false) {
                r.dier.modify(INT::CC1::CLEAR);
                self.client.map(|c| c.alarm());
            }
        }
    }
}

impl Time for Tim2<'_> {
    type Frequency = Freq1MHz;
    type Ticks = Ticks32;

    fn now(&self) -> Ticks32 {
        Ticks32::from(self.registers.cnt.get())
    }
}

impl<'a> Alarm<'a> for Tim2<'a> {
    fn set_alarm_client(&self, client: &'a dyn AlarmClient) {
        self.client.set(client);
    }

    fn set_alarm(&self, reference: Ticks32, dt: Ticks32) {
        let r = &self.registers;
        let mut expires = reference.wrapping_add(dt);
        let now = self.now();
        if !now.within_range(reference, expires) {
            expires = now;
        }
        if expires.wrapping_sub(now) < self.minimum_dt() {
            expires = now.wrapping_add(self.minimum_dt());
        }
        r.dier.modify(INT::CC1::CLEAR);
        r.ccr1.set(expires.into_u32());
        r.sr.write(INT::CC1::CLEAR + INT::UPDATE::SET);
        self.armed.set(true);
        r.dier.modify(INT::CC1::SET);
        // The counter may have passed `expires` while it was written.
        if !self.now().within_range(reference, expires) {
            r.egr.write(INT::CC1::SET);
        }
    }

    fn get_alarm(&self) -> Ticks32 {
        Ticks32::from(self.registers.ccr1.get())
    }

    fn disarm(&self) -> Result<(), ErrorCode> {
        self.registers.dier.modify(INT::CC1::CLEAR);
        self.armed.set(false);
        Ok(())
    }

    fn is_armed(&self) -> bool {
        self.armed.get()
    }

    fn minimum_dt(&self) -> Ticks32 {
        // Enough microseconds for the writes above and the interrupt entry.
        Ticks32::from(5)
    }
}
