//! Control-connection line framing with Telnet command stripping (RFC 959 §4.1, RFC 854).

use crate::MAX_LINE;

/// Telnet "interpret as command" escape.
const IAC: u8 = 255;
/// WILL, WONT, DO, DONT: the only Telnet commands followed by an option byte.
const NEGOTIATION: core::ops::RangeInclusive<u8> = 251..=254;

/// Where the Telnet decoder is inside a byte stream; survives segment boundaries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Telnet {
    Data,
    /// Just saw IAC.
    Command,
    /// Saw IAC WILL/WONT/DO/DONT; the next byte is the option code.
    Option,
}

/// What the last [`LineBuffer::feed`] produced.
#[derive(Debug, PartialEq, Eq)]
pub enum Feed<'a> {
    /// All input consumed without finding a line end.
    NeedMore,
    /// One complete line, terminator and Telnet commands removed.
    Line(&'a [u8]),
    /// A line longer than [`MAX_LINE`] ended; it was discarded (reply 500).
    TooLong,
}

/// Accumulates control-connection bytes into lines of at most [`MAX_LINE`] bytes.
///
/// Telnet commands are stripped rather than rejected: clients send
/// `IAC IP IAC DM ABOR` to interrupt transfers, and option negotiation is
/// silently ignored (we never agree to any option). `IAC IAC` becomes a literal
/// 0xFF byte, which is never valid UTF-8 and so ends up refused with 501 if it
/// reaches a path.
#[derive(Clone)]
pub struct LineBuffer {
    /// Line bytes without the final LF; the CR (if any) is kept until the LF arrives.
    buf: [u8; MAX_LINE - 1],
    len: usize,
    telnet: Telnet,
    /// The current line outgrew the buffer; discard until LF.
    overflow: bool,
    /// The previous `feed` returned a line that must be cleared first.
    complete: bool,
}

impl LineBuffer {
    /// An empty buffer.
    pub const fn new() -> Self {
        LineBuffer { buf: [0; MAX_LINE - 1], len: 0, telnet: Telnet::Data, overflow: false, complete: false }
    }

    /// Consumes `input` up to and including the first LF.
    ///
    /// Returns how many bytes were consumed and whether a line is ready; call
    /// again with the rest. A line returned by the previous call is forgotten.
    pub fn feed(&mut self, input: &[u8]) -> (usize, Feed<'_>) {
        if self.complete {
            self.len = 0;
            self.overflow = false;
            self.complete = false;
        }
        for (i, &b) in input.iter().enumerate() {
            match self.telnet {
                Telnet::Data if b == IAC => {
                    self.telnet = Telnet::Command;
                    continue;
                }
                Telnet::Data => {}
                Telnet::Command => {
                    self.telnet = if NEGOTIATION.contains(&b) { Telnet::Option } else { Telnet::Data };
                    if b != IAC {
                        // IP, DM, AYT, ... carry no data.
                        continue;
                    }
                }
                Telnet::Option => {
                    self.telnet = Telnet::Data;
                    continue;
                }
            }
            if b == b'\n' {
                self.complete = true;
                let feed = if self.overflow {
                    Feed::TooLong
                } else {
                    let end = if self.len > 0 && self.buf[self.len - 1] == b'\r' { self.len - 1 } else { self.len };
                    Feed::Line(&self.buf[..end])
                };
                return (i + 1, feed);
            }
            match self.buf.get_mut(self.len) {
                Some(slot) => {
                    *slot = b;
                    self.len += 1;
                }
                None => self.overflow = true,
            }
        }
        (input.len(), Feed::NeedMore)
    }

    /// Drops any partial line and Telnet state (e.g. after a reconnect).
    pub fn reset(&mut self) {
        *self = LineBuffer::new();
    }
}

