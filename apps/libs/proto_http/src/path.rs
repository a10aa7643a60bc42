//! Percent-decoding and dot-segment normalization of request paths.

use crate::error::{BadRequest, Error};
use crate::mime::Mime;

/// A decoded, normalized absolute path that is safe to hand to the file service.
///
/// Invariants (only [`normalize`] builds it): starts with `/`; valid UTF-8; no
/// empty, `.` or `..` segments (only a trailing `/`); no control characters,
/// no backslash. A trailing `/` is kept, so the server can tell directories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NormalizedPath<'a>(&'a str);

impl<'a> NormalizedPath<'a> {
    /// The path as text.
    pub fn as_str(&self) -> &'a str {
        self.0
    }

    /// The path as bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0.as_bytes()
    }

    /// Whether the path names a directory (ends with `/`, including the root).
    pub fn is_dir(&self) -> bool {
        self.0.ends_with('/')
    }

    /// The last segment; empty for a directory.
    pub fn file_name(&self) -> &'a str {
        self.0.rsplit('/').next().unwrap_or("")
    }

    /// The text after the last `.` of the file name, unless that dot starts the name.
    pub fn extension(&self) -> Option<&'a str> {
        let name = self.file_name();
        match name.rfind('.') {
            Some(dot) if dot > 0 => Some(&name[dot + 1..]),
            _ => None,
        }
    }

    /// The content type implied by the extension.
    pub fn mime(&self) -> Mime {
        self.extension().map_or(Mime::OctetStream, Mime::from_extension)
    }

    /// The non-empty segments, in order.
    pub fn segments(&self) -> impl Iterator<Item = &'a str> {
        self.0.split('/').filter(|s| !s.is_empty())
    }
}

impl AsRef<str> for NormalizedPath<'_> {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl core::fmt::Display for NormalizedPath<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.0)
    }
}

/// Percent-decodes `raw` (a request path starting with `/`) into `out` and
/// resolves `.`, `..` and empty segments (RFC 3986 §5.2.4).
///
/// Each segment is decoded exactly once, then interpreted: `%2e%2e` is `..`,
/// while `%252e` stays the literal name `%2e`. Rejected with 400:
/// a missing leading `/`; `%` without two hex digits; a decoded NUL or other
/// control character; `%2F` (an encoded slash); a backslash, raw or `%5C`;
/// invalid UTF-8; and a `..` that would climb above the root, which is an
/// attack and is reported rather than clamped. 414 when `out` is too small.
pub fn normalize<'o>(raw: &[u8], out: &'o mut [u8]) -> Result<NormalizedPath<'o>, Error> {
    let rest = raw.strip_prefix(b"/").ok_or(Error::BadRequest(BadRequest::Target))?;
    let mut w = Output { buf: out, len: 0 };
    w.push(b'/')?;
    let mut segments = rest.split(|&b| b == b'/').peekable();
    while let Some(segment) = segments.next() {
        let is_last = segments.peek().is_none();
        // Invariant: the output so far ends with '/'.
        let start = w.len;
        decode_segment(segment, &mut w)?;
        match &w.buf[start..w.len] {
            // Empty segments collapse; the trailing '/' is already there.
            b"" => {}
            b"." => w.len = start,
            b".." => {
                if start == 1 {
                    return Err(BadRequest::Traversal.into());
                }
                // Drop the previous segment: back to just after the '/' preceding it.
                let parent = w.buf[..start - 1].iter().rposition(|&b| b == b'/').map_or(1, |slash| slash + 1);
                w.len = parent;
            }
            _ if is_last => {}
            _ => w.push(b'/')?,
        }
    }
    let len = w.len;
    let text = core::str::from_utf8(&out[..len]).map_err(|_| BadRequest::InvalidUtf8)?;
    Ok(NormalizedPath(text))
}

