//! Strong entity tags derived from file metadata, and `If-None-Match` evaluation.

use crate::syntax::is_ows;

/// Quotes, three hex fields (16 + 16 + 8 digits) and two dashes.
const MAX_LEN: usize = 2 + 16 + 1 + 16 + 1 + 8;

/// A strong entity tag such as `"1f4-65a0b1c2"`, held in a fixed buffer.
///
/// Derived from size and modification time (plus an optional extra value,
/// e.g. a volume generation or API revision), so it changes whenever the
/// file is replaced, without reading the content.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ETag {
    buf: [u8; MAX_LEN],
    len: u8,
}

impl ETag {
    /// Formats `"<size>-<mtime>[-<extra>]"`, each field in lowercase hex.
    pub fn new(size: u64, mtime: u64, extra: Option<u32>) -> ETag {
        let mut tag = ETag { buf: [0; MAX_LEN], len: 0 };
        tag.push(b'"');
        tag.push_hex(size);
        tag.push(b'-');
        tag.push_hex(mtime);
        if let Some(extra) = extra {
            tag.push(b'-');
            tag.push_hex(u64::from(extra));
        }
        tag.push(b'"');
        tag
    }

    fn push(&mut self, b: u8) {
        // MAX_LEN covers the longest output, so this index is always in bounds.
        self.buf[usize::from(self.len)] = b;
        self.len += 1;
    }

    fn push_hex(&mut self, value: u64) {
        let digits = (64 - value.leading_zeros()).div_ceil(4).max(1);
        for i in (0..digits).rev() {
            let nibble = (value >> (i * 4)) & 0xf;
            self.push(b"0123456789abcdef"[nibble as usize]);
        }
    }

    /// The tag as sent in the `ETag` header, quotes included.
    pub fn as_str(&self) -> &str {
        // Only ASCII quotes, hex digits and dashes are ever written.
        core::str::from_utf8(self.as_bytes()).unwrap_or("")
    }

    /// The tag's bytes, quotes included.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }
}

impl core::fmt::Debug for ETag {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "ETag({})", self.as_str())
    }
}

