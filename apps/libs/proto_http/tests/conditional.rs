// Licensed under the Apache License, Version 2.0 or the MIT License.
// SPDX-License-Identifier: Apache-2.0 OR MIT

//! 304 / 200 / 206 / 416 decisions in RFC 9110 §13.2.2 order, `If-Range`,
//! and the 304 header set.

use proto_http::{
    ByteRange, ContentCoding, ETag, HttpDate, IfRange, Limits, Mime, Outcome, Parsed, Request, ResponseHead, Status,
    Validators,
};

/// Sun, 06 Nov 1994 08:49:37 GMT.
const MTIME: u64 = 784_111_777;
const LEN: u64 = 1000;

fn request(extra: &str) -> String {
    format!("GET /f.bin HTTP/1.1\r\nHost: b\r\n{extra}\r\n")
}

fn parsed(raw: &str) -> Request<'_> {
    match Request::parse(raw.as_bytes(), &Limits::DEFAULT) {
        Ok(Parsed::Complete { request, .. }) => request,
        other => panic!("{raw:?}: {other:?}"),
    }
}

fn outcome(extra: &str) -> Outcome {
    let raw = request(extra);
    let etag = ETag::new(LEN, MTIME, None);
    let v = Validators { etag: Some(&etag), last_modified: HttpDate::from_unix(MTIME) };
    parsed(&raw).evaluate(&v, LEN)
}

fn part(start: u64, len: u64) -> Outcome {
    Outcome::Partial(ByteRange { start, len })
}

const TAG: &str = "\"3e8-2ebc98a1\"";

#[test]
fn etag_is_what_the_tests_assume() {
    assert_eq!(ETag::new(LEN, MTIME, None).as_str(), TAG);
}

#[test]
fn if_modified_since() {
    assert_eq!(outcome(""), Outcome::Full);
    let same = "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n";
    assert_eq!(outcome(same), Outcome::NotModified);
    let later = "If-Modified-Since: Sun, 06 Nov 1994 08:49:38 GMT\r\n";
    assert_eq!(outcome(later), Outcome::NotModified);
    let earlier = "If-Modified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n";
    assert_eq!(outcome(earlier), Outcome::Full);
    // The obsolete formats count as well.
    assert_eq!(outcome("If-Modified-Since: Sunday, 06-Nov-94 08:49:37 GMT\r\n"), Outcome::NotModified);
    assert_eq!(outcome("If-Modified-Since: Sun Nov  6 08:49:37 1994\r\n"), Outcome::NotModified);
    // Invalid, or more than one: ignored.
    assert_eq!(outcome("If-Modified-Since: yesterday\r\n"), Outcome::Full);
    assert_eq!(outcome(&format!("{same}{same}")), Outcome::Full);
}

#[test]
fn if_modified_since_needs_a_modification_time() {
    let raw = request("If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n");
    let etag = ETag::new(LEN, 0, None);
    let v = Validators { etag: Some(&etag), last_modified: None };
    assert_eq!(parsed(&raw).evaluate(&v, LEN), Outcome::Full);
}

#[test]
fn if_none_match_takes_precedence() {
    let fresh_date = "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n";
    // A non-matching tag wins over a date that would say 304.
    assert_eq!(outcome(&format!("If-None-Match: \"other\"\r\n{fresh_date}")), Outcome::Full);
    let old_date = "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT\r\n";
    assert_eq!(outcome(&format!("{old_date}If-None-Match: {TAG}\r\n")), Outcome::NotModified);
    assert_eq!(outcome("If-None-Match: *\r\n"), Outcome::NotModified);
}

#[test]
fn ranges() {
    assert_eq!(outcome("Range: bytes=100-199\r\n"), part(100, 100));
    assert_eq!(outcome("Range: bytes=-100\r\n"), part(900, 100));
    assert_eq!(outcome("Range: bytes=900-\r\n"), part(900, 100));
    assert_eq!(outcome("Range: bytes=1000-\r\n"), Outcome::Unsatisfiable);
    assert_eq!(outcome("Range: bytes=0-1,5-6\r\n"), Outcome::Full);
    assert_eq!(outcome("Range: bytes=9-1\r\n"), Outcome::Full);
    assert_eq!(outcome("Range: pages=1-2\r\n"), Outcome::Full);
    assert_eq!(outcome("Range: bytes=0-1\r\nRange: bytes=2-3\r\n"), Outcome::Full);
    // A 304 comes before any range.
    assert_eq!(outcome(&format!("Range: bytes=0-1\r\nIf-None-Match: {TAG}\r\n")), Outcome::NotModified);
}

#[test]
fn head_ignores_range() {
    let raw = "HEAD /f.bin HTTP/1.1\r\nHost: b\r\nRange: bytes=0-1\r\n\r\n";
    let etag = ETag::new(LEN, MTIME, None);
    let v = Validators { etag: Some(&etag), last_modified: None };
    assert_eq!(parsed(raw).evaluate(&v, LEN), Outcome::Full);
    assert!(!parsed(raw).wants_single_range());
    assert!(parsed(&request("Range: bytes=0-1\r\n")).wants_single_range());
    assert!(!parsed(&request("Range: bytes=0-1,3-4\r\n")).wants_single_range());
}

