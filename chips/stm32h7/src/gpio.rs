// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! GPIO ports A-K and alternate functions (RM0468 §11).
//!
//! A [`Pin`] is a GPIO for the kernel HIL (LEDs, the button); the board
//! gives peripheral pins their alternate function with [`Pin::set_alternate`]
//! from the pin tables in HARDWARE.md. Interrupts on pins (EXTI) are not
//! wired: nothing in the product uses one yet.

use kernel::hil::gpio;
use kernel::utilities::registers::interfaces::{Readable, Writeable};
use kernel::utilities::registers::{register_structs, ReadOnly, ReadWrite, WriteOnly};
use kernel::utilities::StaticRef;

use crate::rcc::Gate;

register_structs! {
    pub GpioRegisters {
        (0x00 => moder: ReadWrite<u32>),
        (0x04 => otyper: ReadWrite<u32>),
        (0x08 => ospeedr: ReadWrite<u32>),
        (0x0C => pupdr: ReadWrite<u32>),
        (0x10 => idr: ReadOnly<u32>),
        (0x14 => odr: ReadWrite<u32>),
        (0x18 => bsrr: WriteOnly<u32>),
        (0x1C => lckr: ReadWrite<u32>),
        (0x20 => afrl: ReadWrite<u32>),
        (0x24 => afrh: ReadWrite<u32>),
        (0x28 => @END),
    }
}

const GPIO_BASE: usize = 0x5802_0000;

/// A port: A = 0 ... K = 10.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Port {
    A = 0,
    B,
    C,
    D,
    E,
    F,
    G,
    H,
    J = 9,
    K,
}

/// Output speed (OSPEEDR): the peripherals here all want `VeryHigh`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Speed {
    Low = 0,
    Medium,
    High,
    VeryHigh,
}

/// Pull resistor (PUPDR).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pull {
    None = 0,
    Up,
    Down,
}

/// MODER values.
const MODE_INPUT: u32 = 0;
const MODE_OUTPUT: u32 = 1;
const MODE_ALTERNATE: u32 = 2;
const MODE_ANALOG: u32 = 3;

/// A two-bit field of pin `n` in `value`, replaced by `field`.
pub const fn with_field2(value: u32, n: u8, field: u32) -> u32 {
    (value & !(0b11 << (2 * n))) | (field & 0b11) << (2 * n)
}

/// AFRL/AFRH: (register index 0 or 1, new value) for pin `n`'s function.
pub const fn with_af(afrl: u32, afrh: u32, n: u8, af: u8) -> (usize, u32) {
    let (reg, shift, old) = if n < 8 { (0, 4 * n as u32, afrl) } else { (1, 4 * (n as u32 - 8), afrh) };
    (reg, (old & !(0xF << shift)) | (af as u32 & 0xF) << shift)
}

/// One pin.
pub struct Pin {
    registers: StaticRef<GpioRegisters>,
    port: Port,
    n: u8,
}

impl Pin {
    /// Pin `n` (0-15) of `port`. Its port's clock must be on
    /// ([`Pin::enable_port`]).
    pub const fn new(port: Port, n: u8) -> Pin {
        // SAFETY: every port's registers are at this address (RM0468 §2.3).
        let registers = unsafe { StaticRef::new((GPIO_BASE + 0x400 * port as usize) as *const GpioRegisters) };
        Pin { registers, port, n }
    }

    pub fn enable_port(&self) {
        Gate::gpio(self.port as u8).enable();
    }

    fn set_mode(&self, mode: u32) {
        let r = &self.registers;
        r.moder.set(with_field2(r.moder.get(), self.n, mode));
    }

    /// The pin drives peripheral function `af` (0-15), push-pull.
    pub fn set_alternate(&self, af: u8, speed: Speed, pull: Pull) {
        let r = &self.registers;
        let (which, value) = with_af(r.afrl.get(), r.afrh.get(), self.n, af);
        if which == 0 {
            r.afrl.set(value);
        } else {
            r.afrh.set(value);
        }
        r.otyper.set(r.otyper.get() & !(1 << self.n));
        r.ospeedr.set(with_field2(r.ospeedr.get(), self.n, speed as u32));
        r.pupdr.set(with_field2(r.pupdr.get(), self.n, pull as u32));
        self.set_mode(MODE_ALTERNATE);
    }

