//! Emission of response heads and ready-made error responses into caller buffers.

use crate::date::HttpDate;
use crate::error::Error;
use crate::etag::ETag;
use crate::method::Method;
use crate::mime::Mime;
use crate::status::Status;
use crate::writer::{Overflow, Writer};

/// Why a response head could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmitError {
    /// The output buffer is too small; its contents are unspecified.
    BufferTooSmall,
    /// A caller-supplied header value contains a control character (would allow header injection).
    InvalidFieldValue,
}

impl From<Overflow> for EmitError {
    fn from(_: Overflow) -> Self {
        EmitError::BufferTooSmall
    }
}

impl core::fmt::Display for EmitError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            EmitError::BufferTooSmall => "response head does not fit the buffer",
            EmitError::InvalidFieldValue => "header value contains a control character",
        })
    }
}

impl core::error::Error for EmitError {}

/// Which representation of a negotiable resource is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ContentCoding {
    /// The only representation: no `Content-Encoding`, no `Vary`.
    #[default]
    Identity,
    /// A gzip sibling exists but this client gets identity: `Vary: Accept-Encoding`
    /// so shared caches do not hand the wrong one to other clients.
    IdentityVaried,
    /// The gzip sibling is sent: `Content-Encoding: gzip` and `Vary: Accept-Encoding`.
    Gzip,
}

/// The `Content-Range` of a 206 or 416 response (RFC 9110 §14.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentRange {
    /// `bytes <first>-<last>/<complete>`: the part a 206 carries.
    Bytes {
        /// First byte sent.
        first: u64,
        /// Last byte sent, inclusive.
        last: u64,
        /// Length of the whole representation.
        complete: u64,
    },
    /// `bytes */<complete>`: what a 416 says about the representation.
    Unsatisfied {
        /// Length of the whole representation.
        complete: u64,
    },
}

impl ContentRange {
    /// The `Content-Range` of `range`, a part of a representation of `complete` bytes.
    pub const fn of(range: crate::range::ByteRange, complete: u64) -> Self {
        ContentRange::Bytes { first: range.start, last: range.last(), complete }
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Overflow> {
        w.str("Content-Range: bytes ")?;
        let complete = match *self {
            ContentRange::Bytes { first, last, complete } => {
                w.decimal(first)?;
                w.str("-")?;
                w.decimal(last)?;
                complete
            }
            ContentRange::Unsatisfied { complete } => {
                w.str("*")?;
                complete
            }
        };
        w.str("/")?;
        w.decimal(complete)?;
        w.str("\r\n")
    }
}

/// A response head; set the fields that apply and call [`ResponseHead::emit`].
///
/// Fields that do not apply to `status` are not emitted, so each header obeys
/// its rule regardless of what the caller sets: `Content-Type`,
/// `Content-Length` and `Content-Encoding` only when the status allows a body
/// (never for 204/304); `Content-Range` only for 206 and 416; `Accept-Ranges`
/// only for 200, 206 and 416; `Last-Modified` only for 200, 206 and 304;
/// `Location` only for 301; `Allow: GET, HEAD` always and only for 405;
/// `Retry-After` only for 503. No `Date`: the board has no trusted clock
/// (RFC 9110 §6.6.1 permits omitting it then).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseHead<'a> {
    /// Status line code and reason.
    pub status: Status,
    /// Body length in bytes; `None` means the body ends when the connection closes.
    /// For HEAD, set it to the length a GET would get.
    pub content_length: Option<u64>,
    /// `Content-Type` value, e.g. [`Mime::as_str`].
    pub content_type: Option<&'a str>,
    /// `ETag` value.
    pub etag: Option<&'a ETag>,
    /// Which representation is sent, driving `Content-Encoding` and `Vary`.
    pub coding: ContentCoding,
    /// `Cache-Control` value, e.g. `no-cache` for files that change in place.
    pub cache_control: Option<&'a str>,
    /// `Last-Modified`, sent as IMF-fixdate.
    pub last_modified: Option<HttpDate>,
    /// `Accept-Ranges: bytes`: the resource serves byte ranges.
    pub accept_ranges: bool,
    /// `Content-Range` of a 206 or 416.
    pub content_range: Option<ContentRange>,
    /// `Location` of a 301, a URI reference (see [`directory_location`](crate::directory_location)).
    pub location: Option<&'a str>,
    /// `Server` value.
    pub server: Option<&'a str>,
    /// `Retry-After` in seconds (503 only).
    pub retry_after: Option<u32>,
    /// Whether the server intends to keep the connection open (see [`ResponseHead::keeps_alive`]).
    pub keep_alive: bool,
}

