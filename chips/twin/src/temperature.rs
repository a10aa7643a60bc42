//! Emulated junction-temperature sensor (the STM32H723 DTS on the board).
//!
//! The model, in hundredths of a degree Celsius, is a triangle wave around
//! an idle junction temperature: `T(t) = 4000 + 250 * tri(t / 60 s)`, where
//! `tri` rises linearly from -1 to 1 over the first half of each period and
//! falls back over the second. So readings stay within 37.50-42.50 degC,
//! change every second, and repeat every minute: visibly live on a chart,
//! and checkable by tests. Readings complete asynchronously, like the real
//! sensor's conversion.

use kernel::deferred_call::{DeferredCall, DeferredCallClient};
use kernel::hil::sensors::{TemperatureClient, TemperatureDriver};
use kernel::hil::time::{ConvertTicks, Time};
use kernel::utilities::cells::OptionalCell;
use kernel::ErrorCode;

/// Idle junction temperature, centi-degrees C.
pub const MEAN_CENTI_C: i32 = 4000;
/// Half the peak-to-peak swing, centi-degrees C.
pub const SWING_CENTI_C: i32 = 250;
/// Period of the swing, milliseconds.
pub const PERIOD_MS: u32 = 60_000;

/// The model's temperature at `ms` milliseconds of uptime, centi-degrees C.
pub fn model_centi_celsius(ms: u64) -> i32 {
    let period = PERIOD_MS as u64;
    let phase = (ms % period) as i64; // 0..period
    let half = period as i64 / 2;
    // Position on the triangle, scaled to -half..=half.
    let tri = if phase < half { 2 * phase - half } else { half - 2 * (phase - half) };
    MEAN_CENTI_C + (SWING_CENTI_C as i64 * tri / half) as i32
}

pub struct EmulatedTemperature<'a, T: Time> {
    clock: &'a T,
    client: OptionalCell<&'a dyn TemperatureClient>,
    deferred: DeferredCall,
}

impl<'a, T: Time> EmulatedTemperature<'a, T> {
    pub fn new(clock: &'a T) -> Self {
        EmulatedTemperature { clock, client: OptionalCell::empty(), deferred: DeferredCall::new() }
    }
}

impl<'a, T: Time> TemperatureDriver<'a> for EmulatedTemperature<'a, T> {
    fn set_client(&self, client: &'a dyn TemperatureClient) {
        self.client.set(client);
    }

    fn read_temperature(&self) -> Result<(), ErrorCode> {
        self.deferred.set();
        Ok(())
    }
}

impl<T: Time> DeferredCallClient for EmulatedTemperature<'_, T> {
    fn handle_deferred_call(&self) {
        let ms = self.clock.ticks_to_ms(self.clock.now());
        let value = model_centi_celsius(ms as u64);
        self.client.map(|c| c.callback(Ok(value)));
    }

    fn register(&'static self) {
        self.deferred.register(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_stays_in_band_and_is_continuous() {
        let mut last = model_centi_celsius(0);
        for ms in (0..3 * PERIOD_MS as u64).step_by(250) {
            let t = model_centi_celsius(ms);
            assert!((3750..=4250).contains(&t), "{} at {} ms", t, ms);
            assert!((t - last).abs() <= 5, "jump {} -> {} at {} ms", last, t, ms);
            last = t;
        }
    }

    #[test]
    fn model_reaches_its_extremes() {
        assert_eq!(model_centi_celsius(0), 3750);
        assert_eq!(model_centi_celsius(30_000), 4250);
        assert_eq!(model_centi_celsius(60_000), 3750);
        assert_eq!(model_centi_celsius(15_000), 4000);
    }
}
