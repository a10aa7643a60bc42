//! Request errors, each tied to the status code the server must answer with.

use crate::status::Status;

/// Why a request is rejected; [`Error::status`] is the response to send.
///
/// After any of these the server should send the matching
/// [`ErrorResponse`](crate::ErrorResponse) and close the connection: the
/// request's framing is not trustworthy, so the next request cannot be found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Error {
    /// 400: malformed request; the detail says which rule was broken.
    BadRequest(BadRequest),
    /// 405: a method this server knows but does not serve (answer with `Allow: GET, HEAD`).
    MethodNotAllowed,
    /// 501: a syntactically valid method this server does not know.
    MethodNotImplemented,
    /// 501: the request has a body framed with `Transfer-Encoding`, which is not supported.
    TransferEncodingNotImplemented,
    /// 414: the request line exceeds [`Limits::max_request_line`](crate::Limits), or a
    /// normalized path does not fit its output buffer.
    UriTooLong,
    /// 431: the header section exceeds [`Limits::max_header_bytes`](crate::Limits).
    HeaderSectionTooLarge,
    /// 431: more field lines than [`Limits::max_headers`](crate::Limits).
    TooManyHeaders,
    /// 505: a well-formed version other than HTTP/1.x.
    VersionNotSupported,
}

/// The rule a 400 Bad Request broke (for logs and tests; the response is the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BadRequest {
    /// Request line is not `method SP target SP version`, or contains a forbidden byte.
    RequestLine,
    /// Method is not a token.
    Method,
    /// Version is not `HTTP/DIGIT.DIGIT`.
    Version,
    /// Request target is neither origin-form nor absolute-form `http://`.
    Target,
    /// A field line is malformed (no colon, bad name, forbidden byte, bare CR).
    FieldLine,
    /// A field line starts with whitespace (obsolete line folding, RFC 9112 §5.2).
    ObsFold,
    /// HTTP/1.1 without `Host`, more than one `Host`, or an invalid `Host` value.
    Host,
    /// `Content-Length` is not a number or differs between occurrences.
    ContentLength,
    /// A `%` not followed by two hex digits.
    PercentEncoding,
    /// The decoded path contains NUL or another control character.
    ControlChar,
    /// The decoded path is not valid UTF-8.
    InvalidUtf8,
    /// `%2F` in the path (see the crate README for why it is refused).
    EncodedSlash,
    /// A backslash, raw or `%5C`, in the path (the FAT backend treats it as a separator).
    Backslash,
    /// A `..` segment that would climb above `/`.
    Traversal,
}

impl Error {
    /// The status code the server must answer with.
    pub const fn status(self) -> Status {
        match self {
            Error::BadRequest(_) => Status::BadRequest,
            Error::MethodNotAllowed => Status::MethodNotAllowed,
            Error::MethodNotImplemented | Error::TransferEncodingNotImplemented => Status::NotImplemented,
            Error::UriTooLong => Status::UriTooLong,
            Error::HeaderSectionTooLarge | Error::TooManyHeaders => Status::RequestHeaderFieldsTooLarge,
            Error::VersionNotSupported => Status::HttpVersionNotSupported,
        }
    }
}

impl From<BadRequest> for Error {
    fn from(detail: BadRequest) -> Self {
        Error::BadRequest(detail)
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::BadRequest(detail) => write!(f, "{} ({:?})", self.status(), detail),
            other => write!(f, "{} ({:?})", other.status(), other),
        }
    }
}

impl core::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(Error::BadRequest(BadRequest::Host).status().code(), 400);
        assert_eq!(Error::MethodNotAllowed.status().code(), 405);
        assert_eq!(Error::MethodNotImplemented.status().code(), 501);
        assert_eq!(Error::TransferEncodingNotImplemented.status().code(), 501);
        assert_eq!(Error::UriTooLong.status().code(), 414);
        assert_eq!(Error::HeaderSectionTooLarge.status().code(), 431);
        assert_eq!(Error::TooManyHeaders.status().code(), 431);
        assert_eq!(Error::VersionNotSupported.status().code(), 505);
        assert_eq!(Error::from(BadRequest::Traversal), Error::BadRequest(BadRequest::Traversal));
    }
}
