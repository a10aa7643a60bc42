//! Allocation-free HTTP/1.1 protocol logic for a small static-file and JSON server.
//!
//! The crate does no I/O. The server feeds it the bytes it has buffered for a
//! connection and gets back borrowed views ([`Request`]) or writes response heads
//! into buffers it owns ([`ResponseHead`], [`ErrorResponse`]). Everything is
//! `no_std`, free of `alloc` and of `unsafe`.
//!
//! ```
//! use proto_http::{Limits, Parsed, Request, ResponseHead, Status};
//!
//! let buf = b"GET /index.html HTTP/1.1\r\nHost: board\r\n\r\n";
//! let Ok(Parsed::Complete { request, head_len }) = Request::parse(buf, &Limits::DEFAULT) else {
//!     panic!("complete head expected");
//! };
//! assert_eq!(head_len, buf.len());
//! let mut path_buf = [0u8; 128];
//! let path = request.normalized_path(&mut path_buf).unwrap();
//! assert_eq!(path.as_str(), "/index.html");
//!
//! let mut head = ResponseHead::new(Status::Ok);
//! head.content_length = Some(5);
//! head.content_type = Some(path.mime().as_str());
//! head.keep_alive = request.keep_alive();
//! let mut out = [0u8; 256];
//! let len = head.emit(&mut out).unwrap();
//! assert!(out[..len].starts_with(b"HTTP/1.1 200 OK\r\n"));
//! ```

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod conditional;
mod date;
mod encoding;
mod error;
mod etag;
mod header;
mod keepalive;
mod limits;
mod line;
mod location;
mod method;
pub mod metrics;
mod mime;
mod path;
mod range;
mod request;
mod response;
mod status;
mod syntax;
mod target;
mod writer;

pub use conditional::{IfRange, Outcome, Validators};
pub use date::{HttpDate, IMF_FIXDATE_LEN};
pub use encoding::{accepts_gzip, AcceptEncoding};
pub use error::{BadRequest, Error};
pub use etag::{if_none_match, ETag};
pub use header::{Connection, Header, HeaderIter, Headers, ValuesIter};
pub use keepalive::{Expiry, HeadWait, WaitLimits};
pub use limits::Limits;
pub use location::{directory_location, directory_location_len};
pub use method::{Method, Version};
pub use mime::Mime;
pub use path::{gzip_sibling, normalize, NormalizedPath};
pub use range::{ByteRange, ByteRangeSpec, RangeSet, Resolution};
pub use request::{Parsed, Request};
pub use response::{ContentCoding, ContentRange, EmitError, ErrorResponse, ResponseHead};
pub use status::Status;
pub use target::Target;
