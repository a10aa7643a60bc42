// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Messages from clients.

use alloc::string::String;

use miniserde::json::{self, Number, Object, Value};
use proto_telemetry::Period;

use crate::server::ErrorCode;

/// The LEDs a client may switch (the green one is the board's heartbeat).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Led {
    Yellow,
    Red,
}

/// A valid client message.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Command {
    /// `{"type":"led-command","led":"yellow"|"red","state":bool}`.
    SetLed { led: Led, on: bool },
    /// `{"type":"get-led-status"}`: a `led-status` to this client only.
    GetLedStatus,
    /// `{"type":"set-telemetry-rate","hz":n}` or `{..., "periodMs":n}`.
    SetTelemetryRate(Period),
    /// `{"type":"get-telemetry-rate"}`: a `telemetry-rate` to this client.
    GetTelemetryRate,
}

/// Why a message was not understood: what the `error` reply says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageError {
    pub code: ErrorCode,
    pub message: String,
}

impl MessageError {
    fn new(code: ErrorCode, message: &str) -> Self {
        MessageError { code, message: String::from(message) }
    }
}

/// Longest unknown type echoed back in an error (the rest is cut).
const ECHO_MAX: usize = 32;

/// Parses one text message.
pub fn parse(text: &str) -> Result<Command, MessageError> {
    let value: Value = json::from_str(text).map_err(|_| MessageError::new(ErrorCode::BadJson, "not valid JSON"))?;
    let Value::Object(obj) = value else {
        return Err(MessageError::new(ErrorCode::BadMessage, "expected a JSON object"));
    };
    let Some(Value::String(kind)) = obj.get("type") else {
        return Err(MessageError::new(ErrorCode::BadMessage, "expected a string field `type`"));
    };
    match kind.as_str() {
        "led-command" => led_command(&obj),
        "get-led-status" => Ok(Command::GetLedStatus),
        "set-telemetry-rate" => telemetry_rate(&obj),
        "get-telemetry-rate" => Ok(Command::GetTelemetryRate),
        other => {
            let mut cut = other.len().min(ECHO_MAX);
            while !other.is_char_boundary(cut) {
                cut -= 1;
            }
            let mut message = String::from("unknown message type: ");
            message.push_str(&other[..cut]);
            Err(MessageError { code: ErrorCode::UnknownType, message })
        }
    }
}

fn led_command(obj: &Object) -> Result<Command, MessageError> {
    let led = match obj.get("led") {
        Some(Value::String(s)) if s == "yellow" => Led::Yellow,
        Some(Value::String(s)) if s == "red" => Led::Red,
        Some(Value::String(s)) if s == "green" => {
            return Err(MessageError::new(ErrorCode::BadField, "the green LED is the board's heartbeat"))
        }
        _ => return Err(MessageError::new(ErrorCode::BadField, "`led` must be \"yellow\" or \"red\"")),
    };
    match obj.get("state") {
        Some(Value::Bool(on)) => Ok(Command::SetLed { led, on: *on }),
        _ => Err(MessageError::new(ErrorCode::BadField, "`state` must be true or false")),
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(Number::U64(n)) => Some(*n as f64),
        Value::Number(Number::I64(n)) => Some(*n as f64),
        Value::Number(Number::F64(n)) => Some(*n),
        _ => None,
    }
}

fn telemetry_rate(obj: &Object) -> Result<Command, MessageError> {
    let out_of_range =
        || MessageError::new(ErrorCode::OutOfRange, "the rate must be 1/60 to 100 Hz (period 10 to 60000 ms)");
    match (obj.get("hz").map(number), obj.get("periodMs").map(number)) {
        (Some(Some(hz)), None) => Period::from_hz(hz).map(Command::SetTelemetryRate).ok_or_else(out_of_range),
        (None, Some(Some(ms))) if (0.0..=u32::MAX as f64).contains(&ms) && ms == (ms as u32) as f64 => {
            Period::from_ms(ms as u32).map(Command::SetTelemetryRate).ok_or_else(out_of_range)
        }
        (None, Some(Some(_))) => Err(out_of_range()),
        _ => Err(MessageError::new(ErrorCode::BadField, "expected a number `hz` or a whole number `periodMs`")),
    }
}
