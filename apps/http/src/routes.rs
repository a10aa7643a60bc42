//! What each request gets: the built-in resources of the HTTP app.
//!
//! - `/`, `/index.html`: the status page (static, with an ETag).
//! - `/api/status`: uptime, processes with memory and traffic, memory
//!   regions, network counters, as JSON.
//! - `/api/bench/<bytes>`: a generated body of that many bytes (at most
//!   [`BENCH_MAX`]), for throughput tests that do not involve storage.

use alloc::vec::Vec;

use proto_http::{ContentCoding, ETag, Error, ErrorResponse, Method, Mime, Request, ResponseHead, Status};

/// `Server` header value.
pub const SERVER: &str = "nucleo-mem";
/// Largest generated benchmark body.
pub const BENCH_MAX: u64 = 64 << 20;

const STATUS_PAGE: &[u8] = include_bytes!("../static/status.html");

/// A response: its head, already emitted, and its body source.
pub struct Response {
    pub head: Vec<u8>,
    pub body: Body,
    pub keep_alive: bool,
}

pub enum Body {
    Empty,
    Static(&'static [u8]),
    Owned(Vec<u8>),
    /// `n` bytes of [`pattern_byte`].
    Pattern(u64),
}

/// Byte `i` of a benchmark body: cheap to generate, checkable by clients.
pub fn pattern_byte(i: u64) -> u8 {
    ((i.wrapping_mul(31)) ^ (i >> 8)) as u8
}

fn emit(head: &ResponseHead) -> Vec<u8> {
    let mut buf = alloc::vec![0u8; 512];
    let n = head.emit(&mut buf).unwrap_or(0);
    buf.truncate(n);
    buf
}

/// An error response; `keep_alive` only after a well-framed request.
pub fn error(status: Status, keep_alive: bool, head_only: bool) -> Response {
    let mut e = ErrorResponse::new(status);
    e.keep_alive = keep_alive;
    e.head_only = head_only;
    e.server = Some(SERVER);
    if status == Status::ServiceUnavailable {
        e.retry_after = Some(1);
    }
    let mut buf = alloc::vec![0u8; 512];
    let n = e.emit(&mut buf).unwrap_or(0);
    buf.truncate(n);
    Response { head: buf, body: Body::Empty, keep_alive }
}

/// The answer to a request the parser refused (the connection closes).
pub fn parse_error(e: Error) -> Response {
    error(e.status(), false, false)
}

/// Routes a well-formed request.
pub fn respond(request: &Request) -> Response {
    let keep_alive = request.keep_alive();
    let head_only = request.method() == Method::Head;
    let mut path_buf = [0u8; 512];
    let path = match request.normalized_path(&mut path_buf) {
        Ok(p) => p,
        Err(e) => return error(e.status(), false, head_only),
    };
    match path.as_str() {
        "/" | "/index.html" => {
            let etag = ETag::new(STATUS_PAGE.len() as u64, 0, Some(fnv1a(STATUS_PAGE)));
            if request.etag_matches(&etag) {
                let mut head = ResponseHead::not_modified(&etag);
                head.keep_alive = keep_alive;
                head.server = Some(SERVER);
                return Response { head: emit(&head), body: Body::Empty, keep_alive };
            }
            let mut head = ResponseHead::new(Status::Ok);
            head.content_length = Some(STATUS_PAGE.len() as u64);
            head.content_type = Some(Mime::Html.as_str());
            head.etag = Some(&etag);
            head.cache_control = Some("no-cache");
            ok(head, keep_alive, head_only, Body::Static(STATUS_PAGE))
        }
        "/api/status" => {
            let json = crate::status::render();
            let mut head = ResponseHead::new(Status::Ok);
            head.content_length = Some(json.len() as u64);
            head.content_type = Some(Mime::Json.as_str());
            head.cache_control = Some("no-store");
            ok(head, keep_alive, head_only, Body::Owned(json))
        }
        p => match p.strip_prefix("/api/bench/").and_then(|n| n.parse::<u64>().ok()) {
            Some(n) if n <= BENCH_MAX => {
                let mut head = ResponseHead::new(Status::Ok);
                head.content_length = Some(n);
                head.content_type = Some(Mime::OctetStream.as_str());
                head.cache_control = Some("no-store");
                ok(head, keep_alive, head_only, Body::Pattern(n))
            }
            _ => error(Status::NotFound, keep_alive, head_only),
        },
    }
}

fn ok(mut head: ResponseHead, keep_alive: bool, head_only: bool, body: Body) -> Response {
    head.keep_alive = keep_alive;
    head.server = Some(SERVER);
    head.coding = ContentCoding::Identity;
    let keep_alive = head.keeps_alive();
    Response { head: emit(&head), body: if head_only { Body::Empty } else { body }, keep_alive }
}

/// FNV-1a: a content fingerprint for ETags of built-in resources.
fn fnv1a(data: &[u8]) -> u32 {
    data.iter().fold(0x811c_9dc5u32, |h, &b| (h ^ b as u32).wrapping_mul(0x0100_0193))
}
