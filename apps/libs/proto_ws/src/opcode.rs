//! Frame opcodes (RFC 6455 §5.2) and the data/control split.

/// A defined opcode; the reserved values 3–7 and 0xB–0xF have no variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Opcode {
    /// 0x0: a further fragment of the message in progress.
    Continuation,
    /// 0x1: the first frame of a text (UTF-8) message.
    Text,
    /// 0x2: the first frame of a binary message.
    Binary,
    /// 0x8: the closing handshake.
    Close,
    /// 0x9: a keep-alive probe that must be answered with a pong.
    Ping,
    /// 0xA: the answer to a ping, or an unsolicited heartbeat.
    Pong,
}

impl Opcode {
    /// The opcode for the low four bits of a frame's first byte; `None` for reserved values.
    pub const fn from_bits(bits: u8) -> Option<Opcode> {
        match bits {
            0x0 => Some(Opcode::Continuation),
            0x1 => Some(Opcode::Text),
            0x2 => Some(Opcode::Binary),
            0x8 => Some(Opcode::Close),
            0x9 => Some(Opcode::Ping),
            0xA => Some(Opcode::Pong),
            _ => None,
        }
    }

    /// The four-bit wire value.
    pub const fn bits(self) -> u8 {
        match self {
            Opcode::Continuation => 0x0,
            Opcode::Text => 0x1,
            Opcode::Binary => 0x2,
            Opcode::Close => 0x8,
            Opcode::Ping => 0x9,
            Opcode::Pong => 0xA,
        }
    }

    /// Whether this is a control opcode (close, ping, pong): at most 125 bytes, never fragmented.
    pub const fn is_control(self) -> bool {
        self.bits() & 0x8 != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_round_trip_and_reserved_values_are_rejected() {
        for bits in 0..=u8::MAX {
            match Opcode::from_bits(bits) {
                Some(op) => assert_eq!(op.bits(), bits),
                None => assert!(matches!(bits, 3..=7 | 0xB..), "{bits}"),
            }
        }
        assert!(Opcode::Ping.is_control());
        assert!(Opcode::Close.is_control());
        assert!(Opcode::Pong.is_control());
        assert!(!Opcode::Continuation.is_control());
        assert!(!Opcode::Binary.is_control());
    }
}