    /// As [`Pin::set_alternate`], open-drain (I2C).
    pub fn set_alternate_open_drain(&self, af: u8, speed: Speed, pull: Pull) {
        self.set_alternate(af, speed, pull);
        let r = &self.registers;
        r.otyper.set(r.otyper.get() | 1 << self.n);
    }

    fn mode(&self) -> u32 {
        (self.registers.moder.get() >> (2 * self.n)) & 0b11
    }
}

impl gpio::Configure for Pin {
    fn configuration(&self) -> gpio::Configuration {
        match self.mode() {
            MODE_INPUT => gpio::Configuration::Input,
            MODE_OUTPUT => gpio::Configuration::Output,
            MODE_ALTERNATE => gpio::Configuration::Function,
            _ => gpio::Configuration::LowPower,
        }
    }

    fn make_output(&self) -> gpio::Configuration {
        self.set_mode(MODE_OUTPUT);
        gpio::Configuration::Output
    }

    fn disable_output(&self) -> gpio::Configuration {
        self.set_mode(MODE_ANALOG);
        gpio::Configuration::LowPower
    }

    fn make_input(&self) -> gpio::Configuration {
        self.set_mode(MODE_INPUT);
        gpio::Configuration::Input
    }

    fn disable_input(&self) -> gpio::Configuration {
        self.disable_output()
    }

    fn deactivate_to_low_power(&self) {
        self.set_mode(MODE_ANALOG);
    }

    fn set_floating_state(&self, state: gpio::FloatingState) {
        let pull = match state {
            gpio::FloatingState::PullUp => Pull::Up,
            gpio::FloatingState::PullDown => Pull::Down,
            gpio::FloatingState::PullNone => Pull::None,
        };
        let r = &self.registers;
        r.pupdr.set(with_field2(r.pupdr.get(), self.n, pull as u32));
    }

    fn floating_state(&self) -> gpio::FloatingState {
        match (self.registers.pupdr.get() >> (2 * self.n)) & 0b11 {
            1 => gpio::FloatingState::PullUp,
            2 => gpio::FloatingState::PullDown,
            _ => gpio::FloatingState::PullNone,
        }
    }
}

impl gpio::Output for Pin {
    fn set(&self) {
        // BSRR: the low half sets, atomically (no read-modify-write).
        self.registers.bsrr.set(1 << self.n);
    }

    fn clear(&self) {
        self.registers.bsrr.set(1 << (self.n + 16));
    }

    fn toggle(&self) -> bool {
        let on = self.registers.odr.get() & (1 << self.n) == 0;
        if on {
            gpio::Output::set(self);
        } else {
            gpio::Output::clear(self);
        }
        on
    }
}

impl gpio::Input for Pin {
    fn read(&self) -> bool {
        self.registers.idr.get() & (1 << self.n) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_bit_fields_touch_only_their_pin() {
        assert_eq!(with_field2(0xFFFF_FFFF, 3, 0b10), 0xFFFF_FFBF);
        assert_eq!(with_field2(0, 15, 0b11), 0b11 << 30);
        assert_eq!(with_field2(0, 0, 0b111), 0b11, "field masked to two bits");
    }

    #[test]
    fn alternate_functions_of_the_boards_pins() {
        // USART3 TX on PD8, AF7: AFRH bits 3:0.
        assert_eq!(with_af(0, 0, 8, 7), (1, 7));
        // ETH TX_EN on PG11, AF11: AFRH bits 15:12.
        assert_eq!(with_af(0, 0xFFFF_FFFF, 11, 11), (1, 0xFFFF_BFFF));
        // OCTOSPI IO5 on PC2, AF4: AFRL bits 11:8.
        assert_eq!(with_af(0x1234_5678, 0, 2, 4), (0, 0x1234_5478));
    }
}
