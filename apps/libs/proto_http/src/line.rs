//! Line scanning shared by the request line and field lines, with per-byte limit checks.

/// Request lines are ASCII without controls; HTAB is not a separator here.
pub(crate) fn is_request_line_byte(b: u8) -> bool {
    (0x20..0x7f).contains(&b)
}

/// Field lines allow HTAB and obs-text, but no other controls and no DEL.
pub(crate) fn is_field_byte(b: u8) -> bool {
    b == b'\t' || (0x20..0x7f).contains(&b) || b >= 0x80
}

/// A complete line: content is `start..end`, the next line starts at `next`.
pub(crate) struct Line {
    pub(crate) end: usize,
    pub(crate) next: usize,
}

/// Why a line was refused; the caller maps it to a status.
pub(crate) enum LineError {
    TooLong,
    Invalid,
}

/// Finds the line starting at `start`, ended by CRLF or bare LF (RFC 9112 §2.2).
///
/// Content may be at most `budget - reserve` bytes. Both conditions are checked
/// byte by byte, in order, so a prefix fails exactly as the whole line would.
pub(crate) fn scan_line(
    buf: &[u8],
    start: usize,
    budget: usize,
    reserve: usize,
    allowed: fn(u8) -> bool,
) -> Result<Option<Line>, LineError> {
    let mut i = start;
    while let Some(&b) = buf.get(i) {
        match b {
            b'\n' => return Ok(Some(Line { end: i, next: i + 1 })),
            b'\r' => {
                return match buf.get(i + 1) {
                    None => Ok(None),
                    Some(b'\n') => Ok(Some(Line { end: i, next: i + 2 })),
                    // A bare CR could smuggle a line break past a lenient intermediary.
                    Some(_) => Err(LineError::Invalid),
                };
            }
            _ => {
                if i - start + 1 + reserve > budget {
                    return Err(LineError::TooLong);
                }
                if !allowed(b) {
                    return Err(LineError::Invalid);
                }
            }
        }
        i += 1;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_line_reports_in_order() {
        assert!(matches!(scan_line(b"abc", 0, 3, 0, is_request_line_byte), Ok(None)));
        assert!(matches!(scan_line(b"abcd", 0, 3, 0, is_request_line_byte), Err(LineError::TooLong)));
        assert!(matches!(scan_line(b"abc\r\n", 0, 3, 0, is_request_line_byte), Ok(Some(Line { end: 3, next: 5 }))));
        assert!(matches!(scan_line(b"a\0", 0, 1, 0, is_request_line_byte), Err(LineError::TooLong)));
        assert!(matches!(scan_line(b"a\0", 0, 2, 0, is_request_line_byte), Err(LineError::Invalid)));
        assert!(matches!(scan_line(b"xx\n", 2, 0, 2, is_field_byte), Ok(Some(Line { end: 2, next: 3 }))));
    }
}