impl<'a> ResponseHead<'a> {
    /// A head with only a status; keep-alive requested, nothing else set.
    pub const fn new(status: Status) -> Self {
        ResponseHead {
            status,
            content_length: None,
            content_type: None,
            etag: None,
            coding: ContentCoding::Identity,
            cache_control: None,
            last_modified: None,
            accept_ranges: false,
            content_range: None,
            location: None,
            server: None,
            retry_after: None,
            keep_alive: true,
        }
    }

    /// 304 Not Modified for a cached copy; set `coding`, `cache_control` as for the 200
    /// (RFC 9110 §15.4.5 wants the same `ETag`, `Vary` and `Cache-Control`), or
    /// build the 200 head and use [`ResponseHead::into_not_modified`].
    pub const fn not_modified(etag: &'a ETag) -> Self {
        let mut head = ResponseHead::new(Status::NotModified);
        head.etag = Some(etag);
        head
    }

    /// The 304 for the request this 200 head answers: the same `ETag`, `Vary`,
    /// `Cache-Control` and `Last-Modified` (RFC 9110 §15.4.5), no content fields.
    pub const fn into_not_modified(mut self) -> Self {
        self.status = Status::NotModified;
        self.content_range = None;
        self
    }

    /// The 206 carrying `range` of this 200 head's representation (its
    /// `content_length` is the whole length): the same validators and fields.
    pub fn into_partial(mut self, range: crate::range::ByteRange) -> Self {
        let complete = self.content_length.unwrap_or(0);
        self.status = Status::PartialContent;
        self.content_length = Some(range.len);
        self.content_range = Some(ContentRange::of(range, complete));
        self
    }

    /// Whether the connection stays open after this response: the caller asked
    /// for it and the body is delimited (by `Content-Length` or by having none).
    pub fn keeps_alive(&self) -> bool {
        self.keep_alive && (!self.status.allows_body() || self.content_length.is_some())
    }

    /// Writes the head, up to and including the empty line, and returns its length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        let mut w = Writer::new(buf);
        self.write(&mut w)?;
        Ok(w.len())
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), EmitError> {
        let body = self.status.allows_body();
        w.str("HTTP/1.1 ")?;
        w.decimal(u64::from(self.status.code()))?;
        w.str(" ")?;
        w.str(self.status.reason())?;
        w.str("\r\n")?;
        if let Some(server) = self.server {
            field(w, "Server", server)?;
        }
        if let (true, Some(ty)) = (body, self.content_type) {
            field(w, "Content-Type", ty)?;
        }
        if let (true, Some(len)) = (body, self.content_length) {
            w.str("Content-Length: ")?;
            w.decimal(len)?;
            w.str("\r\n")?;
        }
        if body && self.coding == ContentCoding::Gzip {
            w.str("Content-Encoding: gzip\r\n")?;
        }
        if self.coding != ContentCoding::Identity {
            w.str("Vary: Accept-Encoding\r\n")?;
        }
        if let Some(etag) = self.etag {
            field(w, "ETag", etag.as_str())?;
        }
        if let Some(cache) = self.cache_control {
            field(w, "Cache-Control", cache)?;
        }
        let status = self.status;
        if let (Some(date), Status::Ok | Status::PartialContent | Status::NotModified) = (self.last_modified, status) {
            w.str("Last-Modified: ")?;
            w.bytes(&date.imf_fixdate())?;
            w.str("\r\n")?;
        }
        let ranged = matches!(status, Status::Ok | Status::PartialContent | Status::RangeNotSatisfiable);
        if ranged && self.accept_ranges {
            w.str("Accept-Ranges: bytes\r\n")?;
        }
        if let (Some(range), Status::PartialContent | Status::RangeNotSatisfiable) = (self.content_range, status) {
            range.write(w)?;
        }
        if let (Some(location), Status::MovedPermanently) = (self.location, status) {
            field(w, "Location", location)?;
        }
        if self.status == Status::MethodNotAllowed {
            field(w, "Allow", Method::ALLOW)?;
        }
        if let (Status::ServiceUnavailable, Some(secs)) = (self.status, self.retry_after) {
            w.str("Retry-After: ")?;
            w.decimal(u64::from(secs))?;
            w.str("\r\n")?;
        }
        w.str(if self.keeps_alive() { "Connection: keep-alive\r\n" } else { "Connection: close\r\n" })?;
        w.str("\r\n")?;
        Ok(())
    }
}

/// Writes `name: value` CRLF after checking the value cannot break the framing.
fn field(w: &mut Writer<'_>, name: &str, value: &str) -> Result<(), EmitError> {
    if value.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err(EmitError::InvalidFieldValue);
    }
    w.str(name)?;
    w.str(": ")?;
    w.str(value)?;
    w.str("\r\n")?;
    Ok(())
}

