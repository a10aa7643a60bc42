//! The opening handshake: RFC 6455 §1.3/§4.2 examples, header rules, rejections and their responses.

use proto_ws::{BadHandshake, Config, Handshake, Limits, Rejection, Upgrade, MAX_RESPONSE_LEN};

/// RFC 6455 §1.2's client handshake.
const RFC_REQUEST: &[u8] = b"GET /chat HTTP/1.1\r\n\
    Host: server.example.com\r\n\
    Upgrade: websocket\r\n\
    Connection: Upgrade\r\n\
    Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Origin: http://example.com\r\n\
    Sec-WebSocket-Protocol: chat, superchat\r\n\
    Sec-WebSocket-Version: 13\r\n\r\n";

/// What Firefox sends (keep-alive first, extensions offered).
const FIREFOX: &[u8] = b"GET /ws?room=1 HTTP/1.1\r\n\
    Host: board.local:8080\r\n\
    User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n\
    Accept: */*\r\n\
    Accept-Language: en-US,en;q=0.5\r\n\
    Accept-Encoding: gzip, deflate\r\n\
    Sec-WebSocket-Version: 13\r\n\
    Origin: http://board.local:8080\r\n\
    Sec-WebSocket-Extensions: permessage-deflate\r\n\
    Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\n\
    Connection: keep-alive, Upgrade\r\n\
    Pragma: no-cache\r\n\
    Cache-Control: no-cache\r\n\
    Upgrade: websocket\r\n\r\n";

fn parse<'a>(buf: &'a [u8], config: &Config<'_>) -> Result<Handshake<'a>, Rejection> {
    Upgrade::parse(buf, config)
}

fn accept<'a>(buf: &'a [u8], config: &Config<'_>) -> (Upgrade<'a>, usize) {
    match parse(buf, config) {
        Ok(Handshake::Complete { upgrade, head_len }) => (upgrade, head_len),
        other => panic!("{:?}: {other:?}", String::from_utf8_lossy(buf)),
    }
}

fn reject(buf: &[u8], config: &Config<'_>) -> Rejection {
    match parse(buf, config) {
        Err(r) => r,
        other => panic!("{:?}: {other:?}", String::from_utf8_lossy(buf)),
    }
}

/// The RFC request with one line replaced (or removed, for an empty replacement).
fn with_line(name: &str, line: &str) -> Vec<u8> {
    let text = std::str::from_utf8(RFC_REQUEST).unwrap();
    let mut out = String::new();
    for l in text.split_inclusive("\r\n") {
        if l.to_ascii_lowercase().starts_with(&format!("{}:", name.to_ascii_lowercase())) {
            if !line.is_empty() {
                out.push_str(line);
                out.push_str("\r\n");
            }
        } else {
            out.push_str(l);
        }
    }
    out.into_bytes()
}

fn response(rejection: Rejection) -> String {
    let mut buf = [0u8; MAX_RESPONSE_LEN];
    let n = rejection.emit(&mut buf).unwrap();
    String::from_utf8(buf[..n].to_vec()).unwrap()
}

