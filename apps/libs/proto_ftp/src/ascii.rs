// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! `TYPE A`: text crosses the network with CRLF line ends (RFC 959
//! §3.1.1.1) and is kept on the volume with LF, as on the Unix servers
//! clients expect; converted in place as the data streams through.
//!
//! - RETR: a bare LF becomes CRLF; a CRLF already in the file stays one, so
//!   a file written with CRLF is not doubled up.
//! - STOR: CRLF becomes LF; a CR not followed by LF stays.
//!
//! Both directions keep what they need across chunk boundaries, so the
//! result never depends on how the data was split.

const CR: u8 = b'\r';
const LF: u8 = b'\n';

/// RETR: LF to CRLF, one chunk after the other.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ToNetwork {
    /// The previous chunk ended with CR (an LF starting this one is not bare).
    last_cr: bool,
}

impl ToNetwork {
    /// A converter at the start of a file.
    pub const fn new() -> Self {
        ToNetwork { last_cr: false }
    }

    /// Most input bytes that always fit a buffer of `capacity` once converted.
    pub const fn max_input(capacity: usize) -> usize {
        capacity / 2
    }

    /// Converts `buf[..len]` in place and returns the converted length, or
    /// `None` (nothing changed) if `buf` cannot hold it; reading at most
    /// [`max_input`](Self::max_input) bytes guarantees it can.
    pub fn convert(&mut self, buf: &mut [u8], len: usize) -> Option<usize> {
        let data = buf.get(..len)?;
        let mut prev_cr = self.last_cr;
        let mut bare = 0;
        for &b in data {
            bare += usize::from(b == LF && !prev_cr);
            prev_cr = b == CR;
        }
        let out = len + bare;
        if out > buf.len() {
            return None;
        }
        let ends_cr = len > 0 && buf[len - 1] == CR;
        // Back to front: byte i lands at i + (bare LFs before it) >= i, so
        // nothing is overwritten before it was read.
        let mut w = out;
        for i in (0..len).rev() {
            let b = buf[i];
            w -= 1;
            buf[w] = b;
            let before_cr = if i == 0 { self.last_cr } else { buf[i - 1] == CR };
            if b == LF && !before_cr {
                w -= 1;
                buf[w] = CR;
            }
        }
        if len > 0 {
            self.last_cr = ends_cr;
        }
        Some(out)
    }
}

/// STOR: CRLF to LF in `buf[..len]`, in place. Returns `(ready, carried)`:
/// `buf[..ready]` is converted; unless `end`, a CR at the very end may
/// start a CRLF split across chunks, so it is not converted yet but left at
/// `buf[ready]` (`carried` = 1), to be put at the front of the next chunk.
pub fn from_network(buf: &mut [u8], len: usize, end: bool) -> (usize, usize) {
    let len = len.min(buf.len());
    let (mut r, mut w) = (0, 0);
    while r < len {
        let b = buf[r];
        if b == CR {
            match buf[..len].get(r + 1) {
                Some(&LF) => {
                    buf[w] = LF;
                    r += 2;
                    w += 1;
                    continue;
                }
                None if !end => {
                    buf[w] = CR;
                    return (w, 1);
                }
                _ => {}
            }
        }
        buf[w] = b;
        r += 1;
        w += 1;
    }
    (w, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to_net(chunks: &[&[u8]]) -> Vec<u8> {
        let mut conv = ToNetwork::new();
        let mut out = Vec::new();
        for c in chunks {
            let mut buf = vec![0u8; 2 * c.len()];
            buf[..c.len()].copy_from_slice(c);
            let n = conv.convert(&mut buf, c.len()).unwrap();
            out.extend_from_slice(&buf[..n]);
        }
        out
    }

    fn from_net(chunks: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut held: Vec<u8> = Vec::new();
        for (i, c) in chunks.iter().enumerate() {
            let mut buf = held.clone();
            buf.extend_from_slice(c);
            let len = buf.len();
            let (ready, carried) = from_network(&mut buf, len, i + 1 == chunks.len());
            out.extend_from_slice(&buf[..ready]);
            held = buf[ready..ready + carried].to_vec();
        }
        assert!(held.is_empty());
        out
    }

    #[test]
    fn lf_becomes_crlf_and_crlf_stays() {
        assert_eq!(to_net(&[b"a\nb\r\nc\n\n"]), b"a\r\nb\r\nc\r\n\r\n");
        assert_eq!(to_net(&[b"\n"]), b"\r\n");
        assert_eq!(to_net(&[b"lone\rcr"]), b"lone\rcr");
        // A CRLF split across chunks is not doubled.
        assert_eq!(to_net(&[b"a\r", b"\nb"]), b"a\r\nb");
        assert_eq!(to_net(&[b"a", b"\n", b"", b"\n"]), b"a\r\n\r\n");
    }

    #[test]
    fn no_room_changes_nothing() {
        let mut conv = ToNetwork::new();
        let mut buf = *b"\n\n\n";
        assert_eq!(conv.convert(&mut buf, 3), None);
        assert_eq!(&buf, b"\n\n\n");
        assert_eq!(conv.convert(&mut buf, 4), None);
        assert_eq!(ToNetwork::max_input(4096), 2048);
    }

    #[test]
    fn crlf_becomes_lf() {
        assert_eq!(from_net(&[b"a\r\nb\r\n"]), b"a\nb\n");
        assert_eq!(from_net(&[b"a\r", b"\nb"]), b"a\nb");
        assert_eq!(from_net(&[b"a\r", b"b"]), b"a\rb");
        assert_eq!(from_net(&[b"a\r", b"\r", b"\n"]), b"a\r\n");
        assert_eq!(from_net(&[b"end\r"]), b"end\r");
        assert_eq!(from_net(&[b"\r\r\n\n"]), b"\r\n\n");
    }

    #[test]
    fn round_trip_of_lf_text_in_any_split() {
        let text = b"line one\nline two\n\nlast line without end";
        let net = to_net(&[text]);
        for cut in 0..=net.len() {
            assert_eq!(from_net(&[&net[..cut], &net[cut..]]), text, "cut at {cut}");
        }
        for cut in 0..=text.len() {
            assert_eq!(to_net(&[&text[..cut], &text[cut..]]), net, "cut at {cut}");
        }
    }
}
