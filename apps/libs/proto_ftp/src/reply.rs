//! Reply codes and control-connection reply formatting (RFC 959 §4.2).

use core::net::SocketAddrV4;

use crate::cursor::{Cursor, FormatError};
use crate::time::DateTime;
use crate::REPLY_CAPACITY;

/// A three-digit reply code (100-599).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Code(u16);

impl Code {
    /// 150 File status okay; about to open data connection.
    pub const OPENING_DATA: Code = Code(150);
    /// 200 Command okay.
    pub const OK: Code = Code(200);
    /// 202 Command not implemented, superfluous at this site.
    pub const SUPERFLUOUS: Code = Code(202);
    /// 211 System status, or system help reply (also FEAT).
    pub const SYSTEM_STATUS: Code = Code(211);
    /// 213 File status (SIZE, MDTM).
    pub const FILE_STATUS: Code = Code(213);
    /// 214 Help message.
    pub const HELP: Code = Code(214);
    /// 215 NAME system type.
    pub const SYSTEM_TYPE: Code = Code(215);
    /// 220 Service ready for new user.
    pub const SERVICE_READY: Code = Code(220);
    /// 221 Service closing control connection.
    pub const CLOSING: Code = Code(221);
    /// 225 Data connection open; no transfer in progress.
    pub const DATA_OPEN: Code = Code(225);
    /// 226 Closing data connection; requested file action successful.
    pub const TRANSFER_COMPLETE: Code = Code(226);
    /// 227 Entering Passive Mode.
    pub const PASSIVE: Code = Code(227);
    /// 229 Entering Extended Passive Mode (RFC 2428).
    pub const EXTENDED_PASSIVE: Code = Code(229);
    /// 230 User logged in, proceed.
    pub const LOGGED_IN: Code = Code(230);
    /// 250 Requested file action okay, completed.
    pub const FILE_ACTION_OK: Code = Code(250);
    /// 257 "PATHNAME" created / is current directory.
    pub const PATH_CREATED: Code = Code(257);
    /// 331 User name okay, need password.
    pub const NEED_PASSWORD: Code = Code(331);
    /// 350 Requested file action pending further information.
    pub const PENDING: Code = Code(350);
    /// 421 Service not available, closing control connection.
    pub const SERVICE_UNAVAILABLE: Code = Code(421);
    /// 425 Can't open data connection.
    pub const CANT_OPEN_DATA: Code = Code(425);
    /// 426 Connection closed; transfer aborted.
    pub const TRANSFER_ABORTED: Code = Code(426);
    /// 450 Requested file action not taken; file unavailable (busy).
    pub const FILE_BUSY: Code = Code(450);
    /// 451 Requested action aborted: local error in processing.
    pub const LOCAL_ERROR: Code = Code(451);
    /// 452 Requested action not taken; insufficient storage space.
    pub const INSUFFICIENT_STORAGE: Code = Code(452);
    /// 500 Syntax error, command unrecognized.
    pub const SYNTAX_ERROR: Code = Code(500);
    /// 501 Syntax error in parameters or arguments.
    pub const BAD_ARGUMENT: Code = Code(501);
    /// 502 Command not implemented.
    pub const NOT_IMPLEMENTED: Code = Code(502);
    /// 503 Bad sequence of commands.
    pub const BAD_SEQUENCE: Code = Code(503);
    /// 504 Command not implemented for that parameter.
    pub const BAD_PARAMETER: Code = Code(504);
    /// 522 Network protocol not supported (RFC 2428).
    pub const BAD_PROTOCOL: Code = Code(522);
    /// 530 Not logged in.
    pub const NOT_LOGGED_IN: Code = Code(530);
    /// 550 Requested action not taken; file unavailable.
    pub const FILE_UNAVAILABLE: Code = Code(550);
    /// 552 Requested file action aborted; exceeded storage allocation.
    pub const STORAGE_EXCEEDED: Code = Code(552);
    /// 553 Requested action not taken; file name not allowed.
    pub const BAD_FILE_NAME: Code = Code(553);

