//! Emitted response heads read back by an independent, test-only response parser.

use proto_http::{ContentCoding, ContentRange, ETag, ErrorResponse, HttpDate, Mime, ResponseHead, Status};

/// What a strict client would read from a response head.
#[derive(Debug)]
struct ParsedResponse {
    code: u16,
    reason: String,
    fields: Vec<(String, String)>,
    head_len: usize,
}

impl ParsedResponse {
    fn get(&self, name: &str) -> Option<&str> {
        let mut matches = self.fields.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name));
        let first = matches.next().map(|(_, v)| v.as_str());
        assert!(matches.next().is_none(), "duplicate {name}");
        first
    }
}

/// Parses `HTTP/1.1 SP code SP reason CRLF *(field CRLF) CRLF`, CRLF only, no folding.
fn parse_response(buf: &[u8]) -> ParsedResponse {
    let text = std::str::from_utf8(buf).expect("head is UTF-8");
    let end = text.find("\r\n\r\n").expect("head terminated") + 4;
    let mut lines = text[..end - 4].split("\r\n");
    let status_line = lines.next().unwrap();
    let rest = status_line.strip_prefix("HTTP/1.1 ").expect("version");
    let (code, reason) = rest.split_at(3);
    let code: u16 = code.parse().expect("3-digit code");
    let reason = reason.strip_prefix(' ').expect("SP before reason").to_string();
    let mut fields = Vec::new();
    for line in lines {
        assert!(!line.contains('\n') && !line.contains('\r'), "bare line break");
        assert!(!line.starts_with([' ', '\t']), "folding");
        let (name, value) = line.split_once(": ").expect("name: value");
        assert!(!name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
        fields.push((name.to_string(), value.to_string()));
    }
    ParsedResponse { code, reason, fields, head_len: end }
}

#[test]
fn every_combination_round_trips() {
    let etag = ETag::new(4096, 1_700_000_000, Some(7));
    let mut checked = 0;
    for status in Status::ALL {
        for coding in [ContentCoding::Identity, ContentCoding::IdentityVaried, ContentCoding::Gzip] {
            for keep_alive in [false, true] {
                for content_length in [None, Some(0), Some(u64::MAX)] {
                    for with_extras in [false, true] {
                        let head = ResponseHead {
                            status,
                            content_length,
                            content_type: with_extras.then_some(Mime::Html.as_str()),
                            etag: with_extras.then_some(&etag),
                            coding,
                            cache_control: with_extras.then_some("max-age=60, must-revalidate"),
                            last_modified: with_extras.then(|| HttpDate::from_unix(1_700_000_000).unwrap()),
                            accept_ranges: with_extras,
                            content_range: with_extras.then_some(if status.code() == 416 {
                                ContentRange::Unsatisfied { complete: 4096 }
                            } else {
                                ContentRange::Bytes { first: 10, last: 19, complete: 4096 }
                            }),
                            location: with_extras.then_some("/docs/?a=1"),
                            server: with_extras.then_some("proto-http/0.1"),
                            retry_after: with_extras.then_some(120),
                            keep_alive,
                        };
                        let mut buf = [0u8; 512];
                        let len = head.emit(&mut buf).unwrap();
                        let r = parse_response(&buf[..len]);
                        check(&head, &r, len);
                        checked += 1;
                    }
                }
            }
        }
    }
    assert_eq!(checked, Status::ALL.len() * 3 * 2 * 3 * 2);
}

fn check(head: &ResponseHead<'_>, r: &ParsedResponse, len: usize) {
    let body = head.status.allows_body();
    assert_eq!(r.head_len, len);
    assert_eq!(r.code, head.status.code());
    assert_eq!(r.reason, head.status.reason());
    let expect = |name: &str, value: Option<String>| {
        assert_eq!(r.get(name).map(str::to_string), value, "{name} for {head:?}");
    };
    expect("Content-Length", head.content_length.filter(|_| body).map(|n| n.to_string()));
    expect("Content-Type", head.content_type.filter(|_| body).map(str::to_string));
    expect("Content-Encoding", (body && head.coding == ContentCoding::Gzip).then(|| "gzip".into()));
    expect("Vary", (head.coding != ContentCoding::Identity).then(|| "Accept-Encoding".into()));
    expect("ETag", head.etag.map(|e| e.as_str().to_string()));
    expect("Cache-Control", head.cache_control.map(str::to_string));
    expect("Server", head.server.map(str::to_string));
    expect("Allow", (head.status == Status::MethodNotAllowed).then(|| "GET, HEAD".into()));
    let code = head.status.code();
    expect(
        "Last-Modified",
        head.last_modified.filter(|_| matches!(code, 200 | 206 | 304)).map(|_| "Tue, 14 Nov 2023 22:13:20 GMT".into()),
    );
    expect("Accept-Ranges", (head.accept_ranges && matches!(code, 200 | 206 | 416)).then(|| "bytes".into()));
    expect(
        "Content-Range",
        head.content_range.filter(|_| matches!(code, 206 | 416)).map(|r| match r {
            ContentRange::Bytes { .. } => "bytes 10-19/4096".into(),
            ContentRange::Unsatisfied { .. } => "bytes */4096".into(),
        }),
    );
    expect("Location", head.location.filter(|_| code == 301).map(str::to_string));
    expect(
        "Retry-After",
        head.retry_after.filter(|_| head.status == Status::ServiceUnavailable).map(|s| s.to_string()),
    );
    let keep = head.keep_alive && (!body || head.content_length.is_some());
    assert_eq!(head.keeps_alive(), keep);
    expect("Connection", Some(if keep { "keep-alive" } else { "close" }.into()));
}

#[test]
fn error_responses_round_trip() {
    for status in Status::ALL {
        for head_only in [false, true] {
            let mut resp = ErrorResponse::new(status);
            resp.head_only = head_only;
            let mut buf = [0u8; 512];
            let len = resp.emit(&mut buf).unwrap();
            let r = parse_response(&buf[..len]);
            assert_eq!(r.code, status.code());
            assert_eq!(r.get("Connection"), Some("close"));
            assert_eq!(r.get("Content-Range"), None);
            let body = &buf[r.head_len..len];
            if status.allows_body() {
                let declared: usize = r.get("Content-Length").unwrap().parse().unwrap();
                assert_eq!(declared, resp.body_len());
                assert_eq!(r.get("Content-Type"), Some("text/plain; charset=utf-8"));
                if head_only {
                    assert!(body.is_empty());
                } else {
                    assert_eq!(body, format!("{} {}\n", status.code(), status.reason()).as_bytes());
                }
            } else {
                assert!(body.is_empty());
                assert_eq!(r.get("Content-Length"), None);
            }
        }
    }
}

#[test]
fn not_modified_keeps_validators() {
    let etag = ETag::new(10, 20, None);
    let mut head = ResponseHead::not_modified(&etag);
    head.coding = ContentCoding::IdentityVaried;
    head.cache_control = Some("no-cache");
    let mut buf = [0u8; 256];
    let len = head.emit(&mut buf).unwrap();
    let r = parse_response(&buf[..len]);
    assert_eq!(r.code, 304);
    assert_eq!(r.get("ETag"), Some("\"a-14\""));
    assert_eq!(r.get("Vary"), Some("Accept-Encoding"));
    assert_eq!(r.get("Cache-Control"), Some("no-cache"));
    assert_eq!(r.get("Content-Length"), None);
    assert_eq!(r.get("Connection"), Some("keep-alive"));
    assert_eq!(len, r.head_len);
}
