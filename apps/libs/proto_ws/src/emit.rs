//! Ready-made server frames: data headers and complete control frames, never masked.

use crate::close::CloseCode;
use crate::error::EmitError;
use crate::frame::{FrameHeader, MAX_CONTROL_PAYLOAD};
use crate::opcode::Opcode;

/// Writes an unmasked, final data-frame header for `len` payload bytes; returns its length.
fn data_header(opcode: Opcode, len: usize, buf: &mut [u8]) -> Result<usize, EmitError> {
    // Only a length over 2^63 fails here, and no buffer could hold that frame.
    let header = FrameHeader::new(true, opcode, len as u64, None).map_err(|_| EmitError::BufferTooSmall)?;
    header.emit(buf)
}

/// Writes the header of a single-frame text message of `len` bytes; the caller
/// writes the UTF-8 payload right after it. Returns the header length (2, 4 or 10).
pub fn emit_text_header(len: usize, buf: &mut [u8]) -> Result<usize, EmitError> {
    data_header(Opcode::Text, len, buf)
}

/// Like [`emit_text_header`], for a binary message.
pub fn emit_binary_header(len: usize, buf: &mut [u8]) -> Result<usize, EmitError> {
    data_header(Opcode::Binary, len, buf)
}

/// Writes a complete single-frame text message; returns the frame length.
pub fn emit_text(text: &str, buf: &mut [u8]) -> Result<usize, EmitError> {
    let header_len = emit_text_header(text.len(), buf)?;
    payload(header_len, text.as_bytes(), buf)
}

/// Copies `data` after a header of `header_len` bytes; returns the frame length.
fn payload(header_len: usize, data: &[u8], buf: &mut [u8]) -> Result<usize, EmitError> {
    let end = header_len + data.len();
    buf.get_mut(header_len..end).ok_or(EmitError::BufferTooSmall)?.copy_from_slice(data);
    Ok(end)
}

/// Writes a complete control frame whose payload is `parts` concatenated.
fn control(opcode: Opcode, parts: [&[u8]; 2], buf: &mut [u8]) -> Result<usize, EmitError> {
    let len = parts[0].len() + parts[1].len();
    if len > MAX_CONTROL_PAYLOAD {
        return Err(EmitError::ControlTooLong);
    }
    let header = FrameHeader::new(true, opcode, len as u64, None).map_err(|_| EmitError::ControlTooLong)?;
    let header_len = header.emit(buf)?;
    let first = payload(header_len, parts[0], buf)?;
    payload(first, parts[1], buf)
}

/// Writes a ping carrying `payload` (at most 125 bytes).
pub fn emit_ping(payload: &[u8], buf: &mut [u8]) -> Result<usize, EmitError> {
    control(Opcode::Ping, [payload, &[]], buf)
}

/// Writes a pong; answer a ping with its exact payload (RFC 6455 §5.5.3).
pub fn emit_pong(payload: &[u8], buf: &mut [u8]) -> Result<usize, EmitError> {
    control(Opcode::Pong, [payload, &[]], buf)
}

/// Writes a Close frame with `code` and a UTF-8 `reason` (at most 123 bytes).
pub fn emit_close(code: CloseCode, reason: &str, buf: &mut [u8]) -> Result<usize, EmitError> {
    let code = code.to_wire().to_be_bytes();
    control(Opcode::Close, [&code, reason.as_bytes()], buf)
}

/// Writes a Close frame without a code, the echo of a peer's empty Close.
pub fn emit_close_empty(buf: &mut [u8]) -> Result<usize, EmitError> {
    control(Opcode::Close, [&[], &[]], buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_bytes() {
        let mut buf = [0u8; 140];
        let n = emit_text("Hello", &mut buf).unwrap();
        assert_eq!(&buf[..n], b"\x81\x05Hello");
        let n = emit_ping(b"Hello", &mut buf).unwrap();
        assert_eq!(&buf[..n], b"\x89\x05Hello");
        let n = emit_pong(b"", &mut buf).unwrap();
        assert_eq!(&buf[..n], b"\x8a\x00");
        let n = emit_close(CloseCode::GOING_AWAY, "bye", &mut buf).unwrap();
        assert_eq!(&buf[..n], b"\x88\x05\x03\xe9bye");
        let n = emit_close_empty(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"\x88\x00");
        assert_eq!(emit_text_header(126, &mut buf), Ok(4));
        assert_eq!(&buf[..4], b"\x81\x7e\x00\x7e");
        assert_eq!(emit_binary_header(70_000, &mut buf), Ok(10));
        assert_eq!(&buf[..10], b"\x82\x7f\x00\x00\x00\x00\x00\x01\x11\x70");
    }

    #[test]
    fn control_limits() {
        let mut buf = [0u8; 200];
        assert_eq!(emit_ping(&[7; 125], &mut buf), Ok(127));
        assert_eq!(emit_ping(&[7; 126], &mut buf), Err(EmitError::ControlTooLong));
        let long = [b'r'; 124];
        let reason = core::str::from_utf8(&long).unwrap();
        assert_eq!(emit_close(CloseCode::NORMAL, &reason[..123], &mut buf), Ok(127));
        assert_eq!(emit_close(CloseCode::NORMAL, reason, &mut buf), Err(EmitError::ControlTooLong));
    }

    #[test]
    fn buffer_too_small_at_every_size() {
        let mut buf = [0u8; 16];
        let full = emit_close(CloseCode::NORMAL, "done", &mut buf).unwrap();
        for size in 0..full {
            assert_eq!(
                emit_close(CloseCode::NORMAL, "done", &mut buf[..size]),
                Err(EmitError::BufferTooSmall),
                "{size}"
            );
        }
    }
}