    /// A code in 100..=599, the only range RFC 959 defines.
    pub const fn new(code: u16) -> Option<Code> {
        if code >= 100 && code <= 599 {
            Some(Code(code))
        } else {
            None
        }
    }

    /// The numeric value.
    pub const fn get(self) -> u16 {
        self.0
    }

    /// The RFC 959 (or RFC 2428) text for the codes defined here, else `""`.
    pub const fn standard_text(self) -> &'static str {
        match self.0 {
            150 => "File status okay; about to open data connection.",
            200 => "Command okay.",
            202 => "Command not implemented, superfluous at this site.",
            211 => "System status.",
            213 => "File status.",
            214 => "Help message.",
            215 => "UNIX Type: L8",
            220 => "Service ready for new user.",
            221 => "Service closing control connection.",
            225 => "Data connection open; no transfer in progress.",
            226 => "Closing data connection.",
            227 => "Entering Passive Mode.",
            229 => "Entering Extended Passive Mode.",
            230 => "User logged in, proceed.",
            250 => "Requested file action okay, completed.",
            257 => "Pathname created.",
            331 => "User name okay, need password.",
            350 => "Requested file action pending further information.",
            421 => "Service not available, closing control connection.",
            425 => "Can't open data connection.",
            426 => "Connection closed; transfer aborted.",
            450 => "Requested file action not taken.",
            451 => "Requested action aborted: local error in processing.",
            452 => "Requested action not taken. Insufficient storage space in system.",
            500 => "Syntax error, command unrecognized.",
            501 => "Syntax error in parameters or arguments.",
            502 => "Command not implemented.",
            503 => "Bad sequence of commands.",
            504 => "Command not implemented for that parameter.",
            522 => "Network protocol not supported.",
            530 => "Not logged in.",
            550 => "Requested action not taken. File unavailable.",
            552 => "Requested file action aborted. Exceeded storage allocation.",
            553 => "Requested action not taken. File name not allowed.",
            _ => "",
        }
    }

    fn digits(self) -> [u8; 3] {
        let n = self.0;
        [b'0' + (n / 100) as u8, b'0' + (n / 10 % 10) as u8, b'0' + (n % 10) as u8]
    }
}

/// Writes `NNN<sep>` then `text` (one line, no control bytes) then CRLF.
pub(crate) fn put_line(c: &mut Cursor<'_>, code: Code, sep: u8, text: &str) -> Result<(), FormatError> {
    c.bytes(&code.digits())?;
    c.byte(sep)?;
    c.text(text)?;
    c.bytes(b"\r\n")
}

/// Formats a single-line reply `NNN text\r\n`; returns its length.
pub fn write_reply(out: &mut [u8], code: Code, text: &str) -> Result<usize, FormatError> {
    let mut c = Cursor::new(out);
    put_line(&mut c, code, b' ', text)?;
    Ok(c.len())
}

/// Builder for a multi-line reply (RFC 959 §4.2):
/// `NNN-first\r\n`, then ` line\r\n`..., then `NNN last\r\n`.
///
/// Middle lines are indented by one space so none can be mistaken for the end
/// line (RFC 959 asks for padding; RFC 2389 FEAT uses exactly this form).
pub struct MultiLine<'b> {
    cursor: Cursor<'b>,
    code: Code,
}

impl<'b> MultiLine<'b> {
    /// Starts the reply with its `NNN-first` line.
    pub fn begin(out: &'b mut [u8], code: Code, first: &str) -> Result<Self, FormatError> {
        let mut cursor = Cursor::new(out);
        put_line(&mut cursor, code, b'-', first)?;
        Ok(MultiLine { cursor, code })
    }

    /// Adds one indented middle line.
    pub fn line(&mut self, text: &str) -> Result<(), FormatError> {
        self.cursor.byte(b' ')?;
        self.cursor.text(text)?;
        self.cursor.bytes(b"\r\n")
    }