#[test]
fn if_range() {
    let range = "Range: bytes=100-199\r\n";
    let cases = [
        (format!("If-Range: {TAG}\r\n"), part(100, 100)),
        ("If-Range: \"stale\"\r\n".into(), Outcome::Full),
        (format!("If-Range: W/{TAG}\r\n"), Outcome::Full),
        ("If-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n".into(), part(100, 100)),
        ("If-Range: Sun, 06 Nov 1994 08:49:38 GMT\r\n".into(), Outcome::Full),
        ("If-Range: garbage\r\n".into(), Outcome::Full),
        (format!("If-Range: {TAG}, \"x\"\r\n"), Outcome::Full),
        (format!("If-Range: {TAG}\r\nIf-Range: {TAG}\r\n"), Outcome::Full),
    ];
    for (if_range, expected) in cases {
        assert_eq!(outcome(&format!("{range}{if_range}")), expected, "{if_range:?}");
    }
    // If-Range does nothing without Range, and cannot make an unsatisfiable range a 416.
    assert_eq!(outcome("If-Range: \"stale\"\r\n"), Outcome::Full);
    assert_eq!(outcome("Range: bytes=5000-\r\nIf-Range: \"stale\"\r\n"), Outcome::Full);
}

#[test]
fn if_range_values() {
    let etag = ETag::new(1, 2, None);
    let v = Validators { etag: Some(&etag), last_modified: HttpDate::from_unix(5) };
    assert!(IfRange::parse(b"\"1-2\"").holds(&v));
    assert!(IfRange::parse(b" \"1-2\" ").holds(&v));
    assert!(!IfRange::parse(b"\"1-3\"").holds(&v));
    assert_eq!(IfRange::parse(b"\"1-2"), IfRange::Invalid);
    assert!(IfRange::parse(b"Thu, 01 Jan 1970 00:00:05 GMT").holds(&v));
    assert!(!IfRange::parse(b"Thu, 01 Jan 1970 00:00:05 GMT").holds(&Validators::default()));
}

/// RFC 9110 §15.4.5: a 304 carries the ETag, Vary, Cache-Control (and here
/// Last-Modified) the 200 would, and no content fields.
#[test]
fn not_modified_has_the_200s_header_set() {
    let etag = ETag::new(LEN, MTIME, Some(1));
    let ok = ResponseHead {
        content_length: Some(LEN),
        content_type: Some(Mime::JavaScript.as_str()),
        etag: Some(&etag),
        coding: ContentCoding::Gzip,
        cache_control: Some("no-cache"),
        last_modified: HttpDate::from_unix(MTIME),
        accept_ranges: true,
        server: Some("s"),
        ..ResponseHead::new(Status::Ok)
    };
    let emit = |head: &ResponseHead<'_>| {
        let mut buf = [0u8; 512];
        let len = head.emit(&mut buf).unwrap();
        String::from_utf8(buf[..len].to_vec()).unwrap()
    };
    let full = emit(&ok);
    let not_modified = emit(&ok.into_not_modified());
    assert!(not_modified.starts_with("HTTP/1.1 304 Not Modified\r\n"));
    for field in ["ETag", "Vary", "Cache-Control", "Last-Modified", "Server", "Connection"] {
        let line = |text: &str| text.lines().find(|l| l.starts_with(&format!("{field}: "))).map(str::to_string);
        assert!(line(&full).is_some(), "{field}");
        assert_eq!(line(&not_modified), line(&full), "{field}");
    }
    for field in ["Content-Length", "Content-Type", "Content-Encoding", "Accept-Ranges"] {
        assert!(!not_modified.contains(field), "{field}");
    }
}

#[test]
fn partial_keeps_the_200s_fields() {
    let etag = ETag::new(LEN, MTIME, None);
    let ok = ResponseHead {
        content_length: Some(LEN),
        etag: Some(&etag),
        last_modified: HttpDate::from_unix(MTIME),
        accept_ranges: true,
        ..ResponseHead::new(Status::Ok)
    };
    let head = ok.into_partial(ByteRange { start: 100, len: 100 });
    let mut buf = [0u8; 512];
    let len = head.emit(&mut buf).unwrap();
    let text = std::str::from_utf8(&buf[..len]).unwrap();
    assert!(text.starts_with("HTTP/1.1 206 Partial Content\r\n"));
    assert!(text.contains("\r\nContent-Length: 100\r\n"));
    assert!(text.contains("\r\nContent-Range: bytes 100-199/1000\r\n"));
    assert!(text.contains("\r\nAccept-Ranges: bytes\r\n"));
    assert!(text.contains(&format!("\r\nETag: {TAG}\r\n")));
    assert!(text.contains("\r\nLast-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"));
}

#[test]
fn unsatisfiable_response() {
    let mut buf = [0u8; 512];
    let len = proto_http::ErrorResponse::unsatisfiable(1000, true).emit(&mut buf).unwrap();
    let text = std::str::from_utf8(&buf[..len]).unwrap();
    assert!(text.starts_with("HTTP/1.1 416 Range Not Satisfiable\r\n"));
    assert!(text.contains("\r\nContent-Range: bytes */1000\r\n"));
    assert!(text.contains("\r\nConnection: keep-alive\r\n"));
    assert!(text.ends_with("\r\n\r\n416 Range Not Satisfiable\n"));
}
