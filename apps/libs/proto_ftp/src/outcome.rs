//! What the session asks the app to do next, and how the app reports failures.

use core::net::SocketAddrV4;

use crate::glob::Glob;
use crate::list::ListFormat;
use crate::time::DateTime;
#[cfg(doc)]
use crate::Session;

/// What the app must do after [`Session::handle`].
///
/// Variants other than `Reply`/`Close` leave the session waiting for exactly
/// one completion call; until then every command except `QUIT` gets 503.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// Send this reply; nothing else to do.
    Reply(&'a str),
    /// Send this reply (221), then close the control connection and any data socket.
    Close(&'a str),
    /// Check the credentials, then call [`Session::login_result`].
    Authenticate {
        /// User name from `USER`.
        user: &'a str,
        /// Password bytes from `PASS` (may be empty).
        pass: &'a [u8],
    },
    /// Close any previous data listener, listen on a fresh port, then call
    /// [`Session::passive_ready`] or [`Session::passive_failed`].
    OpenPassive {
        /// EPSV (229 reply) rather than PASV (227 reply).
        extended: bool,
    },
    /// PORT/EPRT (the address is the control connection's peer, checked):
    /// close any data listener, connect to `addr` when the next transfer
    /// starts, then call [`Session::active_ready`].
    OpenActive {
        /// Where the data connection goes.
        addr: SocketAddrV4,
    },
    /// Open the file or directory; on failure call [`Session::transfer_done`]
    /// with the error right away (e.g. 550). Otherwise send the text from
    /// [`Session::transfer_started`] (150), accept the data connection, move
    /// the data, close the data connection and call [`Session::transfer_done`].
    Transfer(Transfer<'a>),
    /// `STAT path`: stat `path`; on failure call [`Session::status_done`]
    /// with the error (550). Otherwise send the text from
    /// [`Session::status_started`] (`213-`), the listing in
    /// [`ListFormat::Long`] on the control connection (lines never start
    /// with a digit), then the text from [`Session::status_done`] (`213 `).
    StatusListing {
        /// What to list (a directory, or a single file).
        path: &'a str,
        /// Only the names matching this, when the argument had a wildcard.
        glob: Option<Glob<'a>>,
    },
    /// Perform a file-system operation, then call [`Session::stat_done`] for
    /// [`FsOp::Stat`] or [`Session::fs_done`] for the others.
    Fs(FsOp<'a>),
    /// `ABOR` during a transfer: stop it, close the data connection, then call
    /// [`Session::transfer_done`] (its result only picks 226 vs 426 for the transfer).
    AbortTransfer,
    /// `QUIT` during a transfer (RFC 959 §4.1.1): send nothing now, let the
    /// transfer finish; the text of [`Session::transfer_done`] then ends
    /// with 221, after which the app closes the control connection
    /// ([`Session::quitting`]).
    QuitAfterTransfer,
    /// `SITE FORMAT [label]` by an admin: format the volume (label `None`:
    /// the app's default), then call [`Session::format_done`].
    Format {
        /// The label as the client wrote it.
        label: Option<&'a str>,
    },
}

/// A data-connection transfer; paths are normalised and absolute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transfer<'a> {
    /// Send the file from byte `offset` (set by `REST`, else 0).
    Retr {
        /// File to read.
        path: &'a str,
        /// Start offset.
        offset: u64,
    },
    /// Receive a file.
    Stor {
        /// File to write.
        path: &'a str,
        /// Replace, append or resume.
        mode: StoreMode,
    },
    /// Send a listing of `path` (a directory, or a single file).
    List {
        /// What to list.
        path: &'a str,
        /// Line format to use for each entry.
        format: ListFormat,
        /// Only the names matching this, when the argument had a wildcard
        /// (LIST, NLST); format entries with [`format_listed`](crate::list::format_listed).
        glob: Option<Glob<'a>>,
    },
}

/// How `STOR`/`APPE` write the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreMode {
    /// `STOR`: create or truncate.
    Replace,
    /// `APPE`: create or append at the end.
    Append,
    /// `REST n` + `STOR`: keep the first `n` bytes, write from there.
    Resume(u64),
}

/// A file-system operation; paths are normalised and absolute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FsOp<'a> {
    /// Report metadata (SIZE, MDTM, MLST, RNFR) via [`Session::stat_done`].
    Stat {
        /// Path to inspect.
        path: &'a str,
    },
    /// Check `path` is a directory the user may enter (CWD, CDUP).
    ChangeDir {
        /// Directory to enter.
        path: &'a str,
    },
    /// Delete a file (DELE).
    Delete {
        /// File to delete.
        path: &'a str,
    },
    /// Create a directory (MKD).
    MakeDir {
        /// Directory to create.
        path: &'a str,
    },
    /// Remove an empty directory (RMD).
    RemoveDir {
        /// Directory to remove.
        path: &'a str,
    },
    /// Rename or move (RNFR + RNTO).
    Rename {
        /// Existing path.
        from: &'a str,
        /// New path.
        to: &'a str,
    },
    /// Set a file's modification time (MFMT; only when the session was
    /// told the app can, [`Options::set_times`](crate::session::Options::set_times)).
    SetModified {
        /// The file.
        path: &'a str,
        /// Its new time, UTC.
        time: DateTime,
    },
}

/// Why an operation failed, as reported by the app; each maps to a reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// 550 No such file or directory.
    NotFound,
    /// 550 Permission denied (e.g. FAT read-only attribute).
    PermissionDenied,
    /// 550 Target already exists (MKD, RNTO).
    AlreadyExists,
    /// 550 Directory not empty (RMD).
    NotEmpty,
    /// 550 Not a directory (CWD, MLSD on a file).
    NotADirectory,
    /// 550 Is a directory (RETR, DELE, STOR on a directory).
    IsADirectory,
    /// 452 before any data moved, 552 once the transfer had started.
    NoSpace,
    /// 553 The storage service refused the name (e.g. `:*?"<>|` on FAT).
    BadName,
    /// 450 Temporarily unavailable (file open elsewhere, storage busy).
    Busy,
    /// 425 The client never connected to the data port.
    NoDataConnection,
    /// 426 The data connection broke mid-transfer.
    ConnectionClosed,
    /// 451 Anything else (I/O error, IPC failure).
    Local,
}
