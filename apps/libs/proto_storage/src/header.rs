//! The 4-byte header in front of every message, and the codec error types.

use crate::wire::{Reader, Writer};
use crate::Error;

/// Protocol version carried in every header; a mismatch is `Unsupported`.
/// 2: file data fields carry two zero bytes after their length (word-aligned data).
pub const VERSION: u8 = 2;

/// First two bytes of a request (`"SQ"`): garbage is rejected at byte 0.
pub const REQUEST_MAGIC: [u8; 2] = *b"SQ";

/// First two bytes of a response (`"SR"`): a request echoed back is never a reply.
pub const RESPONSE_MAGIC: [u8; 2] = *b"SR";

/// Size of the header: magic (2), version (1), operation or reply kind (1).
pub const HEADER_LEN: usize = 4;

/// Why bytes did not decode into a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The message ends inside a field.
    Truncated,
    /// Wrong magic: not a storage message at all.
    BadMagic,
    /// Right magic, other protocol version.
    UnsupportedVersion,
    /// Right magic and version, unknown operation or reply kind.
    UnknownKind,
    /// A field holds a value outside its range (bad UTF-8, flag, length...).
    Invalid,
    /// Bytes left over after the last field.
    TrailingBytes,
    /// Longer than its kind of message may be ([`MAX_MESSAGE`](crate::MAX_MESSAGE), a reply
    /// [`MAX_REPLY`](crate::MAX_REPLY)).
    Oversized,
}

impl From<DecodeError> for Error {
    /// A newer client gets `Unsupported`; anything else is `BadRequest`.
    fn from(e: DecodeError) -> Error {
        match e {
            DecodeError::UnsupportedVersion | DecodeError::UnknownKind => Error::Unsupported,
            _ => Error::BadRequest,
        }
    }
}

/// Why a message could not be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncodeError {
    /// The output buffer is too small for the message.
    BufferTooSmall,
    /// A field or the whole message is longer than the format allows.
    TooLong,
}

/// Checks size, magic and version; returns the kind byte and a reader after the header.
pub(crate) fn read_header<'a>(bytes: &'a [u8], magic: [u8; 2], max: usize) -> Result<(u8, Reader<'a>), DecodeError> {
    if bytes.len() > max {
        return Err(DecodeError::Oversized);
    }
    let mut r = Reader::new(bytes);
    if r.bytes(2).map_err(|_| DecodeError::BadMagic)? != magic {
        return Err(DecodeError::BadMagic);
    }
    if r.u8()? != VERSION {
        return Err(DecodeError::UnsupportedVersion);
    }
    let kind = r.u8()?;
    Ok((kind, r))
}

/// Writes the header for a message of `kind`.
pub(crate) fn write_header<'a>(buf: &'a mut [u8], magic: [u8; 2], kind: u8) -> Result<Writer<'a>, EncodeError> {
    let mut w = Writer::new(buf);
    w.bytes(&magic)?;
    w.u8(VERSION)?;
    w.u8(kind)?;
    Ok(w)
}

/// Fails if an encoded message would exceed `max` bytes ([`MAX_MESSAGE`](crate::MAX_MESSAGE),
/// or [`MAX_REPLY`](crate::MAX_REPLY) for a read's reply).
pub(crate) fn check_len(len: usize, max: usize) -> Result<usize, EncodeError> {
    if len > max {
        Err(EncodeError::TooLong)
    } else {
        Ok(len)
    }
}
