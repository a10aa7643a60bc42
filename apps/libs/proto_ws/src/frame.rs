//! The frame wire format (RFC 6455 §5.2): a borrowed [`Frame`] view and the parsed [`FrameHeader`].
//!
//! ```text
//!  0               1               2               3
//!  F R R R opcode  M len7          extended length (0, 2 or 8 bytes)
//!  masking key (0 or 4 bytes)      payload ...
//! ```

use crate::error::{EmitError, FrameError};
use crate::opcode::Opcode;

/// Longest possible header: 2 bytes, 8 of 64-bit length, 4 of masking key.
pub const MAX_HEADER_LEN: usize = 14;

/// Largest control frame payload (RFC 6455 §5.5).
pub const MAX_CONTROL_PAYLOAD: usize = 125;

mod field {
    pub const FIN: u8 = 0x80;
    pub const RSV1: u8 = 0x40;
    pub const RSV2: u8 = 0x20;
    pub const RSV3: u8 = 0x10;
    pub const RSV: u8 = RSV1 | RSV2 | RSV3;
    pub const OPCODE: u8 = 0x0f;
    pub const MASK: u8 = 0x80;
    pub const LEN7: u8 = 0x7f;
    /// `len7` values announcing a 16-bit and a 64-bit extended length.
    pub const LEN16: u8 = 126;
    pub const LEN64: u8 = 127;
}

/// XORs `data` with `key`, where `data[0]` is payload byte number `offset`.
///
/// Masking is its own inverse, so this both masks and unmasks; `offset` lets a
/// payload be processed in pieces as it arrives.
pub fn apply_mask(data: &mut [u8], key: [u8; 4], offset: usize) {
    let mut key = key;
    key.rotate_left(offset % 4);
    for (byte, k) in data.iter_mut().zip(key.iter().cycle()) {
        *byte ^= k;
    }
}

/// `N` bytes at `at`, if all are present.
fn array<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    bytes.get(at..at + N)?.try_into().ok()
}