/// A complete small error response: head plus a `text/plain` body such as `404 Not Found`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorResponse<'a> {
    /// The status; meant for 4xx/5xx (a 204/304 gets no body).
    pub status: Status,
    /// Keep the connection open (only sensible after a well-framed request, e.g. a 404).
    pub keep_alive: bool,
    /// The request was HEAD: send the head only, with the body's `Content-Length`.
    pub head_only: bool,
    /// `Server` value.
    pub server: Option<&'a str>,
    /// `Retry-After` seconds for 503.
    pub retry_after: Option<u32>,
    /// `Content-Range: bytes */<len>` for 416 (with `Accept-Ranges: bytes`).
    pub unsatisfied_len: Option<u64>,
}

impl<'a> ErrorResponse<'a> {
    /// An error response that closes the connection.
    pub const fn new(status: Status) -> Self {
        ErrorResponse {
            status,
            keep_alive: false,
            head_only: false,
            server: None,
            retry_after: None,
            unsatisfied_len: None,
        }
    }

    /// The 416 for a representation of `complete` bytes; keeps the connection
    /// open if `keep_alive` (the request was well framed).
    pub const fn unsatisfiable(complete: u64, keep_alive: bool) -> Self {
        let mut e = ErrorResponse::new(Status::RangeNotSatisfiable);
        e.keep_alive = keep_alive;
        e.unsatisfied_len = Some(complete);
        e
    }

    /// The response for a request the parser rejected; always closes the connection.
    pub const fn for_error(error: Error) -> Self {
        ErrorResponse::new(error.status())
    }

    /// Length of the body `"<code> <reason>\n"`.
    pub fn body_len(&self) -> usize {
        if self.status.allows_body() {
            3 + 1 + self.status.reason().len() + 1
        } else {
            0
        }
    }