impl core::fmt::Display for ETag {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one `If-None-Match` field value says about a tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Evaluation {
    /// The value is exactly `*`.
    Star,
    /// A listed tag equals ours under weak comparison.
    Match,
    /// A well-formed list without our tag (possibly empty).
    NoMatch,
    /// Not `*` and not a valid list of entity-tags.
    Malformed,
}

/// Evaluates one `If-None-Match` field value against `etag`.
pub(crate) fn evaluate(value: &[u8], etag: &ETag) -> Evaluation {
    let ours = strip_weak(etag.as_bytes());
    let mut rest = value;
    let mut elements = 0;
    let mut matched = false;
    loop {
        rest = skip_ows(rest);
        let Some(&first) = rest.first() else { break };
        if first == b',' {
            // Empty list elements are allowed (RFC 9110 §5.6.1).
            rest = &rest[1..];
            continue;
        }
        elements += 1;
        if first == b'*' {
            rest = skip_ows(&rest[1..]);
            // `*` is only valid as the whole value.
            return if elements == 1 && rest.is_empty() { Evaluation::Star } else { Evaluation::Malformed };
        }
        let Some((tag, after)) = split_entity_tag(rest) else {
            return Evaluation::Malformed;
        };
        // Weak comparison (RFC 9110 §8.8.3.2): opaque tags equal, W/ ignored on both sides.
        matched |= strip_weak(tag) == ours;
        rest = skip_ows(after);
        match rest.first() {
            None => break,
            Some(b',') => rest = &rest[1..],
            Some(_) => return Evaluation::Malformed,
        }
    }
    if matched {
        Evaluation::Match
    } else {
        Evaluation::NoMatch
    }
}

/// Whether an `If-None-Match` value matches `etag`: `*`, or a listed tag equal
/// under weak comparison. Malformed values never match, so the full response is sent.
pub fn if_none_match(header_value: &[u8], etag: &ETag) -> bool {
    matches!(evaluate(header_value, etag), Evaluation::Star | Evaluation::Match)
}

/// Splits `[W/] DQUOTE *etagc DQUOTE` off the front of `s`.
pub(crate) fn split_entity_tag(s: &[u8]) -> Option<(&[u8], &[u8])> {
    let start = if s.starts_with(b"W/") { 2 } else { 0 };
    if s.get(start) != Some(&b'"') {
        return None;
    }
    let body = &s[start + 1..];
    let close = body.iter().position(|&b| b == b'"')?;
    // etagc = %x21 / %x23-7E / obs-text: no whitespace or controls inside the quotes.
    if !body[..close].iter().all(|&b| b == 0x21 || (0x23..0x7f).contains(&b) || b >= 0x80) {
        return None;
    }
    let end = start + 1 + close + 1;
    Some((&s[..end], &s[end..]))
}

fn strip_weak(tag: &[u8]) -> &[u8] {
    tag.strip_prefix(b"W/").unwrap_or(tag)
}

fn skip_ows(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if !is_ows(*first) {
            break;
        }
        s = rest;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting() {
        assert_eq!(ETag::new(0, 0, None).as_str(), "\"0-0\"");
        assert_eq!(ETag::new(500, 0x65a0_b1c2, None).as_str(), "\"1f4-65a0b1c2\"");
        assert_eq!(ETag::new(16, 15, Some(0xabc)).as_str(), "\"10-f-abc\"");
        let max = ETag::new(u64::MAX, u64::MAX, Some(u32::MAX));
        assert_eq!(max.as_str(), "\"ffffffffffffffff-ffffffffffffffff-ffffffff\"");
        assert_eq!(max.as_bytes().len(), MAX_LEN);
        assert_ne!(ETag::new(1, 2, None), ETag::new(1, 2, Some(0)));
        assert_ne!(ETag::new(1, 23, None), ETag::new(12, 3, None));
        assert_eq!(ETag::new(1, 2, None), ETag::new(1, 2, None));
    }

    #[test]
    fn if_none_match_table() {
        let tag = ETag::new(0x1f4, 0xabc, None); // "1f4-abc"
        let cases: &[(&[u8], bool)] = &[
            (b"\"1f4-abc\"", true),
            (b"W/\"1f4-abc\"", true),
            (b"  \"1f4-abc\"\t", true),
            (b"\"x\", \"1f4-abc\"", true),
            (b"\"x\",W/\"1f4-abc\" , \"y\"", true),
            (b", ,\"1f4-abc\",,", true),
            (b"*", true),
            (b" * ", true),
            (b"\"1f4-abd\"", false),
            (b"\"1F4-ABC\"", false),
            (b"1f4-abc", false),
            (b"\"1f4-abc", false),
            (b"w/\"1f4-abc\"", false),
            (b"W/ \"1f4-abc\"", false),
            (b"\"1f4-abc\" \"x\"", false),
            (b"\"1f4-abc\"x", false),
            (b"\"x\", *", false),
            (b"*, \"1f4-abc\"", false),
            (b"**", false),
            (b"\"1f4 abc\"", false),
            (b"\"x\", junk, \"1f4-abc\"", false),
            (b"", false),
            (b" , ", false),
            (b"\"\"", false),
        ];
        for (value, expected) in cases {
            assert_eq!(if_none_match(value, &tag), *expected, "{:?}", core::str::from_utf8(value));
        }
    }

    #[test]
    fn commas_inside_tags() {
        // etagc includes ',', so a naive split on commas would be wrong.
        let tag = ETag::new(1, 2, None);
        assert!(!if_none_match(b"\"a,\"1-2\"\"", &tag));
        assert!(if_none_match(b"\"a,b\", \"1-2\"", &tag));
        assert_eq!(evaluate(b"\"a,b\"", &tag), Evaluation::NoMatch);
    }

    #[test]
    fn evaluations() {
        let tag = ETag::new(1, 2, None);
        assert_eq!(evaluate(b"*", &tag), Evaluation::Star);
        assert_eq!(evaluate(b"\"1-2\"", &tag), Evaluation::Match);
        assert_eq!(evaluate(b"\"1-3\"", &tag), Evaluation::NoMatch);
        assert_eq!(evaluate(b"", &tag), Evaluation::NoMatch);
        assert_eq!(evaluate(b"nope", &tag), Evaluation::Malformed);
    }

    #[test]
    fn debug_and_display() {
        let tag = ETag::new(1, 2, None);
        let mut buf = [0u8; 32];
        let mut w = crate::writer::Writer::new(&mut buf);
        core::fmt::Write::write_fmt(&mut w, format_args!("{tag} {tag:?}")).unwrap();
        let len = w.len();
        assert_eq!(&buf[..len], b"\"1-2\" ETag(\"1-2\")");
    }
}
