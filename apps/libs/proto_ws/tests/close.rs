//! Autobahn 7.x: Close payloads (code, reason), and nothing delivered after a Close.

mod common;

use common::*;
use proto_ws::{emit_close, emit_close_empty, CloseCode, Event, Receiver, Violation};

#[test]
fn empty_close() {
    // 7.3.1
    let wire = frame(true, CLOSE, b"");
    assert_events(0, &wire, &[Ev::Close(None, String::new())]);
    // The echo of an empty Close is an empty Close.
    let mut out = [0u8; 4];
    assert_eq!(emit_close_empty(&mut out), Ok(2));
    assert_eq!(&out[..2], b"\x88\x00");
}

#[test]
fn close_with_code_and_reason() {
    // 7.3.3–7.3.5: no reason, a short one, the longest (123 bytes).
    let long = "x".repeat(123);
    for reason in ["", "Goodbye", "κόσμε", long.as_str()] {
        let wire = close(1000, reason.as_bytes());
        assert_events(0, &wire, &[Ev::Close(Some(1000), reason.into())]);
    }
    let mut rx = Receiver::new(0);
    let (_, event) = rx.feed(&close(1001, b"restart"), &mut []);
    assert_eq!(event, Some(Event::Close { code: Some(CloseCode::GOING_AWAY), reason: "restart" }));
    assert!(rx.is_finished());
    // Echoing the code back (RFC 6455 §5.5.1).
    let mut out = [0u8; 16];
    let n = emit_close(CloseCode::GOING_AWAY, "", &mut out).unwrap();
    assert_eq!(&out[..n], b"\x88\x02\x03\xe9");
}

#[test]
fn close_payload_over_125_bytes_fails() {
    // 7.3.6: a 124-byte reason makes a 126-byte control payload.
    let wire = close(1000, "x".repeat(124).as_bytes());
    assert_events(0, &wire, &[Ev::Fail(1002)]);
}

#[test]
fn one_byte_close_payload_fails() {
    // 7.3.2
    let wire = frame(true, CLOSE, b"\x03");
    assert_events(0, &wire, &[Ev::Fail(1002)]);
    let mut rx = Receiver::new(0);
    rx.feed(&wire, &mut []);
    assert_eq!(rx.violation(), Some(Violation::CloseTooShort));
}

#[test]
fn valid_codes_are_delivered() {
    // 7.7.x, plus the whole registered and private ranges' edges.
    for code in [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999] {
        assert_events(0, &close(code, b"r"), &[Ev::Close(Some(code), "r".into())]);
    }
}

#[test]
fn invalid_codes_fail_with_1002() {
    // 7.9.x: never-sent, reserved and unassigned codes.
    for code in [0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535] {
        let wire = close(code, b"");
        assert_events(0, &wire, &[Ev::Fail(1002)]);
        let mut rx = Receiver::new(0);
        rx.feed(&wire, &mut []);
        assert_eq!(rx.violation(), Some(Violation::InvalidCloseCode(code)));
    }
}

#[test]
fn invalid_utf8_reason_fails_with_1007() {
    // 7.5.1: the reason carries κόσμε followed by a surrogate.
    let wire = close(1000, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited");
    assert_events(0, &wire, &[Ev::Fail(1007)]);
    let mut rx = Receiver::new(0);
    rx.feed(&wire, &mut []);
    assert_eq!(rx.violation(), Some(Violation::InvalidCloseReason));
    // A reason cut inside a sequence is just as invalid.
    assert_events(0, &close(1000, b"ok\xce"), &[Ev::Fail(1007)]);
}

#[test]
fn nothing_is_delivered_after_close() {
    // 7.1.2–7.1.6: text, ping, another close after the Close.
    let wire = stream(&[
        text("before"),
        close(1000, b""),
        text("after"),
        ping(b"after"),
        close(1001, b""),
        b"\xff\xff garbage".to_vec(),
    ]);
    assert_events(64, &wire, &[Ev::Text("before".into()), Ev::Close(Some(1000), String::new())]);
    let mut rx = Receiver::new(64);
    let mut buf = [0u8; 64];
    let mut events = Vec::new();
    feed(&mut rx, &mut buf, &wire, &mut events);
    // Still consumes (and drops) everything it is given.
    assert_eq!(rx.feed(b"\x81\x85more", &mut buf), (6, None));
}

#[test]
fn close_split_across_chunks() {
    let wire = close(4000, "application-defined".as_bytes());
    assert_events(0, &wire, &[Ev::Close(Some(4000), "application-defined".into())]);
}
