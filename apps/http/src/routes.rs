//! What each request gets.
//!
//! - `/api/status`: uptime, processes with memory and traffic, memory
//!   regions, network counters and the volume's state, as JSON.
//! - `/api/bench/<bytes>`: a generated body of that many bytes (at most
//!   [`BENCH_MAX`]), for throughput tests that do not involve storage.
//! - `/status`: the built-in status page.
//! - anything else: the file under `/www` on the eMMC, through the storage
//!   service (`index.html` for a directory), its precompressed `.gz`
//!   sibling when the client accepts gzip; `/` falls back to the built-in
//!   status page when the volume holds no `/www/index.html` or is not
//!   mounted. Small files are kept in memory once served (`cache`).

use alloc::vec::Vec;

use proto_http::{
    gzip_sibling, ContentCoding, ETag, Error, ErrorResponse, Method, Mime, Request, ResponseHead,
    Status,
};
use proto_storage::{ClientError, Error as StorageError, Handle, Kind, OpenMode};


use crate::cache::{CachedBody, Capture, Representation};
use crate::site::Site;

/// `Server` header value.
pub const SERVER: &str = "nucleo-mem";
/// Largest generated benchmark body.
pub const BENCH_MAX: u64 = 64 << 20;
/// Where the site lives on the volume.
const SITE: &str = "/www";
/// Longest path on the volume (FAT's limit, as the storage service has it).
const PATH_MAX: usize = proto_storage::MAX_PATH;

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
    /// A file kept in memory (`cache`).
    Cached(CachedBody),
    /// An open file of the volume, `size` bytes, read in order; `capture`
    /// collects it for the cache as it goes.
    File {
        handle: Handle,
        size: u64,
        capture: Option<Capture>,
    },
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
    Response {
        head: buf,
        body: Body::Empty,
        keep_alive,
    }
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
    let path = path.as_str();
    if path == "/api/status" {
        let json = crate::status::render(site);
        let mut head = ResponseHead::new(Status::Ok);
        head.content_length = Some(json.len() as u64);
        head.content_type = Some(Mime::Json.as_str());
        head.cache_control = Some("no-store");
        return ok(head, keep_alive, head_only, Body::Owned(json));
    }
    if let Some(n) = path.strip_prefix("/api/bench/") {
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
    if path == "/status" {
        return status_page(request, keep_alive, head_only);
    }
    match file(request, path, site, keep_alive, head_only) {
        Some(r) => r,
        // Nothing on the volume (or no volume): the built-in page for `/`.
        None if path == "/" || path == "/index.html" => status_page(request, keep_alive, head_only),
        None => error(Status::NotFound, keep_alive, head_only),
    }
}

fn status_page(request: &Request, keep_alive: bool, head_only: bool) -> Response {
    let etag = ETag::new(STATUS_PAGE.len() as u64, 0, Some(fnv1a(STATUS_PAGE)));
    if request.etag_matches(&etag) {
        return not_modified(&etag, keep_alive);
    }
    let mut head = ResponseHead::new(Status::Ok);
    head.content_length = Some(STATUS_PAGE.len() as u64);
    head.content_type = Some(Mime::Html.as_str());
    head.etag = Some(&etag);
    head.cache_control = Some("no-cache");
    ok(head, keep_alive, head_only, Body::Static(STATUS_PAGE))
}

fn not_modified(etag: &ETag, keep_alive: bool) -> Response {
    let mut head = ResponseHead::not_modified(etag);
    head.keep_alive = keep_alive;
    head.server = Some(SERVER);
    Response {
        head: emit(&head),
        body: Body::Empty,
        keep_alive,
    }
}

/// Joins the site root, the request path and `index.html` for directories.
fn volume_path<'b>(path: &str, index: bool, buf: &'b mut [u8; PATH_MAX]) -> Option<&'b str> {
    let parts: [&str; 3] = [SITE, path, if index { "/index.html" } else { "" }];
    let mut len = 0;
    for part in parts {
        let part = if index && part == path {
            part.trim_end_matches('/')
        } else {
            part
        };
        buf.get_mut(len..len + part.len())?
            .copy_from_slice(part.as_bytes());
        len += part.len();
    }
    core::str::from_utf8(&buf[..len]).ok()
}

