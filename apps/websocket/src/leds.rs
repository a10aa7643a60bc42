// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The two LEDs clients control, through the kernel's LED driver.
//!
//! The driver cannot be read back, so the state here is what this app last
//! set; it sets both off when it starts, so the state it reports is true
//! from the first message on (after a restart too).

use libtock_leds::Leds as Driver;
use libtock_runtime::TockSyscalls;
use proto_dashboard::Led;

/// LD2 yellow and LD3 red, as on the NUCLEO board (LD1 green is the
/// heartbeat, `sysinfo`'s).
const fn index(led: Led) -> u32 {
    match led {
        Led::Yellow => 1,
        Led::Red => 2,
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Leds {
    pub yellow: bool,
    pub red: bool,
}

impl Leds {
    /// Both off.
    pub fn init() -> Leds {
        let mut leds = Leds { yellow: true, red: true };
        let _ = leds.set(Led::Yellow, false);
        let _ = leds.set(Led::Red, false);
        leds
    }

    /// Switches `led`; `true` if the state changed (or could not be set:
    /// then it is unchanged and `Err`).
    pub fn set(&mut self, led: Led, on: bool) -> Result<bool, libtock_platform::ErrorCode> {
        let i = index(led);
        if on {
            Driver::<TockSyscalls>::on(i)?;
        } else {
            Driver::<TockSyscalls>::off(i)?;
        }
        let slot = match led {
            Led::Yellow => &mut self.yellow,
            Led::Red => &mut self.red,
        };
        let changed = *slot != on;
        *slot = on;
        Ok(changed)
    }
}
