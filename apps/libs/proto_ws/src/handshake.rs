//! The opening handshake (RFC 6455 §4.2): judging the client's upgrade request and answering it.
//!
//! The head is parsed by proto-http (so limits, header syntax and case-insensitive
//! names follow the web server's rules); this module adds the WebSocket rules.
//! Subprotocols and extensions are never negotiated: `Sec-WebSocket-Protocol`
//! and `Sec-WebSocket-Extensions` are ignored and never echoed, which selects none.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use proto_http::{Limits, Method, Parsed, Request, ValuesIter, Version};
use sha1::{Digest, Sha1};

use crate::error::EmitError;
use crate::reject::{BadHandshake, Rejection};
use crate::writer::Writer;

/// Appended to the client's key before hashing (RFC 6455 §1.3).
pub const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Length of a `Sec-WebSocket-Accept` value: base64 of a 20-byte SHA-1.
pub const ACCEPT_LEN: usize = 28;

/// Every response this crate emits (101 or a rejection) fits a buffer this large.
pub const MAX_RESPONSE_LEN: usize = 256;

/// What the server accepts; see each field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config<'a> {
    /// Allowed `Origin` values, `scheme://host[:port]`, compared case-insensitively.
    ///
    /// Empty allows any origin. A request without `Origin` (not a browser) is always
    /// allowed: the check exists to stop other sites' pages using a visitor's browser.
    pub allowed_origins: &'a [&'a str],
    /// Request head limits (oversized heads get 414 or 431).
    pub limits: Limits,
}

impl Config<'static> {
    /// Any origin, proto-http's default limits.
    pub const DEFAULT: Config<'static> = Config { allowed_origins: &[], limits: Limits::DEFAULT };
}

impl<'a> Config<'a> {
    /// Default limits with an origin allow-list.
    pub const fn with_origins(allowed_origins: &'a [&'a str]) -> Self {
        Config { allowed_origins, limits: Limits::DEFAULT }
    }
}

impl Default for Config<'static> {
    fn default() -> Self {
        Config::DEFAULT
    }
}

/// Outcome of feeding the bytes received so far to [`Upgrade::parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handshake<'a> {
    /// The head is not complete yet and nothing so far is wrong: read more.
    Incomplete,
    /// A valid upgrade request.
    Complete {
        /// The accepted request; send [`Upgrade::emit_response`].
        upgrade: Upgrade<'a>,
        /// Bytes the head occupied; the client's first frames may follow in the same read.
        head_len: usize,
    },
}

/// An accepted upgrade request, borrowing from the receive buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Upgrade<'a> {
    request: Request<'a>,
    accept: [u8; ACCEPT_LEN],
}

impl<'a> Upgrade<'a> {
    /// Judges the head at the start of `buf`, which holds every byte received so far.
    ///
    /// Checks, in order: HTTP syntax and limits (proto-http), method `GET` (405),
    /// `HTTP/1.1` (400: HTTP/1.0 has no `Upgrade`, and 505 would wrongly claim
    /// major version 1 is unsupported), no body (400), non-empty `Host` (400),
    /// `Upgrade: websocket` and `Connection: upgrade` tokens (400),
    /// `Sec-WebSocket-Version: 13` (426, before the key because other versions
    /// use other key fields), `Sec-WebSocket-Key` of 16 base64 bytes (400),
    /// at most one `Origin` (400) and an allowed one (403).
    pub fn parse(buf: &'a [u8], config: &Config<'_>) -> Result<Handshake<'a>, Rejection> {
        let (request, head_len) = match Request::parse(buf, &config.limits)? {
            Parsed::Incomplete => return Ok(Handshake::Incomplete),
            Parsed::Complete { request, head_len } => (request, head_len),
        };
        let accept = check(&request, config)?;
        Ok(Handshake::Complete { upgrade: Upgrade { request, accept }, head_len })
    }

    /// The request, for any field beyond those below.
    pub fn request(&self) -> &Request<'a> {
        &self.request
    }

    /// The raw request path; any path is accepted here, routing is the caller's.
    pub fn path(&self) -> &'a [u8] {
        self.request.path()
    }

    /// The `Host` (or absolute-form authority), never empty.
    pub fn host(&self) -> &'a [u8] {
        self.request.host().unwrap_or_default()
    }

    /// The `Origin`, if a browser sent one (it passed the allow-list).
    pub fn origin(&self) -> Option<&'a [u8]> {
        self.request.headers().get("Origin")
    }

    /// The `Sec-WebSocket-Accept` value that answers the key.
    pub fn accept_key(&self) -> &str {
        // Base64 output is ASCII, so this never falls back.
        core::str::from_utf8(&self.accept).unwrap_or_default()
    }

    /// Writes the `101 Switching Protocols` response; frames may follow it at once.
    pub fn emit_response(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        let mut w = Writer::new(buf);
        w.str("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n")?;
        w.str("Sec-WebSocket-Accept: ")?;
        w.bytes(&self.accept)?;
        w.str("\r\n\r\n")?;
        Ok(w.len())
    }
}

