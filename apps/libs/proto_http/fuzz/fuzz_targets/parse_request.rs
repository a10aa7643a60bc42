//! Arbitrary bytes as a request stream: parsing never panics and its results keep their promises.

#![no_main]

use libfuzzer_sys::fuzz_target;
use proto_http::{
    accepts_gzip, gzip_sibling, if_none_match, normalize, ContentCoding, ETag, Error,
    ErrorResponse, Limits, Mime, Parsed, Request, ResponseHead,
};

/// Tight limits so the fuzzer reaches every limit path with short inputs.
const SMALL: Limits = Limits {
    max_request_line: 24,
    max_header_bytes: 48,
    max_headers: 3,
};

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
    }
});

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
                let Some(next) = usize::try_from(body)
                    .ok()
                    .and_then(|b| b.checked_add(head_len))
                    .filter(|&n| n <= rest.len())
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
        coding: if gzip {
            ContentCoding::Gzip
        } else {
            ContentCoding::IdentityVaried
        },
        keep_alive: request.keep_alive(),
        ..ResponseHead::new(proto_http::Status::Ok)
    };
    let mut buf = [0u8; 512];
    let len = head.emit(&mut buf).expect("a 200 head fits in 512 bytes");
    assert!(buf[..len].ends_with(b"\r\n\r\n"));
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
    let len = ErrorResponse::for_error(e)
        .emit(&mut buf)
        .expect("error response fits in 512 bytes");
    let code = e.status().code();
    let prefix = [b'H', b'T', b'T', b'P', b'/', b'1', b'.', b'1', b' '];
    assert!(buf[..len].starts_with(&prefix));
    let digits = [
        b'0' + (code / 100) as u8,
        b'0' + (code / 10 % 10) as u8,
        b'0' + (code % 10) as u8,
    ];
    assert_eq!(&buf[9..12], &digits);
}
