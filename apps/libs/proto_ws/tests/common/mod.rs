//! Test helpers: client frames built byte by byte (not with the crate's emitter), and event collection.

#![allow(dead_code)]

use proto_ws::{Event, Receiver};

/// The masking key of RFC 6455 §5.7's example.
pub const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

pub const TEXT: u8 = 0x1;
pub const BINARY: u8 = 0x2;
pub const CONTINUATION: u8 = 0x0;
pub const CLOSE: u8 = 0x8;
pub const PING: u8 = 0x9;
pub const PONG: u8 = 0xA;

/// How the payload length is written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LenForm {
    /// The shortest form, as RFC 6455 requires.
    Minimal,
    /// Always the 16-bit form (126).
    Sixteen,
    /// Always the 64-bit form (127).
    SixtyFour,
}

/// A frame with any first byte (FIN, RSV, opcode), optionally masked, length in any form.
pub fn raw_frame(b0: u8, key: Option<[u8; 4]>, payload: &[u8], form: LenForm) -> Vec<u8> {
    let mask_bit = if key.is_some() { 0x80 } else { 0 };
    let len = payload.len();
    let mut out = vec![b0];
    match form {
        LenForm::Minimal if len <= 125 => out.push(mask_bit | len as u8),
        LenForm::Minimal if len <= 0xffff => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        LenForm::Sixteen => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    match key {
        Some(key) => {
            out.extend_from_slice(&key);
            out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        }
        None => out.extend_from_slice(payload),
    }
    out
}

/// A masked client frame with minimal length encoding.
pub fn frame(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    let b0 = if fin { 0x80 } else { 0 } | opcode;
    raw_frame(b0, Some(KEY), payload, LenForm::Minimal)
}

pub fn text(s: &str) -> Vec<u8> {
    frame(true, TEXT, s.as_bytes())
}

pub fn binary(data: &[u8]) -> Vec<u8> {
    frame(true, BINARY, data)
}

pub fn ping(payload: &[u8]) -> Vec<u8> {
    frame(true, PING, payload)
}

pub fn pong(payload: &[u8]) -> Vec<u8> {
    frame(true, PONG, payload)
}

/// A Close frame with a raw code (valid or not) and raw reason bytes.
pub fn close(code: u16, reason: &[u8]) -> Vec<u8> {
    let mut payload = code.to_be_bytes().to_vec();
    payload.extend_from_slice(reason);
    frame(true, CLOSE, &payload)
}

/// Concatenates frames into one stream.
pub fn stream(frames: &[Vec<u8>]) -> Vec<u8> {
    frames.concat()
}

/// An owned copy of an [`Event`], so sequences can be collected and compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ev {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(Option<u16>, String),
    Fail(u16),
}

impl From<Event<'_>> for Ev {
    fn from(e: Event<'_>) -> Self {
        match e {
            Event::Text(t) => Ev::Text(t.to_owned()),
            Event::Binary(b) => Ev::Binary(b.to_vec()),
            Event::Ping(p) => Ev::Ping(p.to_vec()),
            Event::Pong(p) => Ev::Pong(p.to_vec()),
            Event::Close { code, reason } => Ev::Close(code.map(|c| c.to_wire()), reason.to_owned()),
            Event::Fail(code) => Ev::Fail(code.to_wire()),
        }
    }
}

/// Feeds one chunk, looping until the receiver wants more; appends the events.
pub fn feed(rx: &mut Receiver, buf: &mut [u8], mut chunk: &[u8], events: &mut Vec<Ev>) {
    loop {
        let (used, event) = rx.feed(chunk, buf);
        assert!(used <= chunk.len());
        chunk = &chunk[used..];
        match event {
            Some(e) => events.push(e.into()),
            None => {
                assert!(chunk.is_empty(), "None with {} bytes left", chunk.len());
                return;
            }
        }
    }
}

/// Events for `input` delivered in the given chunks, with a `max`-byte message buffer.
pub fn events_chunked<'a>(max: usize, chunks: impl IntoIterator<Item = &'a [u8]>) -> Vec<Ev> {
    let mut rx = Receiver::new(max);
    let mut buf = vec![0u8; max];
    let mut events = Vec::new();
    for chunk in chunks {
        feed(&mut rx, &mut buf, chunk, &mut events);
    }
    events
}

/// Events for `input` fed in one call.
pub fn events(max: usize, input: &[u8]) -> Vec<Ev> {
    events_chunked(max, [input])
}

/// Asserts `expected` for the whole input, one byte at a time, chunks of 2, 3, 7,
/// and every split into two pieces (for inputs up to 4 KiB).
pub fn assert_events(max: usize, input: &[u8], expected: &[Ev]) {
    assert_eq!(events(max, input), expected, "whole input");
    assert_eq!(events_chunked(max, input.chunks(1)), expected, "one byte at a time");
    for size in [2, 3, 7] {
        assert_eq!(events_chunked(max, input.chunks(size)), expected, "chunks of {size}");
    }
    if input.len() <= 4096 {
        for cut in 0..=input.len() {
            let (a, b) = input.split_at(cut);
            assert_eq!(events_chunked(max, [a, b]), expected, "split at {cut}");
        }
    }
}
