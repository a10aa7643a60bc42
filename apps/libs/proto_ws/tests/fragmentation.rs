//! Autobahn 5.x: fragmented messages, control frames between fragments, and broken fragment sequences.

mod common;

use common::*;
use proto_ws::{FrameError, Receiver, Violation};

fn violation(max: usize, wire: &[u8]) -> Option<Violation> {
    let mut rx = Receiver::new(max);
    let mut buf = vec![0u8; max];
    let mut events = Vec::new();
    feed(&mut rx, &mut buf, wire, &mut events);
    rx.violation()
}

#[test]
fn fragmented_control_frames_fail() {
    // 5.1, 5.2: ping and pong with FIN clear, judged from their first byte.
    for opcode in [PING, PONG, CLOSE] {
        let wire = stream(&[frame(false, opcode, b"frag"), frame(true, CONTINUATION, b"ment")]);
        assert_events(64, &wire, &[Ev::Fail(1002)]);
        assert_eq!(violation(64, &wire[..1]), Some(Violation::Frame(FrameError::FragmentedControl)));
    }
}

#[test]
fn fragmented_text_and_binary() {
    // 5.3, 5.4, 5.5: two fragments, and one fragment per byte.
    let wire = stream(&[frame(false, TEXT, b"frag"), frame(true, CONTINUATION, b"ment1")]);
    assert_events(64, &wire, &[Ev::Text("fragment1".into())]);
    let mut frames: Vec<Vec<u8>> = b"fragment2"
        .iter()
        .enumerate()
        .map(|(i, &b)| frame(false, if i == 0 { BINARY } else { CONTINUATION }, &[b]))
        .collect();
    frames.push(frame(true, CONTINUATION, b""));
    assert_events(64, &stream(&frames), &[Ev::Binary(b"fragment2".to_vec())]);
}

#[test]
fn ping_between_fragments_is_delivered_first() {
    // 5.6–5.8: the ping gets its event at once, then the text completes.
    let wire =
        stream(&[frame(false, TEXT, b"fragment1"), ping(b"ping payload"), frame(true, CONTINUATION, b"fragment2")]);
    assert_events(64, &wire, &[Ev::Ping(b"ping payload".to_vec()), Ev::Text("fragment1fragment2".into())]);
    // 5.19/5.20: several fragments with pings and a pong between them.
    let wire = stream(&[
        frame(false, TEXT, b"f1"),
        frame(false, CONTINUATION, b"f2"),
        ping(b"p1"),
        frame(false, CONTINUATION, b"f3"),
        pong(b"unsolicited"),
        frame(false, CONTINUATION, b"f4"),
        ping(b"p2"),
        frame(true, CONTINUATION, b"f5"),
    ]);
    assert_events(
        64,
        &wire,
        &[
            Ev::Ping(b"p1".to_vec()),
            Ev::Pong(b"unsolicited".to_vec()),
            Ev::Ping(b"p2".to_vec()),
            Ev::Text("f1f2f3f4f5".into()),
        ],
    );
}

#[test]
fn continuation_without_a_message_fails() {
    // 5.9–5.14: a continuation (final or not) with nothing to continue.
    for fin in [true, false] {
        let wire = stream(&[frame(fin, CONTINUATION, b"fragment"), text("never")]);
        assert_events(64, &wire, &[Ev::Fail(1002)]);
        assert_eq!(violation(64, &wire), Some(Violation::UnexpectedContinuation));
    }
    // 5.15: a complete fragmented message, then a stray continuation.
    let wire = stream(&[
        frame(false, TEXT, b"fragment1"),
        frame(true, CONTINUATION, b"fragment2"),
        frame(false, CONTINUATION, b"fragment3"),
        frame(true, CONTINUATION, b"fragment4"),
    ]);
    assert_events(64, &wire, &[Ev::Text("fragment1fragment2".into()), Ev::Fail(1002)]);
}

#[test]
fn new_message_during_fragmentation_fails() {
    // 5.18: text FIN=0 followed by another text (or binary) first frame.
    for opcode in [TEXT, BINARY] {
        let wire = stream(&[frame(false, TEXT, b"fragment1"), frame(true, opcode, b"fragment2")]);
        assert_events(64, &wire, &[Ev::Fail(1002)]);
        assert_eq!(violation(64, &wire), Some(Violation::MessageInterrupted));
    }
}

#[test]
fn close_inside_a_fragmented_message_ends_it_unfinished() {
    let wire = stream(&[frame(false, TEXT, b"half"), close(1001, b"going"), frame(true, CONTINUATION, b"never")]);
    assert_events(64, &wire, &[Ev::Close(Some(1001), "going".into())]);
}

#[test]
fn next_message_after_a_fragmented_one_starts_clean() {
    let wire = stream(&[
        frame(false, BINARY, b"\x01\x02"),
        frame(true, CONTINUATION, b"\x03"),
        text("next"),
        frame(false, TEXT, b""),
        frame(true, CONTINUATION, b""),
    ]);
    assert_events(64, &wire, &[Ev::Binary(vec![1, 2, 3]), Ev::Text("next".into()), Ev::Text(String::new())]);
}
