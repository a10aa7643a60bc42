//! Bounded byte writer shared by all formatters; reports overflow instead of panicking.

/// Why formatting into a caller buffer failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatError {
    /// The output buffer is too small for the whole text.
    BufferTooSmall,
    /// The text contains a control byte (CR, LF, ...) that would break line framing.
    InvalidText,
}

/// Appends bytes to a slice and remembers how much is filled.
pub(crate) struct Cursor<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> Cursor<'b> {
    pub(crate) fn new(buf: &'b mut [u8]) -> Self {
        Cursor { buf, len: 0 }
    }

    /// Number of bytes written so far.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn bytes(&mut self, bytes: &[u8]) -> Result<(), FormatError> {
        let end = self.len + bytes.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(FormatError::BufferTooSmall)?;
        dst.copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }

    pub(crate) fn byte(&mut self, byte: u8) -> Result<(), FormatError> {
        self.bytes(&[byte])
    }

    pub(crate) fn str(&mut self, s: &str) -> Result<(), FormatError> {
        self.bytes(s.as_bytes())
    }

    /// Writes text that must stay on one line (no control bytes at all).
    pub(crate) fn text(&mut self, s: &str) -> Result<(), FormatError> {
        if s.bytes().any(is_control) {
            return Err(FormatError::InvalidText);
        }
        self.str(s)
    }

    /// Decimal, no padding.
    pub(crate) fn dec(&mut self, n: u64) -> Result<(), FormatError> {
        self.dec_pad(n, 0, b'0')
    }

    /// Decimal right-aligned in at least `width` columns filled with `pad`.
    pub(crate) fn dec_pad(&mut self, mut n: u64, width: usize, pad: u8) -> Result<(), FormatError> {
        // u64::MAX has 20 digits.
        let mut digits = [0u8; 20];
        let mut count = 0;
        loop {
            digits[count] = b'0' + (n % 10) as u8;
            count += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for _ in count..width {
            self.byte(pad)?;
        }
        for &d in digits[..count].iter().rev() {
            self.byte(d)?;
        }
        Ok(())
    }
}

/// C0 controls and DEL; none may appear inside a reply or listing line.
pub(crate) fn is_control(b: u8) -> bool {
    b < 0x20 || b == 0x7f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_and_padding() {
        let mut buf = [0u8; 64];
        let mut c = Cursor::new(&mut buf);
        c.dec(0).unwrap();
        c.byte(b'|').unwrap();
        c.dec(u64::MAX).unwrap();
        c.byte(b'|').unwrap();
        c.dec_pad(7, 3, b' ').unwrap();
        c.dec_pad(1234, 2, b'0').unwrap();
        let n = c.len();
        assert_eq!(&buf[..n], b"0|18446744073709551615|  71234");
    }

    #[test]
    fn overflow_is_reported_not_panicking() {
        let mut buf = [0u8; 3];
        let mut c = Cursor::new(&mut buf);
        assert_eq!(c.str("abcd"), Err(FormatError::BufferTooSmall));
        assert_eq!(c.len(), 0);
        c.str("abc").unwrap();
        assert_eq!(c.byte(b'x'), Err(FormatError::BufferTooSmall));
        assert_eq!(c.dec(5), Err(FormatError::BufferTooSmall));
    }

    #[test]
    fn text_rejects_controls() {
        let mut buf = [0u8; 16];
        let mut c = Cursor::new(&mut buf);
        assert_eq!(c.text("a\r\nb"), Err(FormatError::InvalidText));
        assert_eq!(c.text("a\x7f"), Err(FormatError::InvalidText));
        c.text("ok é").unwrap();
    }
}
