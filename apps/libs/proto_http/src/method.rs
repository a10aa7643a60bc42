//! Request methods and protocol versions the server implements.

use crate::error::{BadRequest, Error};
use crate::syntax::is_token;

/// A method the server implements; anything else never becomes a [`Request`](crate::Request).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`.
    Get,
    /// `HEAD`: like GET, but the server must not send the body.
    Head,
}

impl Method {
    /// Value of the `Allow` header sent with 405.
    pub const ALLOW: &'static str = "GET, HEAD";

    /// Methods defined by RFC 9110/5789 that this server deliberately does not serve (→ 405).
    const KNOWN_NOT_ALLOWED: [&'static [u8]; 7] =
        [b"POST", b"PUT", b"DELETE", b"OPTIONS", b"PATCH", b"CONNECT", b"TRACE"];

    /// Classifies a method token; methods are case-sensitive (RFC 9110 §9.1).
    pub(crate) fn parse(token: &[u8]) -> Result<Method, Error> {
        match token {
            b"GET" => Ok(Method::Get),
            b"HEAD" => Ok(Method::Head),
            _ if Self::KNOWN_NOT_ALLOWED.contains(&token) => Err(Error::MethodNotAllowed),
            _ if is_token(token) => Err(Error::MethodNotImplemented),
            _ => Err(Error::BadRequest(BadRequest::Method)),
        }
    }

    /// The method as sent on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
        }
    }
}

/// An HTTP/1.x version the server accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Version {
    /// HTTP/1.0: connections close by default.
    Http10,
    /// HTTP/1.1: connections persist by default and `Host` is mandatory.
    Http11,
}

impl Version {
    /// Parses `HTTP/DIGIT.DIGIT` (case-sensitive, RFC 9112 §2.3).
    pub(crate) fn parse(s: &[u8]) -> Result<Version, Error> {
        match s {
            b"HTTP/1.1" => Ok(Version::Http11),
            b"HTTP/1.0" => Ok(Version::Http10),
            // A higher minor is processed as the highest one implemented (RFC 9110 §6.2).
            [b'H', b'T', b'T', b'P', b'/', b'1', b'.', minor] if minor.is_ascii_digit() => Ok(Version::Http11),
            [b'H', b'T', b'T', b'P', b'/', major, b'.', minor] if major.is_ascii_digit() && minor.is_ascii_digit() => {
                Err(Error::VersionNotSupported)
            }
            _ => Err(Error::BadRequest(BadRequest::Version)),
        }
    }

    /// The version as sent on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods() {
        assert_eq!(Method::parse(b"GET"), Ok(Method::Get));
        assert_eq!(Method::parse(b"HEAD"), Ok(Method::Head));
        for m in ["POST", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE"] {
            assert_eq!(Method::parse(m.as_bytes()), Err(Error::MethodNotAllowed), "{m}");
        }
        assert_eq!(Method::parse(b"get"), Err(Error::MethodNotImplemented));
        assert_eq!(Method::parse(b"PROPFIND"), Err(Error::MethodNotImplemented));
        assert_eq!(Method::parse(b"PRI"), Err(Error::MethodNotImplemented));
        assert_eq!(Method::parse(b"G(T"), Err(Error::BadRequest(BadRequest::Method)));
        assert_eq!(Method::parse(b""), Err(Error::BadRequest(BadRequest::Method)));
        assert_eq!(Method::Head.as_str(), "HEAD");
    }

    #[test]
    fn versions() {
        assert_eq!(Version::parse(b"HTTP/1.1"), Ok(Version::Http11));
        assert_eq!(Version::parse(b"HTTP/1.0"), Ok(Version::Http10));
        assert_eq!(Version::parse(b"HTTP/1.2"), Ok(Version::Http11));
        assert_eq!(Version::parse(b"HTTP/1.9"), Ok(Version::Http11));
        for v in ["HTTP/2.0", "HTTP/0.9", "HTTP/3.0", "HTTP/9.9"] {
            assert_eq!(Version::parse(v.as_bytes()), Err(Error::VersionNotSupported), "{v}");
        }
        for v in ["http/1.1", "HTTP/1", "HTTP/1.10", "HTTP/11", "HTTP/a.b", "HTTP 1.1", "", "HTTP/2"] {
            assert_eq!(Version::parse(v.as_bytes()), Err(Error::BadRequest(BadRequest::Version)), "{v}");
        }
    }
}
