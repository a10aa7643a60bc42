//! Close status codes (RFC 6455 §7.4) and which of them may appear on the wire.

/// A close status code that is valid in a Close frame.
///
/// Only codes an endpoint may send exist: 1000–1003, 1007–1014 and the
/// registered/private range 3000–4999. The reserved 1004, the never-sent
/// 1005/1006/1015 and everything unassigned cannot be built, so a received
/// frame carrying one is a protocol error by construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CloseCode(u16);

impl CloseCode {
    /// 1000: the purpose of the connection is fulfilled.
    pub const NORMAL: CloseCode = CloseCode(1000);
    /// 1001: the endpoint is going away (server shutting down, page navigated away).
    pub const GOING_AWAY: CloseCode = CloseCode(1001);
    /// 1002: the peer broke the protocol.
    pub const PROTOCOL_ERROR: CloseCode = CloseCode(1002);
    /// 1003: a message type the endpoint cannot accept (e.g. binary where only text is understood).
    pub const UNSUPPORTED_DATA: CloseCode = CloseCode(1003);
    /// 1007: message data inconsistent with its type (e.g. invalid UTF-8 in text).
    pub const INVALID_PAYLOAD: CloseCode = CloseCode(1007);
    /// 1008: a message violates the endpoint's policy.
    pub const POLICY_VIOLATION: CloseCode = CloseCode(1008);
    /// 1009: a message is too big to process.
    pub const MESSAGE_TOO_BIG: CloseCode = CloseCode(1009);
    /// 1011: the server hit an unexpected condition.
    pub const INTERNAL_ERROR: CloseCode = CloseCode(1011);

    /// The code for a received value, or `None` if it may not appear on the wire.
    pub const fn from_wire(code: u16) -> Option<CloseCode> {
        match code {
            1000..=1003 | 1007..=1014 | 3000..=4999 => Some(CloseCode(code)),
            _ => None,
        }
    }

    /// The numeric value sent on the wire.
    pub const fn to_wire(self) -> u16 {
        self.0
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> u16 {
        code.0
    }
}

impl core::fmt::Display for CloseCode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_are_valid_on_the_wire() {
        for code in [
            CloseCode::NORMAL,
            CloseCode::GOING_AWAY,
            CloseCode::PROTOCOL_ERROR,
            CloseCode::UNSUPPORTED_DATA,
            CloseCode::INVALID_PAYLOAD,
            CloseCode::POLICY_VIOLATION,
            CloseCode::MESSAGE_TOO_BIG,
            CloseCode::INTERNAL_ERROR,
        ] {
            assert_eq!(CloseCode::from_wire(code.to_wire()), Some(code));
        }
        assert_eq!(u16::from(CloseCode::MESSAGE_TOO_BIG), 1009);
    }

    #[test]
    fn validity_over_the_whole_range() {
        for code in 0..=u16::MAX {
            let valid = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
            assert_eq!(CloseCode::from_wire(code).is_some(), valid, "{code}");
        }
    }
}
