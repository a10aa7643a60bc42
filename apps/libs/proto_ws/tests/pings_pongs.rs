//! Autobahn 2.x: pings are delivered with their payload for the pong; pongs need no ping.

mod common;

use common::*;
use proto_ws::{emit_pong, Event, FrameError, Receiver, Violation};

#[test]
fn ping_delivers_its_payload_for_the_pong() {
    let wire = ping(b"Hello");
    assert_events(0, &wire, &[Ev::Ping(b"Hello".to_vec())]);
    let mut rx = Receiver::new(0);
    let (used, event) = rx.feed(&wire, &mut []);
    assert_eq!(used, wire.len());
    let Some(Event::Ping(payload)) = event else { panic!("{event:?}") };
    let mut out = [0u8; 16];
    let n = emit_pong(payload, &mut out).unwrap();
    assert_eq!(&out[..n], b"\x8a\x05Hello");
}

#[test]
fn empty_binary_and_maximal_pings() {
    let binary_payload: Vec<u8> = (0..=255).cycle().take(125).collect();
    let wire = stream(&[ping(b""), ping(&[0x00, 0xff, 0xfe, 0xfd]), ping(&binary_payload)]);
    assert_events(0, &wire, &[Ev::Ping(vec![]), Ev::Ping(vec![0x00, 0xff, 0xfe, 0xfd]), Ev::Ping(binary_payload)]);
}

#[test]
fn ping_over_125_bytes_fails_at_its_header() {
    let wire = ping(&[b'x'; 126]);
    assert_events(1024, &wire, &[Ev::Fail(1002)]);
    let mut rx = Receiver::new(1024);
    let mut buf = [0u8; 1024];
    // The second byte already announces 126: no payload is read.
    let (used, event) = rx.feed(&wire[..2], &mut buf);
    assert_eq!((used, event.map(Ev::from)), (2, Some(Ev::Fail(1002))));
    assert_eq!(rx.violation(), Some(Violation::Frame(FrameError::ControlTooLong)));
    // A pong that long is no better.
    assert_events(1024, &pong(&[0; 200]), &[Ev::Fail(1002)]);
}

#[test]
fn unsolicited_pongs_are_delivered() {
    let wire = stream(&[pong(b"unsolicited"), text("still open"), pong(b"")]);
    assert_events(64, &wire, &[Ev::Pong(b"unsolicited".to_vec()), Ev::Text("still open".into()), Ev::Pong(vec![])]);
}

#[test]
fn many_pings_each_get_an_event() {
    let frames: Vec<Vec<u8>> = (0..10u8).map(|i| ping(&[i; 10])).collect();
    let expected: Vec<Ev> = (0..10u8).map(|i| Ev::Ping(vec![i; 10])).collect();
    assert_events(0, &stream(&frames), &expected);
}

#[test]
fn ping_after_close_is_ignored() {
    let wire = stream(&[close(1000, b""), ping(b"late")]);
    assert_events(0, &wire, &[Ev::Close(Some(1000), String::new())]);
}