/// Decodes one segment's percent-escapes into `w`, rejecting the bytes that are never safe.
fn decode_segment(segment: &[u8], w: &mut Output<'_>) -> Result<(), Error> {
    let mut i = 0;
    while let Some(&b) = segment.get(i) {
        let byte = if b == b'%' {
            let hi = segment.get(i + 1).copied().and_then(hex_value);
            let lo = segment.get(i + 2).copied().and_then(hex_value);
            let (Some(hi), Some(lo)) = (hi, lo) else {
                return Err(BadRequest::PercentEncoding.into());
            };
            i += 3;
            let decoded = hi << 4 | lo;
            // FAT names cannot hold '/', and as a separator it would let `..%2f` escape checks.
            if decoded == b'/' {
                return Err(BadRequest::EncodedSlash.into());
            }
            decoded
        } else {
            i += 1;
            b
        };
        if byte == b'\\' {
            return Err(BadRequest::Backslash.into());
        }
        if byte < 0x20 || byte == 0x7f {
            return Err(BadRequest::ControlChar.into());
        }
        w.push(byte)?;
    }
    Ok(())
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// A bounded writer whose overflow means the path is too long (414).
struct Output<'o> {
    buf: &'o mut [u8],
    len: usize,
}

impl Output<'_> {
    fn push(&mut self, b: u8) -> Result<(), Error> {
        let slot = self.buf.get_mut(self.len).ok_or(Error::UriTooLong)?;
        *slot = b;
        self.len += 1;
        Ok(())
    }
}

