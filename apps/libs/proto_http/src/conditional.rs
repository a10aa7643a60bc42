// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! Conditional and range requests evaluated in RFC 9110 §13.2.2 order:
//! `If-None-Match`, else `If-Modified-Since` (304); then `Range`, guarded by
//! `If-Range` (206, 416 or the whole 200).
//!
//! `If-Match` and `If-Unmodified-Since` are not evaluated: they guard state
//! changes, and this server changes nothing.

use crate::date::HttpDate;
use crate::etag::{split_entity_tag, ETag};
use crate::method::Method;
use crate::range::{ByteRange, RangeSet, Resolution};
use crate::request::Request;
use crate::syntax::trim_ows;

/// What the server knows about the representation it selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Validators<'a> {
    /// Its strong entity tag.
    pub etag: Option<&'a ETag>,
    /// Its modification time (the `Last-Modified` value), if known.
    pub last_modified: Option<HttpDate>,
}

/// How to answer a GET or HEAD for one representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// 304: the client's copy is current.
    NotModified,
    /// 200 with the whole representation.
    Full,
    /// 206 with these bytes.
    Partial(ByteRange),
    /// 416: the one range asked for starts past the end.
    Unsatisfiable,
}

/// The `If-Range` validator (RFC 9110 §13.1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IfRange<'a> {
    /// An entity-tag, quotes (and any `W/`) included: holds on a strong match only.
    ETag(&'a [u8]),
    /// A date: holds only if it equals the `Last-Modified` exactly.
    Date(HttpDate),
    /// Neither (or several field lines): never holds, so the whole representation is sent.
    Invalid,
}

impl<'a> IfRange<'a> {
    /// Parses one `If-Range` field value.
    pub fn parse(value: &'a [u8]) -> IfRange<'a> {
        let value = trim_ows(value);
        if value.starts_with(b"\"") || value.starts_with(b"W/") {
            return match split_entity_tag(value) {
                Some((tag, [])) => IfRange::ETag(tag),
                _ => IfRange::Invalid,
            };
        }
        HttpDate::parse(value).map_or(IfRange::Invalid, IfRange::Date)
    }

    /// Whether the range may be applied to the representation `v` describes.
    pub fn holds(&self, v: &Validators<'_>) -> bool {
        match *self {
            // A weak tag never matches strongly; ours are all strong.
            IfRange::ETag(tag) => !tag.starts_with(b"W/") && v.etag.is_some_and(|e| e.as_bytes() == tag),
            IfRange::Date(date) => v.last_modified == Some(date),
            IfRange::Invalid => false,
        }
    }
}

impl<'a> Request<'a> {
    /// The `If-Modified-Since` date; `None` if absent, invalid, or sent more than once
    /// (RFC 9110 §13.1.3 says to ignore it then).
    pub fn if_modified_since(&self) -> Option<HttpDate> {
        single(self.headers().get_all("If-Modified-Since")).and_then(HttpDate::parse)
    }

    /// The `Range` set; [`RangeSet::Invalid`] when absent or sent more than once.
    pub fn range(&self) -> RangeSet {
        let mut lines = self.headers().get_all("Range");
        match (lines.next(), lines.next()) {
            (Some(value), None) => RangeSet::parse(value),
            _ => RangeSet::Invalid,
        }
    }

    /// The `If-Range` validator, if the field was sent.
    pub fn if_range(&self) -> Option<IfRange<'a>> {
        let mut lines = self.headers().get_all("If-Range");
        let first = lines.next()?;
        Some(match lines.next() {
            None => IfRange::parse(first),
            Some(_) => IfRange::Invalid,
        })
    }

    /// Whether this request asks for one byte range, which the server serves
    /// from the identity representation (see the crate README on Range and gzip).
    pub fn wants_single_range(&self) -> bool {
        self.method() == Method::Get && matches!(self.range(), RangeSet::Single(_))
    }

    /// Decides between 304, 200, 206 and 416 for a representation of `len` bytes.
    ///
    /// `If-None-Match` takes precedence over `If-Modified-Since` (RFC 9110
    /// §13.2.2). `Range` applies to GET only (§14.2); HEAD gets the 200 head.
    pub fn evaluate(&self, v: &Validators<'_>, len: u64) -> Outcome {
        if self.headers().contains("If-None-Match") {
            if v.etag.is_some_and(|etag| self.etag_matches(etag)) {
                return Outcome::NotModified;
            }
        } else if let (Some(since), Some(modified)) = (self.if_modified_since(), v.last_modified) {
            if modified <= since {
                return Outcome::NotModified;
            }
        }
        if self.method() != Method::Get {
            return Outcome::Full;
        }
        let RangeSet::Single(spec) = self.range() else {
            return Outcome::Full;
        };
        if self.if_range().is_some_and(|cond| !cond.holds(v)) {
            return Outcome::Full;
        }
        match spec.resolve(len) {
            Resolution::Partial(range) => Outcome::Partial(range),
            Resolution::Unsatisfiable => Outcome::Unsatisfiable,
            Resolution::Whole => Outcome::Full,
        }
    }
}

/// The value of a field that must occur once.
fn single<'a>(mut values: impl Iterator<Item = &'a [u8]>) -> Option<&'a [u8]> {
    let first = values.next()?;
    values.next().is_none().then_some(first)
}
