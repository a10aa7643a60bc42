//! Arbitrary bytes as a client's frame stream: no panic, and the events do not depend on chunking.
//!
//! Input: one config byte (bits 0–1 pick the message limit, bits 2–4 the number
//! of chunk-size bytes that follow), the chunk sizes, then the stream.

#![no_main]

use libfuzzer_sys::fuzz_target;
use proto_ws::{CloseCode, Decoded, Event, Frame, FrameError, FrameHeader, Receiver};

/// Message limits: none, tiny, the control-frame size, a usual one.
const LIMITS: [usize; 4] = [0, 16, 125, 1024];

/// An owned copy of an event, to compare runs.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Owned {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(Option<u16>, String),
    Fail(u16),
}

fuzz_target!(|data: &[u8]| {
    let Some((&config, rest)) = data.split_first() else {
        return;
    };
    let max = LIMITS[usize::from(config & 3)];
    let split_count = usize::from((config >> 2) & 7);
    let Some((sizes, stream)) = rest.split_at_checked(split_count) else {
        return;
    };
    let whole = run(max, stream, &[]);
    assert_eq!(run(max, stream, sizes), whole, "chunked by {sizes:?}");
    assert_eq!(run(max, stream, &[0]), whole, "byte by byte");
    check_events(&whole, max);
    check_header(stream);
});

/// Feeds `stream` in chunks of `sizes[i] + 1` bytes, cycling (one chunk if empty).
fn run(max: usize, stream: &[u8], sizes: &[u8]) -> Vec<Owned> {
    let mut rx = Receiver::new(max);
    let mut buf = vec![0u8; max];
    let mut events = Vec::new();
    let mut rest = stream;
    let mut i = 0;
    while !rest.is_empty() {
        let n = match sizes {
            [] => rest.len(),
            _ => (usize::from(sizes[i % sizes.len()]) + 1).min(rest.len()),
        };
        i += 1;
        let (mut chunk, tail) = rest.split_at(n);
        rest = tail;
        loop {
            let (used, event) = rx.feed(chunk, &mut buf);
            assert!(used <= chunk.len());
            chunk = &chunk[used..];
            let Some(event) = event else {
                assert!(chunk.is_empty(), "None before the chunk was consumed");
                break;
            };
            let owned = own(event);
            if let Owned::Fail(code) = owned {
                assert_eq!(rx.violation().map(|v| v.code().to_wire()), Some(code));
            }
            if matches!(owned, Owned::Fail(_) | Owned::Close(..)) {
                assert!(rx.is_finished());
            }
            events.push(owned);
        }
    }
    events
}

fn own(event: Event<'_>) -> Owned {
    match event {
        Event::Text(t) => Owned::Text(t.to_owned()),
        Event::Binary(b) => Owned::Binary(b.to_vec()),
        Event::Ping(p) => Owned::Ping(p.to_vec()),
        Event::Pong(p) => Owned::Pong(p.to_vec()),
        Event::Close { code, reason } => Owned::Close(code.map(CloseCode::to_wire), reason.to_owned()),
        Event::Fail(code) => Owned::Fail(code.to_wire()),
    }
}

/// The promises each event keeps, and nothing after a Close or a failure.
fn check_events(events: &[Owned], max: usize) {
    for (i, event) in events.iter().enumerate() {
        let last = i + 1 == events.len();
        match event {
            Owned::Text(t) => {
                assert!(t.len() <= max);
                assert!(std::str::from_utf8(t.as_bytes()).is_ok());
            }
            Owned::Binary(b) => assert!(b.len() <= max),
            Owned::Ping(p) | Owned::Pong(p) => assert!(p.len() <= 125),
            Owned::Close(code, reason) => {
                assert!(last, "event after Close");
                assert!(code.is_some() || reason.is_empty());
                assert!(code.is_none_or(|c| CloseCode::from_wire(c).is_some()));
                assert!(reason.len() <= 123);
            }
            Owned::Fail(code) => {
                assert!(last, "event after Fail");
                assert!(matches!(code, 1002 | 1007 | 1009), "{code}");
            }
        }
    }
}

/// The header at the start of the stream: prefixes agree with the whole, emit reproduces it.
fn check_header(stream: &[u8]) {
    let head = &stream[..stream.len().min(proto_ws::MAX_HEADER_LEN)];
    let whole = FrameHeader::parse(head);
    for cut in 0..head.len() {
        let part = FrameHeader::parse(&head[..cut]);
        match (&part, &whole) {
            (Ok(Decoded::Incomplete), _) => {}
            (Ok(Decoded::Complete(a)), Ok(Decoded::Complete(b))) => {
                assert_eq!(a, b);
                assert!(cut >= a.header_len());
            }
            (Err(a), Err(b)) => assert_eq!(a, b),
            _ => panic!("prefix of {cut} gave {part:?}, whole gave {whole:?}"),
        }
    }
    if let Ok(Decoded::Complete(header)) = whole {
        let mut out = [0u8; proto_ws::MAX_HEADER_LEN];
        let n = header.emit(&mut out).expect("a header fits 14 bytes");
        assert_eq!(&out[..n], &head[..header.header_len()]);
        match Frame::new_checked(stream) {
            Ok(frame) => {
                assert_eq!(frame.header(), Ok(header));
                assert_eq!(frame.payload().len() as u64, header.payload_len());
                assert_eq!(frame.masking_key(), header.mask());
            }
            Err(e) => assert_eq!(e, FrameError::Truncated),
        }
    }
}
