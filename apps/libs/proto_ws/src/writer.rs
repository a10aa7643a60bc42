//! A bounded cursor over a caller-provided output buffer.

use crate::error::EmitError;

/// Appends bytes to a borrowed buffer, failing instead of truncating.
pub(crate) struct Writer<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> Writer<'a> {
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Writer { buf, len: 0 }
    }

    /// Bytes written so far.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn bytes(&mut self, data: &[u8]) -> Result<(), EmitError> {
        let end = self.len.checked_add(data.len()).ok_or(EmitError::BufferTooSmall)?;
        self.buf.get_mut(self.len..end).ok_or(EmitError::BufferTooSmall)?.copy_from_slice(data);
        self.len = end;
        Ok(())
    }

    pub(crate) fn str(&mut self, s: &str) -> Result<(), EmitError> {
        self.bytes(s.as_bytes())
    }

    /// Writes `n` in decimal without going through `core::fmt` (smaller code).
    pub(crate) fn decimal(&mut self, mut n: u64) -> Result<(), EmitError> {
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.bytes(&digits[start..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_until_full() {
        let mut buf = [0u8; 8];
        let mut w = Writer::new(&mut buf);
        w.str("abc").unwrap();
        w.decimal(0).unwrap();
        w.decimal(1234).unwrap();
        assert_eq!(w.len(), 8);
        assert_eq!(w.bytes(b"x"), Err(EmitError::BufferTooSmall));
        assert_eq!(w.bytes(b""), Ok(()));
        assert_eq!(&buf, b"abc01234");
    }
}
