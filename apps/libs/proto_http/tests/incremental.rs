//! Heads arriving in pieces, pipelined heads, and prefix consistency of errors.

use proto_http::{BadRequest, Error, Limits, Method, Parsed, Request};

const VALID: &[&[u8]] = &[
    b"GET / HTTP/1.1\r\nHost: board\r\n\r\n",
    b"HEAD /a/b.css?v=3 HTTP/1.1\r\nHost: board\r\nAccept-Encoding: gzip, br\r\nIf-None-Match: \"1-2\"\r\n\r\n",
    b"GET /x HTTP/1.0\n\n",
    b"\r\nGET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    b"GET http://board/index.html HTTP/1.1\nHost: board\nUser-Agent: curl/8.5.0\nAccept: */*\n\n",
    b"GET /%C3%A9t%C3%A9 HTTP/1.1\r\nHost: b\r\nX-Empty:\r\nX-Tab:\tv\t\r\n\r\n",
];

fn parse(buf: &[u8]) -> Result<Parsed<'_>, Error> {
    Request::parse(buf, &Limits::DEFAULT)
}

#[test]
fn every_split_point_is_incomplete_until_the_end() {
    for &head in VALID {
        let full = parse(head).unwrap();
        let Parsed::Complete { head_len, .. } = full else {
            panic!("{:?} should be complete", String::from_utf8_lossy(head));
        };
        assert_eq!(head_len, head.len());
        for cut in 0..head.len() {
            assert_eq!(parse(&head[..cut]), Ok(Parsed::Incomplete), "{:?} cut at {cut}", String::from_utf8_lossy(head));
        }
    }
}

#[test]
fn growing_buffer_parses_identically() {
    // Simulates the server's receive loop: the same buffer grows one byte at a time.
    for &head in VALID {
        let mut buf = Vec::new();
        let mut result = None;
        for &b in head {
            buf.push(b);
            match parse(&buf).unwrap() {
                Parsed::Incomplete => {}
                Parsed::Complete { request, head_len } => {
                    assert_eq!(head_len, buf.len());
                    result = Some(format!("{request:?}"));
                }
            }
        }
        let Parsed::Complete { request, .. } = parse(head).unwrap() else { unreachable!() };
        assert_eq!(result, Some(format!("{request:?}")));
    }
}

#[test]
fn extra_bytes_after_the_head_are_not_consumed() {
    for &head in VALID {
        let mut buf = head.to_vec();
        buf.extend_from_slice(b"GET /next");
        let Parsed::Complete { head_len, .. } = parse(&buf).unwrap() else { panic!("complete expected") };
        assert_eq!(head_len, head.len());
    }
}

#[test]
fn pipelined_requests() {
    let buf = b"GET /one HTTP/1.1\r\nHost: b\r\n\r\n\
                HEAD /two HTTP/1.1\r\nHost: b\r\nContent-Length: 5\r\n\r\nhello\
                GET /three HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n\
                GET /fo";
    let mut rest: &[u8] = buf;
    let mut seen = Vec::new();
    loop {
        match parse(rest).unwrap() {
            Parsed::Incomplete => break,
            Parsed::Complete { request, head_len } => {
                seen.push((request.method(), request.path().to_vec(), request.keep_alive()));
                let body = usize::try_from(request.body_len().unwrap()).unwrap();
                rest = &rest[head_len + body..];
            }
        }
    }
    assert_eq!(
        seen,
        vec![
            (Method::Get, b"/one".to_vec(), true),
            (Method::Head, b"/two".to_vec(), true),
            (Method::Get, b"/three".to_vec(), false),
        ]
    );
    assert_eq!(rest, b"GET /fo");
}

#[test]
fn pipelined_with_stray_crlf_between() {
    // Some clients send an extra CRLF after a request; one is tolerated.
    let buf = b"GET /a HTTP/1.1\r\nHost: b\r\n\r\n\r\nGET /b HTTP/1.1\r\nHost: b\r\n\r\n";
    let Parsed::Complete { head_len, .. } = parse(buf).unwrap() else { panic!() };
    let Parsed::Complete { request, head_len: second } = parse(&buf[head_len..]).unwrap() else { panic!() };
    assert_eq!(request.path(), b"/b");
    assert_eq!(head_len + second, buf.len());
}

const INVALID: &[(&[u8], Error)] = &[
    (b"GET / HTTP/1.1\r\n\r\n", Error::BadRequest(BadRequest::Host)),
    (b"POST /api HTTP/1.1\r\nHost: b\r\n\r\n", Error::MethodNotAllowed),
    (b"BREW /pot HTTP/1.1\r\nHost: b\r\n\r\n", Error::MethodNotImplemented),
    (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", Error::VersionNotSupported),
    (b"GET / HTTP/1.1\r\nHost: b\r\nX: a\r\n b\r\n\r\n", Error::BadRequest(BadRequest::ObsFold)),
    (b"GET / HTTP/1.1\r\nHost: b\r\nBad Name: v\r\n\r\n", Error::BadRequest(BadRequest::FieldLine)),
    (b"GET /\x01 HTTP/1.1\r\n\r\n", Error::BadRequest(BadRequest::RequestLine)),
    (b"GET / HTTP/1.1\rHost: b\r\n\r\n", Error::BadRequest(BadRequest::RequestLine)),
    (b"GET / HTTP/1.1\r\nHost: b\r\nContent-Length: 1, 2\r\n\r\n", Error::BadRequest(BadRequest::ContentLength)),
];

#[test]
fn errors_are_stable_under_more_input() {
    for &(head, expected) in INVALID {
        assert_eq!(parse(head), Err(expected), "{:?}", String::from_utf8_lossy(head));
        let mut first_error = None;
        for cut in 0..=head.len() {
            match parse(&head[..cut]) {
                Ok(Parsed::Incomplete) => assert!(first_error.is_none(), "error then incomplete"),
                Ok(Parsed::Complete { .. }) => panic!("invalid head parsed at {cut}"),
                Err(e) => {
                    assert_eq!(e, expected, "{:?} cut at {cut}", String::from_utf8_lossy(head));
                    first_error = Some(e);
                }
            }
        }
    }
}

#[test]
fn errors_are_reported_as_soon_as_certain() {
    // The method is judged when the request line ends, before any header arrives.
    assert_eq!(parse(b"DELETE /x HTTP/1.1\r\n"), Err(Error::MethodNotAllowed));
    assert_eq!(parse(b"PRI * HTTP/2.0\r\n"), Err(Error::VersionNotSupported));
    // A TLS ClientHello is refused at its first byte.
    assert_eq!(parse(b"\x16"), Err(Error::BadRequest(BadRequest::RequestLine)));
    // Folding is seen as soon as its line ends.
    assert_eq!(parse(b"GET / HTTP/1.1\r\nHost: b\r\n x\r\n"), Err(Error::BadRequest(BadRequest::ObsFold)));
}
