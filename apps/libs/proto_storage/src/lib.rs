//! Wire protocol, path rules and access policy of the board's storage service.
//!
//! The `storage` process owns the FAT volume; other processes (`http`, `ftp`)
//! send it one [`Request`] message per call over the kernel's IPC channel and
//! get one [`Response`] back. Both are `Repr`-style values with symmetric
//! `parse`/`emit`: little-endian, explicit lengths, a magic and a version byte
//! in front so garbage is rejected, and no panics on any input.
//!
//! Around the messages: [`normalize`] turns client paths into [`NormPath`]s
//! (traversal above `/` is an error, never clamped), [`policy`] decides which
//! app may touch which path, and [`StorageClient`] is a typed client over any
//! [`Transport`]. `no_std`, no `alloc`, no `unsafe`.
//!
//! ```
//! use proto_storage::{Handle, OpenMode, Request, Response, MAX_MESSAGE};
//!
//! let mut buf = [0u8; MAX_MESSAGE];
//! let req = Request::Open { path: "/www/index.html", mode: OpenMode::Read };
//! let n = req.emit(&mut buf).unwrap();
//! assert_eq!(Request::parse(&buf[..n]), Ok(req));
//!
//! let n = Response::Opened(Handle(3)).emit(&mut buf).unwrap();
//! assert_eq!(Response::parse(&buf[..n]), Ok(Response::Opened(Handle(3))));
//! assert!(Request::parse(b"GET / HTTP/1.1").is_err());
//! ```

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod client;
mod error;
mod header;
mod path;
pub mod pipeline;
pub mod policy;
mod request;
mod response;
mod status;
pub mod stream;
mod wire;

pub use client::{ClientError, Pipelined, StorageClient, Transport, TransportError};
pub use error::Error;
pub use header::{DecodeError, EncodeError, HEADER_LEN, REQUEST_MAGIC, RESPONSE_MAGIC, VERSION};
pub use path::{normalize, NormPath, PathError};
pub use pipeline::{Progress, Ticket};
pub use policy::{authorize, Class, Rule, Scope, RULES};
pub use request::{Chunk, FileData, Handle, Op, OpenMode, ReadData, ReadLen, Request};
pub use response::{Done, Entries, Entry, Kind, Listing, ListingWriter, Metadata, Response, DATA_OFFSET, ERROR_KIND};
pub use status::{
    Corruption, FreeSpace, Label, LabelError, NotMounted, Unformatted, VolumeStats, VolumeStatus, MAX_LABEL,
};

/// Largest request, and largest reply but a `Read`'s, header included.
///
/// A 4096-byte data chunk plus header and length (4106 bytes) fits, and so
/// does `Rename` with two worst-case paths; the rest is margin for listings.
pub const MAX_MESSAGE: usize = 4608;

/// Largest reply: a [`MAX_READ`] read's data with the same margin (the
/// kernel's largest message, which only a large inbox takes).
pub const MAX_REPLY: usize = MAX_READ + 512;

/// The name the storage service registers under (kernel IPC).
pub const SERVICE_NAME: &str = "storage";
/// The app that answers as [`SERVICE_NAME`]: the board gives the name to it
/// alone, and clients check the answering process is it.
pub const SERVICE_APP: &str = "storage";

/// Most file data in one `Read` or `Write`: one 4 KiB block, the unit the
/// block device and the volume's cache move.
pub const MAX_DATA: usize = 4096;

/// Most file data one `Read` returns: four 4 KiB blocks, what the service
/// reads from the device in one request when a file is read in order.
/// Only a client with a large kernel inbox can take more than
/// [`MAX_DATA`] (its reply is over [`MAX_MESSAGE`]); the waiting
/// [`StorageClient::read`] asks for [`MAX_DATA`] at most.
pub const MAX_READ: usize = 16384;

/// Longest normalised path in bytes, leading `/` included.
///
/// FAT (through Windows' `MAX_PATH` of 260 units with `C:\` and NUL) bounds
/// whole paths to about 256 characters; 255 bytes keeps every accepted path
/// within that for any UTF-8 and lets a length fit one byte. As a result a
/// name directly under `/` has at most 254 bytes.
pub const MAX_PATH: usize = 255;

/// Longest path component in bytes: FAT long names are at most 255 characters.
pub const MAX_NAME: usize = 255;

/// Longest name a listing can carry: 255 UTF-16 units of up to 3 UTF-8 bytes.
///
/// Names written by other systems can exceed [`MAX_NAME`] bytes in UTF-8;
/// they are listed in full but cannot be opened through a path.
pub const MAX_LIST_NAME: usize = 765;
