//! The response status codes this server can send, with their reason phrases.

/// A response status the server can send (RFC 9110 §15).
///
/// Only codes the server actually uses exist, so every value has a reason
/// phrase and a known body rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// 200: the representation follows.
    Ok,
    /// 204: success, deliberately empty (e.g. an API call with nothing to say).
    NoContent,
    /// 206: one byte range of the representation; carries `Content-Range`.
    PartialContent,
    /// 301: the resource is at `Location` (a directory asked for without its slash).
    MovedPermanently,
    /// 304: the client's cached copy (by `ETag`) is current.
    NotModified,
    /// 400: malformed request.
    BadRequest,
    /// 403: understood but refused (e.g. a hidden file).
    Forbidden,
    /// 404: no such resource.
    NotFound,
    /// 405: known method the resource does not support; carries `Allow`.
    MethodNotAllowed,
    /// 408: the client took too long to send its request head.
    RequestTimeout,
    /// 414: the request line is longer than the server accepts.
    UriTooLong,
    /// 416: the range asked for starts past the end; carries `Content-Range: bytes */len`.
    RangeNotSatisfiable,
    /// 431: too many or too large header fields.
    RequestHeaderFieldsTooLarge,
    /// 500: the server failed (e.g. the file service errored).
    InternalServerError,
    /// 501: unknown method or unsupported request framing.
    NotImplemented,
    /// 503: temporarily unable to serve (e.g. out of connections); may carry `Retry-After`.
    ServiceUnavailable,
    /// 505: an HTTP major version other than 1.
    HttpVersionNotSupported,
}

impl Status {
    /// Every status, in code order; handy for exhaustive tests.
    pub const ALL: [Status; 17] = [
        Status::Ok,
        Status::NoContent,
        Status::PartialContent,
        Status::MovedPermanently,
        Status::NotModified,
        Status::BadRequest,
        Status::Forbidden,
        Status::NotFound,
        Status::MethodNotAllowed,
        Status::RequestTimeout,
        Status::UriTooLong,
        Status::RangeNotSatisfiable,
        Status::RequestHeaderFieldsTooLarge,
        Status::InternalServerError,
        Status::NotImplemented,
        Status::ServiceUnavailable,
        Status::HttpVersionNotSupported,
    ];

    /// The three-digit status code.
    pub const fn code(self) -> u16 {
        match self {
            Status::Ok => 200,
            Status::NoContent => 204,
            Status::PartialContent => 206,
            Status::MovedPermanently => 301,
            Status::NotModified => 304,
            Status::BadRequest => 400,
            Status::Forbidden => 403,
            Status::NotFound => 404,
            Status::MethodNotAllowed => 405,
            Status::RequestTimeout => 408,
            Status::UriTooLong => 414,
            Status::RangeNotSatisfiable => 416,
            Status::RequestHeaderFieldsTooLarge => 431,
            Status::InternalServerError => 500,
            Status::NotImplemented => 501,
            Status::ServiceUnavailable => 503,
            Status::HttpVersionNotSupported => 505,
        }
    }

    /// The reason phrase registered for the code (RFC 9110 §15, RFC 6585 for 431).
    pub const fn reason(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::NoContent => "No Content",
            Status::PartialContent => "Partial Content",
            Status::MovedPermanently => "Moved Permanently",
            Status::NotModified => "Not Modified",
            Status::BadRequest => "Bad Request",
            Status::Forbidden => "Forbidden",
            Status::NotFound => "Not Found",
            Status::MethodNotAllowed => "Method Not Allowed",
            Status::RequestTimeout => "Request Timeout",
            Status::UriTooLong => "URI Too Long",
            Status::RangeNotSatisfiable => "Range Not Satisfiable",
            Status::RequestHeaderFieldsTooLarge => "Request Header Fields Too Large",
            Status::InternalServerError => "Internal Server Error",
            Status::NotImplemented => "Not Implemented",
            Status::ServiceUnavailable => "Service Unavailable",
            Status::HttpVersionNotSupported => "HTTP Version Not Supported",
        }
    }

    /// Looks a code up; `None` for codes this server never sends.
    pub fn from_code(code: u16) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether a response with this status may carry content (RFC 9110 §6.4.1: never 204/304).
    pub const fn allows_body(self) -> bool {
        !matches!(self, Status::NoContent | Status::NotModified)
    }

    /// The status class, 1 to 5 (`2` for 2xx).
    pub const fn class(self) -> u8 {
        (self.code() / 100) as u8
    }

    /// Whether this is a 4xx or 5xx status.
    pub const fn is_error(self) -> bool {
        self.code() >= 400
    }
}

impl core::fmt::Display for Status {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} {}", self.code(), self.reason())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_reasons() {
        assert_eq!(Status::Ok.code(), 200);
        assert_eq!(Status::NotModified.reason(), "Not Modified");
        assert_eq!(Status::UriTooLong.code(), 414);
        assert_eq!(Status::UriTooLong.reason(), "URI Too Long");
        assert_eq!(Status::RequestHeaderFieldsTooLarge.code(), 431);
        assert_eq!(Status::HttpVersionNotSupported.code(), 505);
    }

    #[test]
    fn all_is_sorted_unique_and_round_trips() {
        for pair in Status::ALL.windows(2) {
            assert!(pair[0].code() < pair[1].code());
        }
        for s in Status::ALL {
            assert_eq!(Status::from_code(s.code()), Some(s));
            assert!(!s.reason().is_empty());
            assert_eq!(s.is_error(), s.code() >= 400);
        }
        assert_eq!(Status::from_code(418), None);
    }

    #[test]
    fn body_rules() {
        assert!(!Status::NoContent.allows_body());
        assert!(!Status::NotModified.allows_body());
        assert!(Status::Ok.allows_body());
        assert!(Status::NotFound.allows_body());
    }
}
