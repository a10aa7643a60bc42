//! Autobahn 1.x/2.x-style framing: the three length forms, masking, and any chunking of the stream.

mod common;

use common::*;
use proto_ws::{CloseCode, Decoded, Frame, FrameError, FrameHeader, Opcode, Receiver, Violation, MAX_HEADER_LEN};

const MAX: usize = 1 << 17;

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| b'a' + (i % 26) as u8).collect()
}

#[test]
fn text_and_binary_at_every_length_form_boundary() {
    for len in [0, 1, 125, 126, 127, 128, 0xffff, 0x1_0000, 70_000] {
        let data = payload(len);
        let text_msg = String::from_utf8(data.clone()).unwrap();
        let wire = stream(&[text(&text_msg), binary(&data)]);
        let header = match len {
            0..=125 => 6,
            126..=0xffff => 8,
            _ => 14,
        };
        assert_eq!(wire.len(), 2 * (header + len), "{len}");
        let expected = [Ev::Text(text_msg), Ev::Binary(data)];
        assert_eq!(events(MAX, &wire), expected, "{len}");
        assert_eq!(events_chunked(MAX, wire.chunks(1)), expected, "{len}");
        assert_eq!(events_chunked(MAX, wire.chunks(1000)), expected, "{len}");
    }
}

#[test]
fn several_frames_in_one_chunk_one_event_per_call() {
    let wire = stream(&[text("one"), ping(b"p"), binary(b"\x00\xff"), text("")]);
    let mut rx = Receiver::new(64);
    let mut buf = [0u8; 64];
    let mut rest = &wire[..];
    let mut seen = Vec::new();
    let mut used_total = Vec::new();
    while let (used, Some(event)) = rx.feed(rest, &mut buf) {
        used_total.push(used);
        seen.push(Ev::from(event));
        rest = &rest[used..];
    }
    assert!(rest.is_empty());
    // Each call stops right after the frame that completed an event.
    assert_eq!(used_total, [9, 7, 8, 6]);
    assert_eq!(
        seen,
        [Ev::Text("one".into()), Ev::Ping(b"p".to_vec()), Ev::Binary(vec![0, 255]), Ev::Text(String::new()),]
    );
}

#[test]
fn every_split_point_gives_the_same_events() {
    let wire = stream(&[
        text("Hello"),
        frame(false, TEXT, "Hel".as_bytes()),
        ping(b"in between"),
        frame(true, CONTINUATION, "lo, wörld".as_bytes()),
        binary(&payload(300)),
        pong(b""),
        close(1000, b"bye"),
    ]);
    assert_events(
        1024,
        &wire,
        &[
            Ev::Text("Hello".into()),
            Ev::Ping(b"in between".to_vec()),
            Ev::Text("Hello, wörld".into()),
            Ev::Binary(payload(300)),
            Ev::Pong(vec![]),
            Ev::Close(Some(1000), "bye".into()),
        ],
    );
}

#[test]
fn one_frame_across_many_chunks() {
    let data = payload(5000);
    let wire = binary(&data);
    // Chunk sizes that keep crossing the header/payload boundary and the 4-byte mask period.
    let mut chunks = Vec::new();
    let mut at = 0;
    for size in [1, 1, 1, 3, 2, 5, 4, 13, 999].iter().cycle() {
        if at >= wire.len() {
            break;
        }
        let end = (at + size).min(wire.len());
        chunks.push(&wire[at..end]);
        at = end;
    }
    assert_eq!(events_chunked(8000, chunks), [Ev::Binary(data)]);
}

#[test]
fn unmasked_client_frames_fail_with_1002() {
    for wire in [
        raw_frame(0x81, None, b"Hello", LenForm::Minimal),
        raw_frame(0x89, None, b"", LenForm::Minimal),
        raw_frame(0x82, None, &payload(200), LenForm::Minimal),
    ] {
        assert_events(1024, &wire, &[Ev::Fail(1002)]);
        let mut rx = Receiver::new(1024);
        let mut buf = [0u8; 1024];
        rx.feed(&wire, &mut buf);
        assert_eq!(rx.violation(), Some(Violation::Unmasked));
    }
}

#[test]
fn non_minimal_lengths_are_protocol_errors() {
    for (data, form) in [
        (payload(5), LenForm::Sixteen),
        (payload(125), LenForm::Sixteen),
        (payload(5), LenForm::SixtyFour),
        (payload(0xffff), LenForm::SixtyFour),
    ] {
        let wire = raw_frame(0x82, Some(KEY), &data, form);
        assert_events(1 << 17, &wire, &[Ev::Fail(1002)]);
        let mut rx = Receiver::new(1 << 17);
        let mut buf = vec![0u8; 1 << 17];
        let (_, event) = rx.feed(&wire, &mut buf);
        assert_eq!(event.map(Ev::from), Some(Ev::Fail(1002)));
        assert_eq!(rx.violation(), Some(Violation::Frame(FrameError::NonMinimalLength)));
    }
    // The shortest forms at their lower edges are fine.
    let wire = raw_frame(0x82, Some(KEY), &payload(126), LenForm::Sixteen);
    assert_eq!(events(1 << 17, &wire), [Ev::Binary(payload(126))]);
    let wire = raw_frame(0x82, Some(KEY), &payload(0x1_0000), LenForm::SixtyFour);
    assert_eq!(events(1 << 17, &wire), [Ev::Binary(payload(0x1_0000))]);
}

