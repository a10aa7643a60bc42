//! Autobahn 3.x: RSV1–3 must be clear since no extension is negotiated (1002).

mod common;

use common::*;
use proto_ws::{FrameError, Receiver, Violation};

#[test]
fn each_reserved_bit_on_each_frame_type_fails() {
    for rsv in [0x40, 0x20, 0x10, 0x60, 0x70] {
        for (opcode, payload) in [(TEXT, &b"Hello"[..]), (BINARY, b"\x00\xff"), (PING, b"p")] {
            let wire = raw_frame(0x80 | rsv | opcode, Some(KEY), payload, LenForm::Minimal);
            assert_events(64, &wire, &[Ev::Fail(1002)]);
            let mut rx = Receiver::new(64);
            let mut buf = [0u8; 64];
            // Judged from the first byte alone.
            let (used, event) = rx.feed(&wire[..1], &mut buf);
            assert_eq!((used, event.map(Ev::from)), (1, Some(Ev::Fail(1002))));
            assert_eq!(rx.violation(), Some(Violation::Frame(FrameError::ReservedBits)));
        }
    }
}

#[test]
fn reserved_bit_after_valid_traffic_fails_after_its_events() {
    // 3.2/3.3: a good text, the bad frame, then a ping that must not be seen.
    let wire =
        stream(&[text("Hello"), raw_frame(0x80 | 0x20 | TEXT, Some(KEY), b"Hello", LenForm::Minimal), ping(b"")]);
    assert_events(64, &wire, &[Ev::Text("Hello".into()), Ev::Fail(1002)]);
}

#[test]
fn reserved_bit_on_a_continuation_fails() {
    let wire = stream(&[frame(false, TEXT, b"frag"), raw_frame(0x80 | 0x40, Some(KEY), b"ment", LenForm::Minimal)]);
    assert_events(64, &wire, &[Ev::Fail(1002)]);
}