/// A read/write view of one frame in a buffer (header and payload).
///
/// Accessors read the raw bits and do not judge them; [`FrameHeader::parse`]
/// does. Built with [`Frame::new_unchecked`], accessors may panic on a buffer
/// shorter than the frame; [`Frame::new_checked`] rules that out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Frame<T> {
    /// Wraps a buffer without checking its length.
    pub const fn new_unchecked(buffer: T) -> Frame<T> {
        Frame { buffer }
    }

    /// Wraps a buffer after [`Frame::check_len`].
    pub fn new_checked(buffer: T) -> Result<Frame<T>, FrameError> {
        let frame = Frame::new_unchecked(buffer);
        frame.check_len()?;
        Ok(frame)
    }

    /// Checks that the buffer holds the whole header and payload (extra bytes after it are fine).
    pub fn check_len(&self) -> Result<(), FrameError> {
        let buf = self.buffer.as_ref();
        if buf.len() < 2 || buf.len() < self.header_len() {
            return Err(FrameError::Truncated);
        }
        let room = (buf.len() - self.header_len()) as u64;
        if self.payload_len() > room {
            return Err(FrameError::Truncated);
        }
        Ok(())
    }

    /// Unwraps the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn byte(&self, index: usize) -> u8 {
        self.buffer.as_ref()[index]
    }

    /// FIN: this is the final fragment of its message.
    pub fn fin(&self) -> bool {
        self.byte(0) & field::FIN != 0
    }

    /// RSV1 (used by extensions such as permessage-deflate).
    pub fn rsv1(&self) -> bool {
        self.byte(0) & field::RSV1 != 0
    }

    /// RSV2.
    pub fn rsv2(&self) -> bool {
        self.byte(0) & field::RSV2 != 0
    }

    /// RSV3.
    pub fn rsv3(&self) -> bool {
        self.byte(0) & field::RSV3 != 0
    }

    /// The raw four-bit opcode, reserved values included.
    pub fn opcode_bits(&self) -> u8 {
        self.byte(0) & field::OPCODE
    }

    /// The opcode, or `None` for a reserved value.
    pub fn opcode(&self) -> Option<Opcode> {
        Opcode::from_bits(self.opcode_bits())
    }

    /// MASK: a masking key follows the length.
    pub fn masked(&self) -> bool {
        self.byte(1) & field::MASK != 0
    }

    /// The seven-bit length field: the length itself, or 126/127 for the extended forms.
    pub fn len7(&self) -> u8 {
        self.byte(1) & field::LEN7
    }

    /// Bytes of extended length after the first two bytes: 0, 2 or 8.
    fn extended_len(&self) -> usize {
        match self.len7() {
            field::LEN16 => 2,
            field::LEN64 => 8,
            _ => 0,
        }
    }

    /// Header length: 2 to 14 bytes.
    pub fn header_len(&self) -> usize {
        2 + self.extended_len() + if self.masked() { 4 } else { 0 }
    }

    /// The payload length, from whichever form the header uses.
    pub fn payload_len(&self) -> u64 {
        let buf = self.buffer.as_ref();
        match self.len7() {
            field::LEN16 => u64::from(u16::from_be_bytes([buf[2], buf[3]])),
            field::LEN64 => {
                let mut be = [0u8; 8];
                be.copy_from_slice(&buf[2..10]);
                u64::from_be_bytes(be)
            }
            len => u64::from(len),
        }
    }

    /// The masking key, if the MASK bit is set.
    pub fn masking_key(&self) -> Option<[u8; 4]> {
        if !self.masked() {
            return None;
        }
        let start = 2 + self.extended_len();
        let mut key = [0u8; 4];
        key.copy_from_slice(&self.buffer.as_ref()[start..start + 4]);
        Some(key)
    }

    /// Header plus payload length.
    pub fn frame_len(&self) -> usize {
        self.header_len() + self.payload_len() as usize
    }

    /// The payload as it is in the buffer (still masked if the frame is).
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..self.frame_len()]
    }

    /// The validated header.
    pub fn header(&self) -> Result<FrameHeader, FrameError> {
        match FrameHeader::parse(self.buffer.as_ref())? {
            Decoded::Complete(header) => Ok(header),
            Decoded::Incomplete => Err(FrameError::Truncated),
        }
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Frame<T> {
    /// The payload, mutable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let range = self.header_len()..self.frame_len();
        &mut self.buffer.as_mut()[range]
    }

    /// Applies the masking key to the payload in place (a second call restores it).
    pub fn unmask_payload(&mut self) {
        if let Some(key) = self.masking_key() {
            apply_mask(self.payload_mut(), key, 0);
        }
    }
}

/// Outcome of [`FrameHeader::parse`] on the bytes received so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decoded {
    /// More bytes are needed, and none received so far is wrong.
    Incomplete,
    /// A complete, valid header; the payload starts at [`FrameHeader::header_len`].
    Complete(FrameHeader),
}

/// A valid frame header: only headers RFC 6455 allows (without extensions) can exist.
///
/// Control frames are final and at most 125 bytes long; lengths fit 63 bits.
/// Parsing rejects non-minimal length encodings, so `emit` reproduces the
/// parsed bytes exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameHeader {
    fin: bool,
    opcode: Opcode,
    payload_len: u64,
    mask: Option<[u8; 4]>,
}

impl FrameHeader {
    /// A header, checked against the control-frame and length rules.
    ///
    /// Server frames use `mask: None`; a key is for building client frames (tests, tools).
    pub const fn new(
        fin: bool,
        opcode: Opcode,
        payload_len: u64,
        mask: Option<[u8; 4]>,
    ) -> Result<FrameHeader, FrameError> {
        if opcode.is_control() {
            if !fin {
                return Err(FrameError::FragmentedControl);
            }
            if payload_len > MAX_CONTROL_PAYLOAD as u64 {
                return Err(FrameError::ControlTooLong);
            }
        }
        if payload_len > i64::MAX as u64 {
            return Err(FrameError::LengthOverflow);
        }
        Ok(FrameHeader { fin, opcode, payload_len, mask })
    }