#[test]
fn length_with_high_bit_fails_at_its_first_byte() {
    let mut rx = Receiver::new(64);
    let mut buf = [0u8; 64];
    // Only the first extended-length byte has arrived.
    let (used, event) = rx.feed(&[0x82, 0xff, 0x80], &mut buf);
    assert_eq!(used, 3);
    assert_eq!(event, Some(proto_ws::Event::Fail(CloseCode::PROTOCOL_ERROR)));
    assert_eq!(rx.violation(), Some(Violation::Frame(FrameError::LengthOverflow)));
}

#[test]
fn header_view_and_repr_agree_on_client_frames() {
    for len in [0, 125, 126, 0xffff, 0x1_0000] {
        let data = payload(len);
        let mut wire = frame(true, BINARY, &data);
        wire.extend_from_slice(b"next frame");
        let Ok(Decoded::Complete(header)) = FrameHeader::parse(&wire) else { panic!("{len}") };
        assert_eq!(header.opcode(), Opcode::Binary);
        assert_eq!(header.payload_len(), len as u64);
        assert_eq!(header.mask(), Some(KEY));
        // Every strict prefix of the header is incomplete, never an error.
        for cut in 0..header.header_len() {
            assert_eq!(FrameHeader::parse(&wire[..cut]), Ok(Decoded::Incomplete));
        }
        // Emit reproduces the client's header bytes exactly.
        let mut out = [0u8; MAX_HEADER_LEN];
        let n = header.emit(&mut out).unwrap();
        assert_eq!(&out[..n], &wire[..header.header_len()]);

        let mut view = Frame::new_checked(&mut wire[..]).unwrap();
        assert_eq!(view.header(), Ok(header));
        assert!(view.fin() && view.masked());
        assert_eq!(view.payload_len(), len as u64);
        assert_eq!(view.header_len(), header.header_len());
        view.unmask_payload();
        assert_eq!(view.payload(), &data[..]);
        assert_eq!(view.frame_len(), header.header_len() + len);
    }
}

#[test]
fn frame_view_rejects_truncated_buffers() {
    let wire = frame(true, TEXT, b"Hello");
    for cut in 0..wire.len() {
        assert_eq!(Frame::new_checked(&wire[..cut]).err(), Some(FrameError::Truncated), "{cut}");
    }
    assert!(Frame::new_checked(&wire[..]).is_ok());
}

#[test]
fn zero_length_frames_complete_without_payload_bytes() {
    let wire = stream(&[text(""), binary(b""), ping(b""), pong(b"")]);
    assert_events(0, &wire, &[Ev::Text(String::new()), Ev::Binary(vec![]), Ev::Ping(vec![]), Ev::Pong(vec![])]);
}

/// xorshift64: deterministic streams without a dev-dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// A random, mostly valid client frame: any opcode, occasional RSV bit or missing mask.
fn random_frame(rng: &mut Rng) -> Vec<u8> {
    const OPCODES: [u8; 11] = [0, 0, 1, 1, 2, 8, 9, 9, 10, 3, 11];
    let opcode = OPCODES[rng.below(OPCODES.len() as u64) as usize];
    let fin = if rng.below(3) == 0 { 0 } else { 0x80 };
    let rsv = if rng.below(50) == 0 { 0x40 } else { 0 };
    let len = match rng.below(8) {
        0 => rng.below(300) as usize,
        _ => rng.below(12) as usize,
    };
    let sample = "aκό𝄞€z".as_bytes();
    let payload: Vec<u8> = match rng.below(4) {
        0 => (0..len).map(|_| rng.below(256) as u8).collect(),
        _ => sample.iter().cycle().take(len).copied().collect(),
    };
    let key = if rng.below(40) == 0 { None } else { Some(KEY) };
    raw_frame(fin | rsv | opcode, key, &payload, LenForm::Minimal)
}

#[test]
fn random_streams_do_not_depend_on_chunking() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for round in 0..2000 {
        let frames: Vec<Vec<u8>> = (0..=rng.below(6)).map(|_| random_frame(&mut rng)).collect();
        let wire = stream(&frames);
        let max = [0, 16, 1024][rng.below(3) as usize];
        let whole = events(max, &wire);
        // Nothing follows a Close or a failure.
        for (i, e) in whole.iter().enumerate() {
            if matches!(e, Ev::Close(..) | Ev::Fail(_)) {
                assert_eq!(i + 1, whole.len(), "round {round}: {whole:?}");
            }
        }
        assert_eq!(events_chunked(max, wire.chunks(1)), whole, "round {round}");
        let size = 1 + rng.below(20) as usize;
        assert_eq!(events_chunked(max, wire.chunks(size)), whole, "round {round}");
    }
}
