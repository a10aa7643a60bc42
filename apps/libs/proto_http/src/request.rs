//! Incremental parsing of a request head (request line and header section).

use crate::encoding::AcceptEncoding;
use crate::error::{BadRequest, Error};
use crate::etag::{self, ETag};
use crate::header::{Connection, Headers, ValuesIter};
use crate::limits::Limits;
use crate::line::{is_field_byte, is_request_line_byte, scan_line, LineError};
use crate::method::{Method, Version};
use crate::path::{self, NormalizedPath};
use crate::syntax::{is_host, is_ows, is_token, list_elements, parse_u64, trim_ows};
use crate::target::Target;

/// Outcome of feeding the bytes received so far to [`Request::parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed<'a> {
    /// The head is not complete yet and no limit is exceeded: read more bytes.
    Incomplete,
    /// A complete, valid head.
    Complete {
        /// The parsed request, borrowing from the buffer.
        request: Request<'a>,
        /// Bytes the head occupied; a body or pipelined request starts here.
        head_len: usize,
    },
}

/// A complete, validated request head borrowing from the receive buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    method: Method,
    version: Version,
    target: Target<'a>,
    host: Option<&'a [u8]>,
    headers: Headers<'a>,
    connection: Connection,
    content_length: Option<u64>,
    transfer_encoding: bool,
}

impl<'a> Request<'a> {
    /// Parses the head at the start of `buf`, which holds every byte received so far.
    ///
    /// Call again with the grown buffer after [`Parsed::Incomplete`]. Errors are
    /// reported as soon as the bytes received make them certain, and a prefix of
    /// the input never reports a different error than the whole would.
    pub fn parse(buf: &'a [u8], limits: &Limits) -> Result<Parsed<'a>, Error> {
        // Tolerate one empty line before the request line (RFC 9112 §2.2).
        let start = match buf {
            [] | [b'\r'] => return Ok(Parsed::Incomplete),
            [b'\r', b'\n', ..] => 2,
            [b'\n', ..] => 1,
            _ => 0,
        };
        let line = match scan_line(buf, start, limits.max_request_line, 0, is_request_line_byte) {
            Ok(Some(line)) => line,
            Ok(None) => return Ok(Parsed::Incomplete),
            Err(LineError::TooLong) => return Err(Error::UriTooLong),
            Err(LineError::Invalid) => return Err(BadRequest::RequestLine.into()),
        };
        let (method, target, version) = parse_request_line(&buf[start..line.end])?;

        let mut fields = Fields::default();
        let headers_start = line.next;
        let mut pos = headers_start;
        let mut used = 0;
        loop {
            let budget = limits.max_header_bytes.saturating_sub(used);
            let line = match scan_line(buf, pos, budget, 2, is_field_byte) {
                Ok(Some(line)) => line,
                Ok(None) => return Ok(Parsed::Incomplete),
                Err(LineError::TooLong) => return Err(Error::HeaderSectionTooLarge),
                Err(LineError::Invalid) => return Err(BadRequest::FieldLine.into()),
            };
            if line.end == pos {
                // The empty line: the head is complete.
                if version == Version::Http11 && fields.host_count == 0 {
                    return Err(BadRequest::Host.into());
                }
                let request = Request {
                    method,
                    version,
                    host: target.authority().or(fields.host),
                    target,
                    headers: Headers::new(&buf[headers_start..pos]),
                    connection: fields.connection,
                    content_length: fields.content_length,
                    transfer_encoding: fields.transfer_encoding,
                };
                return Ok(Parsed::Complete { request, head_len: line.next });
            }
            fields.count += 1;
            if fields.count > limits.max_headers {
                return Err(Error::TooManyHeaders);
            }
            // Counted as if CRLF-terminated, so the limit does not depend on line-ending style.
            used += line.end - pos + 2;
            fields.add(&buf[pos..line.end])?;
            pos = line.next;
        }
    }

    /// The method (only implemented methods ever parse).
    pub fn method(&self) -> Method {
        self.method
    }

    /// The protocol version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The request target.
    pub fn target(&self) -> Target<'a> {
        self.target
    }

