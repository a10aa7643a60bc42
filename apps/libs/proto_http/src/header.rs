//! A view over a validated header section, and the `Connection` field.

use crate::syntax::{list_elements, trim_ows};

/// One field line: name as received (compare case-insensitively) and OWS-trimmed value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// Field name, a token; case as received.
    pub name: &'a [u8],
    /// Field value without surrounding whitespace; may contain obs-text (bytes ≥ 0x80).
    pub value: &'a [u8],
}

impl<'a> Header<'a> {
    /// Whether the name equals `name`, ignoring ASCII case.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }

    /// The value as text, if it is valid UTF-8.
    pub fn value_str(&self) -> Option<&'a str> {
        core::str::from_utf8(self.value).ok()
    }
}

/// The header section of a parsed request; every line in it has been validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Headers<'a> {
    // Field lines with their line endings, from the first up to (excluding) the empty line.
    raw: &'a [u8],
}

impl<'a> Headers<'a> {
    /// Only the request parser builds this, after validating every line in `raw`.
    pub(crate) const fn new(raw: &'a [u8]) -> Self {
        Headers { raw }
    }

    /// Iterates the field lines in order of arrival.
    pub fn iter(&self) -> HeaderIter<'a> {
        HeaderIter { rest: self.raw }
    }

    /// Number of field lines.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether there are no field lines at all.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// The value of the first field named `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&'a [u8]> {
        self.get_all(name).next()
    }

    /// The values of every field named `name`, in order (a list field may be split over lines).
    pub fn get_all<'n>(&self, name: &'n str) -> ValuesIter<'a, 'n> {
        ValuesIter { inner: self.iter(), name }
    }

    /// Whether a field named `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

impl<'a> IntoIterator for Headers<'a> {
    type Item = Header<'a>;
    type IntoIter = HeaderIter<'a>;
    fn into_iter(self) -> HeaderIter<'a> {
        self.iter()
    }
}

/// Iterator over the field lines of [`Headers`].
#[derive(Debug, Clone)]
pub struct HeaderIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for HeaderIter<'a> {
    type Item = Header<'a>;

    fn next(&mut self) -> Option<Header<'a>> {
        if self.rest.is_empty() {
            return None;
        }
        let end = self.rest.iter().position(|&b| b == b'\n').unwrap_or(self.rest.len());
        let mut line = &self.rest[..end];
        self.rest = self.rest.get(end + 1..).unwrap_or(&[]);
        if let [body @ .., b'\r'] = line {
            line = body;
        }
        // The parser guarantees a colon; an absent one would yield an empty name.
        let colon = line.iter().position(|&b| b == b':').unwrap_or(line.len());
        Some(Header { name: &line[..colon], value: trim_ows(line.get(colon + 1..).unwrap_or(&[])) })
    }
}

/// Iterator over the values of one field name, from [`Headers::get_all`].
#[derive(Debug, Clone)]
pub struct ValuesIter<'a, 'n> {
    inner: HeaderIter<'a>,
    name: &'n str,
}

impl<'a> Iterator for ValuesIter<'a, '_> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let name = self.name;
        self.inner.find(|h| h.is(name)).map(|h| h.value)
    }
}

/// Connection options that matter to persistence (RFC 9112 §9.3, §9.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Connection {
    /// `close` was listed: the client will not send another request.
    pub close: bool,
    /// `keep-alive` was listed: an HTTP/1.0 client asks to persist.
    pub keep_alive: bool,
}

impl Connection {
    /// Adds the options listed in one `Connection` field value; other options are ignored.
    pub(crate) fn add(&mut self, value: &[u8]) {
        for option in list_elements(value) {
            if option.eq_ignore_ascii_case(b"close") {
                self.close = true;
            } else if option.eq_ignore_ascii_case(b"keep-alive") {
                self.keep_alive = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RAW: &[u8] = b"Host: a\r\nAccept:  text/html \r\nX-Empty:\nACCEPT:\t*/*\t\r\n";

    #[test]
    fn iterates_and_trims() {
        let h = Headers::new(RAW);
        let all: [Header<'_>; 4] = {
            let mut it = h.iter();
            core::array::from_fn(|_| it.next().unwrap())
        };
        assert_eq!(all[0], Header { name: b"Host", value: b"a" });
        assert_eq!(all[1], Header { name: b"Accept", value: b"text/html" });
        assert_eq!(all[2], Header { name: b"X-Empty", value: b"" });
        assert_eq!(all[3], Header { name: b"ACCEPT", value: b"*/*" });
        assert_eq!(h.len(), 4);
        assert!(!h.is_empty());
        assert!(Headers::new(b"").is_empty());
        assert_eq!(Headers::new(b"").iter().next(), None);
    }

    #[test]
    fn lookup_is_case_insensitive() {
        let h = Headers::new(RAW);
        assert_eq!(h.get("accept"), Some(&b"text/html"[..]));
        assert_eq!(h.get("HOST"), Some(&b"a"[..]));
        assert_eq!(h.get("x-empty"), Some(&b""[..]));
        assert_eq!(h.get("missing"), None);
        assert!(h.contains("X-EMPTY"));
        let mut values = h.get_all("Accept");
        assert_eq!(values.next(), Some(&b"text/html"[..]));
        assert_eq!(values.next(), Some(&b"*/*"[..]));
        assert_eq!(values.next(), None);
        assert_eq!(h.iter().next().unwrap().value_str(), Some("a"));
    }

    #[test]
    fn connection_options() {
        let mut c = Connection::default();
        c.add(b"Upgrade, KEEP-ALIVE");
        assert_eq!(c, Connection { close: false, keep_alive: true });
        c.add(b" ,Close ,");
        assert_eq!(c, Connection { close: true, keep_alive: true });
        let mut d = Connection::default();
        d.add(b"closed, keep-alive-ish");
        assert_eq!(d, Connection::default());
    }
}