    /// Ends the reply with `NNN last`; returns the total length.
    pub fn end(mut self, last: &str) -> Result<usize, FormatError> {
        put_line(&mut self.cursor, self.code, b' ', last)?;
        Ok(self.cursor.len())
    }
}

/// `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2).`
pub fn write_pasv(out: &mut [u8], addr: SocketAddrV4) -> Result<usize, FormatError> {
    let mut c = Cursor::new(out);
    c.str("227 Entering Passive Mode (")?;
    for octet in addr.ip().octets() {
        c.dec(octet.into())?;
        c.byte(b',')?;
    }
    let [hi, lo] = addr.port().to_be_bytes();
    c.dec(hi.into())?;
    c.byte(b',')?;
    c.dec(lo.into())?;
    c.str(").\r\n")?;
    Ok(c.len())
}

/// `229 Entering Extended Passive Mode (|||port|)` (RFC 2428 §3).
pub fn write_epsv(out: &mut [u8], port: u16) -> Result<usize, FormatError> {
    let mut c = Cursor::new(out);
    c.str("229 Entering Extended Passive Mode (|||")?;
    c.dec(port.into())?;
    c.str("|)\r\n")?;
    Ok(c.len())
}

/// `NNN "path" text`, doubling every `"` inside the path (RFC 959 Appendix II).
pub fn write_quoted_path(out: &mut [u8], code: Code, path: &str, text: &str) -> Result<usize, FormatError> {
    let mut c = Cursor::new(out);
    c.bytes(&code.digits())?;
    c.str(" \"")?;
    for part in path.split('"').enumerate() {
        if part.0 > 0 {
            c.str("\"\"")?;
        }
        c.text(part.1)?;
    }
    c.str("\" ")?;
    c.text(text)?;
    c.bytes(b"\r\n")?;
    Ok(c.len())
}

/// `213 YYYYMMDDHHMMSS` (RFC 3659 §3).
pub fn write_mdtm(out: &mut [u8], time: &DateTime) -> Result<usize, FormatError> {
    let mut c = Cursor::new(out);
    c.str("213 ")?;
    put_time_val(&mut c, time)?;
    c.bytes(b"\r\n")?;
    Ok(c.len())
}

/// `213 size` (RFC 3659 §4).
pub fn write_size(out: &mut [u8], size: u64) -> Result<usize, FormatError> {
    let mut c = Cursor::new(out);
    c.str("213 ")?;
    c.dec(size)?;
    c.bytes(b"\r\n")?;
    Ok(c.len())
}

/// RFC 3659 time-val without fraction: `YYYYMMDDHHMMSS`.
pub(crate) fn put_time_val(c: &mut Cursor<'_>, t: &DateTime) -> Result<(), FormatError> {
    c.dec_pad(t.year().into(), 4, b'0')?;
    for part in [t.month(), t.day(), t.hour(), t.minute(), t.second()] {
        c.dec_pad(part.into(), 2, b'0')?;
    }
    Ok(())
}

/// Checks that `bytes` is a sequence of complete, well-formed replies.
///
/// Each line ends in CRLF and has no other CR/LF; a reply is either
/// `NNN text` or `NNN-text` ... `NNN text` with the same code, where middle
/// lines do not start with that code followed by a space.
pub fn is_well_formed(bytes: &[u8]) -> bool {
    let mut open: Option<[u8; 3]> = None;
    let mut rest = bytes;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let Some(end) = rest.windows(2).position(|w| w == b"\r\n") else {
            return false;
        };
        let line = &rest[..end];
        rest = &rest[end + 2..];
        if line.iter().any(|&b| b == b'\r' || b == b'\n') {
            return false;
        }
        let head = match line {
            [a, b, c, sep, ..] if [a, b, c].iter().all(|d| d.is_ascii_digit()) => Some(([*a, *b, *c], *sep)),
            [a, b, c] if [a, b, c].iter().all(|d| d.is_ascii_digit()) => Some(([*a, *b, *c], b' ')),
            _ => None,
        };
        match (open, head) {
            (None, Some((code, b'-'))) if (b'1'..=b'5').contains(&code[0]) => open = Some(code),
            (None, Some((code, b' '))) if (b'1'..=b'5').contains(&code[0]) => {}
            (None, _) => return false,
            (Some(code), Some((c, b' '))) if c == code => open = None,
            (Some(_), _) => {}
        }
    }
    open.is_none()
}

