//! The server's request-to-response decisions, end to end, as the firmware will make them.

use proto_http::{
    gzip_sibling, ContentCoding, ETag, Error, ErrorResponse, Limits, Method, Mime, Parsed, Request, ResponseHead,
    Status,
};

/// A stand-in for the FAT file service: (path, size, mtime).
const FILES: &[(&str, u64, u64)] =
    &[("/index.html", 1200, 100), ("/app.js", 50_000, 200), ("/app.js.gz", 12_000, 200), ("/logo.png", 3_000, 300)];

fn stat(path: &str) -> Option<(u64, u64)> {
    FILES.iter().find(|(p, _, _)| *p == path).map(|&(_, size, mtime)| (size, mtime))
}

/// Returns the emitted head and whether the connection stays open.
fn serve(raw: &[u8]) -> (String, bool) {
    let mut out = [0u8; 512];
    let request = match Request::parse(raw, &Limits::DEFAULT) {
        Ok(Parsed::Complete { request, .. }) => request,
        Ok(Parsed::Incomplete) => panic!("incomplete"),
        Err(e) => return error(e, &mut out),
    };
    if let Err(e) = request.body_len() {
        return error(e, &mut out);
    }
    let mut path_buf = [0u8; 256];
    let path = match request.normalized_path(&mut path_buf) {
        Ok(p) => p,
        Err(e) => return error(e, &mut out),
    };
    let name = if path.is_dir() { "/index.html" } else { path.as_str() };
    let Some((size, mtime)) = stat(name) else {
        let mut resp = ErrorResponse::new(Status::NotFound);
        resp.keep_alive = request.keep_alive();
        resp.head_only = request.method() == Method::Head;
        let len = resp.emit(&mut out).unwrap();
        return (String::from_utf8(out[..len].to_vec()).unwrap(), request.keep_alive());
    };
    let mut gz_buf = [0u8; 260];
    let gz = gzip_sibling(name, &mut gz_buf).and_then(stat);
    let coding = match gz {
        Some(_) if request.accepts_gzip() => ContentCoding::Gzip,
        Some(_) => ContentCoding::IdentityVaried,
        None => ContentCoding::Identity,
    };
    let (size, mtime) = if coding == ContentCoding::Gzip { gz.unwrap() } else { (size, mtime) };
    let etag = ETag::new(size, mtime, Some(coding as u32));
    let mut head = if request.etag_matches(&etag) {
        ResponseHead::not_modified(&etag)
    } else {
        ResponseHead {
            content_length: Some(size),
            content_type: Some(Mime::for_path(name).as_str()),
            etag: Some(&etag),
            ..ResponseHead::new(Status::Ok)
        }
    };
    head.coding = coding;
    head.cache_control = Some("no-cache");
    head.keep_alive = request.keep_alive();
    let len = head.emit(&mut out).unwrap();
    (String::from_utf8(out[..len].to_vec()).unwrap(), head.keeps_alive())
}

fn error(e: Error, out: &mut [u8]) -> (String, bool) {
    let len = ErrorResponse::for_error(e).emit(out).unwrap();
    (String::from_utf8(out[..len].to_vec()).unwrap(), false)
}

#[test]
fn serves_gzip_variant_with_identity_type() {
    let (head, keep) = serve(b"GET /app.js HTTP/1.1\r\nHost: b\r\nAccept-Encoding: gzip, br\r\n\r\n");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"));
    assert!(head.contains("Content-Type: text/javascript; charset=utf-8\r\n"));
    assert!(head.contains("Content-Length: 12000\r\n"));
    assert!(head.contains("Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n"));
    assert!(keep);
}

#[test]
fn identity_when_gzip_refused() {
    let (head, _) = serve(b"GET /app.js HTTP/1.1\r\nHost: b\r\nAccept-Encoding: gzip;q=0\r\n\r\n");
    assert!(head.contains("Content-Length: 50000\r\n"));
    assert!(!head.contains("Content-Encoding"));
    assert!(head.contains("Vary: Accept-Encoding\r\n"));
    let (head, _) = serve(b"GET /logo.png HTTP/1.1\r\nHost: b\r\nAccept-Encoding: gzip\r\n\r\n");
    assert!(head.contains("Content-Type: image/png\r\n"));
    assert!(!head.contains("Vary"));
}

