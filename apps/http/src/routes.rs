//! What each request gets.
//!
//! - `/api/status`: uptime, processes with memory and traffic, memory
//!   regions, network counters and the volume's state, as JSON.
//! - `/metrics`: the same figures and the server's own counters in the
//!   Prometheus text format (`metrics`).
//! - `/api/bench/<bytes>`: a generated body of that many bytes (at most
//!   [`BENCH_MAX`]), for throughput tests that do not involve storage.
//! - `/status`: the built-in status page.
//! - anything else: the file under `/www` on the eMMC, through the storage
//!   service (`index.html` for a directory, a 301 to the slashed URL for a
//!   directory named without its slash), its precompressed `.gz` sibling
//!   when the client accepts gzip and asks for no range; `/` falls back to
//!   the built-in status page when the volume holds no `/www/index.html` or
//!   is not mounted. Small files are kept in memory once served (`cache`).
//!   Files and the status page answer conditional requests (`ETag`,
//!   `Last-Modified`) and single byte ranges.

use alloc::vec::Vec;

use proto_http::{
    directory_location, directory_location_len, gzip_sibling, ByteRange, ContentCoding, ETag, Error, ErrorResponse,
    HttpDate, Method, Mime, NormalizedPath, Outcome, Request, ResponseHead, Status, Validators,
};
use proto_storage::{ClientError, Error as StorageError, Handle, Kind, OpenMode};

use crate::cache::{CachedBody, Capture, Representation};
use crate::conn::FileReads;
use crate::site::Site;

/// `Server` header value.
pub const SERVER: &str = "nucleo-mem";
/// Largest generated benchmark body.
pub const BENCH_MAX: u64 = 64 << 20;
/// Where the site lives on the volume.
const SITE: &str = "/www";
/// Longest path on the volume (FAT's limit, as the storage service has it).
const PATH_MAX: usize = proto_storage::MAX_PATH;
/// A response head without a `Location` fits this (the longest ETag, a
/// Content-Range of 20-digit numbers and every other field with room).
const HEAD_MAX: usize = 512;

const STATUS_PAGE: &[u8] = include_bytes!("../static/status.html");

/// A response: its status, its head, already emitted, and its body source.
pub struct Response {
    pub status: Status,
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
    /// `len` bytes from `start` of a file kept in memory (`cache`).
    Cached {
        bytes: CachedBody,
        start: usize,
        len: usize,
    },
    /// An open file of the volume, `size` bytes read in order from `start`,
    /// where its handle stands; `capture` collects it for the cache as it goes.
    File {
        handle: Handle,
        start: u64,
        size: u64,
        capture: Option<Capture>,
        reads: FileReads,
    },
}

/// Byte `i` of a benchmark body: cheap to generate, checkable by clients.
pub fn pattern_byte(i: u64) -> u8 {
    ((i.wrapping_mul(31)) ^ (i >> 8)) as u8
}

fn emit(head: &ResponseHead) -> Vec<u8> {
    let mut buf = alloc::vec![0u8; HEAD_MAX + head.location.map_or(0, str::len)];
    let n = head.emit(&mut buf).unwrap_or(0);
    buf.truncate(n);
    buf
}

/// An error response; `keep_alive` only after a well-framed request.
pub fn error(status: Status, keep_alive: bool, head_only: bool) -> Response {
    let mut e = ErrorResponse::new(status);
    e.keep_alive = keep_alive;
    e.head_only = head_only;
    if status == Status::ServiceUnavailable {
        e.retry_after = Some(1);
    }
    error_response(e)
}

fn error_response(mut e: ErrorResponse) -> Response {
    e.server = Some(SERVER);
    let mut buf = alloc::vec![0u8; HEAD_MAX];
    let n = e.emit(&mut buf).unwrap_or(0);
    buf.truncate(n);
    Response { status: e.status, head: buf, body: Body::Empty, keep_alive: e.keep_alive }
}

/// The answer to a request the parser refused (the connection closes).
pub fn parse_error(e: Error) -> Response {
    error(e.status(), false, false)
}