/// Fixed-size buffer the [`Session`](crate::Session) writes replies into.
///
/// Its size, [`REPLY_CAPACITY`], holds every reply the session can produce, so
/// a reply never has to be truncated.
#[derive(Clone)]
pub struct ReplyBuf {
    bytes: [u8; REPLY_CAPACITY],
    len: usize,
}

/// Sent instead of a reply that did not fit; unreachable by design (tested).
const FALLBACK: &str = "451 Reply too long.\r\n";

impl ReplyBuf {
    /// An empty buffer.
    pub const fn new() -> Self {
        ReplyBuf { bytes: [0; REPLY_CAPACITY], len: 0 }
    }

    /// The current reply text (possibly several replies in sequence).
    pub fn as_str(&self) -> &str {
        // Only `&str` pieces are written and the fallback replaces partial output.
        core::str::from_utf8(self.as_bytes()).unwrap_or(FALLBACK)
    }

    /// The current reply bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// Length of the current reply.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no reply is held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Replaces the content with a single-line reply.
    pub fn set(&mut self, code: Code, text: &str) -> &str {
        self.fill(|b| write_reply(b, code, text))
    }

    /// Replaces the content with what `write` produces, or the 451 fallback.
    pub(crate) fn fill(&mut self, write: impl FnOnce(&mut [u8]) -> Result<usize, FormatError>) -> &str {
        self.len = match write(&mut self.bytes) {
            Ok(n) => n,
            Err(_) => {
                self.bytes[..FALLBACK.len()].copy_from_slice(FALLBACK.as_bytes());
                FALLBACK.len()
            }
        };
        self.as_str()
    }
}

impl Default for ReplyBuf {
    fn default() -> Self {
        ReplyBuf::new()
    }
}

impl core::fmt::Debug for ReplyBuf {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::Ipv4Addr;

    fn s(buf: &[u8], n: usize) -> &str {
        core::str::from_utf8(&buf[..n]).unwrap()
    }

    #[test]
    fn single_line() {
        let mut buf = [0u8; 64];
        let n = write_reply(&mut buf, Code::OK, "Command okay.").unwrap();
        assert_eq!(s(&buf, n), "200 Command okay.\r\n");
        assert_eq!(write_reply(&mut buf, Code::OK, "a\r\n200 b"), Err(FormatError::InvalidText));
        let mut small = [0u8; 8];
        assert_eq!(write_reply(&mut small, Code::OK, "Command okay."), Err(FormatError::BufferTooSmall));
    }

    #[test]
    fn multi_line() {
        let mut buf = [0u8; 128];
        let mut m = MultiLine::begin(&mut buf, Code::SYSTEM_STATUS, "Features:").unwrap();
        m.line("EPSV").unwrap();
        m.line("211 looks like an end line").unwrap();
        let n = m.end("End").unwrap();
        let text = s(&buf, n);
        assert_eq!(text, "211-Features:\r\n EPSV\r\n 211 looks like an end line\r\n211 End\r\n");
        assert!(is_well_formed(text.as_bytes()));
        let mut small = [0u8; 20];
        let mut m = MultiLine::begin(&mut small, Code::HELP, "Help:").unwrap();
        assert_eq!(m.line("a very long line here"), Err(FormatError::BufferTooSmall));
    }