#[test]
fn conditional_request_gets_304() {
    let (first, _) = serve(b"GET / HTTP/1.1\r\nHost: b\r\n\r\n");
    let etag = first.lines().find_map(|l| l.strip_prefix("ETag: ")).unwrap().to_string();
    let again = format!("GET / HTTP/1.1\r\nHost: b\r\nIf-None-Match: \"zzz\", W/{etag}\r\n\r\n");
    let (head, keep) = serve(again.as_bytes());
    assert!(head.starts_with("HTTP/1.1 304 Not Modified\r\n"));
    assert!(head.contains(&format!("ETag: {etag}\r\n")));
    assert!(!head.contains("Content-Length"));
    assert!(keep);
    // Split across two field lines it still matches.
    let split = format!("GET / HTTP/1.1\r\nHost: b\r\nIf-None-Match: \"zzz\"\r\nIf-None-Match: {etag}\r\n\r\n");
    assert!(serve(split.as_bytes()).0.starts_with("HTTP/1.1 304"));
    // `*` combined with a tag on another line is malformed: full response.
    let star = format!("GET / HTTP/1.1\r\nHost: b\r\nIf-None-Match: *\r\nIf-None-Match: {etag}\r\n\r\n");
    assert!(serve(star.as_bytes()).0.starts_with("HTTP/1.1 200"));
    let star = "GET / HTTP/1.1\r\nHost: b\r\nIf-None-Match: *\r\n\r\n";
    assert!(serve(star.as_bytes()).0.starts_with("HTTP/1.1 304"));
}

#[test]
fn status_paths() {
    let cases: &[(&[u8], &str, bool)] = &[
        (b"GET /missing HTTP/1.1\r\nHost: b\r\n\r\n", "404 Not Found", true),
        (b"HEAD /missing HTTP/1.0\r\n\r\n", "404 Not Found", false),
        (b"GET /../secret HTTP/1.1\r\nHost: b\r\n\r\n", "400 Bad Request", false),
        (b"GET /%2e%2e/secret HTTP/1.1\r\nHost: b\r\n\r\n", "400 Bad Request", false),
        (b"GET /a%2fb HTTP/1.1\r\nHost: b\r\n\r\n", "400 Bad Request", false),
        (b"GET / HTTP/1.1\r\n\r\n", "400 Bad Request", false),
        (b"PUT / HTTP/1.1\r\nHost: b\r\n\r\n", "405 Method Not Allowed", false),
        (b"MKCOL / HTTP/1.1\r\nHost: b\r\n\r\n", "501 Not Implemented", false),
        (b"GET / HTTP/1.1\r\nHost: b\r\nTransfer-Encoding: chunked\r\n\r\n", "501 Not Implemented", false),
        (b"GET / HTTP/3.0\r\n\r\n", "505 HTTP Version Not Supported", false),
        (b"GET / HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n", "200 OK", false),
    ];
    for &(raw, status, keep) in cases {
        let (head, kept) = serve(raw);
        assert!(head.starts_with(&format!("HTTP/1.1 {status}\r\n")), "{:?} -> {head:?}", String::from_utf8_lossy(raw));
        assert_eq!(kept, keep, "{:?}", String::from_utf8_lossy(raw));
    }
    let (head, _) = serve(b"DELETE / HTTP/1.1\r\nHost: b\r\n\r\n");
    assert!(head.contains("\r\nAllow: GET, HEAD\r\n"));
}

#[test]
fn too_long_uri_and_headers() {
    let long = format!("GET /{} HTTP/1.1\r\nHost: b\r\n\r\n", "a".repeat(600));
    assert!(serve(long.as_bytes()).0.starts_with("HTTP/1.1 414 URI Too Long\r\n"));
    let big = format!("GET / HTTP/1.1\r\nHost: b\r\nCookie: {}\r\n\r\n", "c".repeat(3000));
    assert!(serve(big.as_bytes()).0.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
    let many: String = (0..40).map(|i| format!("X-{i}: v\r\n")).collect();
    let many = format!("GET / HTTP/1.1\r\nHost: b\r\n{many}\r\n");
    assert!(serve(many.as_bytes()).0.starts_with("HTTP/1.1 431 "));
}

#[test]
fn case_insensitive_field_names() {
    let (head, keep) = serve(b"GET /app.js HTTP/1.1\r\nhOST: b\r\naccept-ENCODING: GZIP\r\nCONNECTION: CLOSE\r\n\r\n");
    assert!(head.contains("Content-Encoding: gzip"));
    assert!(!keep);
}