    /// The raw (percent-encoded) path; use [`Request::normalized_path`] before touching files.
    pub fn path(&self) -> &'a [u8] {
        self.target.path()
    }

    /// The raw query, without the `?`.
    pub fn query(&self) -> Option<&'a [u8]> {
        self.target.query()
    }

    /// The host the request is for: the absolute-form authority, else the `Host` value
    /// (RFC 9112 §3.2.2). `None` only for HTTP/1.0 without `Host`.
    pub fn host(&self) -> Option<&'a [u8]> {
        self.host
    }

    /// All field lines, for lookups beyond the fields parsed here.
    pub fn headers(&self) -> Headers<'a> {
        self.headers
    }

    /// The `close` / `keep-alive` options of every `Connection` field.
    pub fn connection(&self) -> Connection {
        self.connection
    }

    /// Whether the connection may persist after the response (RFC 9112 §9.3):
    /// HTTP/1.1 unless `close`; HTTP/1.0 only with `keep-alive` and without `close`.
    pub fn keep_alive(&self) -> bool {
        match self.version {
            Version::Http11 => !self.connection.close,
            Version::Http10 => self.connection.keep_alive && !self.connection.close,
        }
    }

    /// The validated `Content-Length`, if one was sent.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// Whether a `Transfer-Encoding` field was sent (the body framing is then unknown).
    pub fn has_transfer_encoding(&self) -> bool {
        self.transfer_encoding
    }

    /// Bytes of request body following the head, which the server must read and
    /// discard before the next pipelined request.
    ///
    /// A `Transfer-Encoding` body cannot be delimited by this server, so it is
    /// [`Error::TransferEncodingNotImplemented`] (501, then close), even alongside
    /// `Content-Length` (RFC 9112 §6.3 item 3 makes that combination suspect anyway).
    pub fn body_len(&self) -> Result<u64, Error> {
        if self.transfer_encoding {
            return Err(Error::TransferEncodingNotImplemented);
        }
        Ok(self.content_length.unwrap_or(0))
    }

    /// The raw `If-None-Match` values, one per field line.
    pub fn if_none_match(&self) -> ValuesIter<'a, 'static> {
        self.headers.get_all("If-None-Match")
    }

    /// Whether `If-None-Match` matches `etag`, i.e. the server should answer 304.
    ///
    /// Several field lines form one list (RFC 9110 §5.3): one malformed line spoils
    /// the whole list, and `*` only counts when it is the entire list.
    pub fn etag_matches(&self, etag: &ETag) -> bool {
        let mut lines = 0;
        let mut star = false;
        let mut matched = false;
        for value in self.if_none_match() {
            lines += 1;
            match etag::evaluate(value, etag) {
                etag::Evaluation::Malformed => return false,
                etag::Evaluation::Star => star = true,
                etag::Evaluation::Match => matched = true,
                etag::Evaluation::NoMatch => {}
            }
        }
        if star {
            // `*` combined with anything else is not a valid list.
            return lines == 1;
        }
        matched
    }

    /// The combined `Accept-Encoding` preferences of every field line.
    pub fn accept_encoding(&self) -> AcceptEncoding {
        let mut accept = AcceptEncoding::new();
        for value in self.headers.get_all("Accept-Encoding") {
            accept.add(value);
        }
        accept
    }

    /// Whether a gzip-encoded representation may be sent (false without `Accept-Encoding`).
    pub fn accepts_gzip(&self) -> bool {
        self.accept_encoding().gzip()
    }

    /// Percent-decodes and normalizes the path into `out`; see [`normalize`](crate::normalize).
    pub fn normalized_path<'o>(&self, out: &'o mut [u8]) -> Result<NormalizedPath<'o>, Error> {
        path::normalize(self.target.path(), out)
    }
}

