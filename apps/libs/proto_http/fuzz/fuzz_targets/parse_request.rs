//! Arbitrary bytes as a request stream: parsing never panics and its results keep their promises.

#![no_main]

use libfuzzer_sys::fuzz_target;
use proto_http::{
    accepts_gzip, directory_location, directory_location_len, gzip_sibling, if_none_match, normalize, ByteRangeSpec,
    ContentCoding, ETag, Error, ErrorResponse, HttpDate, IfRange, Limits, Mime, Outcome, Parsed, RangeSet, Request,
    Resolution, ResponseHead, Status, Validators,
};

/// Tight limits so the fuzzer reaches every limit path with short inputs.
const SMALL: Limits = Limits { max_request_line: 24, max_header_bytes: 48, max_headers: 3 };

fuzz_target!(|data: &[u8]| {
    for limits in [Limits::DEFAULT, SMALL] {
        check_stream(data, &limits);
    }
    // The helpers also take header values and raw paths the parser would never pass.
    let etag = ETag::new(data.len() as u64, 0x1234, None);
    let _ = if_none_match(data, &etag);
    let _ = accepts_gzip(data);
    let mut out = [0u8; 64];
    if let Ok(path) = normalize(data, &mut out) {
        check_normalized(path.as_str());
        check_location(&path, data);
    }
    check_date(data);
    check_range(data);
    let _ = IfRange::parse(data)
        .holds(&Validators { etag: Some(&etag), last_modified: HttpDate::from_unix(u64::from(data.len() as u32)) });
});

/// A parsed date formats as IMF-fixdate and reads back as the same instant.
fn check_date(data: &[u8]) {
    if let Some(date) = HttpDate::parse(data) {
        let text = date.imf_fixdate();
        assert_eq!(HttpDate::parse(&text), Some(date));
        // IMF-fixdate input is reproduced exactly, but for the (unchecked) day
        // name and a leap second (read as the next minute's first).
        let imf = data.len() == text.len() && data.ends_with(b" GMT") && data.get(3) == Some(&b',');
        if imf && &data[23..25] != b"60" {
            assert_eq!(&data[3..], &text[3..]);
        }
    }
    // Any instant of a u32 (the FAT times) round-trips.
    if let Some(bytes) = data.get(..4) {
        let secs = u64::from(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]));
        let date = HttpDate::from_unix(secs).expect("u32 seconds are before 9999");
        assert_eq!(HttpDate::parse(&date.imf_fixdate()), Some(date));
    }
}

/// A resolved range lies inside the representation and is never empty.
fn check_range(data: &[u8]) {
    let RangeSet::Single(spec) = RangeSet::parse(data) else {
        return;
    };
    if let ByteRangeSpec::FromTo { first, last } = spec {
        assert!(first <= last);
    }
    for len in [0, 1, 2, 100, data.len() as u64, u64::MAX] {
        match spec.resolve(len) {
            Resolution::Partial(r) => {
                assert!(r.len >= 1 && r.start < len && r.last() < len, "{spec:?} {len}");
            }
            Resolution::Whole => assert_eq!(len, 0),
            Resolution::Unsatisfiable => {}
        }
    }
}

/// The redirect target is one absolute path that normalizes back to the same directory.
fn check_location(path: &proto_http::NormalizedPath<'_>, query: &[u8]) {
    let query = query.get(..query.len().min(16));
    let mut out = [0u8; 3 * 64 + 2 + 16];
    assert!(out.len() >= directory_location_len(path.as_str().len(), 16));
    let Some(location) = directory_location(path, query, &mut out) else {
        // Only a query no request line could carry is refused.
        assert!(query.is_some_and(|q| q.iter().any(|&b| !(0x21..0x7f).contains(&b) || b == b'#')));
        return;
    };
    assert!(location.starts_with('/') && !location.starts_with("//"));
    assert!(location.bytes().all(|b| (0x21..0x7f).contains(&b)));
    let path_part = location.split('?').next().unwrap_or("");
    let mut again = [0u8; 128];
    let back = normalize(path_part.as_bytes(), &mut again).expect("a Location normalizes");
    assert!(back.is_dir());
    assert_eq!(back.as_str().trim_end_matches('/'), path.as_str().trim_end_matches('/'));
}

/// Parses pipelined requests one after another, like the server's connection loop.
fn check_stream(data: &[u8], limits: &Limits) {
    let mut rest = data;
    for _ in 0..8 {
        let result = Request::parse(rest, limits);
        check_prefixes(rest, limits, &result);
        match result {
            Ok(Parsed::Incomplete) => return,
            Err(e) => {
                check_error_response(e);
                return;
            }
            Ok(Parsed::Complete { request, head_len }) => {
                assert!(head_len > 0 && head_len <= rest.len());
                // The head alone parses to the same request.
                let again = Request::parse(&rest[..head_len], limits);
                assert_eq!(again, Ok(Parsed::Complete { request, head_len }));
                check_request(&request, limits);
                let body = match request.body_len() {
                    Ok(n) => n,
                    Err(e) => {
                        check_error_response(e);
                        return;
                    }
                };
                let Some(next) =
                    usize::try_from(body).ok().and_then(|b| b.checked_add(head_len)).filter(|&n| n <= rest.len())
                else {
                    return;
                };
                rest = &rest[next..];
            }
        }
    }
}