#[test]
fn rfc_example_key_and_exact_response() {
    let (upgrade, head_len) = accept(RFC_REQUEST, &Config::DEFAULT);
    assert_eq!(head_len, RFC_REQUEST.len());
    assert_eq!(upgrade.accept_key(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert_eq!(proto_ws::accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="), *b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert_eq!(upgrade.path(), b"/chat");
    assert_eq!(upgrade.host(), b"server.example.com");
    assert_eq!(upgrade.origin(), Some(&b"http://example.com"[..]));
    let mut out = [0u8; MAX_RESPONSE_LEN];
    let n = upgrade.emit_response(&mut out).unwrap();
    // No Sec-WebSocket-Protocol: the offered subprotocols are declined by silence.
    assert_eq!(
        &out[..n],
        &b"HTTP/1.1 101 Switching Protocols\r\n\
           Upgrade: websocket\r\n\
           Connection: Upgrade\r\n\
           Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"[..]
    );
    for size in 0..n {
        assert!(upgrade.emit_response(&mut out[..size]).is_err(), "{size}");
    }
}

#[test]
fn browser_request_with_keep_alive_upgrade() {
    let (upgrade, _) = accept(FIREFOX, &Config::DEFAULT);
    assert_eq!(upgrade.path(), b"/ws");
    assert_eq!(upgrade.request().query(), Some(&b"room=1"[..]));
    assert_eq!(upgrade.accept_key(), std::str::from_utf8(&proto_ws::accept_key(b"x3JJHMbDL1EzLkh9GBhXDw==")).unwrap());
    let mut out = [0u8; MAX_RESPONSE_LEN];
    let n = upgrade.emit_response(&mut out).unwrap();
    let text = std::str::from_utf8(&out[..n]).unwrap();
    assert!(!text.contains("Extensions"), "{text}");
}

#[test]
fn names_and_tokens_are_case_insensitive() {
    let req = b"GET / HTTP/1.1\r\n\
        hOST: board\r\n\
        upgrade: WebSocket\r\n\
        CONNECTION: keep-alive,UPGRADE\r\n\
        sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
        SEC-WEBSOCKET-VERSION: 13\r\n\r\n";
    assert_eq!(accept(req, &Config::DEFAULT).0.accept_key(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    // Token lists may be split over several field lines.
    let req = with_line("Connection", "Connection: keep-alive\r\nConnection: Upgrade");
    accept(&req, &Config::DEFAULT);
    let req = with_line("Upgrade", "Upgrade: h2c, websocket");
    accept(&req, &Config::DEFAULT);
}

#[test]
fn upgrade_and_connection_tokens_are_required() {
    for (name, line) in [("Upgrade", ""), ("Upgrade", "Upgrade: h2c"), ("Upgrade", "Upgrade: websockets")] {
        assert_eq!(
            reject(&with_line(name, line), &Config::DEFAULT),
            Rejection::BadRequest(BadHandshake::Upgrade),
            "{line}"
        );
    }
    for line in ["", "Connection: keep-alive", "Connection: upgraded"] {
        assert_eq!(
            reject(&with_line("Connection", line), &Config::DEFAULT),
            Rejection::BadRequest(BadHandshake::Connection),
            "{line}"
        );
    }
}

#[test]
fn other_versions_get_426_naming_13() {
    for line in [
        "Sec-WebSocket-Version: 8",
        "Sec-WebSocket-Version: 14",
        "Sec-WebSocket-Version: 13, 8",
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Version: 13",
        "",
    ] {
        let r = reject(&with_line("Sec-WebSocket-Version", line), &Config::DEFAULT);
        assert_eq!(r, Rejection::UnsupportedVersion, "{line}");
    }
    let text = response(Rejection::UnsupportedVersion);
    assert!(text.starts_with("HTTP/1.1 426 Upgrade Required\r\n"), "{text}");
    assert!(text.contains("\r\nSec-WebSocket-Version: 13\r\n"), "{text}");
    assert!(text.contains("\r\nUpgrade: websocket\r\n"), "{text}");
    assert!(text.contains("\r\nConnection: Upgrade, close\r\n"), "{text}");
    // The version is judged before the key: a hybi-00 client has no Sec-WebSocket-Key at all.
    let old = with_line("Sec-WebSocket-Key", "Sec-WebSocket-Key1: 4 @1  46546xW%0l 1 5");
    let old = String::from_utf8(old).unwrap().replace("Sec-WebSocket-Version: 13\r\n", "");
    assert_eq!(reject(old.as_bytes(), &Config::DEFAULT), Rejection::UnsupportedVersion);
}

#[test]
fn bad_keys_get_400() {
    for line in [
        "",
        "Sec-WebSocket-Key: ",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZQ==",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZSEh",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==dGhl",
        "Sec-WebSocket-Key: !GhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    ] {
        assert_eq!(
            reject(&with_line("Sec-WebSocket-Key", line), &Config::DEFAULT),
            Rejection::BadRequest(BadHandshake::Key),
            "{line:?}"
        );
    }
    let text = response(Rejection::BadRequest(BadHandshake::Key));
    assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{text}");
    assert!(text.ends_with("\r\n\r\n400 Bad Request: Sec-WebSocket-Key must be base64 of 16 bytes\n"));
}

#[test]
fn origin_allow_list() {
    const ALLOWED: &[&str] = &["http://board.local:8080", "https://Board.Local"];
    let config = Config::with_origins(ALLOWED);
    for origin in ["http://board.local:8080", "HTTP://BOARD.LOCAL:8080", "https://board.local"] {
        let req = with_line("Origin", &format!("Origin: {origin}"));
        let (upgrade, _) = accept(&req, &config);
        assert_eq!(upgrade.origin(), Some(origin.as_bytes()));
    }
    for origin in [
        "http://board.local",
        "http://board.local:80",
        "https://board.local:443",
        "http://evil.example",
        "http://board.local:8080.evil.example",
        "null",
        "",
    ] {
        let req = with_line("Origin", &format!("Origin: {origin}"));
        assert_eq!(reject(&req, &config), Rejection::OriginNotAllowed, "{origin}");
        // An empty list allows any origin.
        accept(&req, &Config::DEFAULT);
    }
    // Non-browser clients send no Origin: allowed.
    let no_origin = with_line("Origin", "");
    let (upgrade, _) = accept(&no_origin, &config);
    assert_eq!(upgrade.origin(), None);
    // Two Origin fields are ambiguous.
    let req = with_line("Origin", "Origin: http://board.local:8080\r\nOrigin: http://evil.example");
    assert_eq!(reject(&req, &config), Rejection::BadRequest(BadHandshake::Origin));
    let text = response(Rejection::OriginNotAllowed);
    assert!(text.starts_with("HTTP/1.1 403 Forbidden\r\n"), "{text}");
}

#[test]
fn incomplete_until_the_blank_line() {
    for cut in 0..RFC_REQUEST.len() {
        assert_eq!(parse(&RFC_REQUEST[..cut], &Config::DEFAULT), Ok(Handshake::Incomplete), "{cut}");
    }
}

#[test]
fn head_len_excludes_frames_sent_right_after() {
    let mut buf = FIREFOX.to_vec();
    let first_frame = [0x81, 0x82, 1, 2, 3, 4, b'h' ^ 1, b'i' ^ 2];
    buf.extend_from_slice(&first_frame);
    let (_, head_len) = accept(&buf, &Config::DEFAULT);
    assert_eq!(head_len, FIREFOX.len());
    assert_eq!(&buf[head_len..], &first_frame);
}

#[test]
fn method_version_host_and_body_rules() {
    let post = String::from_utf8(RFC_REQUEST.to_vec()).unwrap().replacen("GET", "POST", 1);
    assert_eq!(reject(post.as_bytes(), &Config::DEFAULT), Rejection::MethodNotAllowed);
    let head = String::from_utf8(RFC_REQUEST.to_vec()).unwrap().replacen("GET", "HEAD", 1);
    assert_eq!(reject(head.as_bytes(), &Config::DEFAULT), Rejection::MethodNotAllowed);
    let text = response(Rejection::MethodNotAllowed);
    assert!(text.contains("\r\nAllow: GET\r\n"), "{text}");
    let brew = String::from_utf8(RFC_REQUEST.to_vec()).unwrap().replacen("GET", "BREW", 1);
    assert_eq!(reject(brew.as_bytes(), &Config::DEFAULT).status(), 501);

    let http10 = String::from_utf8(RFC_REQUEST.to_vec()).unwrap().replacen("HTTP/1.1", "HTTP/1.0", 1);
    let r = reject(http10.as_bytes(), &Config::DEFAULT);
    assert_eq!(r, Rejection::BadRequest(BadHandshake::HttpVersion));
    assert_eq!(r.status(), 400);
    let http2 = String::from_utf8(RFC_REQUEST.to_vec()).unwrap().replacen("HTTP/1.1", "HTTP/2.0", 1);
    assert_eq!(reject(http2.as_bytes(), &Config::DEFAULT).status(), 505);

    assert_eq!(reject(&with_line("Host", ""), &Config::DEFAULT).status(), 400);
    assert_eq!(reject(&with_line("Host", "Host:"), &Config::DEFAULT), Rejection::BadRequest(BadHandshake::Host));
    assert_eq!(
        reject(&with_line("Origin", "Content-Length: 5"), &Config::DEFAULT),
        Rejection::BadRequest(BadHandshake::Body)
    );
    assert_eq!(
        reject(&with_line("Origin", "Transfer-Encoding: chunked"), &Config::DEFAULT),
        Rejection::BadRequest(BadHandshake::Body)
    );
    accept(&with_line("Origin", "Content-Length: 0"), &Config::DEFAULT);
}

#[test]
fn oversized_heads_get_431_and_414() {
    let limits = Limits { max_request_line: 64, max_header_bytes: 300, max_headers: 12 };
    let config = Config { allowed_origins: &[], limits };
    accept(RFC_REQUEST, &config);
    let cookie = format!("Cookie: {}", "c".repeat(300));
    let big = with_line("Origin", &cookie);
    let r = reject(&big, &config);
    assert_eq!(r.status(), 431);
    assert!(response(r).starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
    // Too large is known before the head ends.
    let cut = RFC_REQUEST.len() + 250;
    assert_eq!(reject(&big[..cut.min(big.len() - 4)], &config).status(), 431);
    let many = with_line("Origin", "X-A: 1\r\n".repeat(10).trim_end());
    assert_eq!(reject(&many, &config).status(), 431);
    let long = format!("GET /{} HTTP/1.1\r\n", "p".repeat(100));
    assert_eq!(reject(long.as_bytes(), &config).status(), 414);
}

#[test]
fn every_rejection_response_is_complete_and_closes() {
    use proto_http::Error as E;
    let all = [
        Rejection::Http(proto_http_error()),
        Rejection::Http(E::MethodNotImplemented),
        Rejection::Http(E::TransferEncodingNotImplemented),
        Rejection::Http(E::UriTooLong),
        Rejection::Http(E::HeaderSectionTooLarge),
        Rejection::Http(E::TooManyHeaders),
        Rejection::Http(E::VersionNotSupported),
        Rejection::Http(E::MethodNotAllowed),
        Rejection::BadRequest(BadHandshake::HttpVersion),
        Rejection::BadRequest(BadHandshake::Body),
        Rejection::BadRequest(BadHandshake::Host),
        Rejection::BadRequest(BadHandshake::Upgrade),
        Rejection::BadRequest(BadHandshake::Connection),
        Rejection::BadRequest(BadHandshake::Key),
        Rejection::BadRequest(BadHandshake::Origin),
        Rejection::MethodNotAllowed,
        Rejection::OriginNotAllowed,
        Rejection::NotFound,
        Rejection::UnsupportedVersion,
        Rejection::ServerFull,
    ];
    for r in all {
        let text = response(r);
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with(&format!("HTTP/1.1 {} {}\r\n", r.status(), r.reason())));
        assert!(head.contains(&format!("\r\nContent-Length: {}", body.len())), "{text}");
        let connection = head.lines().find_map(|l| l.strip_prefix("Connection: ")).unwrap();
        assert!(connection.split(", ").any(|t| t == "close"), "{text}");
        assert_eq!(body, format!("{} {}: {}\n", r.status(), r.reason(), r.detail()));
        assert_eq!(r.to_string(), body.trim_end());
        // A buffer one byte short is refused, not truncated.
        let mut buf = vec![0u8; text.len() - 1];
        assert!(r.emit(&mut buf).is_err());
    }
}

#[test]
fn not_found_is_for_the_caller_to_send() {
    // Parsing accepts any path; routing is the caller's, with a ready 404.
    let req = String::from_utf8(RFC_REQUEST.to_vec()).unwrap().replacen("/chat", "/elsewhere/x?y", 1);
    let (upgrade, _) = accept(req.as_bytes(), &Config::DEFAULT);
    assert_eq!(upgrade.path(), b"/elsewhere/x");
    let text = response(Rejection::NotFound);
    assert!(text.starts_with("HTTP/1.1 404 Not Found\r\n"), "{text}");
    assert!(text.ends_with("404 Not Found: no WebSocket endpoint at this path\n"));
}

#[test]
fn server_full_is_503() {
    let text = response(Rejection::ServerFull);
    assert!(text.starts_with("HTTP/1.1 503 Service Unavailable\r\n"), "{text}");
    assert!(text.contains("\r\nConnection: close\r\n"));
    assert!(text.ends_with("503 Service Unavailable: all WebSocket slots are busy\n"));
}

fn proto_http_error() -> proto_http::Error {
    match Upgrade::parse(b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", &Config::DEFAULT) {
        Err(Rejection::Http(e)) => e,
        other => panic!("{other:?}"),
    }
}
