//! Request targets: origin-form and absolute-form (RFC 9112 §3.2).

use crate::error::{BadRequest, Error};
use crate::syntax::is_host;

/// A request target (RFC 9112 §3.2): origin-form or absolute-form `http://`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target<'a> {
    raw: &'a [u8],
    authority: Option<&'a [u8]>,
    path: &'a [u8],
    query: Option<&'a [u8]>,
}

impl<'a> Target<'a> {
    /// Parses a target whose bytes are already known to be visible ASCII.
    pub(crate) fn parse(raw: &'a [u8]) -> Result<Target<'a>, Error> {
        const BAD: Error = Error::BadRequest(BadRequest::Target);
        // A fragment is never sent by a conforming client (RFC 9112 §3.2).
        if raw.contains(&b'#') {
            return Err(BAD);
        }
        let (authority, rest) = if raw.first() == Some(&b'/') {
            (None, raw)
        } else {
            // Absolute-form must be accepted (RFC 9112 §3.2.2); only our own scheme makes sense.
            let after_scheme = match raw.split_at_checked(7) {
                Some((scheme, rest)) if scheme.eq_ignore_ascii_case(b"http://") => rest,
                _ => return Err(BAD),
            };
            let end = after_scheme.iter().position(|&b| b == b'/' || b == b'?').unwrap_or(after_scheme.len());
            let authority = &after_scheme[..end];
            // Userinfo is deprecated in http URIs and must be treated as an error (RFC 9110 §4.2.4).
            if authority.is_empty() || !is_host(authority) {
                return Err(BAD);
            }
            (Some(authority), &after_scheme[end..])
        };
        let (path, query) = match rest.iter().position(|&b| b == b'?') {
            Some(q) => (&rest[..q], Some(&rest[q + 1..])),
            None => (rest, None),
        };
        // An absolute-form target with an empty path means "/" (RFC 9112 §3.2.2).
        let path: &'a [u8] = if path.is_empty() { b"/" } else { path };
        Ok(Target { raw, authority, path, query })
    }

    /// The target exactly as received.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// The authority of an absolute-form target (`host[:port]`), `None` for origin-form.
    pub fn authority(&self) -> Option<&'a [u8]> {
        self.authority
    }

    /// The path, still percent-encoded; always starts with `/`.
    pub fn path(&self) -> &'a [u8] {
        self.path
    }

    /// The query after `?` (possibly empty), still percent-encoded; `None` without `?`.
    pub fn query(&self) -> Option<&'a [u8]> {
        self.query
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_form() {
        let t = Target::parse(b"/a/b?c=d?e").unwrap();
        assert_eq!(t.raw(), b"/a/b?c=d?e");
        assert_eq!(t.authority(), None);
        assert_eq!(t.path(), b"/a/b");
        assert_eq!(t.query(), Some(&b"c=d?e"[..]));
        assert_eq!(Target::parse(b"//x").unwrap().path(), b"//x");
    }

    #[test]
    fn absolute_form() {
        let t = Target::parse(b"hTtP://[::1]:8080/x?y").unwrap();
        assert_eq!(t.authority(), Some(&b"[::1]:8080"[..]));
        assert_eq!(t.path(), b"/x");
        assert_eq!(t.query(), Some(&b"y"[..]));
        let t = Target::parse(b"http://h").unwrap();
        assert_eq!((t.path(), t.query()), (&b"/"[..], None));
    }

    #[test]
    fn rejected_forms() {
        for raw in [
            &b"*"[..],
            b"h:80",
            b"x/y",
            b"http:/",
            b"http://",
            b"http:///x",
            b"http://u:p@h/",
            b"https://h/",
            b"/a#b",
            b"",
        ] {
            assert_eq!(Target::parse(raw), Err(Error::BadRequest(BadRequest::Target)), "{raw:?}");
        }
    }
}
