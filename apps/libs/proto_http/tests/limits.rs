//! Every limit exactly at its boundary and one byte over, complete and still arriving.

use proto_http::{Error, Limits, Parsed, Request};

const LIMITS: Limits = Limits { max_request_line: 40, max_header_bytes: 64, max_headers: 3 };

fn parse(buf: &[u8]) -> Result<Parsed<'_>, Error> {
    Request::parse(buf, &LIMITS)
}

fn is_complete(r: Result<Parsed<'_>, Error>) -> bool {
    matches!(r, Ok(Parsed::Complete { .. }))
}

/// `GET /aaa… HTTP/1.0`, exactly `len` bytes long.
fn request_line(len: usize) -> String {
    format!("GET /{} HTTP/1.0", "a".repeat(len - 14))
}

#[test]
fn request_line_boundary() {
    let at = request_line(40);
    assert_eq!(at.len(), 40);
    assert!(is_complete(parse(format!("{at}\r\n\r\n").as_bytes())));
    assert!(is_complete(parse(format!("{at}\n\n").as_bytes())));
    let over = request_line(41);
    assert_eq!(parse(format!("{over}\r\n\r\n").as_bytes()), Err(Error::UriTooLong));
    assert_eq!(Error::UriTooLong.status().code(), 414);
}

#[test]
fn request_line_too_long_is_detected_before_it_ends() {
    let over = request_line(41);
    // 40 bytes without an ending may still be fine.
    assert_eq!(parse(&over.as_bytes()[..40]), Ok(Parsed::Incomplete));
    // The 41st content byte settles it.
    assert_eq!(parse(&over.as_bytes()[..41]), Err(Error::UriTooLong));
    // So does a long line of garbage-free bytes with no space at all.
    assert_eq!(parse(&[b'A'; 41]), Err(Error::UriTooLong));
    // The line ending itself does not count.
    let at = request_line(40);
    assert_eq!(parse(format!("{at}\r").as_bytes()), Ok(Parsed::Incomplete));
}

#[test]
fn leading_empty_line_does_not_count_against_the_request_line() {
    let at = request_line(40);
    assert!(is_complete(parse(format!("\r\n{at}\r\n\r\n").as_bytes())));
}

/// A head whose single field line has exactly `counted` header bytes (content + 2).
fn head_with_field(counted: usize, eol: &str) -> String {
    let value = "v".repeat(counted - 2 - 3);
    format!("GET / HTTP/1.0{eol}X: {value}{eol}{eol}")
}

#[test]
fn header_bytes_boundary() {
    for eol in ["\r\n", "\n"] {
        assert!(is_complete(parse(head_with_field(64, eol).as_bytes())), "{eol:?}");
        assert_eq!(parse(head_with_field(65, eol).as_bytes()), Err(Error::HeaderSectionTooLarge), "{eol:?}");
    }
    // Spread over several lines, the sum is what counts: 21 + 21 + 22 = 64, then 65.
    let lines = |contents: [usize; 3]| {
        let mut head = String::from("GET / HTTP/1.0\r\n");
        for (name, len) in ["A", "B", "C"].into_iter().zip(contents) {
            head.push_str(&format!("{name}: {}\r\n", "v".repeat(len - 3)));
        }
        head + "\r\n"
    };
    assert!(is_complete(parse(lines([19, 19, 20]).as_bytes())));
    assert_eq!(parse(lines([19, 19, 21]).as_bytes()), Err(Error::HeaderSectionTooLarge));
    assert_eq!(Error::HeaderSectionTooLarge.status().code(), 431);
}

#[test]
fn header_bytes_over_is_detected_before_the_line_ends() {
    let over = head_with_field(65, "\r\n");
    let line_start = "GET / HTTP/1.0\r\n".len();
    // Content of 62 bytes (64 counted) may still end in a line break.
    assert_eq!(parse(&over.as_bytes()[..line_start + 62]), Ok(Parsed::Incomplete));
    // The 63rd content byte makes 65 counted bytes.
    assert_eq!(parse(&over.as_bytes()[..line_start + 63]), Err(Error::HeaderSectionTooLarge));
}

#[test]
fn final_empty_line_is_not_counted() {
    let at = head_with_field(64, "\r\n");
    let without_end = &at.as_bytes()[..at.len() - 2];
    assert_eq!(parse(without_end), Ok(Parsed::Incomplete));
    assert_eq!(parse(&at.as_bytes()[..at.len() - 1]), Ok(Parsed::Incomplete));
}

#[test]
fn header_count_boundary() {
    let three = "GET / HTTP/1.0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
    assert!(is_complete(parse(three.as_bytes())));
    let four = "GET / HTTP/1.0\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n";
    assert_eq!(parse(four.as_bytes()), Err(Error::TooManyHeaders));
    // Reported when the fourth line ends, before the head does.
    assert_eq!(parse(&four.as_bytes()[..four.len() - 2]), Err(Error::TooManyHeaders));
    assert_eq!(parse(&four.as_bytes()[..four.len() - 3]), Ok(Parsed::Incomplete));
    assert_eq!(Error::TooManyHeaders.status().code(), 431);
}

#[test]
fn default_limits_accept_a_real_browser_request() {
    let chrome = "GET /assets/app.js HTTP/1.1\r\n\
        Host: 192.168.1.50\r\n\
        Connection: keep-alive\r\n\
        sec-ch-ua-platform: \"Linux\"\r\n\
        User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36\r\n\
        sec-ch-ua: \"Not/A)Brand\";v=\"8\", \"Chromium\";v=\"126\", \"Google Chrome\";v=\"126\"\r\n\
        sec-ch-ua-mobile: ?0\r\n\
        Accept: */*\r\n\
        Sec-Fetch-Site: same-origin\r\n\
        Sec-Fetch-Mode: no-cors\r\n\
        Sec-Fetch-Dest: script\r\n\
        Referer: http://192.168.1.50/\r\n\
        Accept-Encoding: gzip, deflate\r\n\
        Accept-Language: en-US,en;q=0.9\r\n\
        If-None-Match: \"1f4-65a0b1c2\"\r\n\r\n";
    let Ok(Parsed::Complete { request, head_len }) = Request::parse(chrome.as_bytes(), &Limits::DEFAULT) else {
        panic!("browser request rejected")
    };
    assert_eq!(head_len, chrome.len());
    assert!(head_len <= Limits::DEFAULT.max_head_len());
    assert!(request.accepts_gzip());
    assert!(request.keep_alive());
    assert_eq!(request.headers().len(), 14);
}

#[test]
fn max_head_len_is_reachable_and_sufficient() {
    // A head built to every limit has exactly max_head_len bytes and parses.
    let line = request_line(40);
    let mut head = format!("\r\n{line}\r\n");
    for (name, len) in [("A", 20), ("B", 20), ("C", 24)] {
        head.push_str(&format!("{name}: {}\r\n", "v".repeat(len - 2 - 3)));
    }
    head.push_str("\r\n");
    assert_eq!(head.len(), LIMITS.max_head_len());
    assert!(is_complete(parse(head.as_bytes())));
}