/// `Sec-WebSocket-Accept` for a key: base64(SHA-1(key + GUID)), the key taken as sent.
pub fn accept_key(key: &[u8]) -> [u8; ACCEPT_LEN] {
    let mut sha = Sha1::new();
    sha.update(key);
    sha.update(GUID.as_bytes());
    let digest: [u8; 20] = sha.finalize().into();
    let mut out = [0u8; ACCEPT_LEN];
    // 20 bytes always encode to exactly 28 characters.
    let _ = STANDARD.encode_slice(digest, &mut out);
    out
}

/// The WebSocket rules on top of a valid HTTP head; returns the accept value.
fn check(request: &Request<'_>, config: &Config<'_>) -> Result<[u8; ACCEPT_LEN], Rejection> {
    if request.method() != Method::Get {
        return Err(Rejection::MethodNotAllowed);
    }
    if request.version() != Version::Http11 {
        return Err(BadHandshake::HttpVersion.into());
    }
    if request.has_transfer_encoding() || request.content_length().is_some_and(|n| n > 0) {
        return Err(BadHandshake::Body.into());
    }
    if request.host().is_none_or(<[u8]>::is_empty) {
        return Err(BadHandshake::Host.into());
    }
    let headers = request.headers();
    if !has_token(headers.get_all("Upgrade"), b"websocket") {
        return Err(BadHandshake::Upgrade.into());
    }
    if !has_token(headers.get_all("Connection"), b"upgrade") {
        return Err(BadHandshake::Connection.into());
    }
    if single(headers.get_all("Sec-WebSocket-Version")) != Some(b"13") {
        return Err(Rejection::UnsupportedVersion);
    }
    let key = single(headers.get_all("Sec-WebSocket-Key")).filter(|key| is_valid_key(key)).ok_or(BadHandshake::Key)?;
    let mut origins = headers.get_all("Origin");
    match (origins.next(), origins.next()) {
        (_, Some(_)) => return Err(BadHandshake::Origin.into()),
        (Some(origin), None) if !origin_allowed(origin, config.allowed_origins) => {
            return Err(Rejection::OriginNotAllowed);
        }
        _ => {}
    }
    Ok(accept_key(key))
}

/// The value of a field that must occur exactly once.
fn single<'a>(mut values: ValuesIter<'a, '_>) -> Option<&'a [u8]> {
    match (values.next(), values.next()) {
        (Some(value), None) => Some(value),
        _ => None,
    }
}

/// Whether any of the comma-separated lists contains `token`, ignoring ASCII case.
fn has_token(values: ValuesIter<'_, '_>, token: &[u8]) -> bool {
    values.flat_map(|value| value.split(|&b| b == b',')).any(|element| trim(element).eq_ignore_ascii_case(token))
}

/// Strips the optional whitespace around a list element.
fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// A key is the base64 (padded, canonical) of exactly 16 bytes (RFC 6455 §4.1).
fn is_valid_key(key: &[u8]) -> bool {
    // 16 bytes are 24 characters with padding; checking first keeps decode's buffer small.
    let mut raw = [0u8; 18];
    key.len() == 24 && STANDARD.decode_slice(key, &mut raw) == Ok(16)
}

/// Exact, case-insensitive match against a non-empty allow-list; empty allows all.
fn origin_allowed(origin: &[u8], allowed: &[&str]) -> bool {
    allowed.is_empty() || allowed.iter().any(|a| a.as_bytes().eq_ignore_ascii_case(origin))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_accept_example() {
        assert_eq!(&accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="), b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn keys() {
        assert!(is_valid_key(b"dGhlIHNhbXBsZSBub25jZQ=="));
        assert!(is_valid_key(b"AAAAAAAAAAAAAAAAAAAAAA=="));
        for bad in [
            &b""[..],
            b"dGhlIHNhbXBsZSBub25jZQ",     // unpadded
            b"dGhlIHNhbXBsZSBub25jZR==",   // non-zero trailing bits
            b"dGhlIHNhbXBsZSBub25j",       // 15 bytes
            b"dGhlIHNhbXBsZSBub25jZQ==AA", // trailing data
            b"dGhlIHNhbXBsZSBub25jZQ=A",   // padding in the middle
            b"dGhlIHNhbXBsZSBub25jZ!==",   // not base64
            b"dGhlIHNhbXBsZSBub25jZXM=",   // 17 bytes
        ] {
            assert!(!is_valid_key(bad), "{:?}", core::str::from_utf8(bad));
        }
    }

    #[test]
    fn tokens() {
        let h = proto_http::Request::parse(
            b"GET / HTTP/1.1\r\nHost: h\r\nX: a, ,b \r\nX: \tWebSocket\t\r\nY: websockets\r\n\r\n",
            &Limits::DEFAULT,
        );
        let Ok(Parsed::Complete { request, .. }) = h else { panic!("{h:?}") };
        assert!(has_token(request.headers().get_all("x"), b"websocket"));
        assert!(has_token(request.headers().get_all("x"), b"b"));
        assert!(!has_token(request.headers().get_all("y"), b"websocket"));
        assert!(!has_token(request.headers().get_all("z"), b"websocket"));
        assert_eq!(trim(b" \t a b\t "), b"a b");
        assert_eq!(trim(b"  "), b"");
    }
}
