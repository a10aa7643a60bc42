//! Autobahn 4.x: reserved data (3–7) and control (0xB–0xF) opcodes are protocol errors.

mod common;

use common::*;
use proto_ws::{FrameError, Receiver, Violation};

#[test]
fn every_reserved_opcode_fails() {
    for opcode in (3..=7).chain(0xB..=0xF) {
        let wire = raw_frame(0x80 | opcode, Some(KEY), b"", LenForm::Minimal);
        assert_events(64, &wire, &[Ev::Fail(1002)]);
        let wire = raw_frame(0x80 | opcode, Some(KEY), b"payload", LenForm::Minimal);
        let mut rx = Receiver::new(64);
        let mut buf = [0u8; 64];
        let (used, event) = rx.feed(&wire[..1], &mut buf);
        assert_eq!((used, event.map(Ev::from)), (1, Some(Ev::Fail(1002))));
        assert_eq!(rx.violation(), Some(Violation::Frame(FrameError::UnknownOpcode(opcode))));
    }
}

#[test]
fn reserved_opcode_between_valid_frames() {
    // 4.1.3 / 4.2.3: text, reserved opcode, ping — the ping is never delivered.
    for opcode in [5, 0xD] {
        let wire = stream(&[text("Hello"), raw_frame(0x80 | opcode, Some(KEY), b"", LenForm::Minimal), ping(b"")]);
        assert_events(64, &wire, &[Ev::Text("Hello".into()), Ev::Fail(1002)]);
    }
}

#[test]
fn defined_opcodes_are_accepted() {
    let wire = stream(&[
        text("t"),
        binary(b"b"),
        frame(false, BINARY, b"b1"),
        frame(true, CONTINUATION, b"b2"),
        ping(b"pi"),
        pong(b"po"),
        close(1000, b""),
    ]);
    assert_events(
        64,
        &wire,
        &[
            Ev::Text("t".into()),
            Ev::Binary(b"b".to_vec()),
            Ev::Binary(b"b1b2".to_vec()),
            Ev::Ping(b"pi".to_vec()),
            Ev::Pong(b"po".to_vec()),
            Ev::Close(Some(1000), String::new()),
        ],
    );
}
