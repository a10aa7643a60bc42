//! Refused handshakes and the complete HTTP responses that say why.

use crate::error::EmitError;
use crate::writer::Writer;

/// Which WebSocket rule a 400 response is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BadHandshake {
    /// HTTP/1.0: the upgrade mechanism needs HTTP/1.1.
    HttpVersion,
    /// The request has a body, which would be mistaken for frames.
    Body,
    /// `Host` is empty.
    Host,
    /// `Upgrade` lacks the `websocket` token.
    Upgrade,
    /// `Connection` lacks the `upgrade` token.
    Connection,
    /// `Sec-WebSocket-Key` is missing, repeated, or not base64 of 16 bytes.
    Key,
    /// More than one `Origin` field.
    Origin,
}

impl BadHandshake {
    /// The explanation put in the response body.
    pub const fn as_str(self) -> &'static str {
        match self {
            BadHandshake::HttpVersion => "WebSocket needs HTTP/1.1",
            BadHandshake::Body => "an upgrade request has no body",
            BadHandshake::Host => "missing Host",
            BadHandshake::Upgrade => "expected Upgrade: websocket",
            BadHandshake::Connection => "expected Connection: Upgrade",
            BadHandshake::Key => "Sec-WebSocket-Key must be base64 of 16 bytes",
            BadHandshake::Origin => "more than one Origin",
        }
    }
}

/// Why an upgrade is refused; [`Rejection::emit`] writes the response, then close.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rejection {
    /// The head is not valid HTTP or exceeds the limits: proto-http's status
    /// (400, 414, 431, 501, 505).
    Http(proto_http::Error),
    /// 400: valid HTTP, but not a valid WebSocket handshake.
    BadRequest(BadHandshake),
    /// 405 with `Allow: GET`: upgrades are GET requests.
    MethodNotAllowed,
    /// 403: `Origin` is not in the allow-list.
    OriginNotAllowed,
    /// 404: no WebSocket endpoint at [`Upgrade::path`](crate::Upgrade::path). Never
    /// returned by parsing, which accepts any path; the caller decides.
    NotFound,
    /// 426 with `Sec-WebSocket-Version: 13`: missing or other protocol version.
    UnsupportedVersion,
    /// 503: every client slot is busy. Never returned by parsing; the server
    /// sends it itself, without reading the request.
    ServerFull,
}

impl From<proto_http::Error> for Rejection {
    fn from(e: proto_http::Error) -> Self {
        match e {
            // The response must say `Allow: GET`, not the web server's `GET, HEAD`.
            proto_http::Error::MethodNotAllowed => Rejection::MethodNotAllowed,
            other => Rejection::Http(other),
        }
    }
}

impl From<BadHandshake> for Rejection {
    fn from(detail: BadHandshake) -> Self {
        Rejection::BadRequest(detail)
    }
}

impl Rejection {
    /// The status code.
    pub fn status(&self) -> u16 {
        match self {
            Rejection::Http(proto_http::Error::MethodNotAllowed) | Rejection::MethodNotAllowed => 405,
            Rejection::Http(e) => e.status().code(),
            Rejection::BadRequest(_) => 400,
            Rejection::OriginNotAllowed => 403,
            Rejection::NotFound => 404,
            Rejection::UnsupportedVersion => 426,
            Rejection::ServerFull => 503,
        }
    }

    /// The reason phrase of the status.
    pub fn reason(&self) -> &'static str {
        match self.status() {
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            426 => "Upgrade Required",
            503 => "Service Unavailable",
            _ => match self {
                Rejection::Http(e) => e.status().reason(),
                _ => "Bad Request",
            },
        }
    }

    /// The short explanation put in the body.
    pub fn detail(&self) -> &'static str {
        use proto_http::Error as E;
        match self {
            Rejection::Http(E::BadRequest(_)) => "malformed request",
            Rejection::Http(E::MethodNotAllowed) | Rejection::MethodNotAllowed => "WebSocket upgrades use GET",
            Rejection::Http(E::MethodNotImplemented) => "unknown method",
            Rejection::Http(E::TransferEncodingNotImplemented) => "transfer codings not supported",
            Rejection::Http(E::UriTooLong) => "request line too long",
            Rejection::Http(E::HeaderSectionTooLarge) => "header section too large",
            Rejection::Http(E::TooManyHeaders) => "too many header fields",
            Rejection::Http(E::VersionNotSupported) => "HTTP version not supported",
            Rejection::BadRequest(detail) => detail.as_str(),
            Rejection::OriginNotAllowed => "origin not allowed",
            Rejection::NotFound => "no WebSocket endpoint at this path",
            Rejection::UnsupportedVersion => "WebSocket version 13 required",
            Rejection::ServerFull => "all WebSocket slots are busy",
        }
    }

    /// Writes the whole response: head with `Connection: close`, `Content-Length`
    /// and a `text/plain` body `"<code> <reason>: <detail>\n"`.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, EmitError> {
        let (status, reason, detail) = (self.status(), self.reason(), self.detail());
        let body_len = 3 + 1 + reason.len() + 2 + detail.len() + 1;
        let mut w = Writer::new(buf);
        w.str("HTTP/1.1 ")?;
        w.decimal(u64::from(status))?;
        w.str(" ")?;
        w.str(reason)?;
        w.str("\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ")?;
        w.decimal(body_len as u64)?;
        w.str("\r\n")?;
        match status {
            405 => w.str("Allow: GET\r\n")?,
            // RFC 9110 §15.5.22: a 426 names the protocol in `Upgrade`, which in
            // turn needs the `upgrade` connection option (RFC 9110 §7.8).
            426 => w.str("Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nConnection: Upgrade, close\r\n")?,
            _ => {}
        }
        if status != 426 {
            w.str("Connection: close\r\n")?;
        }
        w.str("\r\n")?;
        let body_start = w.len();
        w.decimal(u64::from(status))?;
        w.str(" ")?;
        w.str(reason)?;
        w.str(": ")?;
        w.str(detail)?;
        w.str("\n")?;
        debug_assert_eq!(w.len() - body_start, body_len);
        Ok(w.len())
    }
}

impl core::fmt::Display for Rejection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} {}: {}", self.status(), self.reason(), self.detail())
    }
}

impl core::error::Error for Rejection {}
