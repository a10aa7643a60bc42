//! Errors: malformed frame headers, protocol violations by the peer, emission failures.

use crate::close::CloseCode;

/// Why a frame header is not acceptable (every one is a protocol error, 1002).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameError {
    /// RSV1, RSV2 or RSV3 is set, but no extension is ever negotiated.
    ReservedBits,
    /// A reserved opcode (3–7, 0xB–0xF); the value is kept for logs.
    UnknownOpcode(u8),
    /// A control frame with FIN clear (control frames cannot be fragmented).
    FragmentedControl,
    /// A control frame announcing more than 125 payload bytes.
    ControlTooLong,
    /// A 64-bit length with its most significant bit set.
    LengthOverflow,
    /// A 16- or 64-bit length form used for a length the shorter form holds.
    NonMinimalLength,
    /// The buffer ends before the header or payload does ([`Frame::new_checked`](crate::Frame::new_checked) only).
    Truncated,
}

impl FrameError {
    /// A short description, usable as a close reason.
    pub const fn as_str(self) -> &'static str {
        match self {
            FrameError::ReservedBits => "reserved bits set",
            FrameError::UnknownOpcode(_) => "reserved opcode",
            FrameError::FragmentedControl => "fragmented control frame",
            FrameError::ControlTooLong => "control frame over 125 bytes",
            FrameError::LengthOverflow => "64-bit length with high bit set",
            FrameError::NonMinimalLength => "length not minimally encoded",
            FrameError::Truncated => "truncated frame",
        }
    }
}

impl core::fmt::Display for FrameError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::error::Error for FrameError {}

/// The rule the peer broke; [`Violation::code`] is the close code to fail the connection with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Violation {
    /// A malformed frame header (1002).
    Frame(FrameError),
    /// A client frame without a masking key (1002, RFC 6455 §5.1).
    Unmasked,
    /// A continuation frame with no fragmented message in progress (1002).
    UnexpectedContinuation,
    /// A new text or binary frame while a fragmented message is in progress (1002).
    MessageInterrupted,
    /// The message (all fragments together) exceeds the receiver's limit (1009).
    MessageTooBig,
    /// A text message that is not valid UTF-8 (1007).
    InvalidUtf8,
    /// A Close payload of exactly one byte, too short for a code (1002).
    CloseTooShort,
    /// A Close code that may not be sent on the wire (1002); the value is kept for logs.
    InvalidCloseCode(u16),
    /// A Close reason that is not valid UTF-8 (1007).
    InvalidCloseReason,
}

impl Violation {
    /// The close code the connection must be failed with.
    pub const fn code(self) -> CloseCode {
        match self {
            Violation::MessageTooBig => CloseCode::MESSAGE_TOO_BIG,
            Violation::InvalidUtf8 | Violation::InvalidCloseReason => CloseCode::INVALID_PAYLOAD,
            _ => CloseCode::PROTOCOL_ERROR,
        }
    }

    /// A short description, usable as the reason of the Close frame sent back.
    pub const fn as_str(self) -> &'static str {
        match self {
            Violation::Frame(e) => e.as_str(),
            Violation::Unmasked => "unmasked client frame",
            Violation::UnexpectedContinuation => "continuation without a message",
            Violation::MessageInterrupted => "new message inside a fragmented one",
            Violation::MessageTooBig => "message too big",
            Violation::InvalidUtf8 => "invalid UTF-8 in text message",
            Violation::CloseTooShort => "one-byte close payload",
            Violation::InvalidCloseCode(_) => "invalid close code",
            Violation::InvalidCloseReason => "invalid UTF-8 in close reason",
        }
    }
}

impl From<FrameError> for Violation {
    fn from(e: FrameError) -> Self {
        Violation::Frame(e)
    }
}

impl core::fmt::Display for Violation {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} ({})", self.as_str(), self.code())
    }
}

impl core::error::Error for Violation {}

/// Why a frame or response could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmitError {
    /// The output buffer is too small; its contents are unspecified.
    BufferTooSmall,
    /// A control frame payload (ping, pong, close code plus reason) over 125 bytes.
    ControlTooLong,
}

impl core::fmt::Display for EmitError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            EmitError::BufferTooSmall => "output does not fit the buffer",
            EmitError::ControlTooLong => "control frame payload over 125 bytes",
        })
    }
}

impl core::error::Error for EmitError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(Violation::MessageTooBig.code().to_wire(), 1009);
        assert_eq!(Violation::InvalidUtf8.code().to_wire(), 1007);
        assert_eq!(Violation::InvalidCloseReason.code().to_wire(), 1007);
        assert_eq!(Violation::Unmasked.code().to_wire(), 1002);
        assert_eq!(Violation::InvalidCloseCode(1005).code().to_wire(), 1002);
        assert_eq!(Violation::from(FrameError::ReservedBits).code().to_wire(), 1002);
        // Close reasons must fit a control frame after the two code bytes.
        assert!(Violation::Frame(FrameError::NonMinimalLength).as_str().len() <= 123);
    }
}