/// Routes a well-formed request.
pub fn respond(request: &Request, site: &mut Site<'_>) -> Response {
    let keep_alive = request.keep_alive();
    let head_only = request.method() == Method::Head;
    let mut path_buf = [0u8; 512];
    let path = match request.normalized_path(&mut path_buf) {
        Ok(p) => p,
        Err(e) => return error(e.status(), false, head_only),
    };
    let name = path.as_str();
    if name == "/api/status" {
        let json = crate::status::render(site);
        return dynamic(json, Mime::Json.as_str(), keep_alive, head_only);
    }
    if name == "/metrics" {
        return match crate::metrics::render(site) {
            Some(text) => dynamic(text, proto_http::metrics::CONTENT_TYPE, keep_alive, head_only),
            None => error(Status::InternalServerError, keep_alive, head_only),
        };
    }
    if let Some(n) = name.strip_prefix("/api/bench/") {
        return match n.parse::<u64>() {
            Ok(n) if n <= BENCH_MAX => {
                let mut head = ResponseHead::new(Status::Ok);
                head.content_length = Some(n);
                head.content_type = Some(Mime::OctetStream.as_str());
                head.cache_control = Some("no-store");
                ok(head, keep_alive, head_only, Body::Pattern(n))
            }
            _ => error(Status::NotFound, keep_alive, head_only),
        };
    }
    if name == "/status" {
        return status_page(request, keep_alive, head_only);
    }
    match file(request, &path, site, keep_alive, head_only) {
        Some(r) => r,
        // Nothing on the volume (or no volume): the built-in page for `/`.
        None if name == "/" || name == "/index.html" => status_page(request, keep_alive, head_only),
        None => error(Status::NotFound, keep_alive, head_only),
    }
}

/// A generated document, never cached by clients.
fn dynamic(body: Vec<u8>, content_type: &str, keep_alive: bool, head_only: bool) -> Response {
    let mut head = ResponseHead::new(Status::Ok);
    head.content_length = Some(body.len() as u64);
    head.content_type = Some(content_type);
    head.cache_control = Some("no-store");
    ok(head, keep_alive, head_only, Body::Owned(body))
}

fn status_page(request: &Request, keep_alive: bool, head_only: bool) -> Response {
    let repr = Representation {
        etag: ETag::new(STATUS_PAGE.len() as u64, 0, Some(fnv1a(STATUS_PAGE))),
        mime: Mime::Html,
        coding: ContentCoding::Identity,
        last_modified: None,
    };
    let len = STATUS_PAGE.len() as u64;
    represent(request, &repr, len, keep_alive, head_only, |range| {
        Ok(Body::Static(match range {
            Some(r) => &STATUS_PAGE[r.start as usize..(r.start + r.len) as usize],
            None => STATUS_PAGE,
        }))
    })
}

/// Joins the site root, the request path and `index.html` for directories.
fn volume_path<'b>(path: &str, index: bool, buf: &'b mut [u8; PATH_MAX]) -> Option<&'b str> {
    let parts: [&str; 3] = [SITE, path, if index { "/index.html" } else { "" }];
    let mut len = 0;
    for part in parts {
        let part = if index && part == path { part.trim_end_matches('/') } else { part };
        buf.get_mut(len..len + part.len())?.copy_from_slice(part.as_bytes());
        len += part.len();
    }
    core::str::from_utf8(&buf[..len]).ok()
}

/// Serves a file of the volume; `None` when there is none to serve.
fn file(
    request: &Request,
    path: &NormalizedPath,
    site: &mut Site<'_>,
    keep_alive: bool,
    head_only: bool,
) -> Option<Response> {
    let name = path.as_str();
    // A range is cut from the identity representation (see the proto-http README).
    let gzip = request.accepts_gzip() && !request.wants_single_range();
    site.check_changes();
    if let Some((repr, bytes)) = site.cache.get(name, gzip) {
        let len = bytes.len() as u64;
        return Some(represent(request, &repr, len, keep_alive, head_only, |range| {
            let (start, len) = range.map_or((0, bytes.len()), |r| (r.start as usize, r.len as usize));
            Ok(Body::Cached { bytes, start, len })
        }));
    }
    let mut buf = [0u8; PATH_MAX];
    let mut fs_path = volume_path(name, path.is_dir(), &mut buf)?;
    let mut index_buf = [0u8; PATH_MAX];
    let mut meta = match site.storage.stat(fs_path) {
        Ok(m) => m,
        Err(ClientError::Storage(StorageError::NotFound | StorageError::NotADirectory | StorageError::BadPath)) => {
            return None
        }
        Err(ClientError::Storage(StorageError::PermissionDenied)) => {
            return Some(error(Status::Forbidden, keep_alive, head_only))
        }
        // Not mounted, storage restarting: only `/` has a fallback.
        Err(_) if name == "/" => return None,
        Err(_) => return Some(error(Status::ServiceUnavailable, keep_alive, head_only)),
    };
    if meta.kind == Kind::Dir {
        // Relative links in its index resolve against the slashed URL only.
        if !path.is_dir() {
            return Some(redirect_to_directory(request, path, keep_alive, head_only));
        }
        fs_path = volume_path(name, true, &mut index_buf)?;
        meta = site.storage.stat(fs_path).ok().filter(|m| m.kind == Kind::File)?;
    }
    // The type is that of the requested name, whatever variant is sent.
    let mime = Mime::for_path(fs_path);
    let mut gz_buf = [0u8; PATH_MAX];
    let mut coding = if mime.compressible() { ContentCoding::IdentityVaried } else { ContentCoding::Identity };
    let mut served = fs_path;
    if gzip {
        if let Some(gz) = gzip_sibling(fs_path, &mut gz_buf) {
            if let Ok(m) = site.storage.stat(gz) {
                if m.kind == Kind::File {
                    served = gz;
                    meta = m;
                    coding = ContentCoding::Gzip;
                }
            }
        }
    }
    // A strong validator per representation: the gzip variant differs.
    let etag = ETag::new(meta.size, meta.modified as u64, Some((coding == ContentCoding::Gzip) as u32));
    // FAT times are the storage service's seconds since 1970; 0 means unknown.
    let last_modified = Some(u64::from(meta.modified)).filter(|&t| t > 0).and_then(HttpDate::from_unix);
    let repr = Representation { etag, mime, coding, last_modified };
    let size = meta.size;
    Some(represent(request, &repr, size, keep_alive, head_only, |range| {
        let storage = &mut site.storage;
        let handle = match storage.open(served, OpenMode::Read) {
            Ok(h) => h,
            Err(ClientError::Storage(StorageError::NotFound)) => return Err(Status::NotFound),
            Err(_) => return Err(Status::ServiceUnavailable),
        };
        let Some(range) = range else {
            // Small files are collected for the cache as they are sent.
            let capture = site.cache.capture(name, gzip, repr, size);
            return Ok(Body::File { handle, start: 0, size, capture, reads: FileReads::new() });
        };
        match storage.seek(handle, range.start) {
            Ok(at) if at == range.start => {
                Ok(Body::File { handle, start: range.start, size: range.len, capture: None, reads: FileReads::new() })
            }
            _ => {
                let _ = storage.close(handle);
                Err(Status::ServiceUnavailable)
            }
        }
    }))
}