    /// Writes head and (unless `head_only`) body; returns the total length.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        let body_len = self.body_len();
        let mut head = ResponseHead::new(self.status);
        head.keep_alive = self.keep_alive;
        head.server = self.server;
        head.retry_after = self.retry_after;
        head.content_length = Some(body_len as u64);
        head.content_type = Some(Mime::Text.as_str());
        if let Some(complete) = self.unsatisfied_len {
            head.content_range = Some(ContentRange::Unsatisfied { complete });
            head.accept_ranges = true;
        }
        let mut w = Writer::new(buf);
        head.write(&mut w)?;
        if !self.head_only && body_len > 0 {
            w.decimal(u64::from(self.status.code()))?;
            w.str(" ")?;
            w.str(self.status.reason())?;
            w.str("\n")?;
        }
        Ok(w.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emit(head: &ResponseHead<'_>) -> ([u8; 512], usize) {
        let mut buf = [0u8; 512];
        let len = head.emit(&mut buf).unwrap();
        (buf, len)
    }

    #[test]
    fn minimal_head() {
        let (buf, len) = emit(&ResponseHead::new(Status::NoContent));
        assert_eq!(&buf[..len], b"HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n");
    }

    #[test]
    fn full_head_exact_bytes() {
        let etag = ETag::new(10, 20, None);
        let head = ResponseHead {
            status: Status::Ok,
            content_length: Some(1234),
            content_type: Some(Mime::JavaScript.as_str()),
            etag: Some(&etag),
            coding: ContentCoding::Gzip,
            cache_control: Some("no-cache"),
            last_modified: HttpDate::from_unix(784_111_777),
            accept_ranges: true,
            content_range: None,
            location: Some("/ignored/on/200"),
            server: Some("tock-http"),
            retry_after: Some(5),
            keep_alive: true,
        };
        let (buf, len) = emit(&head);
        let expected: &[u8] = b"HTTP/1.1 200 OK\r\n\
            Server: tock-http\r\n\
            Content-Type: text/javascript; charset=utf-8\r\n\
            Content-Length: 1234\r\n\
            Content-Encoding: gzip\r\n\
            Vary: Accept-Encoding\r\n\
            ETag: \"a-14\"\r\n\
            Cache-Control: no-cache\r\n\
            Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
            Accept-Ranges: bytes\r\n\
            Connection: keep-alive\r\n\
            \r\n";
        assert_eq!(&buf[..len], expected);
    }

    #[test]
    fn header_rules_per_status() {
        let etag = ETag::new(1, 2, None);
        let mut head = ResponseHead::not_modified(&etag);
        head.coding = ContentCoding::Gzip;
        head.content_length = Some(99);
        head.content_type = Some("text/plain");
        let (buf, len) = emit(&head);
        assert_eq!(
            &buf[..len],
            &b"HTTP/1.1 304 Not Modified\r\nVary: Accept-Encoding\r\nETag: \"1-2\"\r\nConnection: keep-alive\r\n\r\n"[..]
        );

        let mut head = ResponseHead::new(Status::MethodNotAllowed);
        head.content_length = Some(0);
        let (buf, len) = emit(&head);
        assert!(contains(&buf[..len], b"\r\nAllow: GET, HEAD\r\n"));

        let mut head = ResponseHead::new(Status::ServiceUnavailable);
        head.retry_after = Some(30);
        head.content_length = Some(0);
        let (buf, len) = emit(&head);
        assert!(contains(&buf[..len], b"\r\nRetry-After: 30\r\n"));
        head.status = Status::InternalServerError;
        let (buf, len) = emit(&head);
        assert!(!contains(&buf[..len], b"Retry-After"));
        assert!(!contains(&buf[..len], b"Allow"));

        let mut head = ResponseHead::new(Status::Ok);
        head.coding = ContentCoding::IdentityVaried;
        head.content_length = Some(3);
        let (buf, len) = emit(&head);
        assert!(contains(&buf[..len], b"\r\nVary: Accept-Encoding\r\n"));
        assert!(!contains(&buf[..len], b"Content-Encoding"));
    }

    #[test]
    fn connection_header() {
        let mut head = ResponseHead::new(Status::Ok);
        head.content_length = Some(0);
        assert!(head.keeps_alive());
        assert!(contains(&emit(&head).0, b"Connection: keep-alive\r\n"));
        head.keep_alive = false;
        assert!(!head.keeps_alive());
        assert!(contains(&emit(&head).0, b"Connection: close\r\n"));
        // A body without a length is delimited by closing.
        let head = ResponseHead::new(Status::Ok);
        assert!(!head.keeps_alive());
        assert!(contains(&emit(&head).0, b"Connection: close\r\n"));
        assert!(ResponseHead::new(Status::NoContent).keeps_alive());
    }

    #[test]
    fn rejects_injection() {
        let mut buf = [0u8; 256];
        let mut head = ResponseHead::new(Status::Ok);
        head.content_type = Some("text/html\r\nSet-Cookie: x=1");
        assert_eq!(head.emit(&mut buf), Err(EmitError::InvalidFieldValue));
        head.content_type = None;
        head.server = Some("a\nb");
        assert_eq!(head.emit(&mut buf), Err(EmitError::InvalidFieldValue));
        head.server = Some("a\tb \u{e9}");
        assert!(head.emit(&mut buf).is_ok());
        head.cache_control = Some("x\x7f");
        assert_eq!(head.emit(&mut buf), Err(EmitError::InvalidFieldValue));
    }

    #[test]
    fn buffer_too_small_at_every_size() {
        let etag = ETag::new(1, 2, Some(3));
        let head = ResponseHead {
            content_length: Some(7),
            content_type: Some("text/plain"),
            etag: Some(&etag),
            server: Some("s"),
            ..ResponseHead::new(Status::Ok)
        };
        let (_, full) = emit(&head);
        let mut buf = [0u8; 512];
        for size in 0..full {
            assert_eq!(head.emit(&mut buf[..size]), Err(EmitError::BufferTooSmall), "{size}");
        }
        assert_eq!(head.emit(&mut buf[..full]), Ok(full));
    }

    #[test]
    fn error_responses() {
        let mut buf = [0u8; 256];
        let len = ErrorResponse::new(Status::NotFound).emit(&mut buf).unwrap();
        assert_eq!(
            &buf[..len],
            &b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 14\r\nConnection: close\r\n\r\n404 Not Found\n"[..]
        );
        let mut head_only = ErrorResponse::new(Status::NotFound);
        head_only.head_only = true;
        head_only.keep_alive = true;
        let len = head_only.emit(&mut buf).unwrap();
        assert!(buf[..len].ends_with(b"Content-Length: 14\r\nConnection: keep-alive\r\n\r\n"));
        let len = ErrorResponse::for_error(Error::MethodNotAllowed).emit(&mut buf).unwrap();
        assert!(contains(&buf[..len], b"\r\nAllow: GET, HEAD\r\n"));
        assert!(buf[..len].ends_with(b"\r\n\r\n405 Method Not Allowed\n"));
        let mut busy = ErrorResponse::new(Status::ServiceUnavailable);
        busy.retry_after = Some(2);
        let len = busy.emit(&mut buf).unwrap();
        assert!(contains(&buf[..len], b"\r\nRetry-After: 2\r\n"));
        assert_eq!(ErrorResponse::new(Status::NotModified).body_len(), 0);
    }

    #[test]
    fn every_error_response_fits_small_buffer() {
        for status in Status::ALL {
            let mut r = ErrorResponse::new(status);
            r.server = Some("proto-http");
            r.retry_after = Some(u32::MAX);
            let mut buf = [0u8; 256];
            let len = r.emit(&mut buf).unwrap();
            assert!(len <= 256);
            assert!(buf[..len].starts_with(b"HTTP/1.1 "));
        }
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }
}
