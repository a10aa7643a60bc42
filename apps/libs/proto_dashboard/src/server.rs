// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Messages to clients.

use alloc::string::String;

use miniserde::json::{self, Value};
use miniserde::Serialize;
use proto_telemetry::Period;

/// The `code` of an `error` message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// Not JSON.
    BadJson,
    /// JSON, but not an object with a string `type`.
    BadMessage,
    /// A `type` this server does not know.
    UnknownType,
    /// A known type with a missing or wrong field.
    BadField,
    /// A value outside its limits.
    OutOfRange,
    /// The service that would carry it out is not running or not answering.
    Unavailable,
    /// A binary message: this server speaks JSON text only.
    BinaryUnsupported,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadJson => "bad-json",
            ErrorCode::BadMessage => "bad-message",
            ErrorCode::UnknownType => "unknown-type",
            ErrorCode::BadField => "bad-field",
            ErrorCode::OutOfRange => "out-of-range",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::BinaryUnsupported => "binary-unsupported",
        }
    }
}

#[derive(Serialize)]
struct Message<T> {
    #[serde(rename = "type")]
    kind: &'static str,
    data: T,
}

fn message<T: Serialize>(kind: &'static str, data: T) -> String {
    json::to_string(&Message { kind, data })
}

#[derive(Serialize)]
struct LedStatus {
    #[serde(rename = "yellowLed")]
    yellow: bool,
    #[serde(rename = "redLed")]
    red: bool,
}

/// `{"type":"led-status","data":{"yellowLed":..,"redLed":..}}`.
pub fn led_status(yellow: bool, red: bool) -> String {
    message("led-status", LedStatus { yellow, red })
}

#[derive(Serialize)]
struct Rate {
    hz: f64,
    #[serde(rename = "periodMs")]
    period_ms: u32,
}

/// `{"type":"telemetry-rate","data":{"hz":..,"periodMs":..}}`.
pub fn telemetry_rate(period: Period) -> String {
    message("telemetry-rate", Rate { hz: period.hz(), period_ms: period.ms() })
}

#[derive(Serialize)]
struct Error<'a> {
    code: &'static str,
    message: &'a str,
}

/// `{"type":"error","data":{"code":..,"message":..}}`.
pub fn error(code: ErrorCode, text: &str) -> String {
    message("error", Error { code: code.as_str(), message: text })
}

/// `{"type":"telemetry","data":<sample>}` with the sample's JSON as it is,
/// or `None` if it is not a JSON object (a broken telemetry app must not
/// break every dashboard).
pub fn telemetry(sample: &[u8]) -> Option<String> {
    let text = core::str::from_utf8(sample).ok()?;
    match json::from_str::<Value>(text).ok()? {
        Value::Object(_) => {}
        _ => return None,
    }
    let mut out = String::with_capacity(text.len() + 30);
    out.push_str(r#"{"type":"telemetry","data":"#);
    out.push_str(text.trim());
    out.push('}');
    Some(out)
}