/// Splits and validates `method SP request-target SP HTTP-version`.
fn parse_request_line(line: &[u8]) -> Result<(Method, Target<'_>, Version), Error> {
    const BAD: Error = Error::BadRequest(BadRequest::RequestLine);
    let mut parts = line.splitn(3, |&b| b == b' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(BAD);
    };
    // Extra spaces would show up as an empty part or a space inside the version.
    if method.is_empty() || target.is_empty() || version.contains(&b' ') {
        return Err(BAD);
    }
    // Version first, so the HTTP/2 preface `PRI * HTTP/2.0` gets 505 rather than 501 or 400.
    let version = Version::parse(version)?;
    let method = Method::parse(method)?;
    let target = Target::parse(target)?;
    Ok((method, target, version))
}

/// Facts gathered from the field lines while scanning them.
#[derive(Default)]
struct Fields<'a> {
    count: usize,
    host_count: usize,
    host: Option<&'a [u8]>,
    connection: Connection,
    content_length: Option<u64>,
    transfer_encoding: bool,
}

impl<'a> Fields<'a> {
    /// Validates one field line (without its line ending) and records what it says.
    fn add(&mut self, line: &'a [u8]) -> Result<(), Error> {
        if line.first().copied().is_some_and(is_ows) {
            return Err(BadRequest::ObsFold.into());
        }
        let colon = line.iter().position(|&b| b == b':').ok_or(BadRequest::FieldLine)?;
        let name = &line[..colon];
        // Whitespace before the colon is not a token character, so it is rejected here (RFC 9112 §5.1).
        if !is_token(name) {
            return Err(BadRequest::FieldLine.into());
        }
        let value = trim_ows(&line[colon + 1..]);
        if name.eq_ignore_ascii_case(b"host") {
            self.host_count += 1;
            if self.host_count > 1 || !is_host(value) {
                return Err(BadRequest::Host.into());
            }
            self.host = Some(value);
        } else if name.eq_ignore_ascii_case(b"content-length") {
            self.add_content_length(value)?;
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            self.transfer_encoding = true;
        } else if name.eq_ignore_ascii_case(b"connection") {
            self.connection.add(value);
        }
        Ok(())
    }

