//! Autobahn 6.x: text is validated incrementally and fails at the first byte that cannot be UTF-8.

mod common;

use common::*;
use proto_ws::{CloseCode, Event, Receiver, Violation};

/// The Autobahn 6.2 string: multi-byte sequences of every width.
const VALID: &str = "Hello-µ@ßöäüàá-UTF-8!! κόσμε 𝄞€ \u{10FFFF}";

/// Feeds a masked text frame's header, then its payload byte by byte; returns the
/// index of the payload byte at whose arrival the receiver failed with 1007.
fn fail_index(payload: &[u8]) -> Option<usize> {
    let wire = frame(true, TEXT, payload);
    let header_len = wire.len() - payload.len();
    let mut rx = Receiver::new(256);
    let mut buf = [0u8; 256];
    assert_eq!(rx.feed(&wire[..header_len], &mut buf).1, None);
    for i in 0..payload.len() {
        let (_, event) = rx.feed(&wire[header_len + i..header_len + i + 1], &mut buf);
        match event {
            None => {}
            Some(Event::Fail(CloseCode::INVALID_PAYLOAD)) => {
                assert_eq!(rx.violation(), Some(Violation::InvalidUtf8));
                return Some(i);
            }
            Some(other) => panic!("{other:?} at {i}"),
        }
    }
    None
}

#[test]
fn empty_text_frames_and_fragments() {
    // 6.1
    let wire = stream(&[
        text(""),
        frame(false, TEXT, b""),
        frame(false, CONTINUATION, b""),
        frame(true, CONTINUATION, b""),
        frame(false, TEXT, b""),
        frame(true, CONTINUATION, b"middle"),
    ]);
    assert_events(64, &wire, &[Ev::Text(String::new()), Ev::Text(String::new()), Ev::Text("middle".into())]);
}

#[test]
fn valid_text_split_at_every_chunk_point() {
    assert_events(256, &text(VALID), &[Ev::Text(VALID.into())]);
}

#[test]
fn valid_text_fragmented_at_every_byte() {
    // 6.2.2/6.2.3: fragment boundaries inside multi-byte sequences are fine.
    let bytes = VALID.as_bytes();
    for cut in 0..=bytes.len() {
        let wire = stream(&[frame(false, TEXT, &bytes[..cut]), frame(true, CONTINUATION, &bytes[cut..])]);
        assert_eq!(events(256, &wire), [Ev::Text(VALID.into())], "{cut}");
    }
    // 6.2.4: one fragment per byte.
    let mut frames: Vec<Vec<u8>> =
        bytes.iter().enumerate().map(|(i, &b)| frame(false, if i == 0 { TEXT } else { CONTINUATION }, &[b])).collect();
    frames.push(frame(true, CONTINUATION, b""));
    assert_events(256, &stream(&frames), &[Ev::Text(VALID.into())]);
}

#[test]
fn every_width_and_the_extreme_code_points() {
    for s in [
        "\u{0}",
        "\u{7f}",
        "\u{80}",
        "\u{7ff}",
        "\u{800}",
        "\u{d7ff}",
        "\u{e000}",
        "\u{fffd}",
        "\u{ffff}",
        "\u{10000}",
        "\u{10ffff}",
    ] {
        assert_events(16, &text(s), &[Ev::Text(s.into())]);
    }
}

#[test]
fn surrogate_fails_before_the_rest_arrives() {
    // 6.3.1: "κόσμε" + \xed\xa0\x80 (U+D800) + "edited".
    let payload = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64";
    // \xed at 11 may still start U+D000–U+D7FF; \xa0 at 12 settles it.
    assert_eq!(fail_index(payload), Some(12));
    assert_events(256, &frame(true, TEXT, payload), &[Ev::Fail(1007)]);
}