/// Writes the name of the precompressed sibling (`path` + `.gz`) into `out`.
///
/// `None` for a directory path (ending in `/`) or when `out` is too small. The
/// content type stays that of `path`: serve `x.js.gz` as `Mime::for_path("x.js")`.
pub fn gzip_sibling<'o>(path: &str, out: &'o mut [u8]) -> Option<&'o str> {
    if path.is_empty() || path.ends_with('/') {
        return None;
    }
    let len = path.len() + 3;
    let dst = out.get_mut(..len)?;
    dst[..path.len()].copy_from_slice(path.as_bytes());
    dst[path.len()..].copy_from_slice(b".gz");
    core::str::from_utf8(dst).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str, expected: Result<&str, Error>) {
        let mut buf = [0u8; 128];
        let got = normalize(raw.as_bytes(), &mut buf).map(|p| p.as_str());
        assert_eq!(got, expected, "normalize({raw:?})");
    }

    #[test]
    fn traversal_table() {
        let traversal = Err(Error::BadRequest(BadRequest::Traversal));
        let slash = Err(Error::BadRequest(BadRequest::EncodedSlash));
        let backslash = Err(Error::BadRequest(BadRequest::Backslash));
        let pct = Err(Error::BadRequest(BadRequest::PercentEncoding));
        let ctl = Err(Error::BadRequest(BadRequest::ControlChar));
        let table: &[(&str, Result<&str, Error>)] = &[
            ("/", Ok("/")),
            ("/index.html", Ok("/index.html")),
            ("/a/b/c", Ok("/a/b/c")),
            ("/a/b/", Ok("/a/b/")),
            ("//a///b//", Ok("/a/b/")),
            ("//", Ok("/")),
            ("/./a/./b/.", Ok("/a/b/")),
            ("/a/b/..", Ok("/a/")),
            ("/a/b/../c", Ok("/a/c")),
            ("/a/../../b", traversal),
            ("/..", traversal),
            ("/../", traversal),
            ("/../a", traversal),
            ("/a/..", Ok("/")),
            ("/a/../..", traversal),
            ("/./..", traversal),
            ("//..", traversal),
            // Encoded dots are dots: decoded once, then interpreted.
            ("/%2e%2e/", traversal),
            ("/%2E%2e/etc/passwd", traversal),
            ("/a/%2e%2e", Ok("/")),
            ("/a/%2e/b", Ok("/a/b")),
            ("/.%2e/", traversal),
            ("/a/.%2E", Ok("/")),
            // Encoded slashes are refused outright.
            ("/..%2f", slash),
            ("/..%2F..%2Fetc", slash),
            ("/a%2fb", slash),
            ("/%2F", slash),
            // Double encoding is decoded once only: `%252e` is the name `%2e`.
            ("/%252e%252e/", Ok("/%2e%2e/")),
            ("/%252e", Ok("/%2e")),
            ("/a/%25", Ok("/a/%")),
            // Backslashes, raw or encoded, are refused.
            ("/..\\etc", backslash),
            ("/a\\b", backslash),
            ("/..%5c..%5cwindows", backslash),
            ("/%5C", backslash),
            // Broken escapes.
            ("/%", pct),
            ("/%2", pct),
            ("/%zz", pct),
            ("/%2g", pct),
            ("/a%", pct),
            ("/%%32%65", pct),
            // Decoded control characters.
            ("/a%00", ctl),
            ("/a%00.html", ctl),
            ("/%0d%0a", ctl),
            ("/%1f", ctl),
            ("/%7F", ctl),
            ("/a%09b", ctl),
            // Non-dot names with dots are plain names.
            ("/...", Ok("/...")),
            ("/..a", Ok("/..a")),
            ("/a..", Ok("/a..")),
            ("/.hidden", Ok("/.hidden")),
            // UTF-8.
            ("/caf%C3%A9", Ok("/café")),
            ("/%E2%82%AC.txt", Ok("/€.txt")),
            ("/%20x%20", Ok("/ x ")),
            ("/a?b", Ok("/a?b")),
        ];
        for (raw, expected) in table {
            check(raw, *expected);
        }
    }

    #[test]
    fn rejects_invalid_utf8_and_relative() {
        let utf8 = Err(Error::BadRequest(BadRequest::InvalidUtf8));
        check("/%C3", utf8);
        check("/%C3%28", utf8);
        check("/%ff", utf8);
        check("/%ED%A0%80", utf8);
        check("", Err(Error::BadRequest(BadRequest::Target)));
        check("a/b", Err(Error::BadRequest(BadRequest::Target)));
        let mut buf = [0u8; 8];
        assert_eq!(normalize(b"/\xff", &mut buf), Err(Error::BadRequest(BadRequest::InvalidUtf8)));
        assert_eq!(normalize(b"/a\x01", &mut buf), Err(Error::BadRequest(BadRequest::ControlChar)));
    }

    #[test]
    fn output_capacity() {
        let mut buf = [0u8; 4];
        assert_eq!(normalize(b"/abc", &mut buf).unwrap().as_str(), "/abc");
        let mut buf = [0u8; 4];
        assert_eq!(normalize(b"/abcd", &mut buf), Err(Error::UriTooLong));
        let mut buf = [0u8; 4];
        // The trailing '/' needs room too.
        assert_eq!(normalize(b"/abc/", &mut buf), Err(Error::UriTooLong));
        let mut buf = [0u8; 4];
        // Escapes count decoded: 9 raw bytes, 4 decoded.
        assert_eq!(normalize(b"/%61%62c", &mut buf).unwrap().as_str(), "/abc");
        let mut buf = [0u8; 0];
        assert_eq!(normalize(b"/", &mut buf), Err(Error::UriTooLong));
        let mut buf = [0u8; 1];
        assert_eq!(normalize(b"/", &mut buf).unwrap().as_str(), "/");
    }

    #[test]
    fn accessors() {
        let mut buf = [0u8; 64];
        let p = normalize(b"/static/app.min.JS", &mut buf).unwrap();
        assert_eq!(p.file_name(), "app.min.JS");
        assert_eq!(p.extension(), Some("JS"));
        assert_eq!(p.mime(), Mime::JavaScript);
        assert!(!p.is_dir());
        let mut segs = p.segments();
        assert_eq!(segs.next(), Some("static"));
        assert_eq!(segs.next(), Some("app.min.JS"));
        assert_eq!(segs.next(), None);
        let mut buf = [0u8; 64];
        let d = normalize(b"/docs/", &mut buf).unwrap();
        assert!(d.is_dir());
        assert_eq!(d.file_name(), "");
        assert_eq!(d.extension(), None);
        assert_eq!(d.mime(), Mime::OctetStream);
        let mut buf = [0u8; 64];
        let h = normalize(b"/.profile", &mut buf).unwrap();
        assert_eq!(h.extension(), None);
        assert_eq!(h.as_bytes(), b"/.profile");
        assert_eq!(h.as_ref(), "/.profile");
    }

    #[test]
    fn gzip_siblings() {
        let mut buf = [0u8; 16];
        assert_eq!(gzip_sibling("/app.js", &mut buf), Some("/app.js.gz"));
        let mut buf = [0u8; 10];
        assert_eq!(gzip_sibling("/app.js", &mut buf), Some("/app.js.gz"));
        let mut buf = [0u8; 9];
        assert_eq!(gzip_sibling("/app.js", &mut buf), None);
        let mut buf = [0u8; 16];
        assert_eq!(gzip_sibling("/dir/", &mut buf), None);
        assert_eq!(gzip_sibling("", &mut buf), None);
        assert_eq!(Mime::for_path("/app.js"), Mime::JavaScript);
    }
}