    /// Accepts repeated identical lengths, as RFC 9110 §8.6 allows, and nothing else.
    fn add_content_length(&mut self, value: &[u8]) -> Result<(), Error> {
        let mut any = false;
        for element in list_elements(value) {
            let n = parse_u64(element).ok_or(BadRequest::ContentLength)?;
            if self.content_length.is_some_and(|seen| seen != n) {
                return Err(BadRequest::ContentLength.into());
            }
            self.content_length = Some(n);
            any = true;
        }
        if any {
            Ok(())
        } else {
            Err(BadRequest::ContentLength.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(buf: &[u8]) -> Result<Parsed<'_>, Error> {
        Request::parse(buf, &Limits::DEFAULT)
    }

    fn complete(buf: &[u8]) -> (Request<'_>, usize) {
        match parse(buf) {
            Ok(Parsed::Complete { request, head_len }) => (request, head_len),
            other => panic!("expected a complete head for {:?}, got {other:?}", buf),
        }
    }

    fn err(buf: &[u8]) -> Error {
        match parse(buf) {
            Err(e) => e,
            other => panic!("expected an error for {:?}, got {other:?}", buf),
        }
    }

    #[test]
    fn simple_get() {
        let buf = b"GET /a/b.html?x=1&y HTTP/1.1\r\nHost: board.local:80\r\nAccept: */*\r\n\r\n";
        let (r, len) = complete(buf);
        assert_eq!(len, buf.len());
        assert_eq!(r.method(), Method::Get);
        assert_eq!(r.version(), Version::Http11);
        assert_eq!(r.path(), b"/a/b.html");
        assert_eq!(r.query(), Some(&b"x=1&y"[..]));
        assert_eq!(r.target().raw(), b"/a/b.html?x=1&y");
        assert_eq!(r.target().authority(), None);
        assert_eq!(r.host(), Some(&b"board.local:80"[..]));
        assert_eq!(r.headers().len(), 2);
        assert_eq!(r.headers().get("accept"), Some(&b"*/*"[..]));
        assert!(r.keep_alive());
        assert_eq!(r.content_length(), None);
        assert_eq!(r.body_len(), Ok(0));
    }

    #[test]
    fn empty_and_missing_query() {
        assert_eq!(complete(b"GET /? HTTP/1.0\r\n\r\n").0.query(), Some(&b""[..]));
        assert_eq!(complete(b"GET / HTTP/1.0\r\n\r\n").0.query(), None);
        assert_eq!(complete(b"GET /?a?b HTTP/1.0\r\n\r\n").0.query(), Some(&b"a?b"[..]));
    }

    #[test]
    fn head_method_and_bare_lf() {
        let buf = b"HEAD /x HTTP/1.1\nHost: h\n\n";
        let (r, len) = complete(buf);
        assert_eq!(len, buf.len());
        assert_eq!(r.method(), Method::Head);
        assert_eq!(r.headers().get("host"), Some(&b"h"[..]));
    }

    #[test]
    fn leading_empty_line_is_tolerated_once() {
        let (r, len) = complete(b"\r\nGET / HTTP/1.0\r\n\r\n");
        assert_eq!(len, 20);
        assert_eq!(r.path(), b"/");
        assert_eq!(complete(b"\nGET / HTTP/1.0\n\n").1, 17);
        assert_eq!(err(b"\r\n\r\nGET / HTTP/1.0\r\n\r\n"), BadRequest::RequestLine.into());
        assert_eq!(parse(b"\r"), Ok(Parsed::Incomplete));
        assert_eq!(parse(b""), Ok(Parsed::Incomplete));
    }

    #[test]
    fn absolute_form() {
        let (r, _) = complete(b"GET http://Board:8080/p/q?z HTTP/1.1\r\nHost: other\r\n\r\n");
        assert_eq!(r.target().authority(), Some(&b"Board:8080"[..]));
        assert_eq!(r.path(), b"/p/q");
        assert_eq!(r.query(), Some(&b"z"[..]));
        // The authority wins over Host (RFC 9112 §3.2.2).
        assert_eq!(r.host(), Some(&b"Board:8080"[..]));
        let (r, _) = complete(b"GET HTTP://board HTTP/1.1\r\nHost: board\r\n\r\n");
        assert_eq!(r.path(), b"/");
        assert_eq!(r.query(), None);
        let (r, _) = complete(b"GET http://board?q HTTP/1.1\r\nHost: board\r\n\r\n");
        assert_eq!(r.path(), b"/");
        assert_eq!(r.query(), Some(&b"q"[..]));
    }

    #[test]
    fn bad_targets() {
        let bad = Error::BadRequest(BadRequest::Target);
        for target in [
            "*",
            "board:80",
            "index.html",
            "https://board/",
            "ftp://board/",
            "http:///path",
            "http://user@board/",
            "http://board/a#frag",
            "/a#frag",
            "http:/",
            "http://bo\"ard/",
        ] {
            let req = format_request(target);
            assert_eq!(err(req.as_bytes()), bad, "{target}");
        }
    }

    fn format_request(target: &str) -> FixedString {
        let mut s = FixedString::new();
        s.push("GET ");
        s.push(target);
        s.push(" HTTP/1.1\r\nHost: h\r\n\r\n");
        s
    }

    /// A tiny stack string so tests stay `no_std`-friendly without `alloc`.
    struct FixedString {
        buf: [u8; 256],
        len: usize,
    }

    impl FixedString {
        fn new() -> Self {
            FixedString { buf: [0; 256], len: 0 }
        }
        fn push(&mut self, s: &str) {
            self.buf[self.len..self.len + s.len()].copy_from_slice(s.as_bytes());
            self.len += s.len();
        }
        fn as_bytes(&self) -> &[u8] {
            &self.buf[..self.len]
        }
    }

    #[test]
    fn methods_map_to_statuses() {
        for m in ["POST", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE"] {
            let mut s = FixedString::new();
            s.push(m);
            s.push(" / HTTP/1.1\r\nHost: h\r\n\r\n");
            assert_eq!(err(s.as_bytes()), Error::MethodNotAllowed, "{m}");
        }
        assert_eq!(err(b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"), Error::MethodNotAllowed);
        assert_eq!(err(b"CONNECT board:443 HTTP/1.1\r\n\r\n"), Error::MethodNotAllowed);
        assert_eq!(err(b"BREW / HTTP/1.1\r\n\r\n"), Error::MethodNotImplemented);
        assert_eq!(err(b"get / HTTP/1.1\r\n\r\n"), Error::MethodNotImplemented);
        assert_eq!(err(b"G{T / HTTP/1.1\r\n\r\n"), BadRequest::Method.into());
    }

    #[test]
    fn versions_map_to_statuses() {
        assert_eq!(err(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), Error::VersionNotSupported);
        assert_eq!(err(b"GET / HTTP/2.0\r\n\r\n"), Error::VersionNotSupported);
        assert_eq!(err(b"GET / HTTP/0.9\r\n\r\n"), Error::VersionNotSupported);
        // A higher 1.x minor is HTTP/1.1, Host rule included.
        assert_eq!(err(b"GET / HTTP/1.2\r\n\r\n"), BadRequest::Host.into());
        let (r, _) = complete(b"GET / HTTP/1.2\r\nHost: h\r\n\r\n");
        assert_eq!(r.version(), Version::Http11);
        assert!(r.keep_alive());
        assert_eq!(err(b"GET / HTTP/1.1x\r\n\r\n"), BadRequest::Version.into());
        assert_eq!(err(b"GET / http/1.1\r\n\r\n"), BadRequest::Version.into());
        assert_eq!(err(b"GET / FTP/1.1\r\n\r\n"), BadRequest::Version.into());
        // HTTP/0.9 simple request: no version at all.
        assert_eq!(err(b"GET /\r\n\r\n"), BadRequest::RequestLine.into());
    }

    #[test]
    fn request_line_whitespace_and_controls() {
        let bad = Error::BadRequest(BadRequest::RequestLine);
        for line in [
            &b"GET  / HTTP/1.1\r\n\r\n"[..],
            b" GET / HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1 \r\n\r\n",
            b"GET /  HTTP/1.1\r\n\r\n",
            b"GET\t/ HTTP/1.1\r\n\r\n",
            b"GET /\0 HTTP/1.1\r\n\r\n",
            b"GET /\x7f HTTP/1.1\r\n\r\n",
            b"GET /\xc3\xa9 HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1\rX\r\n\r\n",
            b"GET / HTTP/1.1\r\r\n\r\n",
            b"\r\n\r\n",
            b"\n\n",
            b"GET\r\n\r\n",
            b"GET /\r\n\r\n",
        ] {
            assert_eq!(err(line), bad, "{:?}", core::str::from_utf8(line));
        }
        // Early rejection: the forbidden byte is reported before the line ends.
        assert_eq!(err(b"\x16\x03\x01"), bad);
        assert_eq!(err(b"GET /\0"), bad);
        assert_eq!(err(b"GET /\rX"), bad);
    }

    #[test]
    fn host_rules() {
        let bad = Error::BadRequest(BadRequest::Host);
        assert_eq!(err(b"GET / HTTP/1.1\r\n\r\n"), bad);
        assert_eq!(err(b"GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n"), bad);
        assert_eq!(err(b"GET / HTTP/1.0\r\nHost: a\r\nHOST: b\r\n\r\n"), bad);
        assert_eq!(err(b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), bad);
        assert_eq!(err(b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), bad);
        assert_eq!(err(b"GET / HTTP/1.1\r\nHost: user@a\r\n\r\n"), bad);
        // HTTP/1.1 absolute-form still needs Host.
        assert_eq!(err(b"GET http://a/ HTTP/1.1\r\n\r\n"), bad);
        // HTTP/1.0 may omit it; an empty Host is allowed (RFC 9112 §3.2).
        assert_eq!(complete(b"GET / HTTP/1.0\r\n\r\n").0.host(), None);
        assert_eq!(complete(b"GET / HTTP/1.1\r\nHost:\r\n\r\n").0.host(), Some(&b""[..]));
        let (r, _) = complete(b"GET / HTTP/1.1\r\nhOsT: [::1]:80\r\n\r\n");
        assert_eq!(r.host(), Some(&b"[::1]:80"[..]));
    }

    #[test]
    fn field_line_syntax() {
        let field = Error::BadRequest(BadRequest::FieldLine);
        for head in [
            &b"GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n"[..],
            b"GET / HTTP/1.1\r\nHost: h\r\nBad Name: v\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\nName : v\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\nN\"me: v\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\nX: a\x7fb\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\nX: a\x1bb\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\n\r\r\n",
        ] {
            assert_eq!(err(head), field, "{:?}", head);
        }
        let fold = Error::BadRequest(BadRequest::ObsFold);
        assert_eq!(err(b"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n"), fold);
        assert_eq!(err(b"GET / HTTP/1.1\r\n\tHost: h\r\n\r\n"), fold);
        assert_eq!(err(b"GET / HTTP/1.1\r\n Host: h\r\n\r\n"), fold);
    }

    #[test]
    fn field_values_allow_tabs_and_obs_text() {
        let (r, _) = complete(b"GET / HTTP/1.1\r\nHost: h\r\nX-A:\ta\tb \t\r\nX-B: caf\xe9\r\n\r\n");
        assert_eq!(r.headers().get("x-a"), Some(&b"a\tb"[..]));
        assert_eq!(r.headers().get("x-b"), Some(&b"caf\xe9"[..]));
    }

    #[test]
    fn content_length() {
        let (r, _) = complete(b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 42\r\n\r\n");
        assert_eq!(r.content_length(), Some(42));
        assert_eq!(r.body_len(), Ok(42));
        let (r, _) = complete(b"GET / HTTP/1.1\r\nHost: h\r\ncontent-length: 7, 7\r\nContent-Length: 7\r\n\r\n");
        assert_eq!(r.content_length(), Some(7));
        let bad = Error::BadRequest(BadRequest::ContentLength);
        for v in ["", "-1", "+1", "1.0", "0x10", "1 2", "18446744073709551616", "5, 6", ","] {
            let mut s = FixedString::new();
            s.push("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: ");
            s.push(v);
            s.push("\r\n\r\n");
            assert_eq!(err(s.as_bytes()), bad, "{v:?}");
        }
        assert_eq!(err(b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"), bad);
    }

    #[test]
    fn transfer_encoding() {
        let (r, _) = complete(b"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
        assert!(r.has_transfer_encoding());
        assert_eq!(r.body_len(), Err(Error::TransferEncodingNotImplemented));
        assert_eq!(r.body_len().unwrap_err().status().code(), 501);
        let (r, _) = complete(b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\ntransfer-encoding: gzip\r\n\r\n");
        assert_eq!(r.body_len(), Err(Error::TransferEncodingNotImplemented));
        assert!(!complete(b"GET / HTTP/1.0\r\n\r\n").0.has_transfer_encoding());
    }

    #[test]
    fn keep_alive_decision() {
        let cases: [(&[u8], bool); 9] = [
            (b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", true),
            (b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false),
            (b"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, CLOSE\r\n\r\n", false),
            (b"GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n", true),
            (b"GET / HTTP/1.0\r\n\r\n", false),
            (b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true),
            (b"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false),
            (b"GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", false),
            (b"GET / HTTP/1.0\r\nConnection: te\r\n\r\n", false),
        ];
        for (buf, keep) in cases {
            assert_eq!(complete(buf).0.keep_alive(), keep, "{:?}", core::str::from_utf8(buf));
        }
    }

    #[test]
    fn incomplete_inputs() {
        for buf in [
            &b"G"[..],
            b"GET / HTTP/1.1",
            b"GET / HTTP/1.1\r",
            b"GET / HTTP/1.1\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\n",
            b"GET / HTTP/1.1\r\nHost: h\r\n\r",
        ] {
            assert_eq!(parse(buf), Ok(Parsed::Incomplete), "{buf:?}");
        }
    }
}
