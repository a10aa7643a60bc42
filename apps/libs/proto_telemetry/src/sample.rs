// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! One sample: a JSON object of named numbers (and objects of them).
//!
//! The websocket app wraps it as `{"type":"telemetry","data":<sample>}`
//! without looking inside, so fields can be added freely. The four fields
//! of the original firmware keep their names and meaning; decimals are
//! made from integers, so values print as `45.3` or `73.21`, never as the
//! original's `73.209999084472656` (it kept them in an `f32`). Keys come
//! out in alphabetical order (the original's four were, too).

use alloc::string::String;

use miniserde::json::{Number, Object, Value};

/// A sample being put together.
#[derive(Default)]
pub struct Sample(Object);

/// A number with `decimals` decimal places from an integer count of
/// `10^-decimals` units: exact in JSON, since the shortest representation
/// of `n / 10^d` has at most `d` decimals.
pub fn decimal(units: i64, decimals: u32) -> f64 {
    units as f64 / 10u64.pow(decimals) as f64
}

/// Hundredths of a degree rounded (half away from zero) to tenths.
pub fn tenths_of_centi(centi: i32) -> i64 {
    let c = i64::from(centi);
    if c >= 0 {
        (c + 5) / 10
    } else {
        (c - 5) / 10
    }
}

impl Sample {
    /// A sample taken at `uptime_ms` of kernel uptime (`uptime`, seconds).
    pub fn new(uptime_ms: u64) -> Sample {
        let mut s = Sample::default();
        s.set("uptime", Number::F64(decimal(uptime_ms as i64, 3)));
        s
    }

    fn set(&mut self, key: &str, n: Number) {
        self.0.insert(String::from(key), Value::Number(n));
    }

    /// `junctionTemp`: degrees Celsius with one decimal, from hundredths.
    pub fn junction_temp(&mut self, centi: i32) -> &mut Self {
        self.set("junctionTemp", Number::F64(decimal(tenths_of_centi(centi), 1)));
        self
    }

    /// `randomFloat` (0.00 to 99.99, two decimals) and `randomInt` (0 to
    /// 1000), as in the original firmware, from two random words.
    pub fn random(&mut self, a: u32, b: u32) -> &mut Self {
        self.set("randomFloat", Number::F64(decimal(i64::from(a % 10_000), 2)));
        self.set("randomInt", Number::U64(u64::from(b % 1001)));
        self
    }

    /// Any other whole-number field.
    pub fn count(&mut self, key: &str, value: u64) -> &mut Self {
        self.set(key, Number::U64(value));
        self
    }

    /// An object of whole numbers under `key` (e.g. memory per process).
    pub fn counts<'a>(&mut self, key: &str, values: impl IntoIterator<Item = (&'a str, u64)>) -> &mut Self {
        let mut inner = Object::new();
        for (k, v) in values {
            inner.insert(String::from(k), Value::Number(Number::U64(v)));
        }
        self.0.insert(String::from(key), Value::Object(inner));
        self
    }

    /// The JSON text.
    pub fn to_json(&self) -> String {
        miniserde::json::to_string(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_original_four_fields_in_the_original_form() {
        let mut s = Sample::new(5_000);
        s.junction_temp(4534).random(7321, 512);
        assert_eq!(s.to_json(), r#"{"junctionTemp":45.3,"randomFloat":73.21,"randomInt":512,"uptime":5.0}"#);
    }

    #[test]
    fn decimals_never_carry_float_noise() {
        for units in 0..10_000i64 {
            let text = miniserde::json::to_string(&decimal(units, 2));
            let frac = text.split('.').nth(1).unwrap_or("");
            assert!(frac.len() <= 2, "{units} -> {text}");
            assert_eq!(text.parse::<f64>().unwrap(), units as f64 / 100.0);
        }
        for ms in [1u64, 10, 999, 3_600_001, 86_400_123] {
            let text = miniserde::json::to_string(&decimal(ms as i64, 3));
            assert!(text.split('.').nth(1).unwrap_or("").len() <= 3, "{ms} -> {text}");
        }
    }

    #[test]
    fn temperatures_round_to_tenths() {
        assert_eq!(tenths_of_centi(4534), 453);
        assert_eq!(tenths_of_centi(4535), 454);
        assert_eq!(tenths_of_centi(-4535), -454);
        assert_eq!(tenths_of_centi(-4), 0);
        assert_eq!(tenths_of_centi(0), 0);
        let mut s = Sample::new(0);
        s.junction_temp(-1234);
        assert!(s.to_json().contains(r#""junctionTemp":-12.3"#));
    }

    #[test]
    fn random_fields_stay_in_their_ranges() {
        let mut s = Sample::new(0);
        s.random(u32::MAX, u32::MAX);
        let v: miniserde::json::Value = miniserde::json::from_str(&s.to_json()).unwrap();
        let Value::Object(o) = v else { panic!() };
        let num = |k: &str| match &o[k] {
            Value::Number(Number::F64(f)) => *f,
            Value::Number(Number::U64(u)) => *u as f64,
            other => panic!("{k}: {other:?}"),
        };
        assert!((0.0..=99.99).contains(&num("randomFloat")));
        assert!((0.0..=1000.0).contains(&num("randomInt")));
    }

    #[test]
    fn nested_counts_and_new_fields() {
        let mut s = Sample::new(1_250);
        s.count("psramFreeKiB", 2048).counts("heapKiB", [("http", 172), ("ftp", 160)]);
        assert_eq!(s.to_json(), r#"{"heapKiB":{"ftp":160,"http":172},"psramFreeKiB":2048,"uptime":1.25}"#);
    }
}
