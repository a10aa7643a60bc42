//! The message set: the original firmware's messages byte for byte, the
//! additions, and every kind of bad input getting an error code.

use proto_dashboard::{error, led_status, parse, telemetry, telemetry_rate, Command, ErrorCode, Led};
use proto_telemetry::Period;

#[test]
fn original_messages_are_unchanged() {
    assert_eq!(led_status(true, false), r#"{"type":"led-status","data":{"yellowLed":true,"redLed":false}}"#);
    assert_eq!(
        parse(r#"{"type":"led-command","led":"yellow","state":true}"#),
        Ok(Command::SetLed { led: Led::Yellow, on: true })
    );
    assert_eq!(
        parse(r#" { "state" : false , "led" : "red" , "type" : "led-command" } "#),
        Ok(Command::SetLed { led: Led::Red, on: false })
    );
    let sample = br#"{"junctionTemp":45.3,"randomFloat":73.21,"randomInt":512,"uptime":5}"#;
    assert_eq!(
        telemetry(sample).unwrap(),
        r#"{"type":"telemetry","data":{"junctionTemp":45.3,"randomFloat":73.21,"randomInt":512,"uptime":5}}"#
    );
}

#[test]
fn additions() {
    assert_eq!(parse(r#"{"type":"get-led-status"}"#), Ok(Command::GetLedStatus));
    assert_eq!(parse(r#"{"type":"get-telemetry-rate"}"#), Ok(Command::GetTelemetryRate));
    let p = |ms| Command::SetTelemetryRate(Period::from_ms(ms).unwrap());
    assert_eq!(parse(r#"{"type":"set-telemetry-rate","hz":10}"#), Ok(p(100)));
    assert_eq!(parse(r#"{"type":"set-telemetry-rate","hz":0.5}"#), Ok(p(2000)));
    assert_eq!(parse(r#"{"type":"set-telemetry-rate","periodMs":250}"#), Ok(p(250)));
    assert_eq!(
        telemetry_rate(Period::from_ms(100).unwrap()),
        r#"{"type":"telemetry-rate","data":{"hz":10.0,"periodMs":100}}"#
    );
    assert_eq!(
        error(ErrorCode::UnknownType, "a \"quoted\" thing"),
        r#"{"type":"error","data":{"code":"unknown-type","message":"a \"quoted\" thing"}}"#
    );
}

fn code(text: &str) -> ErrorCode {
    parse(text).expect_err(text).code
}

#[test]
fn bad_input_gets_an_error_code() {
    assert_eq!(code(""), ErrorCode::BadJson);
    assert_eq!(code("{"), ErrorCode::BadJson);
    assert_eq!(code("{\"type\":\"led-command\",}"), ErrorCode::BadJson);
    assert_eq!(code(&"[".repeat(10_000)), ErrorCode::BadJson, "deep nesting neither overflows nor parses");
    assert_eq!(code("[1,2]"), ErrorCode::BadMessage);
    assert_eq!(code("42"), ErrorCode::BadMessage);
    assert_eq!(code(r#"{"kind":"led-command"}"#), ErrorCode::BadMessage);
    assert_eq!(code(r#"{"type":7}"#), ErrorCode::BadMessage);
    assert_eq!(code(r#"{"type":"reboot"}"#), ErrorCode::UnknownType);
    assert_eq!(code(r#"{"type":"led-command","led":"green","state":true}"#), ErrorCode::BadField);
    assert_eq!(code(r#"{"type":"led-command","led":"blue","state":true}"#), ErrorCode::BadField);
    assert_eq!(code(r#"{"type":"led-command","led":"red","state":"on"}"#), ErrorCode::BadField);
    assert_eq!(code(r#"{"type":"led-command","led":"red"}"#), ErrorCode::BadField);
    assert_eq!(code(r#"{"type":"set-telemetry-rate"}"#), ErrorCode::BadField);
    assert_eq!(code(r#"{"type":"set-telemetry-rate","hz":"fast"}"#), ErrorCode::BadField);
    assert_eq!(code(r#"{"type":"set-telemetry-rate","hz":1,"periodMs":1000}"#), ErrorCode::BadField);
    assert_eq!(code(r#"{"type":"set-telemetry-rate","hz":1000}"#), ErrorCode::OutOfRange);
    assert_eq!(code(r#"{"type":"set-telemetry-rate","hz":0}"#), ErrorCode::OutOfRange);
    assert_eq!(code(r#"{"type":"set-telemetry-rate","hz":-3}"#), ErrorCode::OutOfRange);
    assert_eq!(code(r#"{"type":"set-telemetry-rate","periodMs":5}"#), ErrorCode::OutOfRange);
    assert_eq!(code(r#"{"type":"set-telemetry-rate","periodMs":12.5}"#), ErrorCode::OutOfRange);
}

#[test]
fn unknown_types_are_echoed_short_and_escaped() {
    let long = format!(r#"{{"type":"{}é{}"}}"#, "x".repeat(31), "y".repeat(100));
    let e = parse(&long).unwrap_err();
    assert_eq!(e.message, format!("unknown message type: {}", "x".repeat(31)), "cut before the two-byte é");
    let reply = error(e.code, "<script>\"\n");
    assert!(reply.contains(r#""message":"<script>\"\n""#), "{reply}");
}

#[test]
fn broken_samples_are_not_forwarded() {
    assert_eq!(telemetry(b"not json"), None);
    assert_eq!(telemetry(b"[1,2,3]"), None);
    assert_eq!(telemetry(b"{\"a\":1"), None);
    assert_eq!(telemetry(b"\xff\xfe"), None);
    assert!(telemetry(b"{}").is_some());
}
