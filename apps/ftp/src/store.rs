//! The storage service as the FTP session needs it: error mapping,
//! metadata conversion and the file-system operations.

use alloc::string::String;

use proto_ftp::{DateTime, Failure, FsOp, Kind, Metadata};
use proto_storage::{ClientError, Error, StorageClient, Transport, TransportError};

/// The storage client the app uses (any transport, so the glue does not
/// depend on IPC details).
pub type Store<T> = StorageClient<T>;

/// What an FTP client is told for a storage failure.
pub fn failure(e: ClientError) -> Failure {
    match e {
        ClientError::Storage(e) => match e {
            Error::NotFound => Failure::NotFound,
            Error::AlreadyExists => Failure::AlreadyExists,
            Error::NotEmpty => Failure::NotEmpty,
            Error::NotADirectory => Failure::NotADirectory,
            Error::IsADirectory => Failure::IsADirectory,
            Error::NoSpace => Failure::NoSpace,
            Error::PermissionDenied => Failure::PermissionDenied,
            // Names FAT refuses, paths over the service's 255 bytes: 553.
            Error::BadPath => Failure::BadName,
            Error::Busy | Error::TooManyOpenFiles => Failure::Busy,
            Error::BadHandle
            | Error::Io
            | Error::NotMounted
            | Error::Corrupt
            | Error::BadRequest
            | Error::Unsupported => Failure::Local,
        },
        // The service died, restarted or hangs: a local error (451); the
        // next call looks the service up again.
        ClientError::Transport(_) | ClientError::BadReply => Failure::Local,
    }
}

/// Whether the storage service itself is gone (its handles with it).
pub fn service_gone(e: ClientError) -> bool {
    matches!(e, ClientError::Transport(TransportError::ServiceGone))
}

/// FTP's view of a storage entry; an unknown time (0) shows as 1970.
pub fn metadata(m: &proto_storage::Metadata) -> Metadata {
    Metadata {
        kind: match m.kind {
            proto_storage::Kind::File => Kind::File,
            proto_storage::Kind::Dir => Kind::Dir,
        },
        size: m.size,
        modified: DateTime::from_unix(u64::from(m.modified)).unwrap_or(DateTime::EPOCH),
    }
}

pub fn stat<T: Transport>(store: &mut Store<T>, path: &str) -> Result<Metadata, Failure> {
    store.stat(path).map(|m| metadata(&m)).map_err(failure)
}

/// Runs a non-stat file-system operation (`FsOp::Stat` is [`stat`]).
pub fn fs_op<T: Transport>(store: &mut Store<T>, op: &OwnedFsOp) -> Result<(), Failure> {
    match op {
        OwnedFsOp::ChangeDir(path) => match stat(store, path)?.kind {
            Kind::Dir => Ok(()),
            Kind::File => Err(Failure::NotADirectory),
        },
        OwnedFsOp::Delete(path) => store.delete(path).map_err(failure),
        OwnedFsOp::MakeDir(path) => store.mkdir(path).map_err(failure),
        OwnedFsOp::RemoveDir(path) => store.rmdir(path).map_err(failure),
        OwnedFsOp::Rename(from, to) => store.rename(from, to).map_err(failure),
        OwnedFsOp::Stat(path) => stat(store, path).map(|_| ()),
        // The storage protocol cannot set a time yet, so sessions do not
        // offer MFMT (`Options::set_times` is false) and never ask this.
        OwnedFsOp::SetModified => Err(Failure::Local),
    }
}

/// An [`FsOp`] that owns its paths, so the session can be called again
/// while the operation runs.
pub enum OwnedFsOp {
    Stat(String),
    ChangeDir(String),
    Delete(String),
    MakeDir(String),
    RemoveDir(String),
    Rename(String, String),
    /// MFMT, which sessions do not offer yet (nothing to carry).
    SetModified,
}

impl OwnedFsOp {
    pub fn from_op(op: &FsOp<'_>) -> OwnedFsOp {
        match *op {
            FsOp::Stat { path } => OwnedFsOp::Stat(String::from(path)),
            FsOp::ChangeDir { path } => OwnedFsOp::ChangeDir(String::from(path)),
            FsOp::Delete { path } => OwnedFsOp::Delete(String::from(path)),
            FsOp::MakeDir { path } => OwnedFsOp::MakeDir(String::from(path)),
            FsOp::RemoveDir { path } => OwnedFsOp::RemoveDir(String::from(path)),
            FsOp::Rename { from, to } => OwnedFsOp::Rename(String::from(from), String::from(to)),
            FsOp::SetModified { .. } => OwnedFsOp::SetModified,
        }
    }
}
