//! Emulated LEDs: the state lives in the kernel and every change is logged
//! on the console (`led: yellow on`), which is how a user of the twin (and
//! the system tests) sees them.

use core::cell::Cell;

use kernel::debug;
use kernel::hil::led::Led;

/// One emulated LED, named after its colour on the NUCLEO board.
pub struct EmulatedLed {
    name: &'static str,
    on: Cell<bool>,
}

impl EmulatedLed {
    pub const fn new(name: &'static str) -> Self {
        EmulatedLed { name, on: Cell::new(false) }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    fn set(&self, on: bool) {
        if self.on.replace(on) != on {
            debug!("led: {} {}", self.name, if on { "on" } else { "off" });
        }
    }
}

impl Led for EmulatedLed {
    fn init(&self) {
        self.on.set(false);
    }

    fn on(&self) {
        self.set(true);
    }

    fn off(&self) {
        self.set(false);
    }

    fn toggle(&self) {
        self.set(!self.on.get());
    }

    fn read(&self) -> bool {
        self.on.get()
    }
}
