// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! The telemetry service, as its peers see it.
//!
//! The `telemetry` app registers the IPC service [`SERVICE_NAME`] and
//! publishes one JSON object per sample to its subscribers (the
//! `websocket` app forwards it to browsers unchanged, so a new telemetry
//! app with new fields needs no change anywhere else). Peers may ask it
//! for its sampling period and change it with the small binary requests in
//! [`wire`]. The logic the app runs is here, host-tested: the
//! [`schedule::Schedule`] that keeps uptime exact against the kernel's
//! alarm, [`rate::RateMeter`] for per-second figures, and [`sample`], the
//! JSON of one sample.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod rate;
pub mod sample;
pub mod schedule;
pub mod wire;

/// The IPC service name the telemetry app registers and publishes under.
pub const SERVICE_NAME: &str = "telemetry";

/// Shortest sampling period: 100 Hz, what 8 dashboard clients receive
/// without loss on the twin (`make bench`).
pub const MIN_PERIOD_MS: u32 = 10;
/// Longest sampling period: one sample a minute.
pub const MAX_PERIOD_MS: u32 = 60_000;
/// The period when no setting says otherwise: 1 Hz, as the original firmware.
pub const DEFAULT_PERIOD_MS: u32 = 1_000;

/// A sampling period, always within [`MIN_PERIOD_MS`]..=[`MAX_PERIOD_MS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Period(u32);

impl Period {
    /// The default period ([`DEFAULT_PERIOD_MS`]).
    pub const DEFAULT: Period = Period(DEFAULT_PERIOD_MS);

    /// `ms` if it is within the limits.
    pub fn from_ms(ms: u32) -> Option<Period> {
        (MIN_PERIOD_MS..=MAX_PERIOD_MS).contains(&ms).then_some(Period(ms))
    }

    /// The period of `hz` samples a second (1/60 to 100), rounded to whole
    /// milliseconds (`hz` = 100 is 10 ms, 0.5 is 2000 ms, 3 is 333 ms).
    pub fn from_hz(hz: f64) -> Option<Period> {
        if !hz.is_finite() || hz <= 0.0 {
            return None;
        }
        let ms = 1000.0 / hz;
        // The limits apply to the rate asked for, before rounding (with a
        // hair of slack for 1/60 not being exact in binary).
        if !(MIN_PERIOD_MS as f64 - 1e-9..=MAX_PERIOD_MS as f64 + 1e-6).contains(&ms) {
            return None;
        }
        // Rounding half up by hand: `f64::round` is not in `core`.
        Period::from_ms((ms + 0.5) as u32)
    }

    /// The period of a rate written in decimal (`"2.5"` Hz), up to three
    /// decimals, within the limits of [`Period::from_hz`]. Parsed by hand:
    /// the standard float parser would add 14 KiB to the app.
    pub fn from_decimal_hz(text: &str) -> Option<Period> {
        let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
        if whole.is_empty() && frac.is_empty() || frac.len() > 3 {
            return None;
        }
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || !digits(frac) || whole.len() > 3 {
            return None;
        }
        let whole: u64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
        let mut millis = whole * 1000;
        for (i, b) in frac.bytes().enumerate() {
            millis += u64::from(b - b'0') * [100, 10, 1][i];
        }
        // 1/60 Hz is 16.67 mHz: accept what rounds to it.
        if millis == 0 || !(16..=100_000).contains(&millis) {
            return None;
        }
        let ms = (1_000_000 + millis / 2) / millis;
        Period::from_ms(ms.min(u64::from(MAX_PERIOD_MS)) as u32)
    }

    pub fn ms(self) -> u32 {
        self.0
    }

    /// Samples a second.
    pub fn hz(self) -> f64 {
        1000.0 / self.0 as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_bounded_and_hz_round_trips() {
        assert_eq!(Period::from_ms(9), None);
        assert_eq!(Period::from_ms(10).map(Period::ms), Some(10));
        assert_eq!(Period::from_ms(60_000).map(Period::ms), Some(60_000));
        assert_eq!(Period::from_ms(60_001), None);
        assert_eq!(Period::from_hz(100.0).map(Period::ms), Some(10));
        assert_eq!(Period::from_hz(1.0).map(Period::ms), Some(1000));
        assert_eq!(Period::from_hz(0.5).map(Period::ms), Some(2000));
        assert_eq!(Period::from_hz(3.0).map(Period::ms), Some(333));
        assert_eq!(Period::from_hz(101.0), None);
        assert_eq!(Period::from_hz(0.0), None);
        assert_eq!(Period::from_hz(-1.0), None);
        assert_eq!(Period::from_hz(f64::NAN), None);
        assert_eq!(Period::from_hz(f64::INFINITY), None);
        assert_eq!(Period::from_hz(1.0 / 60.0).map(Period::ms), Some(60_000));
        assert_eq!(Period::from_hz(1.0 / 61.0), None);
        assert_eq!(Period::DEFAULT.hz(), 1.0);
    }

    #[test]
    fn decimal_rates() {
        let ms = |t| Period::from_decimal_hz(t).map(Period::ms);
        assert_eq!(ms("1"), Some(1000));
        assert_eq!(ms("100"), Some(10));
        assert_eq!(ms("2.5"), Some(400));
        assert_eq!(ms("0.5"), Some(2000));
        assert_eq!(ms(".5"), Some(2000));
        assert_eq!(ms("3"), Some(333));
        assert_eq!(ms("0.017"), Some(58824));
        assert_eq!(ms("0.016"), Some(60000));
        assert_eq!(ms("0.015"), None);
        assert_eq!(ms("100.001"), None);
        assert_eq!(ms("101"), None);
        assert_eq!(ms("0"), None);
        assert_eq!(ms(""), None);
        assert_eq!(ms("."), None);
        assert_eq!(ms("1.2345"), None);
        assert_eq!(ms("-1"), None);
        assert_eq!(ms("1e2"), None);
        assert_eq!(ms("99999999999999999999"), None);
    }
}