/// 301 from a directory named without its slash to the slashed URL, query kept.
fn redirect_to_directory(request: &Request, path: &NormalizedPath, keep_alive: bool, head_only: bool) -> Response {
    let query = request.query();
    let mut buf = alloc::vec![0u8; directory_location_len(path.as_str().len(), query.map_or(0, <[u8]>::len))];
    let Some(location) = directory_location(path, query, &mut buf) else {
        return error(Status::UriTooLong, keep_alive, head_only);
    };
    let mut head = ResponseHead::new(Status::MovedPermanently);
    head.location = Some(location);
    head.content_length = Some(0);
    ok(head, keep_alive, head_only, Body::Empty)
}

/// Answers a request for one representation of `len` bytes: 304, 416, or
/// the 200 or 206 whose body `body` makes (of the range, or of all of it),
/// or the error status `body` fails with.
fn represent(
    request: &Request,
    repr: &Representation,
    len: u64,
    keep_alive: bool,
    head_only: bool,
    body: impl FnOnce(Option<ByteRange>) -> Result<Body, Status>,
) -> Response {
    let mut head = ResponseHead::new(Status::Ok);
    head.content_length = Some(len);
    head.content_type = Some(repr.mime.as_str());
    head.etag = Some(&repr.etag);
    head.coding = repr.coding;
    head.cache_control = Some("no-cache");
    head.last_modified = repr.last_modified;
    head.accept_ranges = true;
    let validators = Validators { etag: Some(&repr.etag), last_modified: repr.last_modified };
    match request.evaluate(&validators, len) {
        Outcome::NotModified => ok(head.into_not_modified(), keep_alive, head_only, Body::Empty),
        Outcome::Unsatisfiable => error_response(ErrorResponse::unsatisfiable(len, keep_alive)),
        Outcome::Full if head_only || len == 0 => ok(head, keep_alive, head_only, Body::Empty),
        Outcome::Full => match body(None) {
            Ok(b) => ok(head, keep_alive, head_only, b),
            Err(status) => error(status, keep_alive, head_only),
        },
        Outcome::Partial(range) => match body(Some(range)) {
            Ok(b) => ok(head.into_partial(range), keep_alive, head_only, b),
            Err(status) => error(status, keep_alive, head_only),
        },
    }
}

fn ok(mut head: ResponseHead, keep_alive: bool, head_only: bool, body: Body) -> Response {
    head.keep_alive = keep_alive;
    head.server = Some(SERVER);
    let keep_alive = head.keeps_alive();
    Response { status: head.status, head: emit(&head), body: if head_only { Body::Empty } else { body }, keep_alive }
}

/// FNV-1a: a content fingerprint for ETags of built-in resources.
fn fnv1a(data: &[u8]) -> u32 {
    data.iter().fold(0x811c_9dc5u32, |h, &b| (h ^ b as u32).wrapping_mul(0x0100_0193))
}
