// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The true random number generator (RM0468 §34), clocked by HSI48 (the
//! clock bring-up turns it on), behind the 32-bit entropy HIL.
//!
//! A seed error (the noise source stuck) is recovered as the reference
//! manual says (clear SEIS, the RNG restarts its conditioning); the words
//! that were in the output then are not delivered. A clock error (HSI48
//! too slow against the AHB clock) only delays data; it is counted.

use core::cell::Cell;

use kernel::hil::entropy::{Client32, Continue, Entropy32};
use kernel::utilities::cells::OptionalCell;
use kernel::utilities::registers::interfaces::{ReadWriteable, Readable, Writeable};
use kernel::utilities::registers::{register_bitfields, register_structs, ReadOnly, ReadWrite};
use kernel::utilities::StaticRef;
use kernel::ErrorCode;

register_structs! {
    pub RngRegisters {
        (0x00 => cr: ReadWrite<u32, CR::Register>),
        (0x04 => sr: ReadWrite<u32, SR::Register>),
        (0x08 => dr: ReadOnly<u32>),
        (0x0C => @END),
    }
}

register_bitfields![u32,
    CR [
        RNGEN OFFSET(2) NUMBITS(1) [],
        IE OFFSET(3) NUMBITS(1) [],
        /// Clock error detection *disable*: kept 0.
        CED OFFSET(5) NUMBITS(1) []
    ],
    SR [
        DRDY OFFSET(0) NUMBITS(1) [],
        CECS OFFSET(1) NUMBITS(1) [],
        SECS OFFSET(2) NUMBITS(1) [],
        CEIS OFFSET(5) NUMBITS(1) [],
        SEIS OFFSET(6) NUMBITS(1) []
    ]
];

pub const RNG_BASE: StaticRef<RngRegisters> =
    // SAFETY: the RNG's registers (RM0468 §2.3).
    unsafe { StaticRef::new(0x4802_1800 as *const RngRegisters) };

pub struct Rng<'a> {
    registers: StaticRef<RngRegisters>,
    client: OptionalCell<&'a dyn Client32>,
    seed_errors: Cell<u32>,
    clock_errors: Cell<u32>,
}

/// The words ready now: each `next` reads DR while DRDY is set.
struct Ready<'r>(&'r RngRegisters);

impl Iterator for Ready<'_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        if self.0.sr.matches_all(SR::DRDY::SET + SR::SECS::CLEAR) {
            Some(self.0.dr.get())
        } else {
            None
        }
    }
}

impl Rng<'_> {
    pub fn new(registers: StaticRef<RngRegisters>) -> Self {
        Rng { registers, client: OptionalCell::empty(), seed_errors: Cell::new(0), clock_errors: Cell::new(0) }
    }

    /// (seed errors, clock errors) since boot.
    pub fn errors(&self) -> (u32, u32) {
        (self.seed_errors.get(), self.clock_errors.get())
    }

    pub fn handle_interrupt(&self) {
        let r = &self.registers;
        let sr = r.sr.extract();
        if sr.is_set(SR::CEIS) {
            self.clock_errors.set(self.clock_errors.get().wrapping_add(1));
            r.sr.modify(SR::CEIS::CLEAR);
        }
        if sr.is_set(SR::SEIS) {
            self.seed_errors.set(self.seed_errors.get().wrapping_add(1));
            r.sr.modify(SR::SEIS::CLEAR);
            return;
        }
        if !sr.is_set(SR::DRDY) {
            return;
        }
        let more = self.client.map_or(Continue::Done, |c| c.entropy_available(&mut Ready(r), Ok(())));
        if let Continue::Done = more {
            r.cr.modify(CR::IE::CLEAR);
        }
    }
}

impl<'a> Entropy32<'a> for Rng<'a> {
    fn get(&self) -> Result<(), ErrorCode> {
        self.registers.cr.write(CR::RNGEN::SET + CR::IE::SET + CR::CED::CLEAR);
        Ok(())
    }

    fn cancel(&self) -> Result<(), ErrorCode> {
        self.registers.cr.modify(CR::IE::CLEAR);
        Ok(())
    }

    fn set_client(&'a self, client: &'a dyn Client32) {
        self.client.set(client);
    }
}