/// Serves a file of the volume; `None` when there is none to serve.
fn file(
    request: &Request,
    path: &str,
    site: &mut Site<'_>,
    keep_alive: bool,
    head_only: bool,
) -> Option<Response> {
    let gzip = request.accepts_gzip();
    site.check_changes();
    if let Some((repr, body)) = site.cache.get(path, gzip) {
        return Some(represent(
            request,
            repr,
            body.len() as u64,
            Body::Cached(body),
            keep_alive,
            head_only,
        ));
    }
    let storage = &mut site.storage;
    let mut buf = [0u8; PATH_MAX];
    let mut fs_path = volume_path(path, path.ends_with('/'), &mut buf)?;
    let mut index_buf = [0u8; PATH_MAX];
    let mut meta = match storage.stat(fs_path) {
        Ok(m) => m,
        Err(ClientError::Storage(
            StorageError::NotFound | StorageError::NotADirectory | StorageError::BadPath,
        )) => return None,
        Err(ClientError::Storage(StorageError::PermissionDenied)) => {
            return Some(error(Status::Forbidden, keep_alive, head_only))
        }
        // Not mounted, storage restarting: only `/` has a fallback.
        Err(_) if path == "/" => return None,
        Err(_) => return Some(error(Status::ServiceUnavailable, keep_alive, head_only)),
    };
    if meta.kind == Kind::Dir {
        fs_path = volume_path(path, true, &mut index_buf)?;
        meta = storage
            .stat(fs_path)
            .ok()
            .filter(|m| m.kind == Kind::File)?;
    }
    // The type is that of the requested name, whatever variant is sent.
    let mime = Mime::for_path(fs_path);
    let mut gz_buf = [0u8; PATH_MAX];
    let mut coding = if mime.compressible() {
        ContentCoding::IdentityVaried
    } else {
        ContentCoding::Identity
    };
    let mut served = fs_path;
    if gzip {
        if let Some(gz) = gzip_sibling(fs_path, &mut gz_buf) {
            if let Ok(m) = storage.stat(gz) {
                if m.kind == Kind::File {
                    served = gz;
                    meta = m;
                    coding = ContentCoding::Gzip;
                }
            }
        }
    }
    // A strong validator per representation: the gzip variant differs.
    let etag = ETag::new(
        meta.size,
        meta.modified as u64,
        Some((coding == ContentCoding::Gzip) as u32),
    );
    let repr = Representation { etag, mime, coding };
    if head_only || meta.size == 0 || request.etag_matches(&etag) {
        return Some(represent(
            request,
            repr,
            meta.size,
            Body::Empty,
            keep_alive,
            head_only,
        ));
    }
    let handle = match storage.open(served, OpenMode::Read) {
        Ok(h) => h,
        Err(ClientError::Storage(StorageError::NotFound)) => return None,
        Err(_) => return Some(error(Status::ServiceUnavailable, keep_alive, head_only)),
    };
    // Small files are collected for the cache as they are sent.
    let capture = site.cache.capture(path, gzip, repr, meta.size);
    let body = Body::File {
        handle,
        size: meta.size,
        capture,
    };
    Some(represent(
        request, repr, meta.size, body, keep_alive, head_only,
    ))
}

/// The response for one representation of a file: 304 if the client has
/// it, else its head and `body`.
fn represent(
    request: &Request,
    repr: Representation,
    size: u64,
    body: Body,
    keep_alive: bool,
    head_only: bool,
) -> Response {
    if request.etag_matches(&repr.etag) {
        return not_modified(&repr.etag, keep_alive);
    }
    let mut head = ResponseHead::new(Status::Ok);
    head.content_length = Some(size);
    head.content_type = Some(repr.mime.as_str());
    head.etag = Some(&repr.etag);
    head.coding = repr.coding;
    head.cache_control = Some("no-cache");
    ok(head, keep_alive, head_only, body)
}

fn ok(mut head: ResponseHead, keep_alive: bool, head_only: bool, body: Body) -> Response {
    head.keep_alive = keep_alive;
    head.server = Some(SERVER);
    let keep_alive = head.keeps_alive();
    Response {
        head: emit(&head),
        body: if head_only { Body::Empty } else { body },
        keep_alive,
    }
}

/// FNV-1a: a content fingerprint for ETags of built-in resources.
fn fnv1a(data: &[u8]) -> u32 {
    data.iter().fold(0x811c_9dc5u32, |h, &b| {
        (h ^ b as u32).wrapping_mul(0x0100_0193)
    })
}
