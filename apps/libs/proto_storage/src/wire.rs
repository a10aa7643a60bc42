//! Bounds-checked little-endian readers and writers shared by every message.

use crate::{DecodeError, EncodeError};

/// Reads fields front to back; every read is checked against the end.
#[derive(Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(n).ok_or(DecodeError::Truncated)?;
        let out = self.buf.get(self.pos..end).ok_or(DecodeError::Truncated)?;
        self.pos = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// A `u16` length followed by that many bytes.
    pub(crate) fn blob16(&mut self) -> Result<&'a [u8], DecodeError> {
        let len = self.u16()?;
        self.bytes(usize::from(len))
    }

    /// File data: a `u16` length, two zero bytes, that many bytes (see
    /// [`Writer::data16`]).
    pub(crate) fn data16(&mut self) -> Result<&'a [u8], DecodeError> {
        let len = self.u16()?;
        if self.u16()? != 0 {
            return Err(DecodeError::Invalid);
        }
        self.bytes(usize::from(len))
    }

    /// A `u16` length followed by that many bytes of UTF-8.
    pub(crate) fn str16(&mut self) -> Result<&'a str, DecodeError> {
        core::str::from_utf8(self.blob16()?).map_err(|_| DecodeError::Invalid)
    }

    /// Everything not read yet.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let out = self.buf.get(self.pos..).unwrap_or(&[]);
        self.pos = self.buf.len();
        out
    }

    /// Succeeds only if every byte was consumed: one encoding per value.
    pub(crate) fn finish(&self) -> Result<(), DecodeError> {
        if self.pos == self.buf.len() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes)
        }
    }
}

/// Writes fields front to back; fails instead of writing past the end.
pub(crate) struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> Writer<'a> {
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Writer { buf, pos: 0 }
    }

    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Moves back to `pos` (never forward) to rewrite fields.
    pub(crate) fn rewind(&mut self, pos: usize) {
        self.pos = self.pos.min(pos);
    }

    pub(crate) fn bytes(&mut self, data: &[u8]) -> Result<(), EncodeError> {
        let end = self.pos.checked_add(data.len()).ok_or(EncodeError::BufferTooSmall)?;
        let dst = self.buf.get_mut(self.pos..end).ok_or(EncodeError::BufferTooSmall)?;
        dst.copy_from_slice(data);
        self.pos = end;
        Ok(())
    }

    pub(crate) fn u8(&mut self, v: u8) -> Result<(), EncodeError> {
        self.bytes(&[v])
    }

    pub(crate) fn u16(&mut self, v: u16) -> Result<(), EncodeError> {
        self.bytes(&v.to_le_bytes())
    }

    pub(crate) fn u32(&mut self, v: u32) -> Result<(), EncodeError> {
        self.bytes(&v.to_le_bytes())
    }

    pub(crate) fn u64(&mut self, v: u64) -> Result<(), EncodeError> {
        self.bytes(&v.to_le_bytes())
    }

    pub(crate) fn blob16(&mut self, data: &[u8]) -> Result<(), EncodeError> {
        let len = u16::try_from(data.len()).map_err(|_| EncodeError::TooLong)?;
        self.u16(len)?;
        self.bytes(data)
    }
}

impl Writer<'_> {
    /// File data: a `u16` length and two zero bytes before it, so the data
    /// of a `Write` request (at 12) and a `Data` reply (at 8) start on a
    /// 4-byte boundary of a word-aligned buffer: the copies into and out of
    /// the message then run a word at a time.
    pub(crate) fn data16(&mut self, data: &[u8]) -> Result<(), EncodeError> {
        let len = u16::try_from(data.len()).map_err(|_| EncodeError::TooLong)?;
        self.u16(len)?;
        self.u16(0)?;
        self.bytes(data)
    }
}

/// Length of a [`Writer::data16`] field.
pub(crate) const fn data16_len(len: usize) -> usize {
    4 + len
}

/// Length of a `u16`-prefixed field.
pub(crate) const fn blob16_len(len: usize) -> usize {
    2 + len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_never_reads_past_the_end() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.u16(), Ok(0x0201));
        assert_eq!(r.u16(), Err(DecodeError::Truncated));
        assert_eq!(r.u8(), Ok(3));
        assert_eq!(r.u8(), Err(DecodeError::Truncated));
        assert_eq!(r.bytes(usize::MAX), Err(DecodeError::Truncated));
        assert_eq!(r.finish(), Ok(()));

        let mut r = Reader::new(&[5, 0, b'a']);
        assert_eq!(r.str16(), Err(DecodeError::Truncated));
        let mut r = Reader::new(&[2, 0, 0xff, 0xfe]);
        assert_eq!(r.str16(), Err(DecodeError::Invalid));
    }

    #[test]
    fn writer_never_writes_past_the_end() {
        let mut buf = [0u8; 5];
        let mut w = Writer::new(&mut buf);
        assert_eq!(w.u32(0x0403_0201), Ok(()));
        assert_eq!(w.u16(7), Err(EncodeError::BufferTooSmall));
        assert_eq!(w.u8(5), Ok(()));
        assert_eq!(w.position(), 5);
        assert_eq!(w.remaining(), 0);
        w.rewind(1);
        assert_eq!(w.u8(9), Ok(()));
        assert_eq!(buf, [1, 9, 3, 4, 5]);
    }
}