    /// Parses a header at the start of `bytes` (the payload may follow, or not yet).
    ///
    /// Errors are reported as soon as the bytes present make them certain, so a
    /// prefix of a header is either `Incomplete` or the same error as the whole.
    pub fn parse(bytes: &[u8]) -> Result<Decoded, FrameError> {
        let Some(&b0) = bytes.first() else {
            return Ok(Decoded::Incomplete);
        };
        if b0 & field::RSV != 0 {
            return Err(FrameError::ReservedBits);
        }
        let bits = b0 & field::OPCODE;
        let opcode = Opcode::from_bits(bits).ok_or(FrameError::UnknownOpcode(bits))?;
        let fin = b0 & field::FIN != 0;
        if opcode.is_control() && !fin {
            return Err(FrameError::FragmentedControl);
        }
        let Some(&b1) = bytes.get(1) else {
            return Ok(Decoded::Incomplete);
        };
        let len7 = b1 & field::LEN7;
        if opcode.is_control() && usize::from(len7) > MAX_CONTROL_PAYLOAD {
            return Err(FrameError::ControlTooLong);
        }
        let (payload_len, len_end) = match len7 {
            field::LEN16 => {
                let Some(be) = array::<2>(bytes, 2) else {
                    return Ok(Decoded::Incomplete);
                };
                let len = u16::from_be_bytes(be);
                if len < u16::from(field::LEN16) {
                    return Err(FrameError::NonMinimalLength);
                }
                (u64::from(len), 4)
            }
            field::LEN64 => {
                // The high bit is known from the first length byte; say so before the rest arrives.
                if bytes.get(2).is_some_and(|&b| b & 0x80 != 0) {
                    return Err(FrameError::LengthOverflow);
                }
                let Some(be) = array::<8>(bytes, 2) else {
                    return Ok(Decoded::Incomplete);
                };
                let len = u64::from_be_bytes(be);
                if len <= u64::from(u16::MAX) {
                    return Err(FrameError::NonMinimalLength);
                }
                (len, 10)
            }
            len => (u64::from(len), 2),
        };
        let mask = if b1 & field::MASK != 0 {
            let Some(key) = array::<4>(bytes, len_end) else {
                return Ok(Decoded::Incomplete);
            };
            Some(key)
        } else {
            None
        };
        Ok(Decoded::Complete(FrameHeader { fin, opcode, payload_len, mask }))
    }