/// A prefix of the input is either still incomplete or already says what the whole says.
fn check_prefixes(buf: &[u8], limits: &Limits, whole: &Result<Parsed<'_>, Error>) {
    let cuts = [buf.len() / 2, buf.len().saturating_sub(1)];
    for cut in cuts {
        let part = Request::parse(&buf[..cut], limits);
        match (&part, whole) {
            (Ok(Parsed::Incomplete), _) => {}
            (Ok(Parsed::Complete { .. }), Ok(Parsed::Complete { .. })) => assert_eq!(&part, whole),
            (Err(a), Err(b)) => assert_eq!(a, b),
            _ => panic!("prefix of {cut} bytes gave {part:?}, whole gave {whole:?}"),
        }
    }
}

fn check_request(request: &Request<'_>, limits: &Limits) {
    assert!(request.path().starts_with(b"/"));
    assert!(request.headers().len() <= limits.max_headers);
    for header in request.headers() {
        assert!(!header.name.is_empty());
        assert!(!header.name.contains(&b':'));
    }
    let etag = ETag::new(7, 9, Some(1));
    let _ = request.etag_matches(&etag);
    let gzip = request.accepts_gzip();
    let _ = request.keep_alive();
    check_evaluation(request, &etag);

    let mut out = [0u8; 256];
    let path = match request.normalized_path(&mut out) {
        Ok(path) => path,
        Err(e) => {
            assert!(matches!(e.status().code(), 400 | 414), "{e:?}");
            check_error_response(e);
            return;
        }
    };
    check_normalized(path.as_str());
    let mut gz = [0u8; 260];
    if let Some(sibling) = gzip_sibling(path.as_str(), &mut gz) {
        assert_eq!(sibling.strip_suffix(".gz"), Some(path.as_str()));
    }

    let head = ResponseHead {
        content_length: Some(request.content_length().unwrap_or(0)),
        content_type: Some(Mime::for_path(path.as_str()).as_str()),
        etag: Some(&etag),
        coding: if gzip { ContentCoding::Gzip } else { ContentCoding::IdentityVaried },
        keep_alive: request.keep_alive(),
        ..ResponseHead::new(proto_http::Status::Ok)
    };
    let mut buf = [0u8; 512];
    let len = head.emit(&mut buf).expect("a 200 head fits in 512 bytes");
    assert!(buf[..len].ends_with(b"\r\n\r\n"));
}

/// 304/200/206/416 decisions keep their promises, and each one's head fits.
fn check_evaluation(request: &Request<'_>, etag: &ETag) {
    let validators = Validators { etag: Some(etag), last_modified: HttpDate::from_unix(1_700_000_000) };
    for len in [0u64, 1, 1000] {
        let outcome = request.evaluate(&validators, len);
        if request.method() != proto_http::Method::Get {
            assert!(matches!(outcome, Outcome::Full | Outcome::NotModified));
        }
        if matches!(outcome, Outcome::Partial(_) | Outcome::Unsatisfiable) {
            assert!(request.wants_single_range());
        }
        let ok = ResponseHead {
            content_length: Some(len),
            etag: Some(etag),
            last_modified: validators.last_modified,
            accept_ranges: true,
            ..ResponseHead::new(Status::Ok)
        };
        let head = match outcome {
            Outcome::NotModified => ok.into_not_modified(),
            Outcome::Full => ok,
            Outcome::Partial(range) => {
                assert!(range.len >= 1 && range.last() < len);
                ok.into_partial(range)
            }
            Outcome::Unsatisfiable => {
                let mut buf = [0u8; 512];
                ErrorResponse::unsatisfiable(len, true).emit(&mut buf).expect("a 416 fits in 512 bytes");
                continue;
            }
        };
        let mut buf = [0u8; 512];
        head.emit(&mut buf).expect("a 200/206/304 head fits in 512 bytes");
    }
}

/// The normalized path invariants the file service relies on.
fn check_normalized(path: &str) {
    assert!(path.starts_with('/'));
    assert!(!path.contains("//"));
    assert!(!path.contains('\\'));
    assert!(!path.bytes().any(|b| b < 0x20 || b == 0x7f));
    for segment in path.split('/').skip(1) {
        assert!(segment != "." && segment != "..", "{path:?}");
    }
}

/// Every parse error has a ready response that fits a 512-byte buffer.
fn check_error_response(e: Error) {
    let mut buf = [0u8; 512];
    let len = ErrorResponse::for_error(e).emit(&mut buf).expect("error response fits in 512 bytes");
    let code = e.status().code();
    let prefix = [b'H', b'T', b'T', b'P', b'/', b'1', b'.', b'1', b' '];
    assert!(buf[..len].starts_with(&prefix));
    let digits = [b'0' + (code / 100) as u8, b'0' + (code / 10 % 10) as u8, b'0' + (code % 10) as u8];
    assert_eq!(&buf[9..12], &digits);
}
