// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Byte range requests (RFC 9110 §14): the `Range` field and its resolution.
//!
//! Only one range is served; a valid request for several gets the whole
//! representation (200), which RFC 9110 §14.2 allows ("a server MAY ignore the
//! Range header field"): multipart/byteranges bodies are not worth their code
//! here. Invalid or non-`bytes` ranges are ignored the same way.

use crate::syntax::{is_ows, trim_ows};

/// One `range-spec` of a `bytes` range set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ByteRangeSpec {
    /// `first-last`: both inclusive (`last` may lie past the end).
    FromTo {
        /// First byte wanted.
        first: u64,
        /// Last byte wanted, inclusive.
        last: u64,
    },
    /// `first-`: from `first` to the end.
    From(u64),
    /// `-n`: the last `n` bytes.
    Suffix(u64),
}

/// What a `Range` field value asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RangeSet {
    /// Exactly one byte range: served as 206 when satisfiable.
    Single(ByteRangeSpec),
    /// A valid `bytes` set of two or more ranges: answered with the whole representation.
    Multiple,
    /// Not a valid `bytes` range set (another unit, bad numbers, `last < first`): ignored.
    Invalid,
}

/// A satisfiable range resolved against a representation: `len` bytes from `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ByteRange {
    /// Offset of the first byte sent.
    pub start: u64,
    /// Bytes sent, at least 1.
    pub len: u64,
}

impl ByteRange {
    /// Offset of the last byte sent (inclusive, as `Content-Range` has it).
    pub const fn last(&self) -> u64 {
        self.start + self.len - 1
    }
}

/// A range set checked against the length of the selected representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resolution {
    /// Send these bytes with 206.
    Partial(ByteRange),
    /// Answer 416 with `Content-Range: bytes */<len>`.
    Unsatisfiable,
    /// Send the whole representation with 200 (a suffix range of an empty one:
    /// satisfiable by RFC 9110 §14.1.3, yet there is no byte to name).
    Whole,
}

impl RangeSet {
    /// Parses a `Range` field value: `bytes=` (unit case-insensitive) and a list of range specs.
    pub fn parse(value: &[u8]) -> RangeSet {
        let value = trim_ows(value);
        let Some(set) = value.get(..6).filter(|unit| unit.eq_ignore_ascii_case(b"bytes=")).map(|_| &value[6..]) else {
            return RangeSet::Invalid;
        };
        let mut first = None;
        let mut count = 0usize;
        // `1#range-spec`: OWS around elements, empty elements allowed (RFC 9110 §5.6.1).
        for element in set.split(|&b| b == b',') {
            let element = trim_ows(element);
            if element.is_empty() {
                continue;
            }
            let Some(spec) = ByteRangeSpec::parse(element) else {
                return RangeSet::Invalid;
            };
            count += 1;
            first.get_or_insert(spec);
        }
        match (first, count) {
            (Some(spec), 1) => RangeSet::Single(spec),
            (Some(_), _) => RangeSet::Multiple,
            (None, _) => RangeSet::Invalid,
        }
    }
}

impl ByteRangeSpec {
    /// Parses `first-[last]` or `-suffix` (no whitespace inside).
    fn parse(s: &[u8]) -> Option<ByteRangeSpec> {
        if s.iter().copied().any(is_ows) {
            return None;
        }
        let dash = s.iter().position(|&b| b == b'-')?;
        let (first, last) = (&s[..dash], &s[dash + 1..]);
        match (first.is_empty(), last.is_empty()) {
            (true, true) => None,
            (true, false) => Some(ByteRangeSpec::Suffix(saturating_u64(last)?)),
            (false, true) => Some(ByteRangeSpec::From(saturating_u64(first)?)),
            (false, false) => {
                let (first, last) = (saturating_u64(first)?, saturating_u64(last)?);
                // RFC 9110 §14.1.1: an int-range with last-pos < first-pos is invalid.
                (last >= first).then_some(ByteRangeSpec::FromTo { first, last })
            }
        }
    }

    /// The bytes this spec selects of a representation of `len` bytes (RFC 9110 §14.1.2).
    pub fn resolve(self, len: u64) -> Resolution {
        let (start, end) = match self {
            ByteRangeSpec::FromTo { first, .. } | ByteRangeSpec::From(first) if first >= len => {
                return Resolution::Unsatisfiable
            }
            ByteRangeSpec::FromTo { first, last } => (first, last.min(len - 1)),
            ByteRangeSpec::From(first) => (first, len - 1),
            ByteRangeSpec::Suffix(0) => return Resolution::Unsatisfiable,
            ByteRangeSpec::Suffix(_) if len == 0 => return Resolution::Whole,
            ByteRangeSpec::Suffix(n) => (len - n.min(len), len - 1),
        };
        Resolution::Partial(ByteRange { start, len: end - start + 1 })
    }
}

/// `1*DIGIT`, saturating: a position past any length is still a valid (unsatisfiable) one.
fn saturating_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u64, |acc, &b| {
        let digit = b.checked_sub(b'0').filter(|d| *d <= 9)?;
        Some(acc.saturating_mul(10).saturating_add(u64::from(digit)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saturates() {
        assert_eq!(saturating_u64(b"99999999999999999999999"), Some(u64::MAX));
        assert_eq!(saturating_u64(b"007"), Some(7));
        assert_eq!(saturating_u64(b""), None);
        assert_eq!(saturating_u64(b"1a"), None);
    }
}