    /// Writes the header, in the shortest length form, and returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        let len = self.header_len();
        let out = buf.get_mut(..len).ok_or(EmitError::BufferTooSmall)?;
        out[0] = if self.fin { field::FIN } else { 0 } | self.opcode.bits();
        let mask_bit = if self.mask.is_some() { field::MASK } else { 0 };
        let len_end = match self.payload_len {
            n @ 0..=125 => {
                out[1] = mask_bit | n as u8;
                2
            }
            n @ 126..=0xffff => {
                out[1] = mask_bit | field::LEN16;
                out[2..4].copy_from_slice(&(n as u16).to_be_bytes());
                4
            }
            n => {
                out[1] = mask_bit | field::LEN64;
                out[2..10].copy_from_slice(&n.to_be_bytes());
                10
            }
        };
        if let Some(key) = self.mask {
            out[len_end..len_end + 4].copy_from_slice(&key);
        }
        Ok(len)
    }

    /// FIN: the final fragment of its message.
    pub const fn fin(&self) -> bool {
        self.fin
    }

    /// The opcode.
    pub const fn opcode(&self) -> Opcode {
        self.opcode
    }

    /// Payload length in bytes.
    pub const fn payload_len(&self) -> u64 {
        self.payload_len
    }

    /// The masking key (client frames); `None` for server frames.
    pub const fn mask(&self) -> Option<[u8; 4]> {
        self.mask
    }

    /// The encoded header length: 2 to [`MAX_HEADER_LEN`] bytes.
    pub const fn header_len(&self) -> usize {
        let len = match self.payload_len {
            0..=125 => 2,
            126..=0xffff => 4,
            _ => 10,
        };
        if self.mask.is_some() {
            len + 4
        } else {
            len
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(bytes: &[u8]) -> FrameHeader {
        match FrameHeader::parse(bytes) {
            Ok(Decoded::Complete(h)) => h,
            other => panic!("{bytes:02x?}: {other:?}"),
        }
    }

    #[test]
    fn rfc_examples() {
        // RFC 6455 §5.7: unmasked and masked "Hello", ping, 256- and 64 KiB binary headers.
        let h = complete(b"\x81\x05Hello");
        assert_eq!(h, FrameHeader::new(true, Opcode::Text, 5, None).unwrap());
        assert_eq!(h.header_len(), 2);
        let mut masked = *b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";
        let h = complete(&masked);
        assert_eq!(h.mask(), Some([0x37, 0xfa, 0x21, 0x3d]));
        let mut frame = Frame::new_checked(&mut masked[..]).unwrap();
        frame.unmask_payload();
        assert_eq!(frame.payload(), b"Hello");
        assert_eq!(complete(b"\x89\x05Hello").opcode(), Opcode::Ping);
        assert_eq!(complete(b"\x82\x7e\x01\x00").payload_len(), 256);
        let h = complete(b"\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00");
        assert_eq!(h.payload_len(), 65536);
        assert_eq!(h.header_len(), 10);
    }

    #[test]
    fn emit_round_trips_and_picks_the_shortest_form() {
        for (len, header_len) in [(0u64, 2), (125, 2), (126, 4), (0xffff, 4), (0x1_0000, 10), (i64::MAX as u64, 10)] {
            for mask in [None, Some([1, 2, 3, 4])] {
                let h = FrameHeader::new(false, Opcode::Binary, len, mask).unwrap();
                let mut buf = [0u8; MAX_HEADER_LEN];
                let n = h.emit(&mut buf).unwrap();
                let extra = if mask.is_some() { 4 } else { 0 };
                assert_eq!(n, header_len + extra);
                assert_eq!(complete(&buf[..n]), h);
                for short in 0..n {
                    assert_eq!(h.emit(&mut buf[..short]), Err(EmitError::BufferTooSmall));
                    assert_eq!(FrameHeader::parse(&buf[..short]), Ok(Decoded::Incomplete));
                }
            }
        }
    }

    #[test]
    fn constructor_rules() {
        assert_eq!(FrameHeader::new(false, Opcode::Ping, 0, None), Err(FrameError::FragmentedControl));
        assert_eq!(FrameHeader::new(true, Opcode::Close, 126, None), Err(FrameError::ControlTooLong));
        assert_eq!(FrameHeader::new(true, Opcode::Binary, 1 << 63, None), Err(FrameError::LengthOverflow));
        assert!(FrameHeader::new(true, Opcode::Pong, 125, None).is_ok());
    }

    #[test]
    fn view_accessors() {
        let buf = *b"\xf3\xfe\x01\x00\xaa\xbb\xcc\xdd";
        let f = Frame::new_unchecked(&buf[..]);
        assert!(f.fin() && f.rsv1() && f.rsv2() && f.rsv3());
        assert_eq!(f.opcode_bits(), 3);
        assert_eq!(f.opcode(), None);
        assert!(f.masked());
        assert_eq!(f.len7(), 126);
        assert_eq!(f.payload_len(), 256);
        assert_eq!(f.header_len(), 8);
        assert_eq!(f.masking_key(), Some([0xaa, 0xbb, 0xcc, 0xdd]));
        assert_eq!(f.check_len(), Err(FrameError::Truncated));
        assert_eq!(f.header(), Err(FrameError::ReservedBits));
        assert_eq!(Frame::new_checked(&b"\x81"[..]), Err(FrameError::Truncated));
        assert_eq!(Frame::new_checked(&b"\x81\x02a"[..]), Err(FrameError::Truncated));
        let f = Frame::new_checked(&b"\x82\x02abXYZ"[..]).unwrap();
        assert_eq!(f.payload(), b"ab");
        assert_eq!(f.frame_len(), 4);
        assert_eq!(f.masking_key(), None);
        assert_eq!(f.into_inner(), b"\x82\x02abXYZ");
    }

    #[test]
    fn mask_offsets_compose() {
        let key = [0x11, 0x22, 0x33, 0x44];
        let data = *b"abcdefghijk";
        let mut whole = data;
        apply_mask(&mut whole, key, 0);
        for cut in 0..data.len() {
            let mut pieces = data;
            let (a, b) = pieces.split_at_mut(cut);
            apply_mask(a, key, 0);
            apply_mask(b, key, cut);
            assert_eq!(pieces, whole, "{cut}");
        }
        apply_mask(&mut whole, key, 0);
        assert_eq!(whole, data);
    }
}