#[test]
fn fails_at_the_first_impossible_byte() {
    let cases: &[(&[u8], usize)] = &[
        // Lone continuation bytes and bytes that never occur.
        (b"\x80", 0),
        (b"ab\xbf", 2),
        (b"\xfe", 0),
        (b"\xff", 0),
        // Overlong encodings of '/' and of the largest overlong values.
        (b"\xc0\xaf", 0),
        (b"\xc1\xbf", 0),
        (b"\xe0\x80\xaf", 1),
        (b"\xe0\x9f\xbf", 1),
        (b"\xf0\x80\x80\xaf", 1),
        (b"\xf0\x8f\xbf\xbf", 1),
        // Code points above U+10FFFF.
        (b"\xf4\x90\x80\x80", 1),
        (b"\xf5\x80\x80\x80", 0),
        (b"\xf7\xbf\xbf\xbf", 0),
        (b"\xf8\x88\x80\x80\x80", 0),
        (b"\xfc\x84\x80\x80\x80\x80", 0),
        // UTF-16 surrogates, single and paired.
        (b"\xed\xa0\x80", 1),
        (b"\xed\xbf\xbf", 1),
        (b"\xed\xa0\x80\xed\xb0\x80", 1),
        // A sequence cut short by a non-continuation byte.
        (b"\xe2\x82A", 2),
        (b"\xf0\x9d\x84x", 3),
        (b"\xce\xba\xceA", 3),
        (b"a\xc3\xc3a", 2),
    ];
    for &(payload, index) in cases {
        assert_eq!(fail_index(payload), Some(index), "{payload:02x?}");
        assert_events(64, &frame(true, TEXT, payload), &[Ev::Fail(1007)]);
    }
}

#[test]
fn sequence_cut_off_by_the_end_of_the_message() {
    for payload in [&b"\xce"[..], b"\xe2\x82", b"\xf0\x9d\x84", b"ok\xf4\x8f\xbf"] {
        // In a non-final fragment the sequence may still complete: no verdict yet.
        assert_events(64, &frame(false, TEXT, payload), &[]);
        // The end of the message is what makes it certain.
        let wire = stream(&[frame(false, TEXT, payload), frame(true, CONTINUATION, b"")]);
        assert_events(64, &wire, &[Ev::Fail(1007)]);
        assert_events(64, &frame(true, TEXT, payload), &[Ev::Fail(1007)]);
    }
    // Likewise at the end of a fragmented message.
    let wire = stream(&[frame(false, TEXT, b"\xe2"), frame(true, CONTINUATION, b"\x82")]);
    assert_events(64, &wire, &[Ev::Fail(1007)]);
}

#[test]
fn invalid_sequence_across_fragments_fails_in_the_second() {
    // 6.4.2-style: the first fragment ends with \xed, the next starts with \xa0.
    let first = frame(false, TEXT, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed");
    let ping = ping(b"between");
    let second = frame(true, CONTINUATION, b"\xa0\x80edited");
    let wire = stream(&[first.clone(), ping.clone(), second.clone()]);
    assert_events(64, &wire, &[Ev::Ping(b"between".to_vec()), Ev::Fail(1007)]);
    // It fails on the first payload byte of the second fragment, before the rest.
    let upto = first.len() + ping.len() + (second.len() - 8) + 1;
    assert_eq!(events(64, &wire[..upto]), [Ev::Ping(b"between".to_vec()), Ev::Fail(1007)]);
    assert_eq!(events(64, &wire[..upto - 1]), [Ev::Ping(b"between".to_vec())]);
}

#[test]
fn invalid_first_fragment_fails_without_the_rest_of_the_message() {
    // 6.4.1: the message never completes, but its first fragment already cannot be UTF-8.
    let wire = frame(false, TEXT, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80");
    assert_events(64, &wire, &[Ev::Fail(1007)]);
}

#[test]
fn binary_messages_are_not_validated() {
    let wire = binary(b"\xed\xa0\x80\xff\xc0\xaf");
    assert_events(64, &wire, &[Ev::Binary(b"\xed\xa0\x80\xff\xc0\xaf".to_vec())]);
}
