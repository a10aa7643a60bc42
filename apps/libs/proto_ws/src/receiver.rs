//! Reassembly of a client's byte stream into messages: an explicit state machine fed any chunking.
//!
//! Checks run as bytes arrive: a header is judged as soon as it is complete,
//! a message is refused from the header that makes it too big, and text is
//! UTF-8 validated chunk by chunk, so a bad stream fails before the rest of it
//! is buffered.

use crate::close::CloseCode;
use crate::error::Violation;
use crate::frame::{apply_mask, Decoded, FrameHeader, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN};
use crate::opcode::Opcode;

/// Something the peer said, or the verdict that it broke the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// A complete text message, all fragments joined and valid UTF-8.
    Text(&'a str),
    /// A complete binary message, all fragments joined.
    Binary(&'a [u8]),
    /// A ping: answer with a pong carrying the same payload.
    Ping(&'a [u8]),
    /// A pong, solicited or not; usually ignored.
    Pong(&'a [u8]),
    /// The peer started or answered the closing handshake; the receiver is finished.
    Close {
        /// The status code, or `None` for an empty Close payload.
        code: Option<CloseCode>,
        /// The UTF-8 reason, possibly empty.
        reason: &'a str,
    },
    /// The peer broke the protocol: send a Close with this code and drop the
    /// connection. [`Receiver::violation`] says which rule; the receiver is finished.
    Fail(CloseCode),
}

/// The data message being reassembled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Binary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Collecting a frame header into `Receiver::header`.
    Header,
    /// Receiving the payload of a frame whose header was accepted.
    Payload(Payload),
    /// A Close was delivered or the connection failed: input is discarded.
    Finished,
}

/// The frame whose payload is arriving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Payload {
    opcode: Opcode,
    fin: bool,
    key: [u8; 4],
    len: usize,
    received: usize,
}

/// A completed unit, before it is turned into a borrowing [`Event`].
enum Ready {
    Text(usize),
    Binary(usize),
    Ping(usize),
    Pong(usize),
    /// Code and payload length; the payload was validated already.
    Close(Option<CloseCode>, usize),
    Fail(CloseCode),
}

/// Server-side receive state for one connection; no allocation, about 200 bytes.
///
/// Control-frame payloads (at most 125 bytes) are kept inside the receiver;
/// data messages are assembled in a buffer the caller passes to every
/// [`Receiver::feed`]. The largest message accepted is the smaller of
/// `max_message` and that buffer's length.
#[derive(Debug, Clone)]
pub struct Receiver {
    max_message: usize,
    state: State,
    header: [u8; MAX_HEADER_LEN],
    header_fill: usize,
    message: Option<Kind>,
    message_len: usize,
    // Prefix of the message known to be complete, valid UTF-8 sequences.
    utf8_valid: usize,
    control: [u8; MAX_CONTROL_PAYLOAD],
    violation: Option<Violation>,
}

impl Receiver {
    /// A receiver for a freshly upgraded connection accepting messages up to `max_message` bytes.
    pub const fn new(max_message: usize) -> Receiver {
        Receiver {
            max_message,
            state: State::Header,
            header: [0; MAX_HEADER_LEN],
            header_fill: 0,
            message: None,
            message_len: 0,
            utf8_valid: 0,
            control: [0; MAX_CONTROL_PAYLOAD],
            violation: None,
        }
    }

    /// The configured message limit.
    pub const fn max_message(&self) -> usize {
        self.max_message
    }

    /// Whether a Close or a failure was delivered; from then on input is discarded.
    pub const fn is_finished(&self) -> bool {
        matches!(self.state, State::Finished)
    }

    /// The rule the peer broke, once [`Event::Fail`] was returned.
    pub const fn violation(&self) -> Option<Violation> {
        self.violation
    }

    /// Consumes bytes from `input` until an event is complete or `input` runs out.
    ///
    /// Returns the bytes consumed and at most one event; call again with the
    /// rest of `input` while an event comes back. `None` means all of `input`
    /// was consumed and more is needed. Pass the same `msg_buf` every time: a
    /// fragmented message accumulates there, and [`Event::Text`]/[`Event::Binary`]
    /// borrow from it (it is reused from the next call on).
    ///
    /// After [`Event::Close`] or [`Event::Fail`] the receiver is finished: each
    /// failure is reported once, and later calls consume everything and return
    /// `None` (nothing may follow a Close, and a stream that broke the protocol
    /// cannot be trusted).
    pub fn feed<'b>(&'b mut self, input: &[u8], msg_buf: &'b mut [u8]) -> (usize, Option<Event<'b>>) {
        let (used, ready) = self.advance(input, msg_buf);
        let Some(ready) = ready else {
            return (used, None);
        };
        let event = match ready {
            Ready::Text(len) => match msg_buf.get(..len).map(core::str::from_utf8) {
                Some(Ok(text)) => Event::Text(text),
                // Unreachable: `advance` validated the message and wrote it to this buffer.
                _ => Event::Fail(self.fail(Violation::InvalidUtf8)),
            },
            Ready::Binary(len) => match msg_buf.get(..len) {
                Some(data) => Event::Binary(data),
                None => Event::Fail(self.fail(Violation::MessageTooBig)),
            },
            Ready::Ping(len) => Event::Ping(&self.control[..len]),
            Ready::Pong(len) => Event::Pong(&self.control[..len]),
            Ready::Close(code, len) => Event::Close {
                code,
                // `close` checked the reason; an empty one for a payload without code.
                reason: core::str::from_utf8(self.control.get(2..len).unwrap_or(&[])).unwrap_or_default(),
            },
            Ready::Fail(code) => Event::Fail(code),
        };
        (used, Some(event))
    }

    /// The state machine proper; the result borrows nothing so the loop stays simple.
    fn advance(&mut self, input: &[u8], msg_buf: &mut [u8]) -> (usize, Option<Ready>) {
        let mut used = 0;
        loop {
            let rest = &input[used..];
            match self.state {
                State::Finished => return (input.len(), None),
                State::Header => {
                    if rest.is_empty() {
                        return (used, None);
                    }
                    // Copy up to a maximal header, then give back what belongs to the payload.
                    let fill = self.header_fill;
                    let take = rest.len().min(MAX_HEADER_LEN - fill);
                    self.header[fill..fill + take].copy_from_slice(&rest[..take]);
                    match FrameHeader::parse(&self.header[..fill + take]) {
                        Err(e) => return (used + take, Some(Ready::Fail(self.fail(e.into())))),
                        Ok(Decoded::Incomplete) => {
                            self.header_fill = fill + take;
                            used += take;
                        }
                        Ok(Decoded::Complete(header)) => {
                            used += header.header_len() - fill;
                            self.header_fill = 0;
                            if let Err(v) = self.start_frame(&header, msg_buf.len()) {
                                return (used, Some(Ready::Fail(self.fail(v))));
                            }
                        }
                    }
                }
                State::Payload(mut frame) => {
                    let n = rest.len().min(frame.len - frame.received);
                    if let Err(v) = self.store(&frame, &rest[..n], msg_buf) {
                        return (used + n, Some(Ready::Fail(self.fail(v))));
                    }
                    used += n;
                    frame.received += n;
                    if frame.received < frame.len {
                        self.state = State::Payload(frame);
                        return (used, None);
                    }
                    self.state = State::Header;
                    if let Some(ready) = self.finish_frame(&frame) {
                        return (used, Some(ready));
                    }
                }
            }
        }
    }

    /// Applies the rules that need the connection's state to a well-formed header.
    fn start_frame(&mut self, header: &FrameHeader, buf_len: usize) -> Result<(), Violation> {
        let key = header.mask().ok_or(Violation::Unmasked)?;
        let opcode = header.opcode();
        if !opcode.is_control() {
            let kind = match (opcode, self.message) {
                (Opcode::Continuation, None) => return Err(Violation::UnexpectedContinuation),
                (Opcode::Continuation, Some(kind)) => kind,
                (_, Some(_)) => return Err(Violation::MessageInterrupted),
                (Opcode::Text, None) => Kind::Text,
                (_, None) => Kind::Binary,
            };
            let room = self.max_message.min(buf_len).saturating_sub(self.message_len);
            // Refused from the header alone: the payload is never buffered.
            if header.payload_len() > room as u64 {
                return Err(Violation::MessageTooBig);
            }
            self.message = Some(kind);
        }
        self.state = State::Payload(Payload {
            opcode,
            fin: header.fin(),
            key,
            // Fits: at most 125 for control frames, at most `room` for data frames.
            len: header.payload_len() as usize,
            received: 0,
        });
        Ok(())
    }

    /// Unmasks newly arrived payload bytes into place and validates text as it comes.
    fn store(&mut self, frame: &Payload, chunk: &[u8], msg_buf: &mut [u8]) -> Result<(), Violation> {
        if frame.opcode.is_control() {
            let dst = &mut self.control[frame.received..frame.received + chunk.len()];
            dst.copy_from_slice(chunk);
            apply_mask(dst, frame.key, frame.received);
            return Ok(());
        }
        let start = self.message_len;
        // Only a caller switching to a smaller buffer mid-message gets here.
        let dst = msg_buf.get_mut(start..start + chunk.len()).ok_or(Violation::MessageTooBig)?;
        dst.copy_from_slice(chunk);
        apply_mask(dst, frame.key, frame.received);
        self.message_len += chunk.len();
        if self.message == Some(Kind::Text) {
            self.check_utf8(&msg_buf[..self.message_len])?;
        }
        Ok(())
    }

    /// Fails as soon as the text so far cannot be the prefix of valid UTF-8.
    fn check_utf8(&mut self, text: &[u8]) -> Result<(), Violation> {
        // Rescans at most the three bytes of an unfinished sequence from the previous chunk.
        match core::str::from_utf8(&text[self.utf8_valid..]) {
            Ok(_) => self.utf8_valid = text.len(),
            // `error_len() == None`: only an unfinished sequence at the end, which may still complete.
            Err(e) if e.error_len().is_none() => self.utf8_valid += e.valid_up_to(),
            Err(_) => return Err(Violation::InvalidUtf8),
        }
        Ok(())
    }

    /// What a frame whose payload is complete delivers, if anything.
    fn finish_frame(&mut self, frame: &Payload) -> Option<Ready> {
        match frame.opcode {
            Opcode::Ping => Some(Ready::Ping(frame.len)),
            Opcode::Pong => Some(Ready::Pong(frame.len)),
            Opcode::Close => Some(self.close(frame.len)),
            Opcode::Continuation | Opcode::Text | Opcode::Binary => {
                if !frame.fin {
                    return None;
                }
                let len = core::mem::take(&mut self.message_len);
                let valid = core::mem::take(&mut self.utf8_valid);
                match self.message.take()? {
                    // A sequence cut off by the end of the message.
                    Kind::Text if valid != len => Some(Ready::Fail(self.fail(Violation::InvalidUtf8))),
                    Kind::Text => Some(Ready::Text(len)),
                    Kind::Binary => Some(Ready::Binary(len)),
                }
            }
        }
    }

    /// Validates a Close payload (RFC 6455 §5.5.1, §7.4) and finishes the receiver.
    fn close(&mut self, len: usize) -> Ready {
        let verdict = match self.control[..len] {
            [] => Ok(None),
            [_] => Err(Violation::CloseTooShort),
            [hi, lo, ref reason @ ..] => {
                let raw = u16::from_be_bytes([hi, lo]);
                match CloseCode::from_wire(raw) {
                    None => Err(Violation::InvalidCloseCode(raw)),
                    Some(_) if core::str::from_utf8(reason).is_err() => Err(Violation::InvalidCloseReason),
                    code => Ok(code),
                }
            }
        };
        match verdict {
            Ok(code) => {
                self.state = State::Finished;
                Ready::Close(code, len)
            }
            Err(v) => Ready::Fail(self.fail(v)),
        }
    }

    /// Records the violation, finishes the receiver and returns the code to close with.
    fn fail(&mut self, violation: Violation) -> CloseCode {
        self.state = State::Finished;
        self.message = None;
        self.violation = Some(violation);
        violation.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A masked client frame with key 0 (so the payload goes through unchanged).
    fn frame(b0: u8, payload: &[u8], out: &mut [u8]) -> usize {
        assert!(payload.len() <= 125);
        out[0] = b0;
        out[1] = 0x80 | payload.len() as u8;
        out[2..6].fill(0);
        out[6..6 + payload.len()].copy_from_slice(payload);
        6 + payload.len()
    }

    #[test]
    fn text_then_finished_after_close() {
        let mut wire = [0u8; 64];
        let mut n = frame(0x81, b"hi", &mut wire);
        n += frame(0x88, b"\x03\xe8ok", &mut wire[n..]);
        n += frame(0x81, b"late", &mut wire[n..]);
        let mut rx = Receiver::new(16);
        let mut buf = [0u8; 16];
        let (used, event) = rx.feed(&wire[..n], &mut buf);
        assert_eq!(event, Some(Event::Text("hi")));
        assert_eq!(used, 8);
        let (used2, event) = rx.feed(&wire[used..n], &mut buf);
        assert_eq!(event, Some(Event::Close { code: Some(CloseCode::NORMAL), reason: "ok" }));
        assert!(rx.is_finished());
        assert_eq!(rx.violation(), None);
        let rest = &wire[used + used2..n];
        assert_eq!(rx.feed(rest, &mut buf), (rest.len(), None));
    }

    #[test]
    fn fail_is_reported_once() {
        let mut rx = Receiver::new(16);
        let mut buf = [0u8; 16];
        // Unmasked text frame.
        let (_, event) = rx.feed(b"\x81\x00", &mut buf);
        assert_eq!(event, Some(Event::Fail(CloseCode::PROTOCOL_ERROR)));
        assert_eq!(rx.violation(), Some(Violation::Unmasked));
        assert_eq!(rx.feed(b"\x81\x80\0\0\0\0", &mut buf), (6, None));
    }
}