impl Default for LineBuffer {
    fn default() -> Self {
        LineBuffer::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds everything, collecting each line (or `None` for too-long).
    fn lines(lb: &mut LineBuffer, mut input: &[u8]) -> Vec<Option<Vec<u8>>> {
        let mut got = Vec::new();
        while !input.is_empty() {
            let (n, feed) = lb.feed(input);
            assert!(n > 0 && n <= input.len());
            match feed {
                Feed::NeedMore => assert_eq!(n, input.len()),
                Feed::Line(l) => got.push(Some(l.to_vec())),
                Feed::TooLong => got.push(None),
            }
            input = &input[n..];
        }
        got
    }

    #[test]
    fn crlf_and_lf_lines() {
        let mut lb = LineBuffer::new();
        let got = lines(&mut lb, b"USER a\r\nPASS b\nNOOP\r\n\r\n");
        let want: Vec<Option<Vec<u8>>> =
            vec![Some(b"USER a".to_vec()), Some(b"PASS b".to_vec()), Some(b"NOOP".to_vec()), Some(b"".to_vec())];
        assert_eq!(got, want);
    }

    #[test]
    fn split_across_segments() {
        let mut lb = LineBuffer::new();
        assert_eq!(lb.feed(b"RE"), (2, Feed::NeedMore));
        assert_eq!(lb.feed(b"TR a b\r"), (7, Feed::NeedMore));
        assert_eq!(lb.feed(b"\nNO"), (1, Feed::Line(b"RETR a b")));
        assert_eq!(lb.feed(b"NO"), (2, Feed::NeedMore));
        assert_eq!(lb.feed(b"OP\n"), (3, Feed::Line(b"NOOP")));
    }

    #[test]
    fn telnet_commands_are_stripped() {
        let mut lb = LineBuffer::new();
        // IAC IP IAC DM ABOR, as sent by clients to interrupt a transfer.
        let got = lines(&mut lb, b"\xff\xf4\xff\xf2ABOR\r\n");
        assert_eq!(got, vec![Some(b"ABOR".to_vec())]);
        // Negotiation with its option byte, split across segments.
        assert_eq!(lb.feed(b"NO\xff"), (3, Feed::NeedMore));
        assert_eq!(lb.feed(b"\xfd"), (1, Feed::NeedMore));
        assert_eq!(lb.feed(b"\x01OP\r\n"), (5, Feed::Line(b"NOOP")));
        // IAC IAC is a literal 0xFF data byte.
        assert_eq!(lines(&mut lb, b"RETR \xff\xffx\n"), vec![Some(b"RETR \xffx".to_vec())]);
        // An option byte equal to LF is swallowed, not taken as a line end.
        assert_eq!(lb.feed(b"\xff\xfb\nQUIT\n"), (8, Feed::Line(b"QUIT")));
    }

    #[test]
    fn over_long_line_is_discarded_until_lf() {
        let mut lb = LineBuffer::new();
        let mut input = vec![b'a'; MAX_LINE * 3];
        input.extend_from_slice(b"\r\nNOOP\r\n");
        let got = lines(&mut lb, &input);
        assert_eq!(got, vec![None, Some(b"NOOP".to_vec())]);
    }

    #[test]
    fn exact_limit_crlf_included() {
        let mut lb = LineBuffer::new();
        let mut ok = vec![b'x'; MAX_LINE - 2];
        ok.extend_from_slice(b"\r\n");
        assert_eq!(lines(&mut lb, &ok), vec![Some(vec![b'x'; MAX_LINE - 2])]);
        let mut long = vec![b'x'; MAX_LINE - 1];
        long.extend_from_slice(b"\r\n");
        assert_eq!(lines(&mut lb, &long), vec![None]);
        // LF-only: the content may use the CR's byte.
        let mut lf = vec![b'x'; MAX_LINE - 1];
        lf.push(b'\n');
        assert_eq!(lines(&mut lb, &lf), vec![Some(vec![b'x'; MAX_LINE - 1])]);
    }

    #[test]
    fn reset_drops_partial_state() {
        let mut lb = LineBuffer::default();
        assert_eq!(lb.feed(b"JUNK\xff"), (5, Feed::NeedMore));
        lb.reset();
        // Without the reset the pending IAC would swallow the 'N'.
        assert_eq!(lb.feed(b"NOOP\n"), (5, Feed::Line(b"NOOP")));
    }
}
