//! Sans-I/O FTP server protocol logic (RFC 959, 1635, 2389, 2428, 2577, 3659) for `no_std` apps.
//!
//! The crate never touches a socket or a file. The app feeds control-connection
//! bytes into a [`LineBuffer`], hands each line to a [`Session`] and acts on the
//! returned [`Outcome`]: send a reply, check credentials, open a passive data
//! socket, run a transfer or a file-system operation, then report the result
//! back so the session can produce the final reply.
//!
//! Everything is fixed-size: no `alloc`, no `unsafe`, no panics on any input.
//!
//! ```
//! use core::net::{Ipv4Addr, SocketAddrV4};
//! use proto_ftp::{Feed, LineBuffer, Outcome, ReplyBuf, Session};
//!
//! let mut session = Session::new();
//! let mut lines = LineBuffer::new();
//! let mut out = ReplyBuf::new();
//! let mut sent = String::new();
//! let mut input: &[u8] = b"USER ann\r\nPASS pw\r\nPASV\r\n";
//! while !input.is_empty() {
//!     let (used, feed) = lines.feed(input);
//!     input = &input[used..];
//!     let reply = match feed {
//!         Feed::NeedMore => continue,
//!         Feed::TooLong => session.reject(proto_ftp::ParseError::TooLong, &mut out),
//!         Feed::Line(line) => match session.handle_line(line, &mut out) {
//!             Outcome::Reply(r) => r,
//!             Outcome::Authenticate { user, pass } => {
//!                 let ok = user == "ann" && pass == b"pw"; // the app's own check
//!                 session.login_result(ok, &mut out)
//!             }
//!             Outcome::OpenPassive { .. } => {
//!                 // The app opens a listening socket here.
//!                 let addr = SocketAddrV4::new(Ipv4Addr::new(192, 168, 0, 2), 50_000);
//!                 session.passive_ready(addr, &mut out)
//!             }
//!             other => unimplemented!("{other:?}"),
//!         },
//!     };
//!     sent += reply;
//! }
//! assert_eq!(
//!     sent,
//!     "331 Password required.\r\n230 User logged in.\r\n\
//!      227 Entering Passive Mode (192,168,0,2,195,80).\r\n"
//! );
//! ```

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ascii;
pub mod command;
mod cursor;
pub mod glob;
pub mod line;
pub mod list;
pub mod login;
mod outcome;
pub mod path;
mod replies;
pub mod reply;
pub mod session;
pub mod time;

pub use command::{parse, Command, DataType, EprtArg, EpsvArg, OptsArg, ParseError, SiteCmd, Verb};
pub use cursor::FormatError;
pub use glob::Glob;
pub use line::{Feed, LineBuffer};
pub use list::{Entry, Facts, Kind, ListFormat, Metadata};
pub use outcome::{Failure, FsOp, Outcome, StoreMode, Transfer};
pub use path::{resolve, AbsPath, PathError};
pub use reply::{Code, ReplyBuf};
pub use session::{Options, Role, Session, ANONYMOUS_ROOT};
pub use time::DateTime;

/// Longest control line accepted, CRLF included.
///
/// RFC 959 sets no limit; 512 is the SMTP command-line limit (RFC 5321) and
/// holds a verb plus two worst-case [`MAX_PATH`] arguments, so un-normalised
/// relative paths (`./a/../b`) still fit.
pub const MAX_LINE: usize = 512;

/// Longest normalised absolute path in bytes, leading `/` included.
///
/// FAT long-name paths are limited to 260 UTF-16 units including `C:\` and the
/// terminating NUL, i.e. 256 for the path itself; we count bytes, which is
/// stricter for non-ASCII names but keeps buffers fixed.
pub const MAX_PATH: usize = 256;

/// Longest single path component in bytes.
///
/// FAT long names hold up to 255 UTF-16 units; 255 bytes is equal for ASCII and
/// stricter for anything else, so the storage service never sees a name it
/// cannot store for length reasons.
pub const MAX_NAME: usize = 255;

/// Longest user name accepted by `USER`; longer ones get 501.
pub const MAX_USER: usize = 64;

/// Size of a [`ReplyBuf`]; the largest session reply (MLST with a
/// [`MAX_PATH`] path twice, or 257 with every byte a doubled `"`) stays well below.
pub const REPLY_CAPACITY: usize = 1024;

// The worst-case session replies are bounded by two paths plus fixed text.
const _: () = assert!(REPLY_CAPACITY >= 2 * MAX_PATH + 256);
const _: () = assert!(MAX_NAME < MAX_PATH);
