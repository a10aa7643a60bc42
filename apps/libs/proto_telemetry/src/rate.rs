// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Events per second from a running counter, over windows of at least a
//! second so fast sampling does not turn it into noise.

/// Shortest window a rate is computed over.
pub const WINDOW_MS: u64 = 1_000;

/// A per-second rate of a wrapping 32-bit counter.
#[derive(Clone, Copy, Debug, Default)]
pub struct RateMeter {
    /// Counter value and time at the start of the current window.
    start: Option<(u32, u64)>,
    rate: Option<u32>,
}

impl RateMeter {
    /// Folds in a reading; returns the rate of the last complete window
    /// (`None` until one second has been seen).
    pub fn update(&mut self, count: u32, now_ms: u64) -> Option<u32> {
        match self.start {
            None => self.start = Some((count, now_ms)),
            Some((c0, t0)) if now_ms >= t0 + WINDOW_MS => {
                let events = u64::from(count.wrapping_sub(c0));
                self.rate = Some((events * 1000 / (now_ms - t0)) as u32);
                self.start = Some((count, now_ms));
            }
            Some(_) => {}
        }
        self.rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_over_whole_windows_and_across_a_wrap() {
        let mut m = RateMeter::default();
        assert_eq!(m.update(100, 0), None);
        assert_eq!(m.update(150, 500), None);
        assert_eq!(m.update(300, 1_000), Some(200));
        assert_eq!(m.update(310, 1_500), Some(200), "kept until the next window ends");
        assert_eq!(m.update(400, 2_000), Some(100));
        let mut m = RateMeter::default();
        m.update(u32::MAX - 9, 0);
        assert_eq!(m.update(40, 2_000), Some(25), "50 events in 2 s across the wrap");
    }
}