    #[test]
    fn passive_replies() {
        let mut buf = [0u8; 64];
        let addr = SocketAddrV4::new(Ipv4Addr::new(192, 168, 1, 20), 50_000);
        let n = write_pasv(&mut buf, addr).unwrap();
        assert_eq!(s(&buf, n), "227 Entering Passive Mode (192,168,1,20,195,80).\r\n");
        let n = write_pasv(&mut buf, SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 21)).unwrap();
        assert_eq!(s(&buf, n), "227 Entering Passive Mode (0,0,0,0,0,21).\r\n");
        let n = write_epsv(&mut buf, 50_000).unwrap();
        assert_eq!(s(&buf, n), "229 Entering Extended Passive Mode (|||50000|)\r\n");
        let n = write_epsv(&mut buf, 65_535).unwrap();
        assert_eq!(s(&buf, n), "229 Entering Extended Passive Mode (|||65535|)\r\n");
    }

    #[test]
    fn pwd_quoting() {
        let mut buf = [0u8; 64];
        let n = write_quoted_path(&mut buf, Code::PATH_CREATED, "/a \"b\"", "is the current directory.").unwrap();
        assert_eq!(s(&buf, n), "257 \"/a \"\"b\"\"\" is the current directory.\r\n");
        let n = write_quoted_path(&mut buf, Code::PATH_CREATED, "\"", "x").unwrap();
        assert_eq!(s(&buf, n), "257 \"\"\"\" x\r\n");
        let n = write_quoted_path(&mut buf, Code::PATH_CREATED, "/", "ok").unwrap();
        assert_eq!(s(&buf, n), "257 \"/\" ok\r\n");
        assert_eq!(write_quoted_path(&mut buf, Code::PATH_CREATED, "/a\nb", "x"), Err(FormatError::InvalidText));
    }

    #[test]
    fn file_status() {
        let mut buf = [0u8; 32];
        let t = DateTime::new(2024, 2, 9, 7, 5, 3).unwrap();
        let n = write_mdtm(&mut buf, &t).unwrap();
        assert_eq!(s(&buf, n), "213 20240209070503\r\n");
        let n = write_size(&mut buf, 1_234_567).unwrap();
        assert_eq!(s(&buf, n), "213 1234567\r\n");
    }

    #[test]
    fn codes() {
        assert_eq!(Code::new(99), None);
        assert_eq!(Code::new(600), None);
        assert_eq!(Code::new(226), Some(Code::TRANSFER_COMPLETE));
        assert_eq!(Code::BAD_FILE_NAME.get(), 553);
        assert_eq!(Code::new(150).unwrap().digits(), *b"150");
        assert_eq!(Code::NOT_LOGGED_IN.standard_text(), "Not logged in.");
        assert_eq!(Code::new(299).unwrap().standard_text(), "");
    }

    #[test]
    fn well_formedness_checker() {
        assert!(is_well_formed(b"200 ok\r\n"));
        assert!(is_well_formed(b"200\r\n"));
        assert!(is_well_formed(b"426 a\r\n226 b\r\n"));
        assert!(is_well_formed(b"211-a\r\n x\r\n211 end\r\n"));
        assert!(!is_well_formed(b""));
        assert!(!is_well_formed(b"200 ok\n"));
        assert!(!is_well_formed(b"200 ok"));
        assert!(!is_well_formed(b"20 ok\r\n"));
        assert!(!is_well_formed(b"600 ok\r\n"));
        assert!(!is_well_formed(b"200-open\r\n"));
        assert!(!is_well_formed(b"200-a\r\n201 b\r\n"));
        assert!(!is_well_formed(b"200 a\rb\r\n"));
        assert!(!is_well_formed(b"200xok\r\n"));
    }

    #[test]
    fn reply_buf_fallback() {
        let mut r = ReplyBuf::new();
        assert!(r.is_empty());
        assert_eq!(r.set(Code::OK, "fine"), "200 fine\r\n");
        assert_eq!(r.len(), 10);
        let huge = "x".repeat(REPLY_CAPACITY);
        assert_eq!(r.set(Code::OK, &huge), FALLBACK);
        assert_eq!(r.set(Code::OK, "a\nb"), FALLBACK);
        assert!(is_well_formed(r.as_bytes()));
    }
}
