//! The message size limit: exactly at it is fine, over it fails with 1009 from the header alone.

mod common;

use common::*;
use proto_ws::{CloseCode, Event, Receiver, Violation};

const MAX: usize = 1000;

#[test]
fn exactly_max_message_is_accepted() {
    let data = vec![b'a'; MAX];
    let wire = stream(&[text(std::str::from_utf8(&data).unwrap()), binary(&data)]);
    assert_events(MAX, &wire, &[Ev::Text(String::from_utf8(data.clone()).unwrap()), Ev::Binary(data)]);
}

#[test]
fn one_byte_over_fails_with_1009_before_the_payload() {
    let wire = binary(&vec![7u8; MAX + 1]);
    let header_len = wire.len() - (MAX + 1);
    let mut rx = Receiver::new(MAX);
    let mut buf = [0xeeu8; MAX];
    // Only the header is fed: it is enough.
    let (used, event) = rx.feed(&wire[..header_len], &mut buf);
    assert_eq!(used, header_len);
    assert_eq!(event, Some(Event::Fail(CloseCode::MESSAGE_TOO_BIG)));
    assert_eq!(rx.violation(), Some(Violation::MessageTooBig));
    // The payload that follows is dropped, never written to the buffer.
    assert_eq!(rx.feed(&wire[header_len..], &mut buf), (MAX + 1, None));
    assert!(buf.iter().all(|&b| b == 0xee));
    assert_events(MAX, &wire, &[Ev::Fail(1009)]);
}

#[test]
fn huge_announced_lengths_fail_at_once() {
    // A 2^62-byte frame: refused by its header; nothing is waited for.
    let mut wire = vec![0x82, 0xff];
    wire.extend_from_slice(&(1u64 << 62).to_be_bytes());
    wire.extend_from_slice(&KEY);
    assert_events(MAX, &wire, &[Ev::Fail(1009)]);
}

#[test]
fn the_limit_counts_all_fragments() {
    let half = vec![b'h'; MAX / 2];
    // Exactly MAX over two fragments, with a maximal ping between (control frames do not count).
    let ok = stream(&[frame(false, TEXT, &half), ping(&[1; 125]), frame(true, CONTINUATION, &half)]);
    assert_events(
        MAX,
        &ok,
        &[Ev::Ping(vec![1; 125]), Ev::Text(String::from_utf8([half.clone(), half.clone()].concat()).unwrap())],
    );
    // One more byte in the second fragment: its header settles it.
    let mut over_half = half.clone();
    over_half.push(b'h');
    let first = frame(false, TEXT, &half);
    let second = frame(true, CONTINUATION, &over_half);
    let wire = stream(&[first.clone(), second.clone()]);
    assert_events(MAX, &wire, &[Ev::Fail(1009)]);
    let second_header = second.len() - over_half.len();
    assert_eq!(events(MAX, &wire[..first.len() + second_header]), [Ev::Fail(1009)]);
}

#[test]
fn limit_resets_between_messages() {
    let data = vec![b'z'; MAX];
    let frames: Vec<Vec<u8>> = (0..3).map(|_| binary(&data)).collect();
    assert_eq!(events(MAX, &stream(&frames)), vec![Ev::Binary(data); 3]);
}

#[test]
fn a_smaller_buffer_is_the_effective_limit() {
    let mut rx = Receiver::new(1 << 20);
    let mut buf = [0u8; 16];
    let wire = binary(&[1; 16]);
    let (_, event) = rx.feed(&wire, &mut buf);
    assert_eq!(event, Some(Event::Binary(&[1; 16])));
    let (_, event) = rx.feed(&binary(&[1; 17]), &mut buf);
    assert_eq!(event, Some(Event::Fail(CloseCode::MESSAGE_TOO_BIG)));
    assert_eq!(rx.max_message(), 1 << 20);
}

#[test]
fn zero_limit_allows_only_empty_messages() {
    assert_events(
        0,
        &stream(&[text(""), binary(b""), ping(b"control frames still fit")]),
        &[Ev::Text(String::new()), Ev::Binary(vec![]), Ev::Ping(b"control frames still fit".to_vec())],
    );
    assert_events(0, &text("x"), &[Ev::Fail(1009)]);
}

#[test]
fn protocol_errors_win_over_size() {
    // An unmasked oversized frame is a protocol error first.
    let wire = raw_frame(0x82, None, &vec![0; MAX + 1], LenForm::Minimal);
    assert_events(MAX, &wire, &[Ev::Fail(1002)]);
}
